#!/usr/bin/env bash
# The RUN step of deploy/Dockerfile: installs the course into the image, as root, the way `make course`
# does on a laptop (scripts/setup.sh: pip install of pyproject.toml, npm install of package.json,
# Debian's bubblewrap), plus what JupyterHub needs (jupyterhub-singleuser, the jovyan user).
#
#   deploy/install-course.sh [--dry-run] [SRC]
#   deploy/install-course.sh --check
#     SRC        the copied repository (default /opt/coursekit, where the Dockerfile COPYs it)
#     --dry-run  print every command instead of running it (tests/test_deploy.py runs this)
#     --check    only check that nbgrader's extensions are enabled in the jupyter on PATH (step 4)
#
# Versions: the Python packages come from SRC/pyproject.toml and the npm ones from SRC/package-lock.json;
# the only pin here is JupyterHub's, which must equal the hub's (the Zero to JupyterHub chart's appVersion).
set -euo pipefail

# Step 4's check: every server and lab extension of nbgrader is enabled (pip enables them on install).
check_nbgrader_extensions() {
  local servers labs e
  servers=$(jupyter server extension list 2>&1) && labs=$(jupyter labextension list 2>&1) || {
    echo "install-course.sh: jupyter is not installed" >&2; return 1; }
  for e in formgrader assignment_list course_list validate_assignment; do
    grep -q "nbgrader\.server_extensions\.$e .*enabled" <<<"$servers" &&
      ! grep -q "nbgrader\.server_extensions\.$e .*disabled" <<<"$servers" || {
      echo "install-course.sh: nbgrader's $e server extension is not enabled" >&2; return 1; }
  done
  grep -q "@jupyter/nbgrader .*enabled.*OK" <<<"$labs" || {
    echo "install-course.sh: nbgrader's JupyterLab extension is not enabled" >&2; return 1; }
  echo "nbgrader's extensions are enabled"
}
if [ "${1:-}" = "--check" ]; then check_nbgrader_extensions; exit; fi

dry=0
if [ "${1:-}" = "--dry-run" ]; then dry=1; shift; fi
SRC=${1:-/opt/coursekit}
JUPYTERHUB_VERSION=5.5.0   # = appVersion of Zero to JupyterHub chart 4.4.0 (deploy/z2jh/values.yaml)
NB_USER=jovyan NB_UID=1000 NB_GID=100   # the chart's defaults: singleuser.uid 1000, singleuser.fsGid 100

run() { echo "+ $*"; if [ $dry = 0 ]; then "$@"; fi; }

for f in pyproject.toml package.json package-lock.json notebooks; do
  [ -e "$SRC/$f" ] || { echo "install-course.sh: $SRC/$f is missing (SRC must be the course repository)" >&2; exit 1; }
done

# 1. Debian packages: bubblewrap (the grader's sandbox), git (instructors clone the course's sources),
#    nodejs/npm only for step 3 (removed again there: the deck assets are static files).
export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends bubblewrap git nodejs npm

# 2. Python packages: the course with the versions of pyproject.toml, and the single-user server.
run pip install --no-cache-dir --disable-pip-version-check "$SRC" "jupyterhub==$JUPYTERHUB_VERSION"
#    fail the build if the install did not work (the same check as scripts/setup.sh)
run python -c "from coursekit.keras_setup import import_keras; import_keras(); import jupytext, nbgrader"

# 3. Front-end assets of the offline slide decks (coursekit decks finds them via COURSEKIT_NODE_MODULES).
run npm ci --prefix "$SRC" --omit=dev --no-audit --no-fund
run apt-get purge -y -qq nodejs npm
run apt-get autoremove -y -qq
run sh -c 'rm -rf /var/lib/apt/lists/*'

# 4. nbgrader's extensions (Formgrader, Assignments tab, course list, validate): pip enabled them; check.
run check_nbgrader_extensions

# 5. The user every single-user server runs as, and the lectures in its home (deploy/coursekit-copy-lectures,
#    which the Dockerfile puts in /usr/local/bin; on Kubernetes the chart's postStart hook runs it again).
run useradd --create-home --uid "$NB_UID" --gid "$NB_GID" --shell /bin/bash "$NB_USER"
run su "$NB_USER" -c "COURSEKIT_LECTURES=$SRC/notebooks coursekit-copy-lectures"
