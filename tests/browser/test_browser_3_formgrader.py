"""nbgrader's formgrader, served by the session's Lab server from the course made by ``coursekit release``,
lists the six assignments (the released one with its student version)."""

from __future__ import annotations

import pytest
from browserlib import PageWatch

from coursekit.assignments import ASSIGNMENT_NAMES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_formgrader_lists_the_assignments(lab, browser, artifacts, course_dir):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    watch = PageWatch(page)
    try:
        page.goto(lab.page_url("/formgrader"))
        for name in ASSIGNMENT_NAMES:
            page.wait_for_selector(f"#main-table >> text={name}", timeout=60_000)
        page.screenshot(path=str(artifacts / "formgrader.png"), full_page=True)
        rows = page.locator("#main-table tr", has_text="01_neuron")
        assert rows.count() == 1
        # the released assignment can be previewed (its student version exists in release/)
        assert rows.first.locator("a[href*='release/01_neuron'], a[title*='Preview']").count() >= 1, \
            "formgrader shows no preview of the released 01_neuron"
        assert (course_dir / "release" / "01_neuron" / "01_neuron.ipynb").is_file()
        assert not watch.errors, f"JavaScript errors in formgrader: {watch.errors[:3]}"
    finally:
        context.close()
