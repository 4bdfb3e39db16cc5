#!/usr/bin/env bash
# README's main-job command: installs what is missing, builds acctl in release mode and the example
# plugin, lists the devices (the example plugin's among them) and benchmarks every suite on the
# default devices.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
bash scripts/build-plugins.sh
export ACC_PLUGIN_PATH="$PWD/.build/plugins${ACC_PLUGIN_PATH:+:$ACC_PLUGIN_PATH}"
swift build -c release --product acctl
bash scripts/build-plugins.sh
acctl=.build/release/acctl
"$acctl" version
ACC_PLUGIN_PATH="$PWD/.build/plugins${ACC_PLUGIN_PATH:+:$ACC_PLUGIN_PATH}" "$acctl" devices
"$acctl" bench --repeat "${ACC_BENCH_REPEAT:-5}"
