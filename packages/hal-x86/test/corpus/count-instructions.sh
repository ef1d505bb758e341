#!/bin/sh
# Native instruction counts of the built corpus (test/.build), measured with
# valgrind's lackey tool, for comparison with the `instructions` reported by
# the emulator.  Each binary runs once with argv[0] only and empty stdin, in
# the same minimal environment as the tests.  Needs: apt-get install valgrind
# Usage (from packages/hal-x86, after the corpus test has built everything):
#   sh test/corpus/count-instructions.sh [name-filter]
set -eu
dir=$(cd "$(dirname "$0")/../.build" && pwd)
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }
for f in "$dir"/*; do
  case "$f" in *.tmp-*) continue ;; esac
  [ -f "$f" ] && [ -x "$f" ] || continue
  b=$(basename "$f")
  case "$b" in *"${1:-}"*) ;; *) continue ;; esac
  name=${b%%.*}
  n=$(env -i PATH=/bin HOME=/ EXOV6=1 valgrind --tool=lackey --basic-counts=yes "$f" </dev/null 2>&1 >/dev/null |
    sed -n 's/.*guest instrs: *\([0-9,]*\).*/\1/p' | head -n 1)
  printf '%-40s %15s\n' "$b" "$n"
done
