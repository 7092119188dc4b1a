#!/usr/bin/env bash
# Runs qlora4j's GemmBench (JMH) and numpy's `a @ b` (OpenBLAS) in the same run and prints, per n,
# the GFLOP/s of both and the ratio qlora4j / OpenBLAS. One operation = one n×n×n F32 product.
# Needs Debian's python3-numpy (and libopenblas0-pthread, which it pulls in):
#   apt-get install -y python3-numpy libopenblas0-pthread
# Extra arguments go to JMH (e.g. -p n=1024 -wi 1 -i 3).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/java25.sh
qlora4j_select_jdk
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import numpy' 2>/dev/null || {
  echo "error: $py cannot import numpy (apt-get install -y python3-numpy libopenblas0-pthread)" >&2; exit 2; }
jar=bench/target/benchmarks.jar
# always rebuild: the jar shades the engine, and a stale one would measure old code
./mvnw -q -DskipTests package -pl bench -am
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Per n, JMH first and numpy right after, so that both see the machine in the same state (on a
# shared VM the attainable GFLOP/s drift by 10-20 % over minutes).
sizes=${GEMM_SIZES:-512 1024 2048}
for n in $sizes; do
  echo "== n=$n: qlora4j GemmBench (JMH) ==" >&2
  "$JAVA_HOME/bin/java" -jar "$jar" 'GemmBench' -p n="$n" -rf json -rff "$out/jmh-$n.json" "$@" >&2
  echo "== n=$n: numpy a @ b ==" >&2
  # OpenBLAS picks its kernel for the CPU it finds; the machine's OPENBLAS_CORETYPE/L2_SIZE overrides
  # would pin an older one, so they are unset for this command only.
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$py" bench/numpy_matmul.py "$n" > "$out/numpy-$n.json"
done
"$py" - "$out" $sizes <<'PY'
import json, sys
out, sizes = sys.argv[1], [int(n) for n in sys.argv[2:]]
print(f"{'n':>6} {'qlora4j GFLOP/s':>18} {'OpenBLAS GFLOP/s':>17} {'ratio':>6}")
for n in sizes:
    ours = json.load(open(f'{out}/jmh-{n}.json'))[0]['primaryMetric']
    peer = json.load(open(f'{out}/numpy-{n}.json'))
    flop = 2.0 * n ** 3 / 1e9
    print(f"{n:>6} {ours['score'] * flop:>11.1f} ± {ours['scoreError'] * flop:<5.1f} {peer['gflops']:>17.1f} "
          f"{ours['score'] * flop / peer['gflops']:>6.2f}")
print(f"# OpenBLAS core {peer['core']}, {peer['threads']} threads, numpy {peer['numpy']}")
PY
