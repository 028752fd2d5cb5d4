"""The dashboard on collected Facebook / Instagram data (AppTest, real
SQLite): the Sources page shows each Meta source's health and API usage, a
revoked token as "re-authorise"; the Response times page shows Facebook's
"Very responsive to messages" rule per page beside the public badge."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.store.db import DB_ENV_VAR, open_database
from tests.collectors_support import FakeTime
from tests.meta_recordings import IG, Reply, build_story, graph_error
from tests.test_meta_collect import run

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


@pytest.fixture
def collected(tmp_path, monkeypatch):
    path = tmp_path / "meta.db"
    db = open_database(path)
    story = build_story()
    story.fake.routes[(f"{IG}/media", None, None)][0].headers["X-App-Usage"] = (
        '{"call_count": 42, "total_time": 10, "total_cputime": 5}'
    )
    run(db, FakeTime(), story)
    revoked = build_story()
    not_authorised = graph_error(190, "The user has not authorized application.", 458)
    revoked.fake.prepend(f"{IG}/tags", Reply(not_authorised, 400))
    run(db, FakeTime(), revoked, only="instagram:acme:mentions")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path


def _page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    at.switch_page(name).run()
    assert not at.exception, at.exception
    return at


def test_sources_page_shows_meta_health_and_usage(collected):
    frames = _page("views/sources.py").dataframe  # [0] is the Channels table
    health = next(d.value for d in frames if "source" in d.value.columns).set_index("source")
    assert health.loc["instagram:acme:comments", "API usage"] == pytest.approx(0.42)
    assert health.loc["facebook:acme:messenger", "state"] == "ok"
    assert health.loc["instagram:acme:mentions", "state"] == "re-authorise"
    assert "re-authorise" in health.loc["instagram:acme:mentions", "last error"]


def test_response_times_page_shows_the_messenger_badge(collected):
    at = _page("views/response_times.py")
    assert any("Very responsive" in s.value for s in at.subheader)
    table = next(d.value for d in at.dataframe if "how far" in d.value.columns).set_index("page")
    # Pages are named by their brand's name ("Acme"), not its key (issue 23 point 10).
    table = table.rename(index={"Acme": "acme"})
    # Messenger in the recordings: Rui (answered in 25 min), Sofia (waiting),
    # Léo (two days ago, answered in 12 min): 2 of 3, too slow on average.
    assert table.loc["acme", "badge"] == "no"
    assert table.loc["acme", "new messages"] == 3
    assert table.loc["acme", "answered"] == 2
    assert table.loc["acme", "response rate"] == "67%"
    assert "answer the next 7 new message(s)" in table.loc["acme", "how far"]
