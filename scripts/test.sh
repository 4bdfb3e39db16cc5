#!/usr/bin/env bash
# README's test command: installs what is missing, builds everything (the example plugin with the
# system C compiler, then the Swift packages), runs every test target with the example plugin on
# ACC_PLUGIN_PATH, so that plugin:example:0 is one of the devices tests run on.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
bash scripts/build-plugins.sh
export ACC_PLUGIN_PATH="$PWD/.build/plugins${ACC_PLUGIN_PATH:+:$ACC_PLUGIN_PATH}"
swift build --build-tests
swift test --skip-build
