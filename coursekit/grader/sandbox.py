"""Run untrusted student code in a child process that cannot reach the grader.

Layers of protection, each used when this machine offers it (:func:`probe` says which):

* **an allow-list file view** (bubblewrap, Debian's ``bubblewrap``: the tool Flatpak relies on): the
  child's ``/`` is an empty tmpfs into which only the system's programs and libraries (``/usr``), the Python
  interpreter and its packages (read-only) and the working copy (at ``/tmp/submission``) are bind-mounted.
  Everything else of the host, other courses and the TA's home included, is simply not there.  Without
  bubblewrap, the fallback below hides a deny-list instead (and says so);
* **unprivileged user** ``coursekit-sandbox`` (created with ``useradd --system`` when we are root),
  so the child cannot open files only the TA may read, nor signal the grader;
* **namespaces** (bubblewrap's, or else ``unshare --net --mount --pid --ipc``): no network (only a down
  loopback), no view of other processes; in the ``unshare`` fallback, a private mount table in which the
  working copy is bind-mounted at ``/tmp/submission``, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and
  ``/run/lock`` are fresh small tmpfs, and the course directory, the instructor sources, the submissions
  and the outputs (a deny-list) are covered by empty read-only tmpfs;
* **rlimits**: address space (RLIMIT_AS), CPU seconds, largest file written (RLIMIT_FSIZE),
  processes/threads (RLIMIT_NPROC), no core dumps; ``PR_SET_NO_NEW_PRIVS``;
* **timeouts** enforced by the parent, per cell, per exercise and per submission (SIGKILL of the
  whole process group; the PID namespace takes every grandchild down with it);
* **capped output**: the parent keeps the first ``output_bytes`` of stdout/stderr and discards the rest.

The child reports progress on a pipe (``B cell 3`` ... ``E cell 3 {json}``), so when it dies the parent
knows which cell or exercise was running.  Those lines are written by the child and therefore
untrusted: they can only misdescribe the student's own run, never change a verdict (verdicts are
computed in the parent from trusted cases, see compare.py).
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

SANDBOX_USER = "coursekit-sandbox"
WORK_MOUNT = "/tmp/submission"  # where the working copy appears inside the mount namespace
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # world-writable: replaced by private tmpfs
NAMESPACE_FLAGS = ("--net", "--mount", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed child (times in seconds, sizes in bytes)."""

    memory_bytes: int = 6 * 2**30  # RLIMIT_AS; TensorFlow alone maps ~2 GiB of address space
    cpu_seconds: int = 600  # RLIMIT_CPU, per child process
    file_bytes: int = 64 * 2**20  # RLIMIT_FSIZE: largest file the child may write
    nproc: int = 512  # RLIMIT_NPROC: processes + threads of the sandbox user (stops fork bombs)
    cell_timeout: float = 30.0
    exercise_timeout: float = 60.0
    submission_timeout: float = 300.0
    output_bytes: int = 64 * 1024  # stdout and stderr each: bytes kept, the rest is counted and dropped
    tmpfs_bytes: int = 64 * 2**20


@dataclass(frozen=True)
class Protections:
    """What this machine lets us use; ``missing`` lists, in words, what is not protected."""

    user: str | None = None
    uid: int | None = None
    gid: int | None = None
    namespaces: bool = False
    allowlist: bool = False  # bubblewrap builds the child's file view from an allow-list
    rlimits: bool = True

    def missing(self) -> list[str]:
        out = []
        if self.uid is None and self.allowlist:
            out.append(
                "student code runs as the grader's own user (not root, so no separate sandbox user); "
                "the allow-list view (active) shows it none of the TA's files"
            )
        elif self.uid is None:
            out.append(
                "student code runs as the grader's own user (not root, so no unprivileged user): "
                "it can read every file the TA can read"
            )
        if not self.namespaces:
            out.append(
                "no namespaces (unshare failed): the network is reachable and world-readable/writable "
                "paths (/tmp, the course files if not private) are visible to student code"
            )
        elif not self.allowlist:
            out.append(
                "no allow-list file view (bubblewrap not found or refused; on Debian/Ubuntu: apt-get install "
                "bubblewrap): the course, instructor and submission paths are hidden, but every other "
                "world-readable file on this host (another course's materials, files in a TA's home) is "
                "readable from student code"
            )
        return out

    def describe(self) -> list[str]:
        active = ["rlimits (RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC, no core), timeouts, capped output"]
        if self.uid is not None:
            active.append(f"unprivileged user {self.user} (uid {self.uid}), no supplementary groups, no_new_privs")
        if self.allowlist:
            active.append(
                "allow-list file view (bubblewrap): student code sees /usr, the Python interpreter and its "
                "packages (read-only) and its own working copy, nothing else of this host; network, PID and "
                "IPC namespaces: no network, no other processes"
            )
        elif self.namespaces:
            active.append(
                "network, mount, PID and IPC namespaces: no network, private /tmp, "
                "course/instructor/submission paths hidden"
            )
        return [f"active: {a}" for a in active] + [f"MISSING: {m}" for m in self.missing()]


