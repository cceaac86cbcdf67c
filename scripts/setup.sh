#!/usr/bin/env bash
# Idempotent set-up used by `make course` and `make test`.
#   scripts/setup.sh          Python venv with the course (JupyterLab, TensorFlow, nbgrader, ...), bubblewrap (grading sandbox)
#   scripts/setup.sh --test   ... plus test tools, Debian's Chromium (browser tests) and npm assets (offline decks)
#   scripts/setup.sh --hub    ... the course plus JupyterHub and its proxy (`coursekit hub`, make hub)
#   scripts/setup.sh --find-python   print the Python step 1 would use (PYTHON=/path/to/python to choose), and stop
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0 want_hub=0
[ "${1:-}" = "--test" ] && want_test=1
[ "${1:-}" = "--hub" ] && want_hub=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Python virtual environment, made with PYTHON if set, else the newest supported CPython on PATH.
# The supported versions are written once, as requires-python = ">=3.X,<3.Y" in pyproject.toml
# (scripts/python_versions.py shows the wheels behind that range).
read -r lo hi < <(sed -n 's/^requires-python = ">=3\.\([0-9]*\),<3\.\([0-9]*\)"$/\1 \2/p' pyproject.toml) || true
[ -n "${hi:-}" ] || { echo 'scripts/setup.sh: pyproject.toml needs requires-python = ">=3.X,<3.Y"' >&2; exit 1; }
wanted="CPython 3.$lo to 3.$((hi - 1))"
candidates=()
for ((minor = hi - 1; minor >= lo; minor--)); do candidates+=("python3.$minor"); done
candidates+=(python3)

desc=""
in_range() {  # is $1 a supported CPython? Leaves what it is ("CPython 3.12.1") in $desc.
  desc=$("$1" -c 'import platform as p; print(p.python_implementation(), p.python_version())' 2>/dev/null) || return 1
  [[ $desc =~ ^CPython\ 3\.([0-9]+)\. ]] && (( BASH_REMATCH[1] >= lo && BASH_REMATCH[1] < hi ))
}

PY=${PYTHON:-}
if [ -n "$PY" ]; then
  in_range "$PY" || { echo "PYTHON=$PY is ${desc:-not a working Python}; coursekit needs $wanted" >&2; exit 1; }
else
  for cand in "${candidates[@]}"; do
    if command -v "$cand" >/dev/null && in_range "$cand"; then PY=$cand; break; fi
  done
  [ -n "$PY" ] || { echo "coursekit needs $wanted: none found on PATH (tried ${candidates[*]}). Install one," \
                         "or choose it with PYTHON=/path/to/python3.$((hi - 1)) make course" >&2; exit 1; }
fi
[ "${1:-}" = "--find-python" ] && { echo "$PY"; exit 0; }
[ -x .venv/bin/python ] || { say "creating .venv with $PY"; "$PY" -m venv .venv; }

extras=""
[ $want_test = 1 ] && extras="[test]"
[ $want_hub = 1 ] && extras="[hub]"
stamp=".venv/.coursekit-installed$extras"
up_to_date() { [ -f "$1" ] && [ ! pyproject.toml -nt "$1" ]; }
# The test install is the course plus the hub plus test tools: after `make test`, `make course` and
# `make hub` have nothing to install.
if ! up_to_date "$stamp" && ! { [ "$extras" != "[test]" ] && up_to_date ".venv/.coursekit-installed[test]"; }; then
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

# The hub's course environment needs a Python every account can run (pyenv's and conda's live in private
# homes): Debian's, with venv.
if [ $((want_hub + want_test)) -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null &&
   ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
  say "installing Debian's python3-venv for the hub's shared course environment"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

# The hub's proxy (configurable-http-proxy) comes from npm: on a fresh Debian server, Node.js first.
if [ $want_hub = 1 ] && ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing Debian's nodejs and npm for JupyterHub's proxy"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# 2. From npm: the offline slide decks' assets (reveal.js, MathJax, widget renderer) and JupyterHub's proxy.
if [ -f package.json ] && command -v npm >/dev/null; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
    say "installing offline deck assets from npm"
    npm install --no-audit --no-fund --silent
    touch node_modules
  fi
fi

# 3. Debian's bubblewrap: `coursekit grade` builds its allow-list sandbox with it (without it, the grader
#    falls back to hiding a deny-list and says so in its first lines).
if ! command -v bwrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's bubblewrap for the grading sandbox"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq --no-install-recommends bubblewrap || { apt-get update -qq && \
      apt-get install -y -qq --no-install-recommends bubblewrap; }; } >/dev/null 2>&1 || \
      say "could not install bubblewrap: the grader will use its deny-list sandbox"
  fi
fi

[ $want_test = 1 ] || exit 0

# 4. Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  else
    say "chromium not found and not root: browser tests will report it as missing"
  fi
fi
