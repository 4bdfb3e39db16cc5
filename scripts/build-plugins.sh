#!/usr/bin/env bash
# Builds the example plugin (Plugins/example, C) with the system C compiler into
# .build/plugins/libacc_example.so, the directory to put on ACC_PLUGIN_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
compiler="${ACC_CC:-}"
if [ -z "$compiler" ]; then
  for candidate in cc gcc clang; do
    if command -v "$candidate" >/dev/null; then compiler="$candidate"; break; fi
  done
fi
[ -n "$compiler" ] || { echo "error: no C compiler (cc, gcc or clang) on PATH; set ACC_CC" >&2; exit 1; }
mkdir -p .build/plugins
"$compiler" -std=gnu11 -O2 -Wall -Wextra -fPIC -shared -fvisibility=hidden -ffp-contract=off -pthread \
    -I Sources/CAccPlugin/include Plugins/example/*.c -lm -o .build/plugins/libacc_example.so
echo "built .build/plugins/libacc_example.so"