_PROBED: Protections | None = None


def ensure_user(name: str = SANDBOX_USER) -> tuple[int, int] | None:
    """Return (uid, gid) of the sandbox user, creating it as a system user if we are root."""
    try:
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        pass
    if os.geteuid() != 0 or not shutil.which("useradd"):
        return None
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
         "--user-group", name],
        capture_output=True,
    )
    try:
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        try:  # useradd refused (read-only /etc...): fall back to the conventional unprivileged user
            pw = pwd.getpwnam("nobody")
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            return None


def probe() -> Protections:
    """Find out (once per process) which protections work here."""
    global _PROBED
    if _PROBED is not None:
        return _PROBED
    ids = ensure_user() if os.geteuid() == 0 else None
    namespaces = False
    if os.geteuid() == 0 and shutil.which("unshare"):
        try:
            namespaces = subprocess.run(["unshare", *NAMESPACE_FLAGS, "true"], capture_output=True,
                                        timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            namespaces = False
    # Not root (a TA's account on the course server): bubblewrap still builds the view, in a user namespace
    # of its own, where unprivileged user namespaces are allowed (Debian and Ubuntu allow them).
    allowlist = (shutil.which("bwrap") is not None
                 and os.environ.get("COURSEKIT_SANDBOX") != "unshare" and _bwrap_works())
    user = None
    if ids:
        user = pwd.getpwuid(ids[0]).pw_name
    _PROBED = Protections(user=user, uid=ids[0] if ids else None, gid=ids[1] if ids else None,
                          namespaces=namespaces or allowlist, allowlist=allowlist)
    return _PROBED


def _bwrap_works() -> bool:
    """Can bubblewrap build the view here?  (A container without CAP_SYS_ADMIN refuses it.)"""
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        try:
            return subprocess.run(bwrap_argv(work, [], 2**20) + [sys.executable, "-I", "-c", "import coursekit"],
                                  capture_output=True, timeout=60).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False


# The system files the interpreter, NumPy, Matplotlib and TensorFlow read besides /usr (when present).
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts",
                "/etc/alternatives")


