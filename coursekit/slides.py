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

Slides are 1280x720 (a projector's 720p; reveal.js scales the box to the
screen).  Code that only draws a figure is hidden in the deck when its cell
is tagged remove-input (the notebook still shows it); a cell tagged
remove-cell is left out of the deck.  --check-fit opens each deck in
Chromium (Debian's chromium and Playwright, from `make test`'s set-up) and
lists every slide whose content does not fit the box; it exits 1 if any.

examples:
  coursekit decks                     # every lecture in ./notebooks, into ./decks
  coursekit decks notebooks/03_backprop.ipynb -o /tmp/decks
  coursekit decks --no-execute --assets ~/course/node_modules
  coursekit decks notebooks/05_cnn_architectures.ipynb --check-fit
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

# The slide box, in CSS pixels: 720p, what lecture-hall projectors show.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
# Cell tags (Jupyter Book's names): hidden in the deck, shown in the notebook.
HIDE_INPUT_TAG = "remove-input"
HIDE_CELL_TAG = "remove-cell"


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

    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {HIDE_INPUT_TAG}
    config.TagRemovePreprocessor.remove_cell_tags = {HIDE_CELL_TAG}
    exporter = SlidesExporter(config=config, template_name="coursekit_reveal",
                              extra_template_basedirs=[str(TEMPLATES)])
    for name, value in LOCAL_URLS.items():
        setattr(exporter, name, value)
    exporter.reveal_theme = "white"
    exporter.reveal_transition = "none"  # projectors and screen readers both prefer no motion
    exporter.reveal_number = "c/t"
    exporter.reveal_width, exporter.reveal_height = str(SLIDE_WIDTH), str(SLIDE_HEIGHT)
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


# -- does every slide fit the projector? ------------------------------------------------------------

# Visits every slide with all its fragments shown and returns the ones whose content leaves the slide box,
# or is cut off inside a box that hides or scrolls its overflow.  "Content" is what a viewer reads: text
# (the boxes of its glyphs, not of the block around it) and pictures and controls (img, svg, canvas, input),
# leaving out speaker notes and the inside of a closed <details>.
_FIT_JS = r"""async () => {
  const config = Reveal.getConfig(), W = config.width, H = config.height, out = [];
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const PICTURES = 'img, svg, canvas, video, input, select, button, textarea';
  // A closed <details> (a try-it answer) shows only its <summary>.
  // MathJax's copy of each formula for screen readers is clipped to nothing on purpose.
  const hidden = (el) => {
    const d = el.closest('details:not([open])');
    return (d && !el.closest('summary')) || el.closest('.MJX_Assistive_MathML');
  };
  const contentBoxes = (root) => {
    const boxes = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!node.textContent.trim() || parent.closest('aside.notes') || hidden(parent)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0 && r.height > 0) boxes.push(r);
    }
    for (const el of root.querySelectorAll(PICTURES)) {
      if (el.closest('aside.notes') || hidden(el) || (el.closest('svg') && el.closest('svg') !== el)) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) boxes.push(r);
    }
    return boxes;
  };
  const measure = (slide) => {
    const scale = Reveal.getScale(), box = document.querySelector('.reveal .slides').getBoundingClientRect();
    let bottom = 0, right = 0, left = 0, top = 0;
    for (const r of contentBoxes(slide)) {
      bottom = Math.max(bottom, (r.bottom - box.top) / scale - H);
      right = Math.max(right, (r.right - box.left) / scale - W);
      left = Math.max(left, (box.left - r.left) / scale);
      top = Math.max(top, (box.top - r.top) / scale);
    }
    const cut = [];
    for (const el of slide.querySelectorAll('*')) {
      if (el.closest('aside.notes') || hidden(el)) continue;
      const style = getComputedStyle(el);
      if (!/(auto|scroll|hidden)/.test(style.overflowX + style.overflowY)) continue;
      if (el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2) continue;
      const r = el.getBoundingClientRect();
      if (contentBoxes(el).some(c => c.right > r.right + 2 || c.bottom > r.bottom + 2 ||
                                      c.left < r.left - 2 || c.top < r.top - 2))
        cut.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
    }
    return {bottom: Math.round(bottom), right: Math.round(right), left: Math.round(left), top: Math.round(top),
            cut: [...new Set(cut)].slice(0, 3)};
  };
  // Typeset math, not its TeX source or MathJax's preview: the deck re-renders a slide's formulas when the
  // slide is shown, so a slide with math is measured again until MathJax is idle, its fonts are loaded
  // and five measures 100 ms apart agree (up to 15 s, and a second visit of up to 30 s for a math slide that
  // seems too big: on a loaded machine typesetting took more than 8 s and its TeX source was measured).
  const mathBusy = () => {
    if (!(window.MathJax && MathJax.Hub)) return false;
    if (document.fonts && document.fonts.status !== 'loaded') return true;   // MathJax's web fonts
    const slide = Reveal.getCurrentSlide();
    if (MathJax.Hub.queue.pending || MathJax.Hub.queue.running) return true;
    if (slide.querySelector('.MJXc-processing, .MathJax_Processing')) return true;
    const untypeset = [...slide.querySelectorAll('script[type^="math/tex"]')].some(s =>
      !(s.previousElementSibling && /MathJax_CHTML|MJXc-display/.test(s.previousElementSibling.className)));
    const preview = [...slide.querySelectorAll('.MathJax_Preview')].some(p => p.textContent.trim());
    return untypeset || preview;
  };
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  // Show slide (h, v) and measure it; a slide with math until its formulas have settled.
  const settle = async (h, v, tries) => {
    Reveal.slide(h, v, 10000);
    await frames();
    const slide = Reveal.getCurrentSlide();
    let fit = measure(slide);
    if (slide.querySelector('script[type^="math/tex"]')) {
      for (let i = 0, same = 0; i < tries && same < 4; i++) {
        await wait(100);
        const again = measure(slide);
        same = (!mathBusy() && JSON.stringify(again) === JSON.stringify(fit)) ? same + 1 : 0;
        fit = again;
      }
    }
    return {slide, fit};
  };
  const overflows = (fit) => fit.bottom > 1 || fit.right > 1 || fit.left > 1 || fit.top > 1 || fit.cut.length;
  const stacks = Reveal.getHorizontalSlides();
  for (let h = 0; h < stacks.length; h++) {
    const n = Math.max(stacks[h].querySelectorAll(':scope > section').length, 1);
    for (let v = 0; v < n; v++) {
      let {slide, fit} = await settle(h, v, 150);
      if (overflows(fit) && slide.querySelector('script[type^="math/tex"]')) {
        // Math typeset on a loaded machine can still be settling (its TeX source measured once +491 px):
        // come back to the slide and measure it again before calling it too big.
        await settle(0, 0, 0);
        ({slide, fit} = await settle(h, v, 300));
      }
      const heading = slide.querySelector('h1, h2, h3, h4');
      const text = (heading || slide).innerText.trim().split('\n')[0].slice(0, 60);
      if (overflows(fit)) {
        out.push({slide: h + '/' + v, title: text, ...fit});
      }
    }
  }
  Reveal.slide(0, 0, 0);
  return {total: Reveal.getTotalSlides(), overflowing: out};
}"""


