"""Outcome definitions (mood recovery, resolution, effort, first-contact
resolution, repeat contact) pinned on small hand-made threads in a real
SQLite file. Sentiment scores are set by hand after ingest so that each
case tests the definition, not the scorer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replywatch.collectors.base import Message
from replywatch.metrics.engine import recompute_all, refresh_score_aggregates
from replywatch.metrics.outcomes import (
    RECOVERY_THRESHOLD,
    Turn,
    derive_outcome,
    recovery_label,
)
from replywatch.pipeline import ingest, set_status
from replywatch.store.brands import ensure_brand_accounts, upsert_brands
from replywatch.store.db import open_database, transaction

T0 = datetime(2024, 5, 13, 10, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def msg(
    external_id: str,
    minutes: float,
    *,
    brand: str | None = None,
    reply_to: str | None = None,
    author: str = "maria",
    to: str = "acme",
    channel: str = "public",
    thread: str | None = None,
) -> Message:
    return Message(
        platform="x",
        external_id=external_id,
        created_at=at(minutes),
        text=f"@{to} message {external_id}",
        direction="outbound" if brand else "inbound",
        kind="dm" if channel == "private" else ("reply" if reply_to else "mention"),
        channel=channel,
        source="test",
        author_handle=brand or author,
        brand=brand or to,
        in_reply_to_id=reply_to,
        thread_ref=thread,
    )


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "o.db")
    with transaction(database):
        upsert_brands(database, [{"key": "acme", "name": "Acme"}, {"key": "glob", "name": "Glob"}])
        ensure_brand_accounts(database, [("x", "acme", "acme"), ("x", "glob", "glob")])
    return database


def moods(db, compounds: dict[str, float]) -> None:
    """Give messages (by external id) a hand-set sentiment and refresh."""
    with transaction(db):
        for external_id, compound in compounds.items():
            db.execute(
                "UPDATE scores SET compound = ? WHERE message_id = "
                "(SELECT id FROM messages WHERE external_id = ?)",
                (compound, external_id),
            )
        refresh_score_aggregates(db, [r[0] for r in db.execute("SELECT id FROM conversations")])


def conv(db, external_id: str) -> dict:
    cursor = db.execute(
        "SELECT c.* FROM conversations c JOIN messages m ON m.conversation_id = c.id "
        "WHERE m.external_id = ?",
        (external_id,),
    )
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def cid(db, external_id: str) -> int:
    return conv(db, external_id)["id"]


def test_no_reply_has_a_mood_before_and_nothing_else(db):
    ingest(db, [msg("1", 0), msg("2", 5, reply_to="1")], source="t")
    moods(db, {"1": -0.6, "2": -0.2})
    c = conv(db, "1")
    assert c["mood_before"] == pytest.approx(-0.4)  # both messages are the opening turn
    assert c["mood_after"] is None and c["recovery_label"] is None
    assert c["resolved_by"] is None and c["first_contact_resolved"] == 0
    assert c["effort_customer_messages"] is None and c["repeat_contact_id"] is None


def test_customer_never_comes_back_is_silent(db):
    ingest(db, [msg("1", 0), msg("2", 10, brand="acme", reply_to="1")], source="t")
    moods(db, {"1": -0.6})
    c = conv(db, "1")
    assert c["recovery_label"] == "silent"
    assert c["mood_before"] == pytest.approx(-0.6) and c["mood_after"] is None
    assert c["mood_recovery"] is None and c["resolved_by"] is None


def test_recovery_uses_the_customers_last_turn_and_ignores_third_parties(db):
    ingest(
        db,
        [
            msg("1", 0),
            msg("2", 10, brand="acme", reply_to="1"),
            msg("3", 20, reply_to="2"),  # a turn in between: not the last one
            msg("4", 21, reply_to="3", author="bystander"),  # not the customer
            msg("5", 30, brand="acme", reply_to="3"),
            msg("6", 40, reply_to="5"),
            msg("7", 41, reply_to="6"),
        ],
        source="t",
    )
    moods(db, {"1": -0.6, "3": -0.9, "4": -1.0, "6": 0.2, "7": 0.4})
    c = conv(db, "1")
    assert c["mood_after"] == pytest.approx(0.3)  # mean of 6 and 7
    assert c["mood_recovery"] == pytest.approx(0.9)
    assert c["recovery_label"] == "recovered"
    moods(db, {"6": -0.9, "7": -0.9})  # -0.3
    assert conv(db, "1")["recovery_label"] == "worsened"
    moods(db, {"6": -0.5, "7": -0.5})  # +0.1
    assert conv(db, "1")["recovery_label"] == "unchanged"


def test_recovery_thresholds_are_inclusive():
    assert recovery_label(RECOVERY_THRESHOLD) == "recovered"
    assert recovery_label(-RECOVERY_THRESHOLD) == "worsened"
    assert recovery_label(RECOVERY_THRESHOLD - 0.01) == "unchanged"
    assert recovery_label(None) is None


def test_unscored_messages_leave_the_mood_unknown(db):
    thread = [msg("1", 0), msg("2", 10, brand="acme", reply_to="1"), msg("3", 20, reply_to="2")]
    ingest(db, thread, source="t")
    with transaction(db):
        db.execute("DELETE FROM scores")
        refresh_score_aggregates(db, [r[0] for r in db.execute("SELECT id FROM conversations")])
    c = conv(db, "1")
    assert c["mood_before"] is None and c["recovery_label"] is None


def test_closed_after_one_reply_is_first_contact_resolved(db):
    ingest(db, [msg("1", 0), msg("2", 10, brand="acme", reply_to="1")], source="t")
    closed_at = int(at(15).timestamp())
    set_status(db, [cid(db, "1")], "closed", actor="agent", now=closed_at)
    c = conv(db, "1")
    assert (c["resolved_by"], c["resolved_at"]) == ("closed", closed_at)
    assert (c["effort_customer_messages"], c["effort_brand_replies"]) == (1, 1)
    assert c["first_contact_resolved"] == 1


def test_reopened_then_closed_again_is_resolved_but_not_first_contact(db):
    ingest(db, [msg("1", 0), msg("2", 10, brand="acme", reply_to="1")], source="t")
    set_status(db, [cid(db, "1")], "closed", actor="agent", now=int(at(15).timestamp()))
    ingest(db, [msg("3", 60, reply_to="2")], source="t")  # the customer writes again
    c = conv(db, "1")
    assert c["status"] == "open" and c["reopened_count"] == 1
    assert c["resolved_by"] is None and c["first_contact_resolved"] == 0
    ingest(db, [msg("4", 70, brand="acme", reply_to="3")], source="t")
    set_status(db, [cid(db, "1")], "closed", actor="agent", now=int(at(80).timestamp()))
    ingest(db, [msg("5", 90, brand="acme", reply_to="3")], source="t")  # after closing
    c = conv(db, "1")
    assert c["resolved_by"] == "closed"
    assert (c["effort_customer_messages"], c["effort_brand_replies"]) == (2, 2)
    assert c["first_contact_resolved"] == 0


def test_spam_has_no_outcome(db):
    ingest(db, [msg("1", 0), msg("2", 10, brand="acme", reply_to="1")], source="t")
    set_status(db, [cid(db, "1")], "spam", actor="agent")
    c = conv(db, "1")
    assert c["recovery_label"] is None and c["first_contact_resolved"] is None


def test_a_real_thank_you_resolves_through_the_intent_of_issue_15(db):
    def said(external_id, minutes, text, **kwargs):
        message = msg(external_id, minutes, **kwargs)
        message.text = text
        return message

    ingest(
        db,
        [
            said("1", 0, "@acme my card was charged twice, terrible"),
            said("2", 10, "@maria sorry! refunded now", brand="acme", reply_to="1"),
            said("3", 20, "@acme obrigado, resolvido!", reply_to="2"),
            said("4", 25, "@maria you're welcome", brand="acme", reply_to="3"),
        ],
        source="t",
    )
    c = conv(db, "1")
    assert (c["resolved_by"], c["resolved_at"]) == ("customer", int(at(20).timestamp()))
    assert (c["effort_customer_messages"], c["effort_brand_replies"]) == (1, 1)
    assert c["first_contact_resolved"] == 1 and c["recovery_label"] == "recovered"
    # A person who reopens it from the triage view says it is not resolved.
    set_status(db, [c["id"]], "open", actor="agent")
    assert conv(db, "1")["resolved_by"] is None
    # ... and a new thank-you counts again.
    ingest(db, [said("4b", 30, "@acme thanks!", reply_to="4")], source="t")
    assert conv(db, "1")["resolved_by"] == "customer"
    # ... until the customer writes again with a new problem.
    ingest(db, [said("5", 60, "@acme charged again!!", reply_to="4")], source="t")
    c = conv(db, "1")
    assert c["resolved_by"] is None and c["first_contact_resolved"] == 0


def _turn(i: int, ts: int, *, brand=False, compound=None, customer=True) -> Turn:
    return Turn(ts, brand, i, customer and not brand, compound)


def _derive(turns, status, changed_at, closing=None, reopened=0):
    return derive_outcome(
        turns,
        status=status,
        status_changed_at=changed_at,
        reopened_count=reopened,
        closing_message_id=closing,
    )


def test_customer_thanks_resolves_and_is_not_counted_as_effort():
    turns = [_turn(1, 0), _turn(2, 10, brand=True), _turn(3, 20)]
    out = _derive(turns, "replied", 10, closing=3)
    assert (out.resolved_by, out.resolved_at) == ("customer", 20)
    assert (out.effort_customer_messages, out.effort_brand_replies) == (1, 1)
    assert out.first_contact_resolved == 1
    assert _derive(turns, "replied", 10, closing=3, reopened=1).first_contact_resolved == 0
    out = _derive(turns, "open", 30)  # no closing message
    assert out.resolved_by is None and out.first_contact_resolved == 0


def test_thanks_then_closed_counts_the_earlier_and_equal_seconds_go_to_the_customer():
    turns = [_turn(1, 0), _turn(2, 10, brand=True), _turn(3, 20)]
    out = _derive(turns, "closed", 50, closing=3)
    assert (out.resolved_by, out.resolved_at) == ("customer", 20)
    assert _derive(turns, "closed", 20, closing=3).resolved_by == "customer"
    out = _derive(turns, "closed", 15, closing=3)
    assert (out.resolved_by, out.effort_customer_messages) == ("closed", 1)


def test_repeat_contact_same_brand_only_and_configurable_window(db):
    ingest(
        db,
        [
            msg("a1", 0),
            msg("a2", 10, brand="acme", reply_to="a1"),
            msg("g1", 60 * 24, to="glob"),  # another brand: not a repeat of a1
            msg("a3", 60 * 24 * 3),  # same brand, 3 days later
            msg("z1", 60 * 24 * 4, author="other"),  # another customer
        ],
        source="t",
    )
    assert conv(db, "a1")["repeat_contact_id"] == cid(db, "a3")
    assert conv(db, "g1")["repeat_contact_id"] is None
    assert conv(db, "a3")["repeat_contact_id"] is None
    # The window runs from the conversation's last message (a2, 10 minutes in).
    with transaction(db):
        settings = {"outcomes": {"repeat_contact_days": 2}}
        upsert_brands(db, [{"key": "acme", "name": "Acme", "settings": settings}])
    recompute_all(db)
    assert conv(db, "a1")["repeat_contact_id"] is None
    # Marking the repeat as spam removes the link.
    with transaction(db):
        upsert_brands(db, [{"key": "acme", "name": "Acme", "settings": {}}])
    recompute_all(db)
    assert conv(db, "a1")["repeat_contact_id"] == cid(db, "a3")
    set_status(db, [cid(db, "a3")], "spam", actor="agent")
    assert conv(db, "a1")["repeat_contact_id"] is None


def test_dm_thread_split_by_silence_is_a_repeat_contact(db):
    day = 60 * 24
    ingest(
        db,
        [
            msg("d1", 0, channel="private", thread="t1"),
            msg("d2", 10, brand="acme", channel="private", thread="t1"),
            msg("d3", 10 + 2 * day, channel="private", thread="t1"),  # > 24 h of silence
        ],
        source="t",
    )
    first, second = conv(db, "d1"), conv(db, "d3")
    assert first["id"] != second["id"]
    assert first["repeat_contact_id"] == second["id"]
    assert first["recovery_label"] == "silent"  # the second DM belongs to the next conversation
    assert second["mood_before"] is not None and second["recovery_label"] is None


def test_a_later_import_of_the_repeat_updates_the_earlier_conversation(db):
    ingest(db, [msg("a1", 0)], source="t")
    assert conv(db, "a1")["repeat_contact_id"] is None
    ingest(db, [msg("a3", 60 * 24)], source="t")
    assert conv(db, "a1")["repeat_contact_id"] == cid(db, "a3")
    # and a conversation arriving in between takes its place
    ingest(db, [msg("a2", 60)], source="t")
    assert conv(db, "a1")["repeat_contact_id"] == cid(db, "a2")
    assert conv(db, "a2")["repeat_contact_id"] == cid(db, "a3")


# --- reports, drill-down, exports, CLI ------------------------------------------------


def _report_store(db) -> None:
    """Four conversations on 2024-05-13 (acme): recovered + closed after one
    reply; worsened; silent; unanswered. Plus a repeat contact a day later."""
    ingest(
        db,
        [
            msg("r1", 0),
            msg("r2", 5, brand="acme", reply_to="r1"),  # FRT 5 min
            msg("r3", 10, reply_to="r2"),
            msg("w1", 0, author="wes"),
            msg("w2", 120, brand="acme", reply_to="w1"),  # FRT 2 h
            msg("w3", 130, reply_to="w2", author="wes"),
            msg("s1", 0, author="sam"),
            msg("s2", 30, brand="acme", reply_to="s1"),
            msg("u1", 0, author="uma"),
            msg("x1", 60 * 20, author="wes"),  # wes again, next day, same brand
        ],
        source="t",
    )
    moods(db, {"r1": -0.5, "r3": 0.5, "w1": 0.0, "w3": -0.7, "s1": -0.2, "u1": 0.1, "x1": -0.1})
    set_status(db, [cid(db, "r1")], "closed", actor="agent", now=int(at(20).timestamp()))


def test_outcome_report_figures(db):
    from replywatch.metrics import outcome_report

    _report_store(db)
    (row,) = outcome_report(db, by="brand", until="2024-05-13")
    assert row["brand"] == "acme" and row["conversations"] == 4 and row["answered"] == 3
    assert (row["recovered"], row["worsened"], row["silent"]) == (1, 1, 1)
    assert row["recovery_rate"] == 0.5 and row["worsened_share"] == 0.5
    assert row["silent_share"] == pytest.approx(1 / 3)
    assert row["resolved"] == 1 and row["resolution_rate"] == 0.25
    assert row["first_contact_resolution_rate"] == 1.0
    assert row["mean_effort_customer_messages"] == 2.0  # r1 and r3, closed after both
    assert row["repeat_contacts"] == 1 and row["repeat_contact_rate"] == 0.25
    assert row["first_response_median_s"] == 30 * 60  # median of 5 min, 30 min, 2 h
    by_day = outcome_report(db, by="day")
    assert [(r["day"], r["conversations"]) for r in by_day] == [
        ("2024-05-13", 4),
        ("2024-05-14", 1),
    ]
    assert outcome_report(db, by="brand", since="2030-01-01") == []
    with pytest.raises(ValueError, match="for outcomes"):
        outcome_report(db, by="hour")


def test_recovery_by_response_time_buckets_and_median(db):
    from replywatch.metrics import recovery_by_response_time

    _report_store(db)
    buckets = {b["bucket"]: b for b in recovery_by_response_time(db)}
    assert buckets["<= 5m"]["conversations"] == 1
    assert buckets["<= 5m"]["median_recovery"] == pytest.approx(1.0)
    assert buckets["1h-2h"]["median_recovery"] == pytest.approx(-0.7)
    assert buckets["1h-2h"]["worsened_share"] == 1.0
    assert buckets["15m-30m"]["conversations"] == 0  # silent: no recovery value
    # Even count: mean of the two middle values (recoveries 0.3 and 1.0).
    thread = [
        msg("e1", 0, author="eve"),
        msg("e2", 3, brand="acme", reply_to="e1"),
        msg("e3", 4, reply_to="e2", author="eve"),
    ]
    ingest(db, thread, source="t")
    moods(db, {"e1": 0.0, "e3": 0.3})
    first = recovery_by_response_time(db)[0]
    assert first["conversations"] == 2 and first["median_recovery"] == pytest.approx(0.65)


def test_drill_down_lists_the_conversations_behind_a_figure(db):
    from replywatch.metrics import outcome_conversations

    _report_store(db)
    rows = outcome_conversations(db, "worsened")
    assert [r["id"] for r in rows] == [cid(db, "w1")]
    assert rows[0]["first_text"] == "@acme message w1"
    assert rows[0]["last_customer_text"] == "@acme message w3"
    assert [r["id"] for r in outcome_conversations(db, "repeat_contact")] == [cid(db, "w1")]
    assert {r["id"] for r in outcome_conversations(db, "unresolved", until="2024-05-13")} == {
        cid(db, "w1"),
        cid(db, "s1"),
        cid(db, "u1"),
    }
    with pytest.raises(ValueError, match="figure must be one of"):
        outcome_conversations(db, "happy")


def test_exports_carry_the_outcomes(db):
    import csv
    import io

    from replywatch.metrics import export_benchmarks_to_bytes, export_conversations_to_bytes

    _report_store(db)
    text = export_conversations_to_bytes(db, "csv").decode("utf-8-sig")
    rows = {r["conversation_id"]: r for r in csv.DictReader(io.StringIO(text))}
    r1 = rows[str(cid(db, "r1"))]
    assert r1["recovery_label"] == "recovered" and r1["resolved_by"] == "closed"
    assert r1["resolved_at"] == "2024-05-13T10:20:00Z"
    assert r1["first_contact_resolved"] == "1" and r1["first_contact_resolved_closed_only"] == "1"
    assert rows[str(cid(db, "w1"))]["repeat_contact_id"] == str(cid(db, "x1"))
    text = export_benchmarks_to_bytes(db, "csv", period="day").decode("utf-8-sig")
    bench = list(csv.DictReader(io.StringIO(text)))
    assert [(b["period_start"], b["recovery_rate"], b["repeat_contact_rate"]) for b in bench] == [
        ("2024-05-13", "0.5", "0.25"),
        ("2024-05-14", "", "0.0"),
    ]


def test_cli_outcome_report(db, tmp_path):
    import json

    from click.testing import CliRunner

    from replywatch.cli import main

    _report_store(db)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(
        main, ["report", "outcomes", "--by", "brand", "--format", "json", "--db", path]
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["conversations"] == 5 and row["repeat_contacts"] == 1
    result = CliRunner().invoke(main, ["report", "outcomes", "--db", path])
    assert result.exit_code == 0 and "acme" in result.output and "50.0%" in result.output
    result = CliRunner().invoke(main, ["report", "outcomes", "--by", "hour", "--db", path])
    assert result.exit_code != 0 and "for outcomes" in result.output


def test_forgetting_a_customer_removes_their_repeat_contact_links(db):
    from replywatch.store.privacy import forget_author

    olga = [msg("o1", 0, author="olga"), msg("o2", 60, author="olga")]
    ingest(db, [msg("a1", 0), msg("a2", 60), *olga], source="t")
    assert conv(db, "a1")["repeat_contact_id"] == cid(db, "a2")
    forget_author(db, "maria", platform="x", actor="dpo")
    assert conv(db, "a1")["repeat_contact_id"] is None
    assert conv(db, "o1")["repeat_contact_id"] == cid(db, "o2")  # someone else's stay
    recompute_all(db)  # and the engine does not link them again from the tombstones
    assert conv(db, "a1")["repeat_contact_id"] is None
