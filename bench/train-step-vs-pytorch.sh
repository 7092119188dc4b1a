#!/usr/bin/env bash
# Runs qlora4j's TrainStepBench (JMH) and the PyTorch peer bench/torch_train_step.py on the same
# random-weight Llama-style model (hidden 512, 8 layers, 8 heads / 2 KV heads, SwiGLU 2048,
# vocabulary 32000) on the CPU with 2 threads, and prints tokens/s of both and the ratio for:
#   full    forward + backward of a [4, 256] batch, every weight trainable
#   lora    the same, base frozen, LoRA r 16 / alpha 32 on q_proj and v_proj
#   decode  greedy generation with a KV cache, batch 1, 128 tokens after a 16-token prompt
# Needs Debian's python3-torch and libopenblas0-pthread (without the latter torch falls back to
# the reference BLAS, ~17x slower):
#   apt-get install -y python3-torch libopenblas0-pthread
# Environment: MODES (default "full lora decode"), PEER_STEPS (training steps the peer times, 5),
# REPEAT (rounds, default 1: on a shared machine, several rounds and the best of each side are
# closer to the uncontended speed than one). Extra arguments go to JMH (e.g. -wi 1 -i 2).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/java25.sh
qlora4j_select_jdk
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import torch' 2>/dev/null || {
  echo "error: $py cannot import torch (apt-get install -y python3-torch libopenblas0-pthread)" >&2; exit 2; }
jar=bench/target/benchmarks.jar
# always rebuild: the jar shades the engine, and a stale one would measure old code
./mvnw -q -DskipTests package -pl bench -am
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Per mode, JMH first and the peer right after, so that both see the machine in the same state
# (on a shared VM the attainable speed drifts by 10-20 % over minutes). Both use 2 threads.
modes=${MODES:-full lora decode}
rounds=${REPEAT:-1}
for r in $(seq "$rounds"); do
  for m in $modes; do
    echo "== $m (round $r): qlora4j TrainStepBench (JMH) ==" >&2
    # (-jvmArgsPrepend: an -jvmArgsAppend here would replace the benchmark's own flags)
    "$JAVA_HOME/bin/java" -jar "$jar" 'TrainStepBench' -p mode="$m" -jvmArgsPrepend -Dqlora4j.threads=2 \
      -rf json -rff "$out/jmh-$m-$r.json" "$@" >&2
    echo "== $m (round $r): PyTorch peer ==" >&2
    # OpenBLAS picks its kernel for the CPU it finds; the machine's OPENBLAS_CORETYPE/L2_SIZE overrides
    # would pin an older one, so they are unset for this command only.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" bench/torch_train_step.py "$m" "${PEER_STEPS:-5}" > "$out/torch-$m-$r.json"
  done
done
"$JAVA_HOME/bin/java" -version 2>&1 | head -1 > "$out/jdk.txt"
"$py" - "$out" "$rounds" $modes <<'PY'
import json, sys
out, rounds, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
what = {"full": "full fwd+bwd", "lora": "LoRA fwd+bwd", "decode": "greedy decode"}
best = "" if rounds == 1 else f" (best of {rounds})"
print(f"{'mode':<14} {'qlora4j tok/s' + best:>26} {'PyTorch tok/s' + best:>26} {'ratio':>6}")
for m in modes:
    ours = [json.load(open(f'{out}/jmh-{m}-{r}.json'))[0]['secondaryMetrics']['tokens'] for r in range(1, rounds + 1)]
    peer = [json.load(open(f'{out}/torch-{m}-{r}.json')) for r in range(1, rounds + 1)]
    o = max(ours, key=lambda x: x['score'])
    p = max(p['tokens_per_s'] for p in peer)
    print(f"{what.get(m, m):<14} {o['score']:>16.1f} ± {float(o['scoreError']):<7.1f} {p:>26.1f} {o['score'] / p:>6.2f}")
    if rounds > 1:
        ours_all = ' '.join('%.1f' % x['score'] for x in ours)
        peer_all = ' '.join('%.1f' % x['tokens_per_s'] for x in peer)
        print(f"{'':<14} rounds: qlora4j {ours_all}; PyTorch {peer_all}")
print(f"# {open(f'{out}/jdk.txt').read().strip()}; torch {peer[0]['torch']}, {peer[0]['threads']} threads")
PY
