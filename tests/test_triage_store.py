"""store.triage: queue order and filters, search, actions with audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from replywatch import pipeline
from replywatch.collectors.base import Message
from replywatch.pipeline import ingest, set_status
from replywatch.store import triage
from replywatch.store.db import open_database
from replywatch.store.triage import QueueFilter
from tests.dashboard_seed import seed

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def seeded(tmp_path):
    path = tmp_path / "seeded.db"
    facts = seed(path, now=NOW)
    db = open_database(path)
    yield db, facts["conversation"]
    db.close()


def _ids(rows):
    return [r["id"] for r in rows]


def test_queue_puts_urgent_first_then_longest_waiting(seeded):
    db, conv = seeded
    rows = triage.queue(db, QueueFilter(), now=int(NOW.timestamp()))
    # evil tweet (urgent), then dan (waiting since -2h30), then eve (-30 min).
    assert _ids(rows) == [conv["7"], conv["8"], conv["9"]]
    first = rows[0]
    assert first["urgent"] is True and first["urgency"] == 90
    assert first["reasons"] == ["late order", "<b>bold</b>"]
    assert first["language"] == "en" and first["label"] == "negative"
    assert first["waiting_seconds"] == 3 * 3600
    assert rows[1]["waiting_seconds"] == 3 * 3600 - 30 * 60
    assert triage.queue_count(db, QueueFilter()) == 3


def test_filters_narrow_the_queue(seeded):
    db, conv = seeded
    assert _ids(triage.queue(db, QueueFilter(brand="globex"))) == [conv["8"]]
    assert _ids(triage.queue(db, QueueFilter(urgent_only=True))) == [conv["7"]]
    assert triage.queue(db, QueueFilter(language="pt")) == []
    assert triage.queue(db, QueueFilter(channel="private")) == []
    replied = triage.queue(db, QueueFilter(statuses=("replied",)))
    assert sorted(_ids(replied)) == sorted({conv["1"], conv["3"], conv["5"]})
    assert _ids(triage.queue(db, QueueFilter(statuses=("replied",), language="pt"))) == [conv["3"]]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("refund", ["8"]),
        ("refund OR love", ["8", "9"]),  # valid FTS5 syntax is used as such
        ("lov*", ["9"]),
        ('"where is', ["8"]),  # unterminated string: searched literally
        ("refund:", ["8"]),  # column-filter syntax error: literal
        ("NEAR(", []),
        ("<script>", ["7"]),
        ("mallory", ["7"]),  # author handle is indexed too
        ("(((", []),
    ],
)
def test_search_uses_fts_and_falls_back_to_literal(seeded, query, expected):
    db, conv = seeded
    rows = triage.queue(db, QueueFilter(search=query))
    assert sorted(_ids(rows)) == sorted(conv[e] for e in expected)
    assert triage.queue_count(db, QueueFilter(search=query)) == len(expected)


def test_search_ignores_accents(seeded):
    db, conv = seeded
    rows = triage.queue(db, QueueFilter(search="cobranca", statuses=("replied",)))
    assert _ids(rows) == [conv["3"]]


def _audit(db, conversation_id):
    return [
        (a, actor, json.loads(d))
        for a, actor, d in db.execute(
            "SELECT action, actor, detail FROM audit_log WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
    ]


def test_mark_replied_is_stored_audited_and_leaves_the_queue(seeded):
    db, conv = seeded
    target = conv["8"]
    before = int(NOW.timestamp())
    assert set_status(db, [target], "replied", actor="ana", now=before) == 1
    status, changed_at, needs = db.execute(
        "SELECT status, status_changed_at, needs_response FROM conversations WHERE id = ?",
        (target,),
    ).fetchone()
    assert (status, changed_at) == ("replied", before)
    assert target not in _ids(triage.queue(db, QueueFilter()))
    assert _audit(db, target) == [
        ("status", "ana", {"from": "new", "to": "replied", "result": "replied"})
    ]
    # Setting the same status again changes nothing and logs nothing.
    assert set_status(db, [target], "replied", actor="ana", now=before) == 0
    assert len(_audit(db, target)) == 1


def test_customer_writing_after_a_manual_status_reopens_it(seeded):
    db, conv = seeded
    target = conv["8"]
    set_status(db, [target], "closed", actor="ana", now=int(NOW.timestamp()))
    later = Message(
        platform="x",
        external_id="8b",
        created_at=NOW + timedelta(minutes=5),
        text="@globex hello??",
        direction="inbound",
        kind="reply",
        channel="public",
        source="test",
        author_handle="dan",
        in_reply_to_id="8",
    )
    ingest(db, [later], source="test")
    status, reopened = db.execute(
        "SELECT status, reopened_count FROM conversations WHERE id = ?", (target,)
    ).fetchone()
    assert (status, reopened) == ("open", 1)
    assert target in _ids(triage.queue(db, QueueFilter()))


def test_a_recompute_does_not_undo_a_manual_status(seeded):
    db, conv = seeded
    target = conv["7"]
    set_status(db, [target], "spam", actor="ana", now=int(NOW.timestamp()))
    # An unrelated, older customer message arriving late must not reopen it.
    late = Message(
        platform="x",
        external_id="7old",
        created_at=NOW - timedelta(hours=4),
        text="earlier",
        direction="inbound",
        kind="reply",
        channel="public",
        source="test",
        author_handle="mallory",
        in_reply_to_id="7",
    )
    ingest(db, [late], source="test")
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (target,)).fetchone()[0]
        == "spam"
    )
    set_status(db, [target], "open", actor="bo", now=int(NOW.timestamp()) + 1)
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (target,)).fetchone()[0]
        == "open"
    )


def test_bulk_assign_tag_note_are_audited(seeded):
    db, conv = seeded
    ids = [conv["7"], conv["8"]]
    assert triage.assign(db, ids, "  Bia ", actor="ana") == 2
    assert triage.add_tag(db, ids, "refund", actor="ana") == 2
    assert triage.add_tag(db, ids, "refund", actor="ana") == 0  # kept once
    assert triage.add_note(db, ids, "called the courier", actor="ana") == 2
    assert triage.remove_tag(db, [conv["7"]], "refund", actor="ana") == 1
    rows = {r["id"]: r for r in triage.queue(db, QueueFilter())}
    assert rows[conv["7"]]["assignee"] == "Bia" and rows[conv["7"]]["tags"] == []
    assert rows[conv["8"]]["tags"] == ["refund"]
    assert _ids(triage.queue(db, QueueFilter(assignee="Bia"))) == ids
    assert _ids(triage.queue(db, QueueFilter(assignee=triage.UNASSIGNED))) == [conv["9"]]
    actions = [a for a, _, _ in _audit(db, conv["7"])]
    assert actions == ["assign", "tag", "note", "untag"]
    detail = triage.conversation_detail(db, conv["8"])
    assert detail["notes"][0]["text"] == "called the courier"
    assert [m["direction"] for m in detail["messages"]] == ["inbound"]
    assert triage.assign(db, ids, "", actor="ana") == 2  # unassign
    assert triage.assignees(db) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda db, i: set_status(db, [i], "deleted", actor="a"),
        lambda db, i: set_status(db, [], "closed", actor="a"),
        lambda db, i: set_status(db, [999999], "closed", actor="a"),
        lambda db, i: set_status(db, [i], "closed", actor=" "),
        lambda db, i: triage.add_tag(db, [i], "  ", actor="a"),
        lambda db, i: triage.add_tag(db, [i], "x" * 51, actor="a"),
        lambda db, i: triage.add_note(db, [i], "", actor="a"),
        lambda db, i: triage.add_note(db, [i], "x" * 5001, actor="a"),
    ],
)
def test_bad_actions_are_refused_and_change_nothing(seeded, call):
    db, conv = seeded
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    snapshot = db.execute("SELECT * FROM conversations ORDER BY id").fetchall()
    with pytest.raises(ValueError):
        call(db, conv["7"])
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
    assert db.execute("SELECT * FROM conversations ORDER BY id").fetchall() == snapshot


def test_a_failing_recompute_rolls_the_status_change_back(seeded, monkeypatch):
    db, conv = seeded

    def boom(*_args, **_kwargs):
        raise RuntimeError("engine failed")

    monkeypatch.setattr(pipeline, "recompute_conversations", boom)
    with pytest.raises(RuntimeError):
        set_status(db, [conv["7"]], "closed", actor="a")
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (conv["7"],)).fetchone()[0]
        == "new"
    )
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_reopening_a_conversation_the_brand_answered_last_stays_open(seeded):
    db, conv = seeded
    target = conv["1"]  # the brand's reply is the last message
    assert set_status(db, [target], "open", actor="ana") == 1
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (target,)).fetchone()[0]
        == "open"
    )
    assert _audit(db, target) == [
        ("status", "ana", {"from": "replied", "to": "open", "result": "open"})
    ]
    # a later recompute (any new message elsewhere) does not undo the person's choice
    from replywatch.metrics.engine import recompute_conversations
    from replywatch.store.db import transaction

    with transaction(db):
        recompute_conversations(db, [target])
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (target,)).fetchone()[0]
        == "open"
    )


def test_store_status_change_recomputes_through_the_callback_it_is_given(seeded):
    # store/ must not import metrics/: the recompute comes in as a callback,
    # inside the same transaction as the status change.
    db, conv = seeded
    target = conv["7"]
    calls = []

    def recompute(db_, ids):
        calls.append((list(ids), db_.conn.in_transaction))
        return 0

    assert triage.set_status(db, [target], "closed", actor="ana", recompute=recompute) == 1
    assert calls == [([target], True)]


def test_lookups_for_stats_and_admin(seeded):
    from replywatch.store.lookups import brand_details, counts

    db, _ = seeded
    figures = counts(db)
    assert list(figures) == [
        "messages",
        "inbound",
        "outbound",
        "brands",
        "conversations",
        "dead_letters",
    ]
    assert figures["messages"] == figures["inbound"] + figures["outbound"] > 0
    brands = brand_details(db)
    assert [b["key"] for b in brands] == sorted(b["key"] for b in brands)
    assert all(isinstance(b["settings"], dict) for b in brands)


@pytest.mark.parametrize(
    "query", ["\x00 refund", "refund\x00", "\x1b refund", "refund\x00\x00 refund"]
)
def test_search_with_control_characters_still_searches(seeded, query):
    """Issue 18.10: a NUL in the search box raised ``OperationalError:
    unterminated string`` on the page."""
    db, conv = seeded
    assert _ids(triage.queue(db, QueueFilter(search=query))) == [conv["8"]]
    assert triage.queue_count(db, QueueFilter(search=query)) == 1


def test_repeated_prefix_terms_are_searched_once():
    """Issue 18.10: ``a* a* a* ...`` took 8-9 s per query at 1M messages; a
    plain word list keeps each word once, and at most MAX_SEARCH_TERMS words."""
    assert triage.search_text("a* " * 200) == "a*"
    assert triage.search_text(" ".join(f"w{i}" for i in range(40))).split() == [
        f"w{i}" for i in range(triage.MAX_SEARCH_TERMS)
    ]
    assert triage.search_text("refund OR refund") == "refund OR refund"  # syntax kept
    assert triage.search_text("\x00") is None


def test_a_search_past_its_budget_is_stopped_with_a_clear_error(seeded, monkeypatch):
    """Issue 18.10: the cost of a search is bounded: past the budget SQLite is
    interrupted and the page is told to narrow the search (a real interrupt,
    with the budget set to zero and the clock checked every VM step)."""
    db, _ = seeded
    monkeypatch.setattr(triage, "SEARCH_BUDGET_SECONDS", 0.0)
    monkeypatch.setattr(triage, "_BUDGET_CHECK_STEPS", 1)
    with pytest.raises(triage.SearchTooBroad, match="took longer than 0 s"):
        triage.queue(db, QueueFilter(search="refund"))
    # The handler is removed afterwards: the same connection queries normally.
    assert triage.queue_count(db, QueueFilter()) == 3
