"""Dashboard speed as ratios to a one-line Streamlit page, and its memory
with 5 sessions against 1 (issue 26), in one run.

Three servers are started the way ``replywatch dashboard`` starts them
(``python -m streamlit run`` with the launcher's flags): a one-line page
(``st.button`` + ``st.write``; the peer), the dashboard on the demo store
(``replywatch demo``'s seeded history) and the dashboard on a large store
(built by ``benchmarks/dashboard_bench.py``; ``--messages``). In Debian's
chromium through Playwright it measures, per server:

- **first render**: request to rendered (the Triage queue table drawn, or the
  peer's text; script run finished) for the very first visit (cold server)
  and for new sessions (new browser context: median of ``--runs``);
- **action redraw**: a click to the redrawn result, script run finished
  (median over the sessions): the peer's button rerun; on Triage, selecting a
  conversation by its #, "Mark replied" and "Reopen", "Assign", "Add tag"
  (each waits for its own confirmation message);
- **memory**: the server's peak RSS (VmHWM) with one session open, then
  with 5 sessions open at once.

Then the ratios of the same run. Targets: first render <= 1.6x the peer's,
each action <= 1.5x the peer's rerun, peak RSS with 5 sessions <= 1.5x one.
Figures are printed, never asserted; docs/performance.md records runs.

    python benchmarks/dashboard_ratios.py --messages 200000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dashboard_bench import CHROMIUM_ARGS, build, free_port, peak_rss_mb  # noqa: E402
from replywatch.dashboard_launcher import run_dashboard  # noqa: E402
from replywatch.store.db import DB_ENV_VAR, open_database  # noqa: E402
from replywatch.store.triage import QueueFilter, queue  # noqa: E402

PEER = 'import time, streamlit as st; st.button("Rerun"); st.write(f"run {time.time_ns()}")\n'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TABLE = '[data-testid="stDataFrame"] canvas'


def _wait_healthy(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _peer_server(port: int) -> subprocess.Popen:
    script = Path(tempfile.mkdtemp()) / "one_line.py"
    script.write_text(PEER, encoding="utf-8")
    flags = ["--server.headless", "true", "--server.port", str(port)]
    flags += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), *flags],
        env={k: v for k, v in os.environ.items() if k != DB_ENV_VAR},
    )


def _settled(page) -> None:
    page.wait_for_selector(IDLE)
    page.wait_for_timeout(100)
    page.wait_for_selector(IDLE)


def _open(browser, base: str, rendered: str):
    """A new context and page on ``base``; (seconds to rendered, context, page)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(180_000)
    started = time.perf_counter()
    page.goto(base + "/")
    page.wait_for_selector(rendered)
    _settled(page)
    return time.perf_counter() - started, context, page


def _timed_click(page, click, done) -> float:
    started = time.perf_counter()
    click()
    done()
    _settled(page)
    return time.perf_counter() - started


MARKDOWN = '[data-testid="stMarkdownContainer"]'


def _peer_rerun(page) -> float:
    text = page.locator(MARKDOWN).last.inner_text()
    return _timed_click(
        page,
        lambda: page.get_by_role("button", name="Rerun").click(),
        lambda: page.wait_for_function(
            "([sel, t]) => { const all = document.querySelectorAll(sel);"
            " return all.length && all[all.length - 1].innerText !== t; }",
            arg=[MARKDOWN, text],
        ),
    )


def _triage_actions(page, conversation_id: int) -> dict[str, float]:
    """One of each triage action on ``conversation_id``; seconds each."""
    times = {}
    add = page.get_by_role("textbox", name="Add conversation #")

    def select() -> None:
        add.fill(str(conversation_id))
        add.press("Enter")

    times["select"] = _timed_click(
        page, select, lambda: page.get_by_text(f"#{conversation_id} @").first.wait_for()
    )
    for name, button, message in (
        ("mark replied", "Mark replied", "1 conversation(s) marked replied"),
        ("reopen", "Reopen", "1 conversation(s) marked open"),
    ):
        times[name] = _timed_click(
            page,
            lambda button=button: page.get_by_role("button", name=button).click(),
            lambda message=message: page.get_by_text(message).first.wait_for(),
        )
    for name, field, value, button, message in (
        ("assign", "Assign to", f"b{time.time_ns() % 10**6}", "Assign", "assigned to b"),
        ("tag", "Tag", f"t{time.time_ns() % 10**6}", "Add tag", "tag added to 1"),
    ):
        page.get_by_role("textbox", name=field).fill(value)
        page.get_by_role("textbox", name=field).press("Tab")
        _settled(page)
        times[name] = _timed_click(
            page,
            lambda button=button: page.get_by_role("button", name=button, exact=True).click(),
            lambda message=message: page.get_by_text(message).first.wait_for(),
        )
    return times


