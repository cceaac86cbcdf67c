"""Every lecture in a real JupyterLab: Run All Cells, no error output, a widget moves its figure, in the
notebook and while presenting in JupyterLab's Presentation Mode with the Simple Interface (the README's way
without the slideshow extension; the extension's live slides are test_browser_4_live_slides.py).

One Lab server for the session (see conftest.py); notebooks run one after the other, each kernel is shut
down afterwards. The executed notebook is saved (with its widget state) for the offline-deck test.
"""

from __future__ import annotations

import json
import time

import pytest
from browserlib import LECTURES, PageWatch, lecture_ids

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

RUN_TIMEOUT_MS = 240_000

# State of the notebook's cells from the Lab application (window.jupyterapp, exposed by the server flag).
JS_NOTEBOOK_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  if (!nb || !nb.content || !nb.sessionContext) return null;
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  const cells = nb.content.widgets.map((w, i) => {
    const m = w.model;
    const outs = [];
    if (m.type === 'code') {
      for (let k = 0; k < m.outputs.length; k++) outs.push(m.outputs.get(k).toJSON());
    }
    return {i, type: m.type, source: m.sharedModel.getSource(), count: m.type === 'code' ? m.executionCount : null,
            outputs: outs};
  });
  return {kernel: kernel ? kernel.status : null, cells};
}"""

JS_PENDING = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const pending = nb.content.widgets.filter(w => w.model.type === 'code'
      && w.model.sharedModel.getSource().trim()
      && (w.model.executionCount === null || w.promptNode.textContent.includes('*')));
  return pending.length === 0;
}"""

