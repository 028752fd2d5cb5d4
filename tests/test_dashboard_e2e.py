"""End to end: a real `streamlit run` server (started by the same launcher as
`replywatch dashboard`) driven by Playwright in Debian's chromium."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.dashboard_seed import seed
from tests.e2e_support import (
    ARTIFACTS,
    E2E,
    PAGES,
    open_page,
    select_conversation,
    served_dashboard,
    settled,
    status_of,
)

pytestmark = E2E


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    facts = seed(path, now=datetime.now(UTC))
    with served_dashboard(path) as base:
        yield base, path, facts["conversation"]


def test_mark_replied_in_the_browser_survives_a_reload(server, page):
    base, path, conv = server
    target = conv["8"]
    open_page(page, base, "triage")
    assert page.get_by_text("3 conversation(s) match").count() == 1
    select_conversation(page, target)
    page.get_by_role("button", name="Mark replied").click()
    page.get_by_text("1 conversation(s) marked replied").wait_for()
    assert status_of(path, target) == "replied"
    page.reload()
    page.get_by_role("heading", name="Triage").first.wait_for()
    settled(page)
    page.get_by_text("2 conversation(s) match").wait_for()
    assert status_of(path, target) == "replied"


def test_hostile_tweet_renders_as_inert_text(server, page):
    base, _, conv = server
    open_page(page, base, "triage")
    select_conversation(page, conv["7"])  # opens the detail panel with st.text
    shown = page.locator('[data-testid="stText"]').filter(has_text="<script>alert(1)</script>")
    shown.first.wait_for()
    text = shown.first.inner_text()
    assert "[click](javascript:alert(1))" in text and "![x](http://evil/x.png)" in text
    injected = page.evaluate("""() => ({
        scripts: [...document.querySelectorAll('script')]
                 .filter(s => (s.textContent || '').includes('alert(')).length,
        jsLinks: [...document.querySelectorAll('a[href]')]
                 .filter(a => a.getAttribute('href').trim().toLowerCase()
                              .startsWith('javascript:')).length,
        evilImages: [...document.querySelectorAll('img')]
                 .filter(i => (i.getAttribute('src') || '').includes('evil')).length,
    })""")
    assert injected == {"scripts": 0, "jsLinks": 0, "evilImages": 0}
    page.screenshot(path=str(ARTIFACTS / "triage-detail.png"), full_page=True)


def test_every_page_renders_and_sentiment_has_a_plotly_chart(server, page):
    base, _, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    for path in PAGES:
        open_page(page, base, path)
        assert page.locator('[data-testid="stException"]').count() == 0, path
        if path == "sentiment":
            page.locator(".js-plotly-plot").first.wait_for()
            assert page.locator(".js-plotly-plot").count() >= 2
        if path == "triage":
            page.get_by_role("button", name="Mark replied").wait_for()
        # Lazily loaded widgets (the grid, buttons) draw after the script run.
        # (A grid inside a collapsed expander, such as Sentiment's "Words in
        # complaints", is drawn only when opened.)
        for grid in page.locator('[data-testid="stDataFrame"]').all():
            if grid.is_visible():
                grid.locator("canvas").first.wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)


def _toolbar_labels(page, grid) -> list[str]:
    """The action buttons the grid's hover toolbar offers."""
    grid.hover()
    page.wait_for_timeout(400)
    buttons = page.locator('[data-testid="stElementToolbarButton"] button')
    return [(b.get_attribute("aria-label") or "").strip() for b in buttons.all()]


def test_tables_offer_only_the_neutralised_csv_download(server, page):
    """Issue 18.1: the grid toolbar's own CSV download wrote customer text raw
    ("@acme ...", "=cmd|...") around the formula neutralising; it is switched off
    and the page's own download neutralises every formula-led cell."""
    base, _, conv = server
    open_page(page, base, "triage")
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator("canvas").first.wait_for()
    labels = _toolbar_labels(page, grid)
    assert labels, "the grid toolbar did not show"
    assert not [label for label in labels if "download" in label.lower()], labels
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").first.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    # (another test may have marked one conversation replied already)
    assert "'@acme love it, thanks" in text and "'@acme <script>alert(1)</script>" in text
    import csv
    import io
    import re

    plain_number = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)")  # read as a number, not run
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if not plain_number.fullmatch(cell):
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_another_sites_host_name_is_refused_without_sign_in(server, page):
    """Issue 18.3 (DNS rebinding): a browser that resolves another site's name to
    127.0.0.1 sends that name as Host and Origin; with no sign-in the dashboard
    must not stream the queue to it. localhost still works."""
    base, _, _ = server
    port = base.rsplit(":", 1)[1]
    page.goto(f"http://rebind.example:{port}/")
    page.get_by_text("only answers requests for localhost").wait_for()
    settled(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.get_by_text("conversation(s) match").count() == 0
    page.goto(f"http://localhost:{port}/")
    page.get_by_text("conversation(s) match").wait_for()
