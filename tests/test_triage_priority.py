"""Issue 15 on a real store: current urgency (the customer's waiting turn, history kept),
the "probably resolved" view and its one-click close/reopen, the priority order with its
"why this position" text, and the metrics counting probably-resolved apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from replywatch.collectors.base import Message
from replywatch.metrics import kpis
from replywatch.metrics.engine import refresh_score_aggregates
from replywatch.pipeline import ingest, set_status
from replywatch.store import triage
from replywatch.store.db import open_database, transaction
from replywatch.store.triage import QueueFilter
from replywatch.views.priority_text import priority_why

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOW_TS = int(NOW.timestamp())


def _m(ext, at, text, *, direction="inbound", author="ana", parent=None, lang=None):
    return Message(
        platform="x",
        external_id=ext,
        created_at=at,
        text=text,
        direction=direction,
        kind="mention",
        channel="public",
        source="test",
        author_handle=author if direction == "inbound" else "acme",
        brand=None if direction == "inbound" else "acme",
        in_reply_to_id=parent,
        lang=lang,
    )


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "t.db")
    yield database
    database.close()


def _conversation(db, external_id):
    return db.execute(
        "SELECT conversation_id FROM messages WHERE external_id = ?", (external_id,)
    ).fetchone()[0]


def _queue(db, **kw):
    rows = triage.queue(db, QueueFilter(**kw), now=NOW_TS)
    for row in rows:  # worded above the store, as the Triage page does
        row["priority_why"] = priority_why(row, NOW_TS)
    return rows


def test_thank_you_after_a_reply_leaves_the_queue_with_current_urgency_zero(db):
    days_ago = NOW - timedelta(days=3)
    ingest(
        db,
        [
            _m("1", days_ago, "I'm calling my lawyer, I want to cancel, this is a scam"),
            _m(
                "2",
                days_ago + timedelta(minutes=20),
                "Sorry, fixed it",
                direction="outbound",
                parent="1",
            ),
            _m("3", NOW - timedelta(hours=2), "That worked, thanks!", parent="2"),
        ],
        source="t",
    )
    cid = _conversation(db, "1")
    row = db.execute(
        "SELECT status, max_urgency, current_urgency, current_urgent, closing_message_id "
        "FROM conversations WHERE id = ?",
        (cid,),
    ).fetchone()
    # Waiting by the engine's clock (the customer spoke last), but the history keeps the
    # old peak while the current turn is the thank-you.
    assert row[0] == "open" and row[1] >= 80 and row[2] == 0 and row[3] == 0
    assert row[4] is not None
    assert cid not in [r["id"] for r in _queue(db)]
    resolved = _queue(db, view="probably_resolved")
    assert [r["id"] for r in resolved] == [cid]
    assert resolved[0]["peak_urgency"] >= 80 and resolved[0]["urgency"] == 0
    assert resolved[0]["intent"] == "thanks"
    assert triage.queue_count(db, QueueFilter(view="probably_resolved")) == 1

    # One click: Reopen puts it back in the waiting queue (and says so in the audit).
    assert set_status(db, [cid], "open", actor="agent") == 1
    assert [r["id"] for r in _queue(db)] == [cid]
    assert _queue(db, view="probably_resolved") == []
    audit = db.execute("SELECT detail FROM audit_log WHERE conversation_id = ?", (cid,)).fetchone()
    assert json.loads(audit[0]) == {"from": "probably resolved", "to": "open", "result": "open"}

    # A new thank-you counts again; Close resolves it in one click.
    ingest(
        db, [_m("4", NOW - timedelta(minutes=5), "Obrigado, deu certo!", parent="3")], source="t"
    )
    assert [r["id"] for r in _queue(db, view="probably_resolved")] == [cid]
    assert set_status(db, [cid], "closed", actor="agent") == 1
    assert _queue(db, view="probably_resolved") == [] and _queue(db) == []


def test_courtesy_thanks_after_a_reply_keeps_the_conversation_waiting(db):
    # "Thanks, just sent the DM" after the brand asked for a DM: the brand has the next
    # move, so the conversation waits in the queue (urgency 0), is not "probably
    # resolved", and its outcome is not "resolved by the customer".
    ingest(
        db,
        [
            _m("1", NOW - timedelta(hours=3), "My order never arrived, I want a refund"),
            _m(
                "2",
                NOW - timedelta(hours=2),
                "So sorry! Could you DM us your order number?",
                direction="outbound",
                parent="1",
            ),
            _m("3", NOW - timedelta(minutes=30), "Thanks, just sent the DM", parent="2"),
        ],
        source="t",
    )
    cid = _conversation(db, "1")
    assert _queue(db, view="probably_resolved") == []
    waiting = _queue(db)
    assert [r["id"] for r in waiting] == [cid]
    assert waiting[0]["intent"] == "thanks" and waiting[0]["urgency"] == 0
    assert waiting[0]["peak_urgency"] > 0  # the complaint's urgency stays in the record
    assert db.execute("SELECT resolved_by FROM conversations WHERE id = ?", (cid,)).fetchone() == (
        None,
    )


def test_thanks_without_a_brand_reply_is_still_waiting(db):
    ingest(db, [_m("1", NOW - timedelta(minutes=5), "Thanks in advance!")], source="t")
    assert [r["id"] for r in _queue(db)] == [_conversation(db, "1")]
    assert _queue(db, view="probably_resolved") == []


def test_current_urgency_is_the_waiting_turn_not_the_history(db):
    start = NOW - timedelta(days=2)
    ingest(
        db,
        [
            _m("1", start, "Where is my refund? This is fraud, I'm calling my lawyer"),
            _m("2", start + timedelta(minutes=10), "Refund sent", direction="outbound", parent="1"),
            _m("3", NOW - timedelta(minutes=5), "Can I pay with PayPal on your site?", parent="2"),
        ],
        source="t",
    )
    (row,) = _queue(db)
    assert row["urgency"] == 0 and not row["urgent"] and row["peak_urgency"] >= 70
    assert row["intent"] == "question"
    assert triage.queue(db, QueueFilter(urgent_only=True), now=NOW_TS) == []


def test_plain_questions_are_not_urgent_in_the_queue(db):
    ingest(
        db,
        [
            _m(
                "q1",
                NOW - timedelta(minutes=5),
                "Tem cupom de desconto para primeira compra?",
                author="bia",
            ),
            _m(
                "q2",
                NOW - timedelta(minutes=6),
                "Can I pay with PayPal on your site?",
                author="cid",
            ),
        ],
        source="t",
    )
    rows = _queue(db)
    assert len(rows) == 2 and not any(r["urgent"] for r in rows)
    assert all(r["urgency"] == 0 for r in rows)


def test_scam_is_above_the_old_nothing_yet(db):
    """The issue's demo case: a customer chasing for 29 days ("Até agora nada...")
    against one whose third message in half an hour calls it a scam."""
    ingest(
        db,
        [
            _m("old", NOW - timedelta(days=29), "Até agora nada...", author="dora", lang="pt"),
            _m("s1", NOW - timedelta(minutes=30), "Cadê meu pedido?", author="eva", lang="pt"),
            _m(
                "s2",
                NOW - timedelta(minutes=20),
                "Alguém responde?",
                author="eva",
                lang="pt",
                parent="s1",
            ),
            _m(
                "s3",
                NOW - timedelta(minutes=10),
                "É um golpe! Quero meu dinheiro",
                author="eva",
                lang="pt",
                parent="s2",
            ),
        ],
        source="t",
    )
    rows = _queue(db)
    assert [r["id"] for r in rows] == [_conversation(db, "s1"), _conversation(db, "old")]
    scam, old = rows
    assert "calls it a scam" in scam["priority_why"]
    assert "SLA breached 28d 23h ago" in old["priority_why"]  # due 1 h after it was sent
    assert scam["priority"] > old["priority"] and old["time_points"] == 30


def _set_urgency(db, external_id, urgency):
    message_id = db.execute(
        "SELECT id FROM messages WHERE external_id = ?", (external_id,)
    ).fetchone()[0]
    with transaction(db):
        db.conn.execute(
            "UPDATE scores SET urgency = ?, urgent = ?, reasons = '[]' WHERE message_id = ?",
            (urgency, int(urgency >= 35), message_id),
        )
        refresh_score_aggregates(db, [_conversation(db, external_id)])


def test_priority_order_urgency_against_time_waiting(db):
    """Urgency-100 waiting 10 minutes comes before urgency-40 waiting a day; a
    breached SLA climbs above the same urgency within its SLA; the "why" says so."""
    ingest(
        db,
        [
            _m("u100", NOW - timedelta(minutes=10), "message a", author="a"),
            _m("u40day", NOW - timedelta(days=1), "message b", author="b"),
            _m("u40fresh", NOW - timedelta(minutes=5), "message c", author="c"),
            _m("u40late", NOW - timedelta(hours=3), "message d", author="d"),
            _m("u0", NOW - timedelta(minutes=1), "message e", author="e"),
        ],
        source="t",
    )
    for ext, urgency in (("u100", 100), ("u40day", 40), ("u40fresh", 40), ("u40late", 40)):
        _set_urgency(db, ext, urgency)
    rows = _queue(db)
    order = [r["id"] for r in rows]
    expected = ["u100", "u40day", "u40late", "u40fresh", "u0"]
    assert order == [_conversation(db, e) for e in expected]
    by_id = {r["id"]: r for r in rows}
    top = by_id[_conversation(db, "u100")]
    assert top["priority"] == 100 + 1  # 10 of 60 minutes: 10 * 10 / 60, rounded down
    assert top["priority_why"] == "urgency 100 · +1: waiting 10m, SLA due in 50m"
    day = by_id[_conversation(db, "u40day")]
    assert day["priority"] == 40 + 10 + 10 + 10  # full SLA, breach, 23 h overdue capped
    assert "SLA breached 23h ago" in day["priority_why"]
    late = by_id[_conversation(db, "u40late")]
    assert late["priority"] == 40 + 20 + 2
    # Sorting by any column and urgent-only still work on the same rows.
    urgent = triage.queue(db, QueueFilter(urgent_only=True), now=NOW_TS)
    assert {r["id"] for r in urgent} == {_conversation(db, e) for e in expected[:4]}


def test_metrics_count_probably_resolved_apart(db):
    start = NOW - timedelta(hours=5)
    ingest(
        db,
        [
            _m("1", start, "my order never arrived", author="a"),
            _m("2", start + timedelta(minutes=5), "resent!", direction="outbound", parent="1"),
            _m(
                "3",
                start + timedelta(minutes=50),
                "Got it, thank you so much!",
                parent="2",
                author="a",
            ),
            _m("9", NOW - timedelta(minutes=30), "Do you ship to Recife?", author="b"),
        ],
        source="t",
    )
    figures = kpis(db, now=NOW_TS)
    assert figures["waiting"] == 1 and figures["probably_resolved"] == 1
