# Sourced by .ci/run and ./qlora4j: points JAVA_HOME at a JDK 25 or newer (the default java here is 17).
qlora4j_java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
qlora4j_select_jdk() {
  local c major
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/*; do
    [[ -n $c && -x $c/bin/java ]] || continue
    major=$(qlora4j_java_major "$c")
    if [[ -n $major && $major -ge 25 ]]; then export JAVA_HOME=$c; return 0; fi
  done
  echo "error: no JDK 25 found (set JAVA_HOME to a JDK 25 or newer)" >&2
  return 1
}
