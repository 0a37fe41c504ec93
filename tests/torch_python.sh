#!/usr/bin/env bash
# Runs a tools/ check with Debian's Python, which has PyTorch and NumPy; exits 77 (skipped) without them.
# Usage: torch_python.sh PYTHON SCRIPT [ARGS...]
set -euo pipefail
python=$1
shift
if ! "$python" -c 'import numpy, torch' 2>/dev/null; then
  echo "SKIP: $python has no torch/numpy (Debian's python3-torch and python3-numpy)"
  exit 77
fi
exec "$python" "$@"
