#!/usr/bin/env bash
# Creates Tools/reference/.venv-text: Hugging Face transformers + tokenizers on the local
# torch 2.13.0 CPU wheel, for make_text_fixtures.py. Separate from .venv, where
# `transformers` is a stub. Every install uses --no-deps so pip never pulls a second torch.
# Re-running is safe.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-text"
PYTHON="${PYTHON:-python3}"
TORCH_WHEEL="${TORCH_WHEEL:-/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl}"
if [[ ! -f "$TORCH_WHEEL" ]]; then
    TORCH_WHEEL="$(find / -name 'torch-2.13*cpu*.whl' -print -quit 2>/dev/null || true)"
fi
if [[ -z "$TORCH_WHEEL" || ! -f "$TORCH_WHEEL" ]]; then
    echo "setup-text.sh: no torch 2.13 CPU wheel found; set TORCH_WHEEL=/path/to/torch-2.13.0+cpu-...whl" >&2
    exit 1
fi
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "the torch wheel is cp311: use Python 3.11 (PYTHON=...)"'

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
echo '*' > "$VENV/.gitignore"   # keep the venv out of git whatever the top-level .gitignore says
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-deps)
"${PIP[@]}" "$TORCH_WHEEL"
"${PIP[@]}" \
    filelock==4.3.1 typing-extensions==4.16.0 sympy==1.14.0 mpmath==1.4.1 \
    networkx==3.6.1 jinja2==3.1.6 markupsafe==3.0.4 fsspec==2026.9.0
# transformers 4.46 is the last line whose huggingface-hub needs no extra HTTP client;
# make_text_fixtures.py checks these pins.
"${PIP[@]}" \
    transformers==4.46.3 tokenizers==0.20.3 huggingface-hub==0.26.2 safetensors==0.8.0 numpy==2.4.6 \
    regex==2026.11.19 pyyaml==6.0.4 packaging==26.4 tqdm==4.70.1 requests==2.34.2 \
    urllib3==2.8.0 idna==3.20 certifi==2026.10.19.post1 charset-normalizer==3.5.3

PYTHONDONTWRITEBYTECODE=1 "$VENV/bin/python" -c '
import torch, transformers, tokenizers
print("torch", torch.__version__, "| transformers", transformers.__version__, "| tokenizers", tokenizers.__version__)
from transformers import BertModel, T5EncoderModel  # noqa: F401
'
echo "setup-text.sh: text fixture venv ready at $VENV"
