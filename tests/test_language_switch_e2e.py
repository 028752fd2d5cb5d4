"""Switching the language in a real browser keeps the page as it was (issue 23
point 12): the search, "Urgent only" and the Show radio survive the switch, the
choice is in the address (?lang=pt-BR), and a reload stays in it instead of
falling back to $REPLYWATCH_LANGUAGE."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.dashboard_seed import seed
from tests.e2e_support import CHROMIUM, CHROMIUM_ARGS, E2E, served_dashboard, settled

pytestmark = E2E


def _radio(page) -> list[tuple[bool, str]]:
    return page.locator('[data-testid="stRadio"] input[type=radio]').evaluate_all(
        "(els) => els.map((e) => [e.checked, e.closest('label').innerText])"
    )


def test_a_switch_keeps_filters_and_the_address_keeps_the_language(tmp_path):
    from playwright.sync_api import sync_playwright

    path = tmp_path / "switch.db"
    seed(path, now=datetime.now(UTC))
    with served_dashboard(path, language="en") as base:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/")
            page.get_by_role("heading", name="Triage").first.wait_for()
            settled(page)
            page.get_by_label("Search text or author").fill("refund")
            page.keyboard.press("Enter")
            settled(page)
            page.get_by_text("Urgent only").click()
            settled(page)
            page.get_by_text("Probably resolved").first.click()
            settled(page)
            assert _radio(page) == [[False, "Waiting"], [True, "Probably resolved"]]
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Language").click()
            page.get_by_role("option", name="Português (Brasil)").click()
            page.get_by_role("heading", name="Triagem").first.wait_for()
            settled(page)
            assert page.url.endswith("?lang=pt-BR")
            assert page.get_by_label("Pesquisar texto ou autor").input_value() == "refund"
            urgent = page.locator('[data-testid="stCheckbox"]').filter(has_text="Só urgentes")
            assert urgent.locator("input").is_checked()
            assert _radio(page) == [[False, "Esperando"], [True, "Provavelmente resolvidas"]]
            # Streamlit's "set via Session State and default" warning must not show.
            assert "Session State" not in page.locator('[data-testid="stMain"]').inner_text()
            page.reload()
            page.get_by_role("heading", name="Triagem").first.wait_for()
            browser.close()
