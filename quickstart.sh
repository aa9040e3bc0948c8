#!/usr/bin/env bash
# Installs what is missing (Debian packages), builds the release binary and runs the demo.
set -euo pipefail
cd "$(dirname "$0")"

packages=(libopenblas-dev libomp-dev graphviz)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} > 0)); then
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
    echo "==> installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "==> swift build -c release"
swift build -c release
echo "==> phenaki demo"
.build/release/phenaki demo "$@"
