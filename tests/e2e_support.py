"""What the end-to-end tests share: Debian's chromium, a real `streamlit run`
server started by the same launcher as `replywatch dashboard`, and the page
helpers. The browser fixtures (``browser``, ``page``, ``browser_locale``)
are in tests/conftest.py; a module sets ``pytestmark = E2E``."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from replywatch.dashboard_launcher import run_dashboard
from replywatch.store.db import open_database

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # DNS rebinding, simulated: another site's name that resolves to this machine.
    "--host-resolver-rules=MAP rebind.example 127.0.0.1",
]
SKIP_WITHOUT_CHROMIUM = (
    "END-TO-END TESTS SKIPPED: Debian chromium is not installed "
    "(apt-get install -y chromium); CI installs it."
)
#: ``pytestmark`` of an end-to-end module: marked e2e, skipped without chromium.
E2E = [pytest.mark.e2e, pytest.mark.skipif(CHROMIUM is None, reason=SKIP_WITHOUT_CHROMIUM)]
#: url_path -> heading of each page in English.
PAGES = {
    "triage": "Triage",
    "response-times": "Response times",
    "sentiment": "Sentiment",
    "benchmarks": "Benchmarks & export",
    "sources": "Sources",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@contextmanager
def served_dashboard(path: Path, **options: Any) -> Iterator[str]:
    """Serve the dashboard on ``path`` (``run_dashboard`` options, e.g.
    ``language``) on a free port until the block ends; yields its base URL."""
    port = free_port()
    process = run_dashboard(path, port=port, **options)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except Exception:
            process.kill()


def settled(page) -> None:
    """Wait until the script run has finished and nothing is pending."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def open_page(page, base: str, path: str) -> None:
    # The default page (Triage) lives at "/", not at its url_path.
    page.goto(f"{base}/" if path == "triage" else f"{base}/{path}")
    page.get_by_role("heading", name=PAGES[path]).first.wait_for()
    settled(page)


def select_conversation(page, conversation_id: int) -> None:
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Selected conversations")
    box.locator("input").click()
    page.get_by_role("option", name=f"#{conversation_id} ").click()
    page.keyboard.press("Escape")
    settled(page)


def status_of(path: Path, conversation_id: int) -> str:
    db = open_database(path)
    try:
        return db.execute(
            "SELECT status FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()[0]
    finally:
        db.close()
