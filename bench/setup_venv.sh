#!/usr/bin/env bash
# Creates bench/.venv with a CPU build of PyTorch (plus safetensors and numpy) for bench/pytorch_vdit.py.
# TORCH_SPEC picks the wheel; the default is a CPU-only build, which pip finds through its configured
# find-links or index (a plain `torch` from the default index pulls in GPU libraries that the CPU run never uses).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet "${TORCH_SPEC:-torch==2.13.0+cpu}" safetensors numpy
.venv/bin/python -c "import torch; print('torch', torch.__version__, 'threads', torch.get_num_threads())"
