#!/usr/bin/env bash
# Data-parallel training on one machine: the same run (same model, data and global batch) as
# 1 rank x 2 threads and as 2 ranks x 1 thread (mpirun; ranks not bound, so that the JIT and GC threads
# of each JVM can use the other core), then tokens/s, step time
# and the share of the run spent in all-reduce for both, and the ratio.
# Usage: bench/data-parallel.sh [STEPS]   (needs python3-numpy and Open MPI's mpirun; builds train.jar if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/java25.sh
qlora4j_select_jdk
STEPS=${1:-24}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[[ -f train/target/train.jar ]] || ./mvnw -q -DskipTests package
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/random_hf_model.py llama-mini causal "$work/model" >/dev/null
# 64 rows of fixture chat text, repeated so that every row fills max_length
python3 - "$work/data.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open("fixtures/hf/llama/train.jsonl")]
with open(sys.argv[1], "w") as f:
    for i in range(64):
        m = rows[i % len(rows)]["messages"]
        f.write(json.dumps({"text": " ".join(x["content"] for x in m) * 8}) + "\n")
PY
cfg() {   # $1 output dir, $2 gradient accumulation
  cat > "$work/$1.json" <<JSON
{"model_name_or_path": "$work/model", "train_file": "$work/data.jsonl", "output_dir": "$work/$1", "max_length": 128,
 "per_device_train_batch_size": 2, "gradient_accumulation_steps": $2, "max_steps": $STEPS, "learning_rate": 1e-4,
 "logging_steps": 1, "save_strategy": "no", "report_to": "none", "seed": 1,
 "lora": {"r": 16, "lora_alpha": 32, "target_modules": ["q_proj", "v_proj"]}}
JSON
  echo "$work/$1.json"
}
JAVA=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED)
"${JAVA[@]}" -Dqlora4j.threads=2 -jar train/target/train.jar train "$(cfg one 4)" > "$work/one.log" 2>&1
mpirun -np 2 --bind-to none "${JAVA[@]}" -jar train/target/train.jar train "$(cfg two 2)" > "$work/two.log" 2>&1
python3 - "$work" "$STEPS" <<'PY'
import json, sys
work, steps = sys.argv[1], int(sys.argv[2])
res = {}
for name, label in (("one", "1 rank x 2 threads"), ("two", "2 ranks x 1 thread")):
    m = json.load(open(f"{work}/{name}/training_metrics.json"))
    ar = m.get("train_all_reduce_runtime", 0.0)
    res[name] = m["train_tokens_per_second"]
    print(json.dumps({"setup": label, "global_batch": 8, "steps": steps, "tokens_per_second": m["train_tokens_per_second"],
                      "step_seconds": round(m["train_runtime"] / steps, 3), "all_reduce_share": round(ar / m["train_runtime"], 4)}))
print(f"ratio (2 ranks / 1 rank, tokens/s): {res['two'] / res['one']:.2f}")
PY
