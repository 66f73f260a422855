# Sourced by scripts/demo and scripts/test: create .venv if needed and install the project.
# Usage: [PB_EXTRAS=test] source scripts/_venv.sh
set -euo pipefail
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
spec="."
if [ -n "${PB_EXTRAS:-}" ]; then spec=".[$PB_EXTRAS]"; fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
