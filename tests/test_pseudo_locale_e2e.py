"""The pseudo-locale check in a real browser (issue 23): a `streamlit run`
server in REPLYWATCH_LANGUAGE=qps-ploc on a demo database, each page read by
Playwright in Debian's chromium (what AppTest cannot see: text Streamlit's own
frontend draws, such as a multiselect's "Select all"), and the same rules as
tests/test_pseudo_locale.py. Grids are canvas: their cells are checked there."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from replywatch import i18n
from tests.e2e_support import CHROMIUM, CHROMIUM_ARGS, E2E, served_dashboard, settled
from tests.pseudo_locale import HOW_TO_FIX, check, data_words

pytestmark = E2E

# The visible text of an element, Material icons left out (their names are
# font ligatures: "inbox", "keyboard_arrow_right").
TEXT_JS = """(node) => {
    const copy = node.cloneNode(true);
    document.body.appendChild(copy);
    copy.querySelectorAll('span, i, div').forEach((element) => {
        if (getComputedStyle(element).fontFamily.includes('Material Symbols')) element.remove();
    });
    const text = copy.innerText;
    copy.remove();
    return text;
}"""
PAGES = ["triage", "response-times", "sentiment", "benchmarks", "sources", "admin"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import seed_demo
    from replywatch.store.db import open_database

    path = tmp_path_factory.mktemp("pseudo-e2e") / "demo.db"
    db = open_database(path)
    seed_demo(db, DemoFeed(platforms=ALL_PLATFORMS), days=7, seed=42, now=datetime.now(UTC))
    db.close()
    with served_dashboard(path, language=i18n.PSEUDO_LANGUAGE) as base:
        yield base, data_words(path)


def test_every_page_in_the_browser_is_marked(server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    base, data = server
    findings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(30_000)
        for path in PAGES:
            page.goto(f"{base}/" if path == "triage" else f"{base}/{path}")
            page.locator("h1", has_text=i18n.PSEUDO_OPEN).first.wait_for()
            settled(page)
            texts = [
                page.locator(f'[data-testid="{area}"]').evaluate(TEXT_JS)
                for area in ("stMain", "stSidebar")
            ]
            # A multiselect's own list ("Select all") opens only when clicked.
            box = page.locator('[data-testid="stMultiSelect"]').first
            if box.count():
                box.locator("input").click()
                listbox = page.get_by_role("listbox").first
                try:
                    listbox.wait_for(timeout=5_000)
                    texts.append(listbox.evaluate(TEXT_JS))
                except PlaywrightTimeout:
                    pass  # no options to list (nothing to select on this page)
                page.keyboard.press("Escape")
            strings = [line for text in texts for line in text.splitlines() if line.strip()]
            strings = [s for s in strings if s not in {*i18n.LANGUAGES.values(), "qps-ploc"}]
            findings += check(f"/{path}", strings, data)
        browser.close()
    assert not findings, HOW_TO_FIX + "\n" + "\n".join(sorted({str(f) for f in findings}))
