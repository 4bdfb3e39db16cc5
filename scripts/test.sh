#!/usr/bin/env bash
# README's test command: installs what is missing, builds everything, runs every test target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
swift build --build-tests
swift test --skip-build
