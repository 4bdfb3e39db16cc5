#!/usr/bin/env bash
# README's test command: installs what is missing, builds the example plugin and everything else,
# runs every test target, then builds and runs the Examples package (training code that links acc
# as a user's package does).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
bash scripts/build-plugins.sh
export ACC_PLUGIN_PATH="$PWD/.build/plugins${ACC_PLUGIN_PATH:+:$ACC_PLUGIN_PATH}"
swift build --build-tests
swift test --skip-build
swift build --package-path Examples
swift run --package-path Examples --skip-build TinyTrainer
