"""End to end in a real browser: the "probably resolved" view (a thank-you after a reply
is not in the waiting queue; one click closes it), and typing 542 selects #542 only
(never #5420..#5429, never a "Select N matches")."""

from __future__ import annotations

import pytest

from tests.e2e_support import (
    E2E,
    open_page,
    select_conversation,
    served_dashboard,
    settled,
    status_of,
)
from tests.test_triage_resolved_page import seed_resolved
from tests.test_triage_selection_page import seed_ids

pytestmark = E2E


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-resolved") / "resolved.db"
    conv = seed_resolved(path)
    with served_dashboard(path) as base:
        yield base, path, conv


def test_probably_resolved_view_and_one_click_close(server, page):
    base, path, conv = server
    open_page(page, base, "triage")
    page.get_by_text("6 conversation(s) match").wait_for()  # the thank-you is not waiting
    page.get_by_text("Probably resolved", exact=True).click()
    settled(page)
    page.get_by_text("1 conversation(s) match").wait_for()
    page.get_by_text("thank-you or 'solved' after a reply").first.wait_for()
    select_conversation(page, conv["thanks"])
    page.get_by_role("button", name="Close", exact=True).click()
    page.get_by_text("1 conversation(s) marked closed").wait_for()
    assert status_of(path, conv["thanks"]) == "closed"


@pytest.fixture(scope="module")
def ids_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-ids") / "ids.db"
    seed_ids(path)
    with served_dashboard(path) as base:
        yield base


def test_typing_542_selects_only_542_and_nothing_offers_select_all(ids_server, page):
    open_page(page, ids_server, "triage")
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Selected conversations")
    adder = page.get_by_role("textbox", name="Add conversation #")
    adder.fill("542")
    adder.press("Enter")
    settled(page)
    page.get_by_text("Conversation #542 selected (1 in all).").wait_for()
    assert _chips(box) == ["#542"]
    # The box itself lists each conversation once, with no "Select all" row, and
    # typing in it filters nothing (so it cannot offer #5420.. for "542").
    box.locator("input").click()
    page.keyboard.type("542")
    page.wait_for_timeout(300)
    options = [o.inner_text() for o in page.get_by_role("option").all()]
    assert sorted(o.split()[0] for o in options) == sorted(f"#{i}" for i in range(5420, 5430))
    assert not any("Select" in o for o in options), options
    page.keyboard.press("Escape")
    # An id that is not listed adds nothing.
    adder.fill("543")
    adder.press("Enter")
    settled(page)
    page.get_by_text("No conversation #543 in this list").wait_for()
    assert _chips(box) == ["#542"]


def _chips(box) -> list[str]:
    """The ids of the selected conversations, as the box shows them."""
    return [
        c.get_attribute("aria-label").split()[0]
        for c in box.locator(".react-aria-ComboBox [data-tag]").all()
    ]
