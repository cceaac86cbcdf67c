"""Helpers shared by the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
LECTURES = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def lecture_ids(paths):
    return [p.stem for p in paths]


def chromium_executable() -> str:
    from coursekit.slides import chromium_path

    try:
        return chromium_path()
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)


class PageWatch:
    """Page errors and requests that left 127.0.0.1 / the local disk, collected while a page is open."""

    LOCAL = ("file:", "data:", "blob:", "about:", "http://127.0.0.1", "ws://127.0.0.1", "chrome-extension:")

    def __init__(self, page):
        self.errors: list[str] = []
        self.remote: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(self.LOCAL) else self.remote.append(r.url))
        page.on("websocket", lambda ws: None if ws.url.startswith(self.LOCAL) else self.remote.append(ws.url))
