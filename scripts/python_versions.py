"""Which CPython versions can run coursekit?  Asks PyPI, not our memory.

For every dependency in pyproject.toml (``[project].dependencies`` and the ``test`` extra), every CPython
3.9-3.14 and every platform the README names, look for a release inside our version range that ships a
wheel pip would install there: a ``cpXY`` wheel, an ``abi3`` wheel built for an older CPython, or a pure
``py3-none-any`` one, skipping files whose ``requires_python`` rules that Python out.  A source
distribution does not count: building TensorFlow or SciPy from source is not a first hour.

    .venv/bin/python scripts/python_versions.py            # table + the supported versions
    .venv/bin/python scripts/python_versions.py --refresh  # ignore the cached PyPI answers

PyPI's JSON answers are cached for a day in $TMPDIR/coursekit-pypi-cache, so a rerun is instant.
The conclusion is the set of versions for which every dependency is available on every platform;
requires-python in pyproject.toml, environment.yml and scripts/setup.sh should list exactly those
(tests/test_packaging.py keeps the three in step; this script is the evidence behind them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from packaging import tags
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parents[1]
PYTHONS = [(3, minor) for minor in range(9, 15)]
CACHE = Path(tempfile.gettempdir()) / "coursekit-pypi-cache"
CACHE_SECONDS = 24 * 3600


def _manylinux(arch: str, newest_glibc: int) -> list[str]:
    """manylinux platform tags a glibc 2.<newest_glibc> machine accepts, with the legacy aliases (PEP 600)."""
    names = [f"manylinux_2_{minor}_{arch}" for minor in range(newest_glibc, 4, -1)]
    aliases = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return names + [f"{alias}_{arch}" for minor, alias in aliases.items() if minor <= newest_glibc]


# The README's platforms: the markers pip evaluates there, and the wheel platform tags it accepts.
# Assumed systems: glibc 2.35 (Ubuntu 22.04, Debian 12 has 2.36), macOS 13 or newer, 64-bit Windows 10/11.
PLATFORMS = {
    "Linux x86_64": ({"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux",
                      "os_name": "posix"}, _manylinux("x86_64", 35)),
    "Linux aarch64": ({"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux",
                       "os_name": "posix"}, _manylinux("aarch64", 35)),
    "macOS arm64": ({"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin",
                     "os_name": "posix"}, list(tags.mac_platforms((13, 0), "arm64"))),
    "Windows x86_64": ({"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows",
                        "os_name": "nt"}, ["win_amd64"]),
}


def requirements() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def pypi(name: str, refresh: bool) -> dict:
    """PyPI's JSON description of a project (every release and its files), cached on disk."""
    path = CACHE / f"{name.lower()}.json"
    fresh = path.exists() and time.time() - path.stat().st_mtime < CACHE_SECONDS
    if fresh and not refresh:
        return json.loads(path.read_text())
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as response:
            data = response.read()
    except (urllib.error.URLError, TimeoutError) as err:
        if path.exists():  # an old answer beats none; the wheels of old releases do not change
            print(f"note: pypi.org unreachable ({err}); using the cached answer for {name} from "
                  f"{time.ctime(path.stat().st_mtime)}", file=sys.stderr)
            return json.loads(path.read_text())
        sys.exit(f"offline: cannot reach https://pypi.org/pypi/{name}/json ({err}) and no cached answer "
                 f"in {CACHE}; rerun with network access")
    CACHE.mkdir(exist_ok=True)
    path.write_bytes(data)
    return json.loads(data)


def accepted_tags(python: tuple[int, int], platforms: list[str]) -> set[tags.Tag]:
    """Wheel tags pip on CPython `python` accepts: cpXY, older abi3, pyXY-none, and *-none-any."""
    cp = f"cp{python[0]}{python[1]}"
    # abis given explicitly: the free-threaded build (cp313t) is a different interpreter we do not target
    return set(tags.cpython_tags(python, abis=[cp], platforms=platforms)) | set(
        tags.compatible_tags(python, interpreter=cp, platforms=platforms))


def allows(requires_python: str | None, python: tuple[int, int]) -> bool:
    if not requires_python:
        return True
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True  # pip ignores a malformed requires_python too
    # pip compares the full version (3.11.7); "3.11" counts if its first or a late patch release fits
    return any(spec.contains(f"{python[0]}.{python[1]}.{patch}") for patch in (0, 99))


def newest_wheel(project: dict, spec: SpecifierSet, python: tuple[int, int], accepted: set) -> str | None:
    """The newest release in `spec` with a non-yanked wheel pip would install; None if there is none."""
    releases = []
    for version, files in project["releases"].items():
        try:
            releases.append((Version(version), files))
        except InvalidVersion:
            continue  # pre-PEP 440 version strings of ancient releases
    for version, files in sorted(releases, key=lambda r: r[0], reverse=True):
        if version.is_prerelease or version not in spec:  # pip skips pre-releases unless asked
            continue
        for f in files:
            if f["packagetype"] != "bdist_wheel" or f.get("yanked") or not allows(f.get("requires_python"), python):
                continue
            try:
                wheel_tags = parse_wheel_filename(f["filename"])[3]
            except InvalidWheelFilename:
                continue
            if wheel_tags & accepted:
                return str(version)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refresh", action="store_true", help="ask PyPI again instead of using the cache")
    args = parser.parse_args()

    reqs = requirements()
    projects = {r.name: pypi(r.name, args.refresh) for r in reqs}
    supported = set(PYTHONS)
    width = max(len(str(r.specifier)) + len(r.name) for r in reqs) + 2
    for platform, (markers, platform_tags) in PLATFORMS.items():
        print(f"\n{platform}  (newest release in range with a wheel; '-' none, 'n/a' not needed here)")
        print(" " * width + "".join(f"{'%d.%d' % py:>10}" for py in PYTHONS))
        here = set(PYTHONS)
        for req in reqs:
            cells = []
            for py in PYTHONS:
                env = markers | {"python_version": "%d.%d" % py, "python_full_version": "%d.%d.0" % py}
                if req.marker and not req.marker.evaluate(env):
                    cells.append("n/a")
                    continue
                found = newest_wheel(projects[req.name], req.specifier, py, accepted_tags(py, platform_tags))
                cells.append(found or "-")
                if not found:
                    here.discard(py)
            print(f"{req.name + str(req.specifier):<{width}}" + "".join(f"{c:>10}" for c in cells))
        print(f"every dependency has a wheel for: {' '.join('%d.%d' % py for py in sorted(here)) or 'none'}")
        supported &= here

    print()
    if not supported:
        print("No CPython version has wheels for every dependency on every platform.")
        return 1
    versions = sorted(supported)
    print("Supported everywhere: CPython " + ", ".join("%d.%d" % py for py in versions))
    contiguous = all(b[1] - a[1] == 1 for a, b in zip(versions, versions[1:]))
    if contiguous:
        first, last = versions[0], versions[-1]
        spec = f">={first[0]}.{first[1]},<{last[0]}.{last[1] + 1}"
        current = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
        print(f"requires-python = \"{spec}\"  (pyproject.toml has \"{current}\": "
              f"{'agrees' if SpecifierSet(current) == SpecifierSet(spec) else 'DIFFERS'})")
    else:
        print("(not a contiguous range: requires-python cannot express it with two bounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