# The first output holding both a widget control and a figure (<img>): a coursekit FigureWidget.
JS_FIND_WIDGET = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const outputs = [...nb.node.querySelectorAll('.jp-Cell-outputWrapper')];
  for (const out of outputs) {
    const img = out.querySelector('.widget-output img, .jupyter-widgets img');
    const handle = out.querySelector('.widget-slider .noUi-handle, .widget-hslider .noUi-handle');
    const select = out.querySelector('.widget-dropdown select');
    if (img && (handle || select)) {
      const cell = nb.content.widgets.findIndex(w => w.node.contains(out));
      out.setAttribute('data-ck-widget', 'yes');
      return {cell, control: handle ? 'slider' : 'dropdown'};
    }
  }
  return null;
}"""

JS_ERRORS = """(state) => {
  const found = [];
  for (const c of state.cells) for (const o of c.outputs) {
    if (o.output_type === 'error') found.push(`cell ${c.i}: ${o.ename}: ${o.evalue}`);
    const text = o.output_type === 'stream' && o.name === 'stderr' ? [].concat(o.text).join('') : '';
    if (/Traceback|Error\\b/.test(text)) found.push(`cell ${c.i} stderr: ${text.slice(0, 300)}`);
  }
  return found;
}"""


def command(page, name: str, args: dict | None = None, wait: bool = True):
    """Run a JupyterLab command (as the menu or the palette would)."""
    js = ("([n, a]) => window.jupyterapp.commands.execute(n, a)" if wait
          else "([n, a]) => { window.jupyterapp.commands.execute(n, a); }")
    return page.evaluate(js, [name, args or {}])


def open_notebook(page, lab, relpath: str) -> None:
    page.goto(lab.page_url(f"/lab/tree/{relpath}?reset"))
    page.wait_for_function(
        """(p) => window.jupyterapp && window.jupyterapp.shell.currentWidget
                  && window.jupyterapp.shell.currentWidget.context
                  && window.jupyterapp.shell.currentWidget.context.path === p""", arg=relpath, timeout=120_000)
    page.wait_for_function(
        """() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;
                   return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }""",
        timeout=120_000)


def figure_src(page) -> str:
    return page.locator("[data-ck-widget=yes] .widget-output img, [data-ck-widget=yes] .jupyter-widgets img"
                        ).first.get_attribute("src")


def move_control(page, control: str) -> None:
    """Change the widget as a lecturer would: keyboard on the slider handle, or pick another option."""
    root = page.locator("[data-ck-widget=yes]")
    if control == "slider":
        handle = root.locator(".noUi-handle").first
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
    else:
        select = root.locator(".widget-dropdown select").first
        options = select.locator("option").all_inner_texts()
        current = select.input_value()
        select.select_option(label=next(o for o in options if o != current))


def wait_figure_changed(page, before: str, what: str) -> str:
    try:
        page.wait_for_function(
            """(b) => { const i = document.querySelector('[data-ck-widget=yes] .widget-output img, '
                                                       + '[data-ck-widget=yes] .jupyter-widgets img');
                        return i && i.getAttribute('src') !== b; }""", arg=before, timeout=60_000)
    except Exception:
        pytest.fail(f"moving the widget control did not change the figure ({what})", pytrace=False)
    return figure_src(page)


@pytest.mark.parametrize("path", LECTURES, ids=lecture_ids(LECTURES))
def test_lecture_runs_and_widgets_respond_in_lab_and_presenting(path, lab, browser, artifacts):
    relpath = f"notebooks/{path.name}"
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    watch = PageWatch(page)
    shots = artifacts / path.stem
    try:
        open_notebook(page, lab, relpath)
        start = time.perf_counter()
        command(page, "notebook:run-all-cells", wait=False)
        page.wait_for_timeout(1000)
        page.wait_for_function(JS_PENDING, timeout=RUN_TIMEOUT_MS, polling=500)
        seconds = time.perf_counter() - start
        state = page.evaluate(JS_NOTEBOOK_STATE)
        errors = page.evaluate(JS_ERRORS, state)
        stderr_tracebacks = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', has_text="Traceback").count()
        page.screenshot(path=f"{shots}-lab-run.png")
        assert not errors and not stderr_tracebacks, f"{path.name} shows errors in the browser:\n" + "\n".join(errors)
        (artifacts / f"{path.stem}-lab-seconds.json").write_text(json.dumps({"run_all_seconds": round(seconds, 1)}))

        widget = page.evaluate(JS_FIND_WIDGET)
        if widget is not None:
            # 1. in the notebook
            before = figure_src(page)
            page.locator("[data-ck-widget=yes]").screenshot(path=f"{shots}-widget-before.png")
            move_control(page, widget["control"])
            after = wait_figure_changed(page, before, "notebook view")
            page.locator("[data-ck-widget=yes]").screenshot(path=f"{shots}-widget-after.png")

            # 2. while presenting: JupyterLab's Presentation Mode in the Simple Interface, full screen
            command(page, "application:set-mode", {"mode": "single-document"})
            command(page, "application:toggle-presentation-mode")
            page.wait_for_selector(".jp-mod-presentationMode", timeout=10_000)
            page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
            page.evaluate("(i) => { const nb = window.jupyterapp.shell.currentWidget.content;"
                          " nb.activeCellIndex = i; nb.scrollToItem(i, 'start'); }", widget["cell"])
            page.locator("[data-ck-widget=yes]").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=f"{shots}-present-before.png")
            move_control(page, widget["control"])
            wait_figure_changed(page, after, "in Presentation Mode")
            page.wait_for_timeout(300)
            page.screenshot(path=f"{shots}-present-after.png")
            command(page, "application:toggle-presentation-mode")
            command(page, "application:set-mode", {"mode": "multiple-document"})
        command(page, "docmanager:save")   # with widget state: the offline-deck test exports this
        assert not watch.errors, f"JavaScript errors in Lab: {watch.errors[:3]}"
        assert not watch.remote, f"Lab requested remote URLs: {watch.remote[:5]}"
        shows_widget = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                           for c in state["cells"] for o in c["outputs"])
        if shows_widget:
            assert widget is not None, f"{path.name} displays widgets but no control with a figure was rendered"
    finally:
        context.close()
        lab.shutdown_kernels()
