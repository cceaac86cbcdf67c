"""Export the lecture notebooks as slide decks that work offline.

Each notebook is run top to bottom, as a student would run it (--no-execute
exports it as it is), and written as <name>.slides.html, a reveal.js deck.
Everything a deck loads (reveal.js, require.js, jQuery, MathJax, the widget
renderer) is copied into an assets/ folder beside the decks, from the npm
packages scripts/setup.sh installs in node_modules/: nbconvert's own slides
fetch them from the internet, and a projector with no network shows a blank
page.  No browser is needed to build the decks.  In a deck, press s for the
speaker notes; for handouts, open it with ?print-pdf after the file name and
print it to PDF from the browser.

examples:
  coursekit decks                     # every lecture in ./notebooks, into ./decks
  coursekit decks notebooks/03_backprop.ipynb -o /tmp/decks
  coursekit decks --no-execute --assets ~/course/node_modules
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from coursekit.animation import _FONT_AWESOME_LINK, PLAYER_ICONS_CSS, offline_jshtml  # noqa: F401 (re-exported)

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Relative to the current directory: `coursekit decks` is run from the course repository.
DEFAULT_NOTEBOOKS = Path("notebooks")
DEFAULT_OUT = Path("decks")

# (source inside node_modules, destination inside assets/). Only what the decks load.
ASSET_FILES = [
    ("reveal.js/dist", "reveal.js/dist"),
    ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("@jupyter-widgets/html-manager/dist/embed-amd.js", "html-manager/embed-amd.js"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
]

# Resource URLs, relative to the deck file.  MathJax's "Safe" config is kept.
LOCAL_URLS = {
    "reveal_url_prefix": "assets/reveal.js",
    "require_js_url": "assets/require.js",
    "jquery_url": "assets/jquery.min.js",
    "mathjax_url": "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "widget_renderer_url": "assets/html-manager/embed-amd.js",
    "jupyter_widgets_base_url": "assets/",
}

# What would make a browser fetch from another machine.  Hyperlinks (<a href>) fetch nothing and are allowed.
_TAG = re.compile(r"<([a-zA-Z][\w:-]*)\b([^>]*)>")
_REMOTE_ATTR = re.compile(r"""\b(?:src|href|data|poster|srcset|xlink:href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
                          re.IGNORECASE)
_REMOTE_CSS = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
_REMOTE_IMPORT = re.compile(r"""\bimport\s*(?:[^;'"]*?from\s*)?\(?\s*["']((?:https?:)?//[^"']+)""")
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_REMOTE_STRING = re.compile(r"""["'](https?://[^"'\s]+)""")

class AssetsMissing(FileNotFoundError):
    """The npm packages with reveal.js/MathJax/widget renderer are not installed."""


@dataclass
class Deck:
    notebook: Path
    html: Path
    seconds: float
    bytes: int


def node_modules(assets: Path | None = None) -> Path:
    """Where the npm deck assets live: ``assets``, else ``$COURSEKIT_NODE_MODULES``, else ``./node_modules``."""
    return Path(assets or os.environ.get("COURSEKIT_NODE_MODULES", "node_modules"))


def copy_assets(out_dir: Path, assets: Path | None = None) -> Path:
    """Copy the deck assets (from :func:`node_modules`) into ``out_dir/assets`` (once) and return that folder."""
    src_root = node_modules(assets)
    missing = [src for src, _ in ASSET_FILES if not (src_root / src).exists()]
    if missing:
        raise AssetsMissing(
            f"deck assets not found under {src_root} (missing: {', '.join(missing[:3])}...); "
            "run `bash scripts/setup.sh` (or `npm install` in the repository) once while online, "
            "or point --assets (or COURSEKIT_NODE_MODULES) at an installed node_modules folder"
        )
    assets = Path(out_dir) / "assets"
    for src, dst in ASSET_FILES:
        target = assets / dst
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if (src_root / src).is_dir():
            shutil.copytree(src_root / src, target)
        else:
            shutil.copy2(src_root / src, target)
    return assets


def execute_notebook(path: Path, timeout: int = 300):
    """Run a notebook top to bottom (as a student would) and return it with outputs and widget state."""
    import nbformat
    from nbclient import NotebookClient

    from coursekit.keras_setup import quiet_tensorflow_env

    quiet_tensorflow_env()
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    return nb


