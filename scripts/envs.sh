# Making the project's Python environments, sourced by scripts/setup.sh,
# tests/kernels/make_ipykernel6.sh and scripts/lock (docs/environments.md).
#
# Each environment is installed from its lock file in requirements/ (exact versions, with
# hashes, made by ./scripts/lock), so a fresh machine gets what CI last passed with.
# WANVACE_RESOLUTION=latest makes it afresh from the newest releases pyproject.toml allows
# instead (./scripts/test --latest), to find a break in a new release on purpose.
# uv, pinned with hashes in requirements/uv.txt, lives in its own small environment.

WANVACE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
#: the oldest Python the locks are resolved for (looptime and av 18 need 3.11); they are
#: universal: any OS and any newer Python, with versions chosen per Python where needed
LOCK_PYTHON=3.11

# pip without the machine's "Location ... is ignored" chatter; its exit status is kept
_quiet_pip() {
  "$@" 2>&1 | { grep -v "is ignored" || true; }
  return "${PIPESTATUS[0]}"
}

# Prints the path of the pinned uv, first installing it (with pip, hashes required) into
# .venv-uv when it is missing or another version.
wanvace_uv() {
  local tools="$WANVACE_ROOT/.venv-uv" pin
  pin="$(grep -o '^uv==[^ ]*' "$WANVACE_ROOT/requirements/uv.txt")"
  if [ "$("$tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "${pin#uv==}" ]; then
    python3 -m venv "$tools" >&2
    _quiet_pip "$tools/bin/python" -m pip install --quiet --require-hashes \
      -r "$WANVACE_ROOT/requirements/uv.txt" >&2
  fi
  echo "$tools/bin/uv"
}

# wanvace_env VENV LOCK SPEC...
# Makes VENV hold exactly LOCK (removing anything else) plus the checkout, editable. With
# WANVACE_RESOLUTION=latest, or on a Python older than the locks, VENV is made afresh from
# SPEC (pip-style requirements, the checkout's included) resolved now instead.
wanvace_env() {
  local venv="$1" lock="$2" uv resolution="${WANVACE_RESOLUTION:-locked}"
  shift 2
  uv="$(wanvace_uv)"
  if [ "$resolution" != latest ] && ! python3 -c \
    "import sys; sys.exit(sys.version_info < tuple(map(int, '$LOCK_PYTHON'.split('.'))))"; then
    echo "!! $(python3 --version) is older than the locks (Python $LOCK_PYTHON):" \
      "installing the newest releases pyproject.toml allows instead, not what CI tested" >&2
    resolution=latest
  fi
  # uv's environments start empty (python3 -m venv's would keep its own setuptools); uv
  # refuses to clear a folder that is not an environment
  local make=("$uv" venv --quiet --clear --no-python-downloads --python "$(command -v python3)")
  if [ "$resolution" = latest ]; then
    "${make[@]}" "$venv"  # a fresh environment, nothing kept
    "$uv" pip install --quiet --python "$venv/bin/python" pip "$@"
  else
    # made anew when missing, or made by an older scripts/setup.sh (not by uv)
    grep -qs '^uv = ' "$venv/pyvenv.cfg" || "${make[@]}" "$venv"
    "$uv" pip sync --quiet --python "$venv/bin/python" --require-hashes "$lock"
    "$uv" pip install --quiet --python "$venv/bin/python" --no-deps --no-build-isolation \
      -e "$WANVACE_ROOT"
  fi
}

# wanvace_versions VENV: one line with the versions that matter for the widgets' front end,
# and the full list in VENV/versions.txt
wanvace_versions() {
  local venv="$1"
  "$(wanvace_uv)" pip freeze --quiet --python "$venv/bin/python" >"$venv/versions.txt"
  "$venv/bin/python" - "$venv/versions.txt" <<'EOF'
import platform, sys
from importlib.metadata import PackageNotFoundError, version
names = ["jupyterlab", "notebook", "ipywidgets", "anywidget", "ipykernel", "jupyter_server",
         "voila", "playwright", "pytest"]
found = []
for name in names:
    try:
        found.append(f"{name} {version(name)}")
    except PackageNotFoundError:
        pass
print(f"   Python {platform.python_version()}, " + ", ".join(found) + f" (all: {sys.argv[1]})")
EOF
}
