"""The triage page through AppTest on a real store: the "probably resolved" view (a
thank-you after a reply leaves the queue; one click closes or reopens it), the priority
column with its "why this position" text, and confirmation before a bulk action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.collectors.base import Message
from replywatch.pipeline import ingest
from replywatch.store.db import DB_ENV_VAR, open_database

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def _m(ext, minutes_ago, text, *, author, direction="inbound", parent=None):
    return Message(
        platform="x",
        external_id=ext,
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        text=text,
        direction=direction,
        kind="mention",
        channel="public",
        source="test",
        author_handle=author if direction == "inbound" else "acme",
        brand=None if direction == "inbound" else "acme",
        in_reply_to_id=parent,
    )


def seed_resolved(path: Path) -> dict[str, int]:
    """A thank-you after a reply (probably resolved), an urgent complaint and five
    plain questions waiting. Returns conversation ids by name."""
    db = open_database(path)
    messages = [
        _m("t1", 300, "My package never arrived, I want a refund", author="ana"),
        _m("t2", 290, "Resent it today, sorry!", author="acme", direction="outbound", parent="t1"),
        _m("t3", 20, "It just arrived, thank you!", author="ana", parent="t2"),
        _m("c1", 15, "You charged me twice, I will file a chargeback", author="bob"),
    ]
    messages += [
        _m(f"q{i}", 10 + i, f"Do you ship to city number {i}?", author=f"q{i}") for i in range(5)
    ]
    ingest(db, messages, source="test")
    ids = {ext: cid for ext, cid in db.execute("SELECT external_id, conversation_id FROM messages")}
    db.close()
    return {
        "thanks": ids["t1"],
        "complaint": ids["c1"],
        **{f"q{i}": ids[f"q{i}"] for i in range(5)},
    }


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "resolved.db"
    conv = seed_resolved(path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path, conv


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def _queue(at: AppTest):
    return at.dataframe[0].value


def test_queue_has_priority_first_and_why_and_no_thank_you(store):
    _path, conv = store
    at = _app()
    frame = _queue(at)
    assert conv["thanks"] not in set(frame["id"])
    assert list(frame["id"])[0] == conv["complaint"]
    assert list(frame.columns)[:2] == ["id", "priority"]
    top = frame.iloc[0]
    assert top["intent"] == "complaint" and top["urgent"] == "⚠️"
    assert top["why this position"].startswith(f"urgency {top['urgency']} (")
    questions = frame[frame["intent"] == "question"]
    assert len(questions) == 5 and set(questions["urgency"]) == {0}


def test_probably_resolved_view_close_and_reopen_in_one_click(store):
    path, conv = store
    at = _app()
    at.radio(key="tri_view").set_value("probably_resolved").run()
    frame = _queue(at)
    assert list(frame["id"]) == [conv["thanks"]]
    assert frame.iloc[0]["intent"] == "praise/thanks" and frame.iloc[0]["peak"] >= 35
    # Reopen: back to the waiting queue.
    at.multiselect(key="tri_selected").set_value([conv["thanks"]]).run()
    at.button(key="tri_btn_open").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["1 conversation(s) marked open"]
    assert "No conversation is probably resolved" in " ".join(i.value for i in at.info)
    at.radio(key="tri_view").set_value("waiting").run()
    assert conv["thanks"] in set(_queue(at)["id"])
    db = open_database(path)
    assert db.execute(
        "SELECT closing_dismissed_id IS NOT NULL FROM conversations WHERE id = ?",
        (conv["thanks"],),
    ).fetchone() == (1,)
    db.close()


def test_close_from_the_probably_resolved_view(store):
    path, conv = store
    at = _app()
    at.radio(key="tri_view").set_value("probably_resolved").run()
    at.multiselect(key="tri_selected").set_value([conv["thanks"]]).run()
    at.button(key="tri_btn_closed").click().run()
    assert [s.value for s in at.success] == ["1 conversation(s) marked closed"]
    db = open_database(path)
    assert db.execute(
        "SELECT status FROM conversations WHERE id = ?", (conv["thanks"],)
    ).fetchone() == ("closed",)
    db.close()


def test_bulk_action_on_more_than_three_asks_first(store):
    path, conv = store
    questions = [conv[f"q{i}"] for i in range(5)]
    at = _app()
    at.multiselect(key="tri_selected").set_value(questions).run()
    at.button(key="tri_btn_closed").click().run()
    assert "Apply 'mark closed' to 5 conversations?" in " ".join(w.value for w in at.warning)
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM conversations WHERE status = 'closed'").fetchone() == (
        0,
    )
    # Cancel changes nothing; asking again and confirming closes all five.
    at.button(key="tri_cancel").click().run()
    assert [s.value for s in at.success] == ["cancelled: nothing was changed"]
    at.button(key="tri_btn_closed").click().run()
    at.button(key="tri_confirm").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["5 conversation(s) marked closed"]
    assert db.execute("SELECT count(*) FROM conversations WHERE status = 'closed'").fetchone() == (
        5,
    )
    db.close()
