"""JupyterHub configuration of the coursekit course server (`coursekit hub start` runs the hub with it).

Everything course-specific comes from the hub home that `coursekit hub setup` prepared
($COURSEKIT_HUB_HOME): the roster, the shared environment, the per-role Jupyter config.  Options for
one deployment (port, authenticator, limits) come as environment variables set by `coursekit hub start`;
a university's own authenticator goes in <home>/hub/jupyterhub_config_local.py (see docs/hub.md).
"""

import os
import shutil
import sys
from pathlib import Path

from coursekit.hub.layout import HubLayout
from coursekit.keras_setup import QUIET_TF_ENV

c = get_config()  # noqa: F821 (defined by JupyterHub when it loads this file)
layout = HubLayout(os.environ["COURSEKIT_HUB_HOME"])
members = layout.members()
graders = [m.username for m in members if m.grader]
instructors = [m.username for m in members if m.role == "instructor"]
role_of = {m.username: m for m in members}

# -- where the hub listens, and its state --------------------------------------------------------------------
c.JupyterHub.bind_url = os.environ.get("COURSEKIT_HUB_URL", "http://127.0.0.1:8000")
# The hub's own API and the proxy's: on the two ports after the public one, on loopback only.
port = int(c.JupyterHub.bind_url.rsplit(":", 1)[1].strip("/"))
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port + 1}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
c.JupyterHub.db_url = f"sqlite:///{layout.state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(layout.state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(layout.state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [os.environ.get("COURSEKIT_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(layout.state / "proxy.pid")

# -- who may log in ------------------------------------------------------------------------------------------
auth = os.environ.get("COURSEKIT_HUB_AUTH", "firstuse")
if auth == "firstuse":
    # Each person chooses their password at their first login; only roster names are let in.
    c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
    c.FirstUseAuthenticator.dbm_path = str(layout.state / "passwords.dbm")
    c.FirstUseAuthenticator.create_users = False
    c.FirstUseAuthenticator.min_password_length = 8
elif auth == "pam":
    c.JupyterHub.authenticator_class = "jupyterhub.auth.PAMAuthenticator"  # the accounts' Unix passwords
c.Authenticator.allowed_users = set(role_of)
c.Authenticator.admin_users = set(instructors)
# A name taken off the roster loses access at the next start, even though the hub's database remembers it.
c.Authenticator.allow_existing_users = False

c.JupyterHub.load_groups = {
    "instructors": {"users": instructors},
    "tas": {"users": [m.username for m in members if m.role == "ta"]},
    "students": {"users": [m.username for m in members if m.role == "student"]},
}

# -- each person's server: their Unix account, the shared environment, the Jupyter config of their role ---------
if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
    # systemd-run units: per-user memory and CPU limits, a private /tmp, no sudo.
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.mem_limit = os.environ.get("COURSEKIT_MEM_LIMIT", "4G")
    c.SystemdSpawner.cpu_limit = float(os.environ.get("COURSEKIT_CPU_LIMIT", "1.0"))
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.disable_user_sudo = True
    c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}-singleuser"
else:
    # No systemd (a container, WSL): plain processes under each account; no memory or CPU limits.
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [str(layout.env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120  # a cold start imports JupyterLab and nbgrader: 10-30 s on a busy machine
c.Spawner.http_timeout = 120
# nbgrader scores any stderr line in a test cell as a failure: TensorFlow's log lines must be off.
c.Spawner.environment = {"PATH": f"{layout.env / 'bin'}:/usr/local/bin:/usr/bin:/bin", **QUIET_TF_ENV}


def pre_spawn_hook(spawner):
    """Give the server its role's Jupyter config; graders share files with the group (umask 007)."""
    member = role_of[spawner.user.name]
    spawner.environment["JUPYTER_CONFIG_PATH"] = str(layout.role_config(member))
    if member.grader:
        spawner.cmd = ["/bin/sh", "-c", 'umask 007 && exec "$0" "$@"', *c.Spawner.cmd]


c.Spawner.pre_spawn_hook = pre_spawn_hook

# -- idle servers stop after an hour (COURSEKIT_IDLE_TIMEOUT seconds) -----------------------------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={os.environ.get('COURSEKIT_IDLE_TIMEOUT', '3600')}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

local = layout.state / "jupyterhub_config_local.py"
if local.exists():  # a deployment's own settings (an OAuth or LTI authenticator, TLS): see docs/hub.md
    exec(compile(local.read_text(), str(local), "exec"))
