"""A class on the course server, end to end in the browser (`coursekit hub`, issue 12).

The hub is set up from a roster (one instructor, one TA, two students) exactly as the README's "Run a class"
says, then started; Debian's Chromium logs in as each person:

1. the instructor releases assignment 01 in the Formgrader;
2. two students fetch it from their Assignments tab, answer it (alice right, bob with a softmax that
   overflows), and submit;
3. the TA grades the exchange's submissions with ``coursekit grade ... --release-feedback`` in their account;
4. each student fetches feedback in the Assignments tab: their own mistake named, nobody else's;
5. what one student cannot reach: the other's server by URL, the other's files by path, the exchange's
   submissions and the course directory.

Needs root (it creates four Unix accounts, removed afterwards).  Screenshots: artifacts/browser/hub-*.png.
"""

from __future__ import annotations

import contextlib
import csv
import html
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browserlib import REPO

from coursekit.hub.accounts import remove_user
from coursekit.hub.layout import HubLayout
from coursekit.hub.roster import Member
from coursekit.keras_setup import QUIET_TF_ENV

from support import demo_course as demo

# Its own xdist group: it needs no Lab server of the other browser tests, and runs beside them.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("hub")]

ASSIGNMENT = "01_neuron"
PASSWORD = "a-long-pass-1"
ROSTER = [("ckhub_prof", "instructor", "Ada Lovelace"), ("ckhub_ta", "ta", "Alan Turing"),
          ("ckhub_alice", "student", "Alice Liddell"), ("ckhub_bob", "student", "Bob Dylan")]
PROF, TA, ALICE, BOB = (r[0] for r in ROSTER)
OVERFLOW = "overflowed"  # part of the registry's message for a softmax without the max shift
BOB_SOFTMAX = demo.wrong_answer("softmax", OVERFLOW)


def _free_ports(n: int = 3) -> int:
    """A port p with p .. p+n-1 free (the hub uses its public port and the two after it)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        try:
            for q in range(p, p + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", q))
            return p
        except OSError:
            continue
    raise RuntimeError("no three consecutive free ports")


class Hub:
    def __init__(self, home: Path, url: str, proc: subprocess.Popen, log: Path):
        self.home, self.url, self.proc, self.log = home, url, proc, log

    def as_user(self, user: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        """``cmd`` run as ``user`` (what their Jupyter terminal runs), in their home, group files shared."""
        member = next(Member(*row) for row in ROSTER if row[0] == user)
        env = {"PATH": f"{self.home / 'env' / 'bin'}:/usr/bin:/bin", "HOME": f"/home/{user}", "USER": user,
               "LOGNAME": user, **QUIET_TF_ENV, "JUPYTER_CONFIG_PATH": str(HubLayout(self.home).role_config(member))}
        line = "umask 007 && exec \"$@\""
        done = subprocess.run(["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                               "sh", "-c", line, "sh", *cmd], capture_output=True, text=True,
                              cwd=f"/home/{user}", timeout=600)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} as {user} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.fail("the hub test creates Unix accounts: run the tests as root (CI does)", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="coursekit-hub-", dir="/tmp"))
    base.chmod(0o755)  # every account must reach the shared environment inside
    home = base / "home"
    roster = base / "class.csv"
    with open(roster, "w", newline="") as fh:
        csv.writer(fh).writerows([("username", "role", "name"), *ROSTER])
    for user, *_ in ROSTER:
        remove_user(user)  # leftovers of an interrupted run
    coursekit = [sys.executable, "-m", "coursekit"]
    log, proc = base / "hub.log", None
    try:
        t0 = time.monotonic()
        done = subprocess.run([*coursekit, "hub", "setup", str(roster), "--home", str(home)], cwd=REPO,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        print(f"hub setup: {time.monotonic() - t0:.0f} s")
        port = _free_ports()
        proc = subprocess.Popen([*coursekit, "hub", "start", "--home", str(home), "--port", str(port)], cwd=REPO,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/hub/api", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the hub exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"the hub did not answer within 60 s:\n{log.read_text()[-3000:]}")
        yield Hub(home, url, proc, log)
    finally:
        if proc is not None:
            # `coursekit hub start` execs JupyterHub: SIGTERM reaches the hub, which stops servers and proxy
            t_stop = time.monotonic()
            proc.terminate()
            try:
                proc.wait(60)
                print(f"hub stopped {time.monotonic() - t_stop:.1f} s after SIGTERM")
            except subprocess.TimeoutExpired:
                print("the hub did not stop within 60 s of SIGTERM: killed")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever of its process group is left
        if log.exists() and (REPO / "artifacts" / "browser").is_dir():
            shutil.copy(log, REPO / "artifacts" / "browser" / "hub.log")
        for user, *_ in ROSTER:
            remove_user(user)
        shutil.rmtree(base, ignore_errors=True)


def login(browser, hub: Hub, user: str):
    """A fresh browser session logged in as ``user`` (first login: the password is chosen here), on Lab."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)
    page.wait_for_selector(".jp-LabShell", timeout=120_000)
    return page