def export_deck(notebook, out_dir: Path = DEFAULT_OUT, execute: bool = True, timeout: int = 300,
                assets: Path | None = None) -> Deck:
    """Export one notebook as ``out_dir/<name>.slides.html`` using only local assets.

    ``notebook`` is a path (executed first when ``execute``) or an already executed
    ``NotebookNode`` together with its path in ``notebook.metadata['path']``.
    """
    t0 = time.perf_counter()
    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook not found: {path}")
    out_dir = Path(out_dir)
    copy_assets(out_dir, assets)  # first: missing assets are reported at once, not after minutes of running
    import nbformat  # seconds to import (its JSON schema validator)
    from nbconvert import SlidesExporter

    nb = execute_notebook(path, timeout) if execute else nbformat.read(path, as_version=4)
    out_dir.mkdir(parents=True, exist_ok=True)

    exporter = SlidesExporter(template_name="coursekit_reveal", extra_template_basedirs=[str(TEMPLATES)])
    for name, value in LOCAL_URLS.items():
        setattr(exporter, name, value)
    exporter.reveal_theme = "white"
    exporter.reveal_transition = "none"  # projectors and screen readers both prefer no motion
    exporter.reveal_number = "c/t"
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    body = _FONT_AWESOME_LINK.sub("", body)
    body = body.replace("</head>", PLAYER_ICONS_CSS + "\n</head>", 1)
    remote = find_remote_urls(body)
    if remote:
        raise RuntimeError(f"{path.name}: the deck would load remote resources: {remote[:3]}")
    html = out_dir / f"{path.stem}.slides.html"
    html.write_text(body, encoding="utf-8")
    return Deck(path, html, time.perf_counter() - t0, html.stat().st_size)


def find_remote_urls(html: str) -> list[str]:
    """Every URL in ``html`` (or a stylesheet) that a browser would fetch from another machine.

    Looks at resource attributes of every tag except ``<a>`` (src, href, data, poster, srcset),
    CSS ``url()``/``@import``, JavaScript ``import ... from``, and URL strings inside executable
    ``<script>`` elements (``require(["https://..."])``, ``script.src = "https://..."``).
    """
    found = []
    for tag in _TAG.finditer(html):
        if tag.group(1).lower() != "a":
            found += [m.group(1) for m in _REMOTE_ATTR.finditer(tag.group(2))]
    found += [m.group(1) for m in _REMOTE_CSS.finditer(html)]
    found += [m.group(1) for m in _REMOTE_IMPORT.finditer(html)]
    for script in _SCRIPT.finditer(html):
        kind = re.search(r"""type\s*=\s*["']?([^"'\s>]+)""", script.group(1))
        if kind is None or kind.group(1).lower() in ("text/javascript", "module", "application/javascript"):
            found += [m.group(1) for m in _REMOTE_STRING.finditer(script.group(2))]
    return sorted(set(found))


def export_all(notebooks_dir: Path = DEFAULT_NOTEBOOKS, out_dir: Path = DEFAULT_OUT, execute: bool = True,
               pattern: str = "[0-9][0-9]_*.ipynb", assets: Path | None = None) -> list[Deck]:
    """Export every lecture notebook; a failing notebook is reported and the others still export."""
    lectures = sorted(Path(notebooks_dir).glob(pattern))
    if not lectures:  # the default is ./notebooks: run from elsewhere than the course repository
        raise FileNotFoundError(f"no lecture notebooks {pattern} in {Path(notebooks_dir).resolve()}; run "
                                "`coursekit decks` in the course repository, or name the notebooks to export")
    decks, failures = [], []
    for path in lectures:
        try:
            deck = export_deck(path, out_dir, execute=execute, assets=assets)
        except AssetsMissing:
            raise
        except Exception as exc:  # one broken lecture must not cost the lecturer the other five
            failures.append((path.name, exc))
            print(f"FAILED {path.name}: {type(exc).__name__}: {exc}")
            continue
        decks.append(deck)
        print(f"{deck.html}  {deck.bytes / 1e6:.1f} MB  ({deck.seconds:.0f} s)")
    if failures:
        raise RuntimeError(f"{len(failures)} deck(s) failed: " + ", ".join(n for n, _ in failures)
                           + "; the FAILED lines above say why")
    return decks


# -- `coursekit decks` -------------------------------------------------------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to export (default: every lecture in ./notebooks)")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help="output folder (default: ./decks)")
    parser.add_argument("--assets", type=Path, default=None,
                        help="node_modules folder with the npm deck assets (default: $COURSEKIT_NODE_MODULES, "
                             "else ./node_modules)")
    parser.add_argument("--no-execute", action="store_true",
                        help="export the notebooks as they are, without running them first")


def run(args) -> int:
    from coursekit.errors import CoursekitError

    for nb in args.notebooks:
        if not nb.is_file():
            raise CoursekitError(f"no notebook {nb}; name lecture notebooks such as notebooks/01_neuron.ipynb, "
                                 "or none to export every lecture in ./notebooks")
        if not os.access(nb, os.R_OK):
            raise CoursekitError(f"cannot read {nb} (permission denied); make it readable: chmod u+r {nb}")
    try:
        if args.notebooks:
            for nb in args.notebooks:
                deck = export_deck(nb, args.out, execute=not args.no_execute, assets=args.assets)
                print(f"{deck.html}  {deck.bytes / 1e6:.1f} MB  ({deck.seconds:.0f} s)")
        else:
            export_all(out_dir=args.out, execute=not args.no_execute, assets=args.assets)
    except (AssetsMissing, FileNotFoundError, RuntimeError) as exc:  # no assets, no lectures, failed decks
        raise CoursekitError(str(exc)) from exc
    print(f"Open {Path(args.out) / '01_neuron.slides.html'} in a browser; press 's' for speaker notes.")
    return 0