def bwrap_argv(workdir: str, hide: list[str], tmpfs_bytes: int) -> list[str]:
    """bubblewrap's command line for an allow-list view: what is not listed here does not exist.

    The view: ``/usr`` and the top-level links or folders into it (``/bin``, ``/lib``...), a few files
    of ``/etc``, fresh ``/proc`` and ``/dev``, private ``/tmp``, ``/var/tmp`` and ``/dev/shm``, the
    interpreter's code paths (:func:`_code_paths`) read-only, and ``workdir`` at ``/tmp/submission``.
    ``hide`` paths that fall inside a bound folder are covered.  Capabilities to change user are kept
    so that :func:`_boot` can drop to the sandbox user (bubblewrap itself sets no_new_privs).
    """
    args = ["bwrap", "--die-with-parent", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try"]
    if os.geteuid() == 0:  # only root has a sandbox user to drop to
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    bound: list[str] = []
    made = {"/"}

    def inside_bound(path: str) -> bool:
        return any(path == b or path.startswith(b + os.sep) for b in bound)

    def parents(path: str) -> None:
        # bubblewrap makes missing mount points 0700: the sandbox user could not walk through them
        parts = path.split(os.sep)
        for i in range(2, len(parts)):
            anc = os.sep.join(parts[:i])
            if anc not in made and not inside_bound(anc):
                args.extend(["--perms", "0755", "--dir", anc])
                made.add(anc)

    def bind(path: str, target: str | None = None, how: str = "--ro-bind") -> None:
        target = target or path
        parents(target)
        args.extend([how, path, target])
        bound.append(target)

    bind("/usr")
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args.extend(["--symlink", os.readlink(top), top])
        elif os.path.isdir(top):
            bind(top)
    for path in SYSTEM_FILES:
        if os.path.exists(path):
            bind(path)
    args.extend(["--proc", "/proc", "--dev", "/dev"])
    for path in ("/tmp", "/var/tmp", "/dev/shm"):
        parents(path)
        args.extend(["--size", str(tmpfs_bytes), "--perms", "1777", "--tmpfs", path])
    for path in sorted(_code_paths()):
        if not inside_bound(path):
            bind(path)
    bind(os.path.abspath(workdir), WORK_MOUNT, how="--bind")
    for path in hide:
        if inside_bound(path) and os.path.isdir(path):
            args.extend(["--perms", "0000", "--tmpfs", path])
        elif inside_bound(path) and os.path.lexists(path):
            args.extend(["--ro-bind", "/dev/null", path])
    return args + ["--chdir", WORK_MOUNT, "--"]


def prepare_workdir(path: str, protections: Protections) -> None:
    """Hand the working copy to the sandbox user (only it and root may enter it)."""
    if protections.uid is None:
        return
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, f) for f in dirs + files]:
            os.chown(name, protections.uid, protections.gid, follow_symlinks=False)
    os.chmod(path, 0o700)


@dataclass
class ChildResult:
    """What the parent observed of one child run."""

    returncode: int | None
    killed_by: str | None  # "timeout" or a signal name such as "SIGSEGV"
    timeout: str | None  # e.g. "cell 3 ran longer than 30 s"
    running: str | None  # the activity ("cell 3", "exercise sigmoid") unfinished at exit, if any
    events: list[tuple[str, str, str, str]] = field(default_factory=list)  # (B|E, kind, id, payload)
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    elapsed: float = 0.0


class _Capped:
    def __init__(self, cap: int):
        self.cap, self.buf, self.total = cap, bytearray(), 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap - len(self.buf)
        if room > 0:
            self.buf += data[:room]

    def text(self) -> str:
        s = self.buf.decode("utf-8", "replace")
        if self.total > len(self.buf):
            s += f"\n[... {self.total - len(self.buf)} more bytes of output dropped]"
        return s


