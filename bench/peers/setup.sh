#!/usr/bin/env bash
# Create (or reuse) the Python virtual environment of the peer libraries.
#
#   bench/peers/setup.sh VENV_DIR
#
# Installs exactly the set of shared/PEERS.md: implicit 0.7.2, scikit-surprise 1.1.5,
# RecBole 1.2.1 (--no-deps, with torch 2.5.1, numpy<2, pandas 2.2.3 and the dependencies
# it really uses; its `ray` dependency is not needed). Idempotent: a marker file in the
# venv holds the hash of the requirement set below and the Python version; when it
# matches and the libraries import, nothing is done.
#
# Notes
# - The PyPI torch wheel pulls the CUDA libraries (several GB) although everything here
#   runs on CPU.
# - scikit-surprise builds from its sdist (Cython): a C compiler and python3-dev headers
#   are needed.
# - scipy >= 1.13 removed dok_matrix._update, which some RecBole models call: run_peers.py
#   patches it at run time (no edit of site-packages).
# - The versions one tested run resolved to are in tested-freeze.txt beside this script.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 VENV_DIR" >&2
    exit 2
fi
VENV="$1"
PYTHON="${PYTHON:-python3}"

# Each line is one pip invocation; "--no-deps" lines install without dependencies.
REQUIREMENTS='numpy<2 scipy implicit==0.7.2 threadpoolctl pandas==2.2.3 torch==2.5.1
scikit-surprise==1.1.5
--no-deps recbole==1.2.1
colorlog==4.7.2 colorama==0.4.4 scikit-learn pyyaml tensorboard thop tabulate plotly texttable psutil tqdm'

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PYVER="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
HASH="$(printf '%s\n%s\n' "$REQUIREMENTS" "$PYVER" | sha256sum | cut -d' ' -f1)"
MARKER="$VENV/.chatrec-peers-requirements.sha256"

check_imports() {
    "$PY" - <<'EOF'
import implicit, surprise, recbole, torch, numpy, scipy, pandas
assert implicit.__version__ == "0.7.2", implicit.__version__
assert surprise.__version__ == "1.1.5", surprise.__version__
assert recbole.__version__ == "1.2.1", recbole.__version__
assert torch.__version__.split("+")[0] == "2.5.1", torch.__version__
assert int(numpy.__version__.split(".")[0]) < 2, numpy.__version__
assert pandas.__version__ == "2.2.3", pandas.__version__
print("peers venv ok: implicit %s, scikit-surprise %s, recbole %s, torch %s, numpy %s, scipy %s, pandas %s"
      % (implicit.__version__, surprise.__version__, recbole.__version__, torch.__version__,
         numpy.__version__, scipy.__version__, pandas.__version__))
EOF
}

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$HASH" ] && check_imports 2>/dev/null; then
    echo "peers venv $VENV is up to date (requirements hash $HASH)"
    exit 0
fi

rm -f "$MARKER"
while IFS= read -r line; do
    [ -z "$line" ] && continue
    echo "pip install $line"
    # shellcheck disable=SC2086  # word splitting of the requirement line is intended
    "$PY" -m pip install --disable-pip-version-check $line
done <<< "$REQUIREMENTS"

check_imports
"$PY" -m pip freeze > "$VENV/peers-freeze.txt"
echo "$HASH" > "$MARKER"
echo "peers venv ready: $VENV (pip freeze in $VENV/peers-freeze.txt)"
