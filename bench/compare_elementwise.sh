#!/usr/bin/env bash
# The elementwise target of BENCHMARKS.md: acc's fused gelu_tanh(x*a+b) against numpy's unfused
# equivalent and a plain memory copy, alternating acc and numpy ROUNDS times in one run.
# Usage: bash bench/compare_elementwise.sh [ROUNDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
runs=${2:-10}
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install --quiet numpy
swift build -c release --product acctl >/dev/null
for round in $(seq "$rounds"); do
  echo "round $round"
  .build/release/acctl bench --suite elementwise --device cpu:0 --repeat "$runs"
  python3 bench/numpy_elementwise.py "$runs"
done