def run_child(argv: list[str], workdir: str, env: dict[str, str], limits: Limits,
              protections: Protections, hide: list[str]) -> ChildResult:
    """Run ``argv`` (a program reading its input from ``workdir``) under every available protection.

    The child's progress lines arrive on the file descriptor named by ``COURSEKIT_PROGRESS_FD``.
    """
    progress_r, progress_w = os.pipe()
    spec = {
        "argv": argv,
        "env": {**env, "COURSEKIT_PROGRESS_FD": str(progress_w)},
        "workdir": WORK_MOUNT if protections.allowlist else os.path.abspath(workdir),
        "mount": protections.namespaces and not protections.allowlist,  # bubblewrap built the view already
        "hide": [os.path.abspath(p) for p in hide],
        "expose": _needed_behind_closed_dirs(),
        "keep": _code_under_private_tmp(),
        "uid": protections.uid,
        "gid": protections.gid,
        "limits": {"as": limits.memory_bytes, "cpu": limits.cpu_seconds, "fsize": limits.file_bytes,
                   "nproc": limits.nproc, "tmpfs": limits.tmpfs_bytes},
    }
    cmd = [sys.executable, "-I", "-c", "from coursekit.grader.sandbox import _boot; _boot()", json.dumps(spec)]
    if protections.allowlist:
        cmd = [*bwrap_argv(workdir, hide, limits.tmpfs_bytes), *cmd]
    elif protections.namespaces:
        cmd = ["unshare", *NAMESPACE_FLAGS, *cmd]
    start = time.monotonic()
    libc = ctypes.CDLL(None)
    # If the grader dies (kill -9, Ctrl-C), the kernel kills the child too: no orphan keeps running
    # a student's infinite loop without a parent enforcing its timeout.
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            pass_fds=(progress_w,), start_new_session=True, cwd="/",
                            preexec_fn=lambda: libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0))
    os.close(progress_w)
    out, err = _Capped(limits.output_bytes), _Capped(limits.output_bytes)
    events: list[tuple[str, str, str, str]] = []
    partial = bytearray()
    running: tuple[str, str, float] | None = None  # (kind, id, started)
    killed_by = timeout = None

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    prog = os.fdopen(progress_r, "rb", buffering=0)
    sel.register(prog, selectors.EVENT_READ, None)
    exited_at = None
    while sel.get_map():
        for key, _ in sel.select(timeout=0.05):
            data = os.read(key.fd, 1 << 16)
            if not data:
                sel.unregister(key.fileobj)
            elif key.data is not None:
                key.data.feed(data)
            elif len(events) < 100_000:  # a chatty child cannot exhaust our memory
                partial += data
                *lines, rest = bytes(partial).split(b"\n")
                partial = bytearray(rest[:4096])
                for line in lines:
                    ev = _parse_event(line)
                    if ev is None:
                        continue
                    events.append(ev)
                    running = (ev[1], ev[2], time.monotonic()) if ev[0] == "B" else None
        now = time.monotonic()
        if killed_by is None and proc.poll() is None:
            if now - start > limits.submission_timeout:
                timeout = f"the submission ran longer than {limits.submission_timeout:g} s"
            elif running and running[0] == "cell" and now - running[2] > limits.cell_timeout:
                timeout = f"cell {running[1]} ran longer than {limits.cell_timeout:g} s"
            elif running and running[0] == "exercise" and now - running[2] > limits.exercise_timeout:
                timeout = f"{running[1]} ran longer than {limits.exercise_timeout:g} s on the test inputs"
            if timeout:
                killed_by = "timeout"
                _kill(proc)
        if proc.poll() is not None:
            exited_at = exited_at or now
            if now - exited_at > 1.0:  # a leftover grandchild holding the pipes: stop listening
                break
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()
    _kill(proc)  # nothing of the child may outlive it
    rc = proc.wait()
    if killed_by is None and rc < 0:
        killed_by = signal.Signals(-rc).name
    elif killed_by is None and rc > 128 and protections.namespaces:
        # unshare reports a child killed by signal N as exit status 128 + N
        try:
            killed_by = signal.Signals(rc - 128).name
        except ValueError:
            pass
    return ChildResult(
        returncode=rc, killed_by=killed_by, timeout=timeout,
        running=f"{running[0]} {running[1]}" if running else None, events=events,
        stdout=out.text(), stderr=err.text(), stdout_bytes=out.total, stderr_bytes=err.total,
        elapsed=time.monotonic() - start,
    )


_CODE_PATHS: set[str] | None = None


def _code_paths() -> set[str]:
    """Where the child's Python code lives: every import path of ``python -I`` and the coursekit package.

    Asked of a child interpreter (once per process), not read from ``sys.path`` here: the child runs
    isolated (``-I``), and ``.pth`` files can add directories of another environment (a test venv
    that reuses the dependencies of the development venv, for instance).  Only the outermost
    directories are kept: a bind mount brings everything below it.
    """
    global _CODE_PATHS
    if _CODE_PATHS is None:
        code = "import json, os, sys, coursekit; print(json.dumps(sys.path + [os.path.dirname(coursekit.__file__)]))"
        out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True).stdout
        paths = {os.path.realpath(p) for p in json.loads(out) + [sys.prefix, sys.base_prefix]
                 if os.path.isabs(p) and os.path.isdir(p)}
        _CODE_PATHS = {p for p in paths if not any(p.startswith(q + os.sep) for q in paths)}
    return _CODE_PATHS


