#!/usr/bin/env bash
# Idempotent set-up used by `make course` and `make test`.
#   scripts/setup.sh          Python venv with the course (JupyterLab, TensorFlow, nbgrader, ...)
#   scripts/setup.sh --test   ... plus test tools, Debian's Chromium (browser tests) and npm assets (offline decks)
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Python 3.11 virtual environment.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || { echo "coursekit needs Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
[ -x .venv/bin/python ] || { say "creating .venv with $PY"; "$PY" -m venv .venv; }

extras=""
[ $want_test = 1 ] && extras="[test]"
stamp=".venv/.coursekit-installed$extras"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "installing coursekit$extras and its dependencies (about 1.5 minutes the first time)"
  # (pip's notes about unreachable extra index locations of this machine are noise: filtered out)
  if ! .venv/bin/pip install --quiet --disable-pip-version-check -e ".$extras" >.venv/pip-install.log 2>&1; then
    grep -v "is neither a file nor a directory" .venv/pip-install.log >&2
    echo "pip install failed (full log: .venv/pip-install.log)" >&2
    exit 1
  fi
  grep -v "is neither a file nor a directory" .venv/pip-install.log || true
  # fail loudly if the install did not work (Keras imported the quiet way: coursekit.keras_setup)
  .venv/bin/python -c "from coursekit.keras_setup import import_keras; import_keras(); import jupytext, nbgrader"
  touch "$stamp"
fi

# 2. Front-end assets for offline slide decks (reveal.js, MathJax, widget renderer), from npm.
if [ -f package.json ] && command -v npm >/dev/null; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
    say "installing offline deck assets from npm"
    npm install --no-audit --no-fund --silent
    touch node_modules
  fi
fi

[ $want_test = 1 ] || exit 0

# 3. Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  else
    say "chromium not found and not root: browser tests will report it as missing"
  fi
fi
