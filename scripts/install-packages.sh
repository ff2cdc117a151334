#!/usr/bin/env bash
# Installs the system packages Tally needs, only those that are missing:
# PostgreSQL (server for the local and test clusters), libpq-dev (the client
# library Tally links) and pkg-config (how SwiftPM finds libpq's headers).
# Other scripts pass their own list: scripts/install-packages.sh python3-venv
set -euo pipefail

if [ $# -gt 0 ]; then packages=("$@"); else packages=(postgresql libpq-dev pkg-config); fi
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