def _needed_behind_closed_dirs() -> list[tuple[str, str]]:
    """(closed ancestor, path) pairs: the interpreter may live in root's 0700 home (pyenv)."""
    out = []
    for path in sorted(_code_paths()):
        if _under_private_tmp(path):
            continue  # bound back by _code_under_private_tmp
        parts = path.split(os.sep)
        for i in range(2, len(parts)):
            ancestor = os.sep.join(parts[:i])
            if not os.stat(ancestor).st_mode & 0o001:  # others may not traverse it
                out.append((ancestor, path))
                break
    return out


def _under_private_tmp(path: str) -> bool:
    return any(path == t or path.startswith(t + os.sep) for t in PRIVATE_TMP)


def _code_under_private_tmp() -> list[str]:
    """The code paths (see :func:`_code_paths`) that live under /tmp or /var/tmp.

    A clone of the course or a venv in /tmp (as CI and the packaging test make) would vanish under the
    child's private /tmp: these directories are bound back into it, read-only, at the same paths.
    """
    return sorted(p for p in _code_paths() if _under_private_tmp(p))


def _parse_event(line: bytes) -> tuple[str, str, str, str] | None:
    parts = line.decode("utf-8", "replace").split(" ", 3)
    if len(parts) < 3 or parts[0] not in ("B", "E") or parts[1] not in ("cell", "exercise"):
        return None
    return parts[0], parts[1], parts[2][:200], (parts[3] if len(parts) > 3 else "")[:20_000]


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- inside the child, before the student's code --------------------------------------------------

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT = 1, 2, 4, 8, 32
_MS_BIND, _MS_REC, _MS_PRIVATE = 4096, 16384, 1 << 18
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_PDEATHSIG = 1


def _boot() -> None:
    """Runs as root inside the fresh namespaces: build the private file view, drop privileges, exec."""
    spec = json.loads(sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)

    def mount(src, target, fstype, flags, data=None):
        enc = lambda s: s.encode() if s is not None else None  # noqa: E731
        if libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"mount {target}: {os.strerror(errno)}")

    workdir = spec["workdir"]
    if spec["mount"]:
        mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        fd = os.open(workdir, os.O_PATH | os.O_DIRECTORY)  # keep a handle: /tmp is about to be covered
        # The interpreter may sit in a 0700 directory (pyenv in /root): cover that directory with an
        # empty traversable tmpfs and bind only the interpreter's prefix back, read-only.
        exposed = [(a, p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for a, p in spec["expose"]]
        for ancestor in dict.fromkeys(a for a, _, _ in exposed):  # once each: a second tmpfs would cover the first
            mount("tmpfs", ancestor, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=755,size=4k")
        for ancestor, path, pfd in exposed:
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{pfd}", path, None, _MS_BIND | _MS_REC)
            mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
            os.close(pfd)
        kept = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY)) for p in spec["keep"]]
        for path in PRIVATE_TMP:
            if os.path.isdir(path):
                mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV,
                      f"mode=1777,size={spec['limits']['tmpfs']}")
        for path, pfd in kept:  # code that lived under /tmp: back in, read-only
            os.makedirs(path, mode=0o755, exist_ok=True)
            mount(f"/proc/self/fd/{pfd}", path, None, _MS_BIND | _MS_REC)
            mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
            os.close(pfd)
        os.mkdir(WORK_MOUNT, 0o755)
        mount(f"/proc/self/fd/{fd}", WORK_MOUNT, None, _MS_BIND)
        os.close(fd)
        for path in spec["hide"]:
            if os.path.isdir(path):
                mount("tmpfs", path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "mode=000,size=4k")
            elif os.path.lexists(path):
                mount("/dev/null", path, None, _MS_BIND)
        workdir = WORK_MOUNT
    if spec["uid"] is not None:
        os.setgroups([])
        os.setgid(spec["gid"])
        os.setuid(spec["uid"])
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # setuid cleared it; unshare dies -> we die
    lim = spec["limits"]
    for res, value in ((resource.RLIMIT_AS, lim["as"]), (resource.RLIMIT_CPU, lim["cpu"]),
                       (resource.RLIMIT_FSIZE, lim["fsize"]), (resource.RLIMIT_NPROC, lim["nproc"]),
                       (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(res, (value, value))
    os.chdir(workdir)
    env = dict(spec["env"], HOME=workdir)
    os.execve(spec["argv"][0], spec["argv"], env)
