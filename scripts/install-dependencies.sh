#!/usr/bin/env bash
# Installs the Debian packages acc builds and tests against, when any is missing.
set -euo pipefail
packages=(libopenblas-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libnuma-dev clinfo)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
