#!/usr/bin/env bash
# Creates .venv (if missing) and installs the package with the given extras.
# Sourced by scripts/demo and scripts/test, so both work on a fresh machine.
set -euo pipefail
extras="${1:-demo}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${WANVACE_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -m pip install --quiet -e "$root[$extras]" 2>&1 | grep -v "is ignored" || true
"$venv/bin/python" -c "import wanvace_widgets" # fails loudly if the install did not work
export PATH="$venv/bin:$PATH"
