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
