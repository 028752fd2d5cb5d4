"""Shared fixtures: temp databases and the third-party data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from replywatch.store.db import open_database

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The read-only third-party data folder; fails loudly if it is missing."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"third-party data folder not found at {SHARED_DATA} (../shared/data)")
    return SHARED_DATA


@pytest.fixture
def twcs_slice(shared_data: Path) -> Path:
    """The real 5,000-row slice of the Customer Support on Twitter dataset."""
    path = shared_data / "twcs" / "twcs_head5000.csv"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Path of a fresh database file in a temp folder."""
    return tmp_path / "replywatch.db"


@pytest.fixture
def db(db_path: Path):
    """A fresh, migrated database in a real temp file."""
    database = open_database(db_path)
    yield database
    database.close()


@pytest.fixture(scope="session")
def sentiment_data() -> Path:
    """Folder with the real labelled sentiment sets; fails (not skips) if missing."""
    path = SHARED_DATA / "sentiment"
    if not path.is_dir():
        pytest.fail(f"missing {path}: these tests check against real data")
    return path


# --- end-to-end browser (tests/e2e_support.py has the server and page helpers) ---


@pytest.fixture
def browser_locale() -> str | None:
    """The browser's language of the ``page`` fixture (a module overrides it)."""
    return None


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    from tests.e2e_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, browser_locale):
    """A fresh browser context and page (1500x1100, 30 s timeouts)."""
    options = {"locale": browser_locale} if browser_locale else {}
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, **options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
