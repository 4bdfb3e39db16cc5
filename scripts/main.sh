#!/usr/bin/env bash
# README's main-job command: installs what is missing, builds acctl in release mode and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-dependencies.sh
swift build -c release --product acctl
acctl=.build/release/acctl
"$acctl" version
for file in Kernels/*.kir; do
  "$acctl" parse "$file" > /dev/null && echo "verified $file"
done
