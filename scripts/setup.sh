#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for agentloop: system packages (Chromium for the web
# env, Mesa EGL for headless MuJoCo rendering), a CPU build of PyTorch, then the project with
# every extra. Safe to rerun: what is already there is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

APT_PACKAGES=(chromium libegl1 libgl1-mesa-dri libgles2 fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A CPU build of torch first, so that the hf extra's `torch>=2.4` is already met and pip does
# not pull a multi-GB CUDA build.
if ! "$PYTHON" -c "import torch" >/dev/null 2>&1; then
  "$PYTHON" -m pip install -q torch==2.13.0
fi
"$PYTHON" -m pip install -q -e ".[all]"
echo "agentloop is installed: try 'agentloop list'"
