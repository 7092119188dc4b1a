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
# Environment: MODES (default "full lora decode"), PEER_STEPS (training steps the peer times, 5).
# Extra arguments go to JMH (e.g. -wi 1 -i 2).
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
for m in $modes; do
  echo "== $m: qlora4j TrainStepBench (JMH) ==" >&2
  # (-jvmArgsPrepend: an -jvmArgsAppend here would replace the benchmark's own flags)
  "$JAVA_HOME/bin/java" -jar "$jar" 'TrainStepBench' -p mode="$m" -jvmArgsPrepend -Dqlora4j.threads=2 \
    -rf json -rff "$out/jmh-$m.json" "$@" >&2
  echo "== $m: PyTorch peer ==" >&2
  # OpenBLAS picks its kernel for the CPU it finds; the machine's OPENBLAS_CORETYPE/L2_SIZE overrides
  # would pin an older one, so they are unset for this command only.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" bench/torch_train_step.py "$m" "${PEER_STEPS:-5}" > "$out/torch-$m.json"
done
"$JAVA_HOME/bin/java" -version 2>&1 | head -1 > "$out/jdk.txt"
"$py" - "$out" $modes <<'PY'
import json, sys
out, modes = sys.argv[1], sys.argv[2:]
what = {"full": "full fwd+bwd", "lora": "LoRA fwd+bwd", "decode": "greedy decode"}
print(f"{'mode':<14} {'qlora4j tok/s':>22} {'PyTorch tok/s':>14} {'ratio':>6}")
for m in modes:
    tokens = json.load(open(f'{out}/jmh-{m}.json'))[0]['secondaryMetrics']['tokens']
    peer = json.load(open(f'{out}/torch-{m}.json'))
    print(f"{what.get(m, m):<14} {tokens['score']:>12.1f} ± {tokens['scoreError']:<7.1f} {peer['tokens_per_s']:>14.1f} "
          f"{tokens['score'] / peer['tokens_per_s']:>6.2f}")
print(f"# {open(f'{out}/jdk.txt').read().strip()}; torch {peer['torch']}, {peer['threads']} threads")
PY
