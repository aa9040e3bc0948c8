#!/usr/bin/env bash
# Creates Tools/reference/.venv with the pinned phenaki-pytorch reference on the
# local torch 2.13.0 CPU wheel. Every package is installed with --no-deps so pip
# never resolves (and downloads) a second torch. Re-running is safe.
#
#   Tools/reference/setup.sh            # create / complete the venv
#   TORCH_WHEEL=/path/to/torch.whl Tools/reference/setup.sh
#   PYTHON=python3.11 Tools/reference/setup.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

TORCH_WHEEL="${TORCH_WHEEL:-/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl}"
if [[ ! -f "$TORCH_WHEEL" ]]; then
    TORCH_WHEEL="$(find / -name 'torch-2.13*cpu*.whl' -print -quit 2>/dev/null || true)"
fi
if [[ -z "$TORCH_WHEEL" || ! -f "$TORCH_WHEEL" ]]; then
    echo "setup.sh: no torch 2.13 CPU wheel found; set TORCH_WHEEL=/path/to/torch-2.13.0+cpu-...whl" >&2
    exit 1
fi

"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "the torch wheel is cp311: use Python 3.11 (PYTHON=...)"'

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps)

# 1. torch from the local wheel, then its own pure-Python requirements.
"${PIP[@]}" "$TORCH_WHEEL"
"${PIP[@]}" \
    filelock==4.3.1 typing-extensions==4.16.0 sympy==1.14.0 mpmath==1.4.1 \
    networkx==3.6.1 jinja2==3.1.6 markupsafe==3.0.4 fsspec==2026.9.0

# 2. The pinned reference.
"${PIP[@]}" phenaki-pytorch==0.5.0 vector-quantize-pytorch==1.11.8

# 3. What phenaki_pytorch / vector_quantize_pytorch import at module level and
#    can really be installed (pure Python or self-contained wheels), plus
#    safetensors for writing fixtures.
"${PIP[@]}" \
    einops==0.8.2 beartype==0.23.1 numpy==2.4.6 safetensors==0.8.0 \
    tqdm==4.70.1 pillow==13.0.0 ema-pytorch==0.8.3

# 4. torchvision, cv2 (opencv-python), transformers and accelerate are replaced
#    by import stubs (Tools/reference/stubs) put on sys.path by a .pth file.
SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$HERE/stubs" > "$SITE/phenaki_reference_stubs.pth"

# 5. Smoke test.
PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" - <<'PY'
import warnings
warnings.filterwarnings("ignore")
import torch, phenaki_pytorch, vector_quantize_pytorch
from importlib.metadata import version
print("torch", torch.__version__,
      "| phenaki-pytorch", version("phenaki-pytorch"),
      "| vector-quantize-pytorch", version("vector-quantize-pytorch"))
assert torch.__version__.startswith("2.13.0"), torch.__version__
assert version("phenaki-pytorch") == "0.5.0"
assert version("vector-quantize-pytorch") == "1.11.8"
PY
echo "setup.sh: reference venv ready at $VENV"