def measure(base: str, process, browser, runs: int, rendered: str, actions) -> dict:
    """First render (cold, then new sessions), actions and memory of one server."""
    _wait_healthy(base, process)
    visits, samples = [], {}
    rss_one = 0.0
    # Each round is a new session (new browser context): its first render,
    # then one of each action in it.
    for _ in range(runs + 1):
        seconds, context, page = _open(browser, base, rendered)
        visits.append(seconds)
        for name, action_seconds in actions(page).items():
            samples.setdefault(name, []).append(action_seconds)
        rss_one = rss_one or peak_rss_mb(process.pid)  # after the first session's round
        context.close()
    cold, fresh = visits[0], visits[1:]
    opened = [_open(browser, base, rendered) for _ in range(5)]
    rss_five = peak_rss_mb(process.pid)
    for _, context, _page in opened:
        context.close()
    return {
        "first_visit_s": round(cold, 3),
        "new_session_s": round(statistics.median(fresh), 3),
        "actions_s": {k: round(statistics.median(v), 3) for k, v in samples.items()},
        "peak_rss_1_session_mb": round(rss_one, 1),
        "peak_rss_5_sessions_mb": round(rss_five, 1),
    }


def _stores(messages: int) -> dict[str, tuple[Path, int]]:
    """The demo store and the large store, with a waiting conversation of each."""
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import seed_demo

    demo = Path(tempfile.mkdtemp()) / "demo.db"
    seed_demo(open_database(demo), DemoFeed(seed=42, platforms=ALL_PLATFORMS), days=14, seed=42)
    large = REPO_ROOT / "benchmarks" / "out" / f"dashboard_{messages}.db"
    large.parent.mkdir(parents=True, exist_ok=True)
    if not large.exists():
        build(large, messages)
    out = {}
    for name, path in (("demo", demo), ("large", large)):
        db = open_database(path)
        out[name] = (path, queue(db, QueueFilter(), limit=1)[0]["id"])
        db.close()
    return out


def _ratios(peer: dict, stores: dict) -> dict:
    rerun = peer["actions_s"]["rerun"]
    out = {}
    for name, result in stores.items():
        out[name] = {
            "first_visit / peer": round(result["first_visit_s"] / peer["first_visit_s"], 2),
            "new_session / peer": round(result["new_session_s"] / peer["new_session_s"], 2),
            **{
                f"{action} / peer rerun": round(seconds / rerun, 2)
                for action, seconds in result["actions_s"].items()
            },
            "peak RSS 5 sessions / 1": round(
                result["peak_rss_5_sessions_mb"] / result["peak_rss_1_session_mb"], 2
            ),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    stores = _stores(args.messages)
    load = os.getloadavg()[0]
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        servers = [("peer", None, None), *((n, p, c) for n, (p, c) in stores.items())]
        for name, path, conversation in servers:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            if path is None:
                process = _peer_server(port)
                rendered, actions = MARKDOWN, lambda page: {"rerun": _peer_rerun(page)}
            else:
                process = run_dashboard(path, port=port)
                rendered = TABLE
                actions = lambda page, c=conversation: _triage_actions(page, c)  # noqa: E731
            try:
                results[name] = measure(base, process, browser, args.runs, rendered, actions)
            finally:
                process.terminate()
                process.wait(timeout=30)
        browser.close()
    print(
        json.dumps(
            {
                "load_average": {"before": round(load, 2), "after": round(os.getloadavg()[0], 2)},
                "large_store_messages": args.messages,
                **results,
                "ratios": _ratios(results["peer"], {k: results[k] for k in stores}),
                "targets": {
                    "first render / peer": 1.6,
                    "action / peer rerun": 1.5,
                    "peak RSS 5 / 1": 1.5,
                },
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
