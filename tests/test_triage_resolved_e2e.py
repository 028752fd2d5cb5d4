"""End to end in a real browser: the "probably resolved" view (a thank-you after a reply
is not in the waiting queue; one click closes it), and typing an id in "Selected
conversations" offers no "Select N matches"."""

from __future__ import annotations

import pytest

from replywatch.dashboard_launcher import run_dashboard
from tests.test_dashboard_e2e import (  # noqa: F401  (fixtures)
    browser,
    free_port,
    open_page,
    page,
    select_conversation,
    settled,
    status_of,
    wait_healthy,
)
from tests.test_triage_resolved_page import seed_resolved

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-resolved") / "resolved.db"
    conv = seed_resolved(path)
    port = free_port()
    process = run_dashboard(path, port=port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, path, conv
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except Exception:
            process.kill()


def test_probably_resolved_view_and_one_click_close(server, page):  # noqa: F811
    base, path, conv = server
    open_page(page, base, "triage")
    page.get_by_text("6 conversation(s) match").wait_for()  # the thank-you is not waiting
    page.get_by_text("Probably resolved", exact=True).click()
    settled(page)
    page.get_by_text("1 conversation(s) match").wait_for()
    page.get_by_text("thank-you or 'solved' after a reply").first.wait_for()
    select_conversation(page, conv["thanks"])
    page.get_by_role("button", name="Close").click()
    page.get_by_text("1 conversation(s) marked closed").wait_for()
    assert status_of(path, conv["thanks"]) == "closed"


def test_typing_an_id_matches_from_the_start_and_offers_no_select_all(server, page):  # noqa: F811
    base, _path, conv = server
    open_page(page, base, "triage")
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Selected conversations")
    box.locator("input").click()
    target = conv["q3"]
    page.keyboard.type(f"#{target}")
    page.wait_for_timeout(500)
    options = [o.inner_text() for o in page.get_by_role("option").all()]
    assert options and all(o.startswith(f"#{target}") for o in options), options
    assert not any("Select" in o for o in options), options
    page.keyboard.press("Escape")
