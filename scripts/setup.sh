#!/usr/bin/env bash
# Makes .venv (or $WANVACE_VENV) hold the test or demo environment: exactly the versions of
# requirements/test.txt or requirements/demo.txt, plus the checkout (editable).
# WANVACE_RESOLUTION=latest: the newest releases instead, in a fresh environment.
# Sourced by scripts/demo and scripts/test, so both work on a fresh machine.
set -euo pipefail
extras="${1:-demo}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${WANVACE_VENV:-$root/.venv}"
source "$root/scripts/envs.sh"
wanvace_env "$venv" "$root/requirements/$extras.txt" -e "$root[$extras]"
"$venv/bin/python" -c "import wanvace_widgets" # fails loudly if the install did not work
export PATH="$venv/bin:$PATH"
