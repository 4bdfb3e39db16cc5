#!/usr/bin/env bash
# The vdit-s training-step row of BENCHMARKS.md: acc's compiled step on cpu:0 (`acctl bench --suite train`)
# beside PyTorch eager and torch.compile (bench/pytorch_vdit.py, CPU wheel in bench/.venv), alternating
# ROUNDS times in one run so both see the same machine load.
# Usage: bash bench/compare_vdit.sh [ROUNDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
runs=${2:-10}
[ -x bench/.venv/bin/python ] || bash bench/setup_venv.sh
swift build -c release --product acctl >/dev/null
for round in $(seq "$rounds"); do
  echo "round $round"
  .build/release/acctl bench --suite train --device cpu:0 --repeat "$runs"
  bench/.venv/bin/python bench/pytorch_vdit.py --model vdit-s --runs "$runs"
done
