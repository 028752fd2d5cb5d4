"""Shared fixtures. Real data is read from the shared folder next to the repo, never copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """Return the shared data folder: $REPLYWATCH_SHARED_DATA, else <repo>/../shared/data.

    Git worktrees kept one level deeper (…/wt/<branch>) also look in <repo>/../../shared.
    """
    env = os.environ.get("REPLYWATCH_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [
        REPO_ROOT / ".." / "shared" / "data",
        REPO_ROOT / ".." / ".." / "shared" / "data",
    ]
    for path in candidates:
        if (path / "sentiment").is_dir():
            return path.resolve()
    return None


@pytest.fixture(scope="session")
def sentiment_data() -> Path:
    """Folder with the real sentiment datasets; fails (not skips) the test if it is missing."""
    found = shared_data_dir()
    if found is None:
        pytest.fail(
            "shared data folder not found: expected <repo>/../shared/data/sentiment "
            "(or set REPLYWATCH_SHARED_DATA). These tests check against real data and "
            "must not pass silently without it."
        )
    return found / "sentiment"
