#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine for agentloop: system packages (Chromium for the web
# env, Mesa EGL for headless MuJoCo rendering), a CPU build of PyTorch, then the project with
# every extra. Safe to rerun: what is already there is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# What the installers print goes to a log, shown only when a step fails: the screen says what is
# being done and what needs the user (pip's notes on a root install, apt's debconf notes, and
# the pins LeRobot's environment leaves unmet by design, need nothing).
LOG="$(mktemp -t agentloop-setup.XXXXXX)"
quietly() {
  if ! "$@" >>"$LOG" 2>&1; then
    echo "setup failed at: $*" >&2
    tail -n 30 "$LOG" >&2
    echo "(the whole log: $LOG)" >&2
    exit 1
  fi
}
PIP_INSTALL=(-m pip install -q --disable-pip-version-check --root-user-action=ignore)

APT_PACKAGES=(chromium libegl1 libgl1-mesa-dri libgles2 fonts-dejavu-core)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  quietly $SUDO apt-get update -qq
  quietly $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Chromium's old headless mode, which the web env drives when it is there: a new page costs it
# a fifth of the full browser's work, and each episode opens one. Not every release packages
# it, so it is installed where the package index has it; without it the web env drives chromium.
OPTIONAL_APT_PACKAGES=(chromium-headless-shell)
for p in "${OPTIONAL_APT_PACKAGES[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1 && apt-cache show "$p" >/dev/null 2>&1; then
    echo "installing system package: $p"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >>"$LOG" 2>&1 \
      || { echo "could not install $p: the web env drives chromium instead (why: $LOG)"; KEEP_LOG=1; }
  fi
done

# A CPU build of torch first, so that the hf extra's `torch>=2.4` is already met and pip does
# not pull a multi-GB CUDA build.
if ! "$PYTHON" -c "import torch" >/dev/null 2>&1; then
  echo "installing PyTorch (CPU build; a few minutes)"
  quietly "$PYTHON" "${PIP_INSTALL[@]}" torch==2.13.0
fi
echo "installing agentloop with every extra (a few minutes the first time)"
quietly "$PYTHON" "${PIP_INSTALL[@]}" -e ".[all]"

# LeRobot, which reads the lerobot export in the tests, pins an older torch (<2.11), datasets
# (<5) and huggingface-hub than the project uses, and PyPI's torchvision (which it imports) is a
# CUDA build that breaks transformers beside the CPU torch. So it gets a virtual environment of
# its own that sees the project's packages and adds, without their pins, LeRobot and what its
# dataset module imports (about 180 MB). pip's list of LeRobot's unmet pins is expected: the
# setup counts them in one line.
LEROBOT_VENV="${AGENTLOOP_LEROBOT_VENV:-$HOME/.cache/agentloop/lerobot-venv}"
# Ready when LeRobot's dataset module imports as tests/exports/lerobot_loader.py imports it
# (torchvision's meta-kernel registration left out: its ops cannot load beside the CPU torch).
LEROBOT_READY="import sys, types; sys.modules['torchvision._meta_registrations'] = types.ModuleType('m'); import lerobot.datasets.lerobot_dataset, av"
if ! "$LEROBOT_VENV/bin/python" -c "$LEROBOT_READY" >/dev/null 2>&1; then
  echo "making LeRobot's environment for the lerobot export's tests in $LEROBOT_VENV"
  quietly "$PYTHON" -m venv --system-site-packages "$LEROBOT_VENV"
  quietly "$LEROBOT_VENV/bin/python" "${PIP_INSTALL[@]}" --no-deps lerobot==0.4.4 torchvision==0.28.0
  mark=$(wc -l <"$LOG")
  quietly "$LEROBOT_VENV/bin/python" "${PIP_INSTALL[@]}" "av>=15,<16" "draccus==0.10.0" "deepdiff>=7,<9" \
    "jsonlines>=4,<5" "einops>=0.8,<0.9" "termcolor>=2.4,<4"
  unmet=$(tail -n +"$((mark + 1))" "$LOG" | grep -c "^lerobot .* requires" || true)
  echo "  it uses the project's newer packages: $unmet of LeRobot's pins left unmet, as intended"
fi
[ -n "${KEEP_LOG:-}" ] || rm -f "$LOG"
echo "agentloop is installed: try 'agentloop list'"
