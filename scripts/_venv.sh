# Sourced by scripts/demo and scripts/test: create .venv if needed and install the project from
# the lock (requirements.txt; requirements-test.txt with PB_EXTRAS=test), hashes checked.
# Refresh the locks with scripts/lock. Usage: [PB_EXTRAS=test] source scripts/_venv.sh
set -euo pipefail
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
lock="requirements.txt"
if [ -n "${PB_EXTRAS:-}" ]; then lock="requirements-$PB_EXTRAS.txt"; fi
pip=("$VENV/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --require-hashes -r "$lock"
# The project itself, editable; every dependency came from the lock above.
"${pip[@]}" install --no-deps -e .
# A dependency added to pyproject.toml but not to the lock shows here: run scripts/lock.
"${pip[@]}" check
