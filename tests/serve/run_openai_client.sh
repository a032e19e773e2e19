#!/usr/bin/env bash
# Run tests/serve/test_openai_client.py (the official `openai` client against a running
# `chatrec serve`) in its own virtualenv.
#
#   CHATREC_URL=http://127.0.0.1:8080 tests/serve/run_openai_client.sh
#   CHATREC_URL=... CHATREC_KEY=KEY CHATREC_READ_KEYS_CONFIGURED=1 tests/serve/run_openai_client.sh
#
# The virtualenv is target/venv-serve-tests (override with VENV=DIR), created on first use and
# reused after that; the pinned requirements are installed again only when
# tests/serve/requirements.txt or the Python version changed (a marker file in the venv holds
# their hash). Python: $PYTHON, default python3. The test's exit status is this script's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
VENV="${VENV:-$root/target/venv-serve-tests}"
PYTHON="${PYTHON:-python3}"
requirements="$here/requirements.txt"

if [ -z "${CHATREC_URL:-}" ]; then
    echo "set CHATREC_URL to the server's base URL, e.g. CHATREC_URL=http://127.0.0.1:8080" >&2
    exit 2
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') $(sha256sum "$requirements" | cut -d' ' -f1)"
marker="$VENV/.chatrec-serve-tests"
if [ "$(cat "$marker" 2>/dev/null || true)" != "$stamp" ] || ! "$PY" -c 'import openai' 2>/dev/null; then
    echo "installing $requirements into $VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    echo "$stamp" >"$marker"
fi

exec "$PY" "$here/test_openai_client.py" "$@"
