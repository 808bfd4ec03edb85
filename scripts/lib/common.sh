# Shared by scripts/*: locate the repo, build when sources changed, run Java entry points.
# shellcheck shell=bash
set -euo pipefail

MAAS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The one shell copy of a CLI default: the scripts need the kit's home before anything is built
# (scripts/train's corpus check, scripts/spam-corpus's npm install). It mirrors
# io.maaskit.model.store.ModelHome (what the commands and the server use) and is exported, so the
# Java side sees this very value.
# Everything else (the model store, ...) the scripts ask Java for: maas_default.
MAAS_HOME="${MAAS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/maaskit}"
export MAAS_HOME
MVN="${MVN:-mvn}"

maas_log() { printf '[maaskit] %s\n' "$*" >&2; }
# A failure: one line, exit 1.
maas_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# A mistake on the command line: the message and a pointer to --help, exit 2 (the contract of the
# Java commands too, io.maaskit.tools.cli.Cli).
maas_usage_error() {
  printf "error: %s\nRun 'scripts/%s --help' for usage.\n" "$*" "$(basename "$0")" >&2
  exit 2
}
# In an option loop: fails with a usage error unless the flag in $1 has a value ("$@" as is).
maas_need_value() { [[ $# -ge 2 ]] || maas_usage_error "$1 needs a value"; }

maas_require_java() {
  command -v java >/dev/null || maas_die "java not found: install a JDK 17 or newer"
  command -v "$MVN" >/dev/null || maas_die "mvn not found: install Apache Maven 3.8 or newer"
}

# Builds the reactor (without tests) when any source or pom is newer than the last build.
maas_build() {
  maas_require_java
  local marker="$MAAS_ROOT/target/.maas-built"
  if [[ -f "$marker" ]] && [[ -z "$(find "$MAAS_ROOT" -path "$MAAS_ROOT/*/target" -prune -o -path "$MAAS_ROOT/infra" -prune -o -path "$MAAS_ROOT/.git" -prune -o -path "$MAAS_ROOT/bench/work" -prune -o -name node_modules -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' -o -name '*.json' -o -name '*.txt' \) -newer "$marker" -print -quit)" ]]; then
    return 0
  fi
  maas_log "building (first run downloads dependencies from Maven Central; later runs take seconds)..."
  local excl=()
  grep -q '<module>infra</module>' "$MAAS_ROOT/pom.xml" && excl=(-pl '!infra')
  (cd "$MAAS_ROOT" && "$MVN" -q -B -DskipTests "${excl[@]}" install 2>&1 | tail -40) || maas_die "build failed"
  (cd "$MAAS_ROOT/shared-model/tools" && "$MVN" -q -B dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile=target/cli-classpath.txt >/dev/null) || maas_die "could not compute the classpath"
  mkdir -p "$MAAS_ROOT/target" && touch "$marker"
}

# Runs a main class of the tools module (the CLI) with its runtime classpath: core, training, and
# the Maven Central jars that carry the builtin pretrained encoders.
maas_java() {
  local main="$1"; shift
  local cp="$MAAS_ROOT/shared-model/tools/target/classes:$(cat "$MAAS_ROOT/shared-model/tools/target/cli-classpath.txt")"
  exec java ${MAAS_JAVA_OPTS:-} -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$cp" "$main" "$@"
}

# Prints one of the CLI's defaults as io.maaskit.tools.cli.Defaults decides it: home, or store
# ($MAAS_MODEL_STORE, else $MAAS_HOME/models). Needs maas_build first.
maas_default() {
  local cp="$MAAS_ROOT/shared-model/tools/target/classes:$(cat "$MAAS_ROOT/shared-model/tools/target/cli-classpath.txt")"
  java -cp "$cp" io.maaskit.tools.cli.Defaults "$1"
}

# How the HTTP server process runs, for scripts/serve and scripts/bench's cold start and RSS (so the bench
# measures what serve starts). glibc: two malloc arenas (each allocating thread would get its own and keep
# what was freed in it mapped) and a fixed mmap threshold (glibc raises it after each large free, so later
# tensor buffers would land inside the arenas and stay resident). JVM: G1 with a periodic collection and
# little free heap kept committed, so the heap is handed back when idle. Measured by the bench's RSS run
# (int8 MiniLM, 2 x 256 inputs over HTTP, shared machine): peak RSS 283-290 MB with these settings,
# 410-455 MB without the glibc ones, 362 MB with -XX:+UseSerialGC -Xmx256m instead of G1's. Exports the
# MALLOC_* variables (caller's values win) and sets MAAS_SERVER_JVM_OPTS; MAAS_JAVA_OPTS adds to it.
maas_server_setup() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"
  MAAS_SERVER_JVM_OPTS="-XX:G1PeriodicGCInterval=2000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 ${MAAS_JAVA_OPTS:-}"
}

# True when a --help/-h flag is among the arguments.
maas_wants_help() {
  local a
  for a in "$@"; do [[ "$a" == "--help" || "$a" == "-h" ]] && return 0; done
  return 1
}
