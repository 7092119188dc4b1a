#!/usr/bin/env bash
# PackingBench: real (non-padding) tokens per second of LoRA training with padded batches, group_by_length and
# packing (TRL's BFD, padding-free), side by side in one JMH run, then the ratios of packing to the other two.
# Usage: bench/packing.sh [JMH options], from anywhere (builds the benchmarks first).
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/java25.sh
qlora4j_select_jdk
./mvnw -q -DskipTests -pl tensor,model,accel,train,bench -am package
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar PackingBench -rf json -rff "$out" "$@" >&2
python3 - "$out" <<'PY'
import json, sys
rows = {}
for b in json.load(open(sys.argv[1])):
    p = b["params"]
    t = b["secondaryMetrics"]["tokens"]
    rows.setdefault(p["data"], {})[p["batching"]] = (t["score"], t["scoreError"])
print("| data | padded (tok/s) | group_by_length (tok/s) | packing (tok/s) | packing / padded | packing / group_by_length |")
print("|---|---|---|---|---|---|")
for data, r in rows.items():
    f = lambda k: "%.0f ± %.0f" % r[k] if k in r else "-"
    ratio = lambda a, b: "%.2f" % (r[a][0] / r[b][0]) if a in r and b in r else "-"
    print(f"| {data} | {f('padded')} | {f('group_by_length')} | {f('packing')} | {ratio('packing', 'padded')} | {ratio('packing', 'group_by_length')} |")
PY