def open_assignment_list(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.wait_for_selector("#released_assignments_list, #fetched_assignments_list", timeout=60_000)


def api(page, hub: Hub, user: str, path: str, method: str = "GET", body=None):
    """The user's own Jupyter server's REST API, called from their browser session (cookie + XSRF token)."""
    return page.evaluate(
        """async ([url, method, body]) => {
               const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || "";
               const r = await fetch(url, {method, headers: {"X-XSRFToken": decodeURIComponent(xsrf),
                                           "Content-Type": "application/json"},
                                           body: body === null ? undefined : JSON.stringify(body)});
               return {status: r.status, text: await r.text()};
           }""", [f"{hub.url}/user/{user}/api/{path}", method, body])


def test_a_class_releases_submits_grades_and_returns_feedback(browser, hub, artifacts):
    t_start = time.monotonic()
    # 1. The instructor releases assignment 01 in the Formgrader.
    prof = login(browser, hub, PROF)
    prof.goto(f"{hub.url}/user/{PROF}/formgrader/manage_assignments")
    row = prof.locator("tr", has_text=ASSIGNMENT).first
    row.wait_for(timeout=60_000)
    row.locator("td").nth(6).locator("a").click()  # the Release column
    prof.locator("tr", has_text=ASSIGNMENT).first.locator(".label", has_text="released").wait_for(timeout=60_000)
    prof.screenshot(path=artifacts / "hub-1-instructor-released.png")

    # 2. Two students fetch, answer and submit.
    students = {}
    for user in (ALICE, BOB):
        page = login(browser, hub, user)
        open_assignment_list(page)
        page.locator("#released_assignments_list button", has_text="Fetch").first.click()
        page.locator("#fetched_assignments_list button", has_text="Submit").first.wait_for(timeout=60_000)
        path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        got = api(page, hub, user, f"contents/{path}")
        assert got["status"] == 200, got
        fetched = nbformat.from_dict(json.loads(got["text"])["content"])
        answers = {"softmax": BOB_SOFTMAX} if user == BOB else {}
        answered = demo.student_notebook(str(hub.home / "course"), ASSIGNMENT, answers)
        assert [c.source for c in fetched.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")], \
            "the fetched notebook has no answer cells"
        put = api(page, hub, user, f"contents/{path}", "PUT", {"type": "notebook", "format": "json",
                                                                "content": answered})
        assert put["status"] == 200, put
        page.locator("#fetched_assignments_list button", has_text="Submit").first.click()
        page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=60_000)
        page.screenshot(path=artifacts / f"hub-2-{user}-submitted.png")
        students[user] = page

    # 3. The TA grades the exchange's submissions and releases the feedback.
    inbound = hub.home / "exchange" / "coursekit" / "inbound"
    graded = hub.as_user(TA, "coursekit", "grade", ASSIGNMENT, str(inbound), "--course-dir", f"/home/{TA}/course",
                         "--release-feedback", "--no-progress")  # README "Run a class", step 5
    print(graded.stdout[-2000:])
    # not root, yet sandboxed: bubblewrap's allow-list view in a user namespace of the TA's own
    assert "active: allow-list file view" in graded.stdout, graded.stdout
    with open(hub.home / "course" / "reports" / ASSIGNMENT / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    by_student = {r["student_id"]: r for r in rows if r.get("assignment", ASSIGNMENT) == ASSIGNMENT}
    assert set(by_student) == {ALICE, BOB}, rows
    assert float(by_student[ALICE]["score"]) > float(by_student[BOB]["score"]), rows

    # 4. Each student fetches their own feedback in the Assignments tab.
    texts = {}
    for user, page in students.items():
        page.reload()
        page.wait_for_selector(".jp-LabShell", timeout=120_000)
        open_assignment_list(page)
        page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").first.click()
        for _ in range(120):  # nbgrader's fetch_feedback writes ~/<assignment>/feedback/<submission time>/
            listing = api(page, hub, user, f"contents/{ASSIGNMENT}/feedback")
            if listing["status"] == 200 and json.loads(listing["text"])["content"]:
                break
            time.sleep(0.5)
        assert listing["status"] == 200, f"no feedback arrived for {user}: {listing}"
        page.screenshot(path=artifacts / f"hub-3-{user}-feedback-fetched.png")
        stamps = [d["name"] for d in json.loads(listing["text"])["content"]]
        assert len(stamps) == 1, stamps
        got = api(page, hub, user, f"contents/{ASSIGNMENT}/feedback/{stamps[0]}/{ASSIGNMENT}.html")
        assert got["status"] == 200, got
        texts[user] = json.loads(got["text"])["content"]
        page.goto(f"{hub.url}/user/{user}/files/{ASSIGNMENT}/feedback/{stamps[0]}/{ASSIGNMENT}.html")
        page.screenshot(path=artifacts / f"hub-4-{user}-feedback.png", full_page=False)
    assert OVERFLOW in texts[BOB], "bob's feedback does not name his softmax mistake"
    assert OVERFLOW not in texts[ALICE], "alice's feedback names a mistake she did not make"
    hidden = demo.hidden_test_lines(str(hub.home / "course"), ASSIGNMENT)
    for user, text in texts.items():
        assert "HIDDEN TESTS" not in text, user
        leaked = [line for line in hidden if html.escape(line) in text]
        assert not leaked, f"{user}'s feedback shows hidden-test lines: {leaked[:3]}"

    # 5. What bob cannot reach.
    bob = students[BOB]
    for url in (f"/user/{ALICE}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                f"/user/{ALICE}/files/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                f"/user/{ALICE}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"):
        response = bob.goto(hub.url + url)
        body = bob.content()
        print(f"bob -> {url}: HTTP {response.status} at {bob.url.replace(hub.url, '')}")
        # the hub refuses bob an OAuth token for alice's server (pages), alice's server refuses his (API)
        assert response.status == 403, f"bob opened {url}: {response.status} at {bob.url}"
        assert '"cells"' not in body and "def softmax" not in body, f"bob saw alice's notebook at {url}"
    bob.screenshot(path=artifacts / "hub-5-bob-refused.png")
    assert bob.goto(f"{hub.url}/user/{BOB}/formgrader").status == 404, "a student's server has the Formgrader"
    for path in (f"/home/{ALICE}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", str(inbound),
                 str(hub.home / "course" / "gradebook.db"), str(hub.home / "course" / "source"),
                 str(hub.home / "exchange" / "coursekit" / "feedback")):
        done = hub.as_user(BOB, "ls", "-la", path, check=False)
        assert done.returncode != 0 and "Permission denied" in done.stderr, f"bob could list {path}: {done.stdout}"
    print(f"class round trip in the browser: {time.monotonic() - t_start:.0f} s")
