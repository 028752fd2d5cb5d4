"""The dashboard in Brazilian Portuguese in a real browser: a `streamlit run`
server started as `replywatch dashboard --language pt-BR` does, driven by
Playwright in Debian's chromium; screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.dashboard_seed import seed
from tests.e2e_support import ARTIFACTS, E2E, served_dashboard, settled

pytestmark = E2E

PAGES = {
    "triage": "Triagem",
    "response-times": "Tempos de resposta",
    "sentiment": "Sentimento",
    "benchmarks": "Benchmarks e exportação",
    "sources": "Fontes",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("e2e-pt") / "e2e.db"
    seed(path, now=datetime.now(UTC))
    with served_dashboard(path, language="pt-BR") as base:
        yield base


@pytest.fixture
def browser_locale() -> str:
    return "pt-BR"


def test_every_page_in_brazilian_portuguese(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    for path, title in PAGES.items():
        page.goto(f"{server}/" if path == "triage" else f"{server}/{path}")
        page.get_by_role("heading", name=title).first.wait_for()
        settled(page)
        # The sidebar can still be drawing when the page's script has settled
        # (seen once under load in CI): wait for it, up to the page timeout.
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Fuso horário").first.wait_for()
        sidebar.get_by_text("Período").first.wait_for()
        body = page.locator('[data-testid="stApp"]').inner_text()
        assert "Fuso horário" in body and "Período" in body  # the sidebar
        assert "Time zone" not in body and "Scope" not in body
        page.screenshot(path=str(ARTIFACTS / f"pt-BR-{path}.png"), full_page=True)
        if path == "triage":
            page.get_by_text("Só urgentes").wait_for()
            assert "Pesquisar texto ou autor" in body
            assert "Triage" not in body.replace("Triagem", "")
        if path == "response-times":
            assert "Mediana da primeira resposta" in body and "Taxa de resposta" in body
            # Babel's pt-BR durations ("1 h 05 min" style), not "1h 05m".
            assert " min" in body or " h" in body


def test_switching_to_english_in_the_browser(server, page):
    page.goto(f"{server}/")
    page.get_by_role("heading", name="Triagem").first.wait_for()
    settled(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    picker = sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Idioma")
    picker.click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("heading", name="Triage").first.wait_for()
    settled(page)
    body = page.locator('[data-testid="stApp"]').inner_text()
    page.get_by_text("Urgent only").wait_for()
    assert "Search text or author" in body and "Pesquisar texto ou autor" not in body
    page.screenshot(path=str(ARTIFACTS / "pt-BR-switched-to-en.png"), full_page=True)


def test_the_browser_language_is_the_default(tmp_path, browser, monkeypatch):
    # No --language and no $REPLYWATCH_LANGUAGE: the browser's language
    # (st.context.locale) decides; a pt-PT browser gets European Portuguese.
    monkeypatch.delenv("REPLYWATCH_LANGUAGE", raising=False)
    path = tmp_path / "browser.db"
    seed(path, now=datetime.now(UTC))
    with served_dashboard(path) as base:
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="pt-PT")
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/")
        page.get_by_role("heading", name="Triagem").first.wait_for()
        settled(page)
        page.get_by_text("À espera", exact=True).first.wait_for()  # pt-PT, not "Esperando"
        page.screenshot(path=str(ARTIFACTS / "pt-PT-from-browser-triage.png"), full_page=True)
        context.close()
