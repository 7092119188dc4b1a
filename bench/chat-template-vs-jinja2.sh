#!/usr/bin/env bash
# ChatTemplateBench (warm render, and first render in a fresh JVM) next to jinja2 rendering the same conversation.
# Usage: bench/chat-template-vs-jinja2.sh [TEMPLATE.jinja ...] (default qwen25.jinja), from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/java25.sh
qlora4j_select_jdk
./mvnw -q -DskipTests -pl tensor,model,train,bench -am package
templates=("${@:-qwen25.jinja}")
for t in "${templates[@]}"; do
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar ChatTemplateBench -p template="$t" -rf json -rff /tmp/chat-bench.json >/dev/null
  read -r warm first < <(python3 -c '
import json
r = {b["benchmark"].rsplit(".", 1)[1]: b["primaryMetric"]["score"] for b in json.load(open("/tmp/chat-bench.json"))}
print("%.2f %.2f" % (r["warm"], r["firstRender"]))')
  read -r _ _ pwarm _ pfirst < <(python3 bench/jinja2_render.py "model/src/test/resources/chat_templates/$t")
  python3 -c "print(f'$t: qlora4j warm {$warm:.2f} µs, jinja2 {$pwarm:.2f} µs, ratio (jinja2/qlora4j) {$pwarm/$warm:.2f}; first render qlora4j {$first:.2f} ms (fresh JVM), jinja2 {$pfirst:.2f} ms (compile + render)')"
done
