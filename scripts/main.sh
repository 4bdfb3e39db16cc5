#!/usr/bin/env bash
# README's main-job command: installs what is missing, builds acctl in release mode, lists the
# devices and benchmarks every suite on the default devices.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
swift build -c release --product acctl
acctl=.build/release/acctl
"$acctl" version
"$acctl" devices
"$acctl" bench --repeat "${ACC_BENCH_REPEAT:-5}"