@dataclass
class Fit:
    """How the slides of one deck fit the slide box: ``overflowing`` lists the ones that do not."""

    html: Path
    total: int
    overflowing: list[dict]

    def __str__(self) -> str:
        if not self.overflowing:
            return f"{self.html.name}: all {self.total} slides fit {SLIDE_WIDTH}x{SLIDE_HEIGHT}"
        lines = [f"{self.html.name}: {len(self.overflowing)} of {self.total} slides do not fit "
                 f"{SLIDE_WIDTH}x{SLIDE_HEIGHT}"]
        for o in self.overflowing:
            sides = ", ".join(f"{k} +{o[k]}px" for k in ("bottom", "right", "left", "top") if o[k] > 1)
            cut = f"; cut off inside {', '.join(o['cut'])}" if o["cut"] else ""
            lines.append(f"  slide {o['slide']:>6}  {o['title']!r}: {sides}{cut}")
        return "\n".join(lines)


def chromium_path() -> str:
    """Debian's Chromium (``apt-get install chromium``), or ``$COURSEKIT_CHROMIUM``."""
    path = os.environ.get("COURSEKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise FileNotFoundError("Chromium not found: install it (`apt-get install chromium`, done by "
                                "`bash scripts/setup.sh --test`) or set COURSEKIT_CHROMIUM to a Chromium binary")
    return path


def measure_fit(page, html: Path) -> Fit:
    """Open ``html`` in a Playwright ``page`` (viewport of the slide's size) and measure every slide.

    A slide found too big is measured again in a freshly loaded deck and reported only if it is too big
    there too: on a loaded machine a formula was once measured mid-typesetting (+149 px) although the
    slide fits, while a slide that does not fit is too big every time.
    """
    def measured() -> dict:
        page.goto(Path(html).resolve().as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady() && "
                               "document.querySelector('.reveal').classList.contains('ready')", timeout=60_000)
        page.wait_for_function("() => !document.querySelector('script[src*=\"MathJax\"]') || "
                               "(window.MathJax && MathJax.Hub && MathJax.isReady)", timeout=60_000)
        return page.evaluate(_FIT_JS)

    result = measured()
    if result["overflowing"]:
        first = {o["slide"] for o in result["overflowing"]}
        result = measured()
        result["overflowing"] = [o for o in result["overflowing"] if o["slide"] in first]
    return Fit(Path(html), result["total"], result["overflowing"])


def check_fit(decks: list[Path]) -> list[Fit]:
    """Open each deck offline in Chromium at the slide's size and measure how its slides fit."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise FileNotFoundError("--check-fit needs Playwright: install the test extra "
                                "(`bash scripts/setup.sh --test`, or pip install -e '.[test]')") from exc
    executable = chromium_path()
    fits = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            for html in decks:
                context = browser.new_context(offline=True, viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT})
                try:
                    fits.append(measure_fit(context.new_page(), html))
                finally:
                    context.close()
        finally:
            browser.close()
    return fits


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
    parser.add_argument("--check-fit", action="store_true",
                        help=f"open each deck in Chromium at {SLIDE_WIDTH}x{SLIDE_HEIGHT} and list the slides whose "
                             "content does not fit (exit 1 if any)")


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
            decks = []
            for nb in args.notebooks:
                decks.append(export_deck(nb, args.out, execute=not args.no_execute, assets=args.assets))
                print(f"{decks[-1].html}  {decks[-1].bytes / 1e6:.1f} MB  ({decks[-1].seconds:.0f} s)")
        else:
            decks = export_all(out_dir=args.out, execute=not args.no_execute, assets=args.assets)
        fits = check_fit([d.html for d in decks]) if args.check_fit else []
    except (AssetsMissing, FileNotFoundError, RuntimeError) as exc:  # no assets, no lectures, failed decks
        raise CoursekitError(str(exc)) from exc
    for fit in fits:
        print(fit)
    print(f"Open {decks[0].html} in a browser; press 's' for speaker notes.")
    return 1 if any(f.overflowing for f in fits) else 0
