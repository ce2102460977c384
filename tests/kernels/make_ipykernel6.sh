#!/usr/bin/env bash
# Makes a second environment with ipykernel 6 (requirements/ipykernel6.txt, or the newest
# releases with WANVACE_RESOLUTION=latest) and registers it as the kernel
# "wanvace-ipykernel6" inside that environment (not in the main one: JupyterLab there would
# then offer two kernels and ask "Select Kernel"), so the real-kernel tests run on both
# ipykernel majors. Idempotent; used by scripts/test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
main_venv="${WANVACE_VENV:-$root/.venv}"
k6="${WANVACE_K6_VENV:-$root/.venv-ipykernel6}"
source "$root/scripts/envs.sh"
wanvace_env "$k6" "$root/requirements/ipykernel6.txt" -e "$root" "ipykernel>=6,<7"
rm -rf "$main_venv/share/jupyter/kernels/wanvace-ipykernel6"  # where older versions put it
"$k6/bin/python" -m ipykernel install --prefix "$k6" --name wanvace-ipykernel6 \
  --display-name "Python (ipykernel 6)" >/dev/null
"$k6/bin/python" -c "import ipykernel, sys; assert ipykernel.__version__.startswith('6'), ipykernel.__version__"
