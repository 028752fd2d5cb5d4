"""Engine behaviour on small hand-made conversations in a real temp SQLite file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from replywatch.collectors.base import Message
from replywatch.metrics import (
    frt_distribution,
    hour_of_week,
    kpis,
    public_badge,
    recompute_brand,
    recompute_conversations,
    response_time_report,
    sla_state,
    waiting_conversations,
)
from replywatch.pipeline import ingest
from replywatch.store.brands import ensure_brand_accounts, upsert_brands
from replywatch.store.db import open_database, transaction


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ts(*args: int) -> int:
    return int(at(*args).timestamp())


def msg(
    external_id: str,
    when: datetime,
    *,
    brand: bool = False,
    reply_to: str | None = None,
    author: str = "maria",
    text: str = "@acme help",
    platform: str = "x",
    channel: str = "public",
) -> Message:
    return Message(
        platform=platform,
        external_id=external_id,
        created_at=when,
        text=text,
        direction="outbound" if brand else "inbound",
        kind="reply" if reply_to else "mention",
        channel=channel,
        source="test",
        author_handle="acme" if brand else author,
        brand="acme" if brand else None,
        in_reply_to_id=reply_to,
    )


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "t.db")
    with transaction(database):
        upsert_brands(database, [{"key": "acme", "name": "Acme"}])
        ensure_brand_accounts(database, [("x", "acme", "acme")])
    return database


def conversation(db, external_id: str) -> dict:
    row = db.execute(
        "SELECT c.* FROM conversations c JOIN messages m ON m.conversation_id = c.id "
        "WHERE m.external_id = ?",
        (external_id,),
    ).fetchone()
    columns = [d[0] for d in db.execute("SELECT * FROM conversations LIMIT 0").description]
    return dict(zip(columns, row, strict=True))


def set_settings(db, timezone: str, settings: dict) -> None:
    with transaction(db):
        upsert_brands(
            db, [{"key": "acme", "name": "Acme", "timezone": timezone, "settings": settings}]
        )
    recompute_brand(db, "acme")


def test_first_and_next_response_times(db):
    ingest(
        db,
        [
            msg("1", at(2024, 5, 13, 10, 0)),
            msg("2", at(2024, 5, 13, 10, 5), reply_to="1"),  # second customer message, same turn
            msg("3", at(2024, 5, 13, 10, 20), brand=True, reply_to="2"),
            msg("4", at(2024, 5, 13, 11, 0), reply_to="3"),
            msg("5", at(2024, 5, 13, 11, 30), brand=True, reply_to="4"),
            msg("6", at(2024, 5, 13, 12, 0), reply_to="5"),
        ],
        source="test",
    )
    c = conversation(db, "1")
    assert c["first_response_seconds"] == 20 * 60  # clock from the FIRST of 10:00/10:05
    assert c["next_response_count"] == 1 and c["next_response_seconds_total"] == 30 * 60
    assert c["status"] == "open" and c["awaiting_since"] == ts(2024, 5, 13, 12)
    assert c["brand_reply_count"] == 2
    # option: clock starts at the last of consecutive customer messages
    set_settings(db, "UTC", {"clock_start": "last"})
    assert conversation(db, "1")["first_response_seconds"] == 15 * 60


def test_brand_message_in_the_same_second_answers(db):
    ingest(
        db,
        [msg("1", at(2024, 5, 13, 10)), msg("2", at(2024, 5, 13, 10), brand=True, reply_to="1")],
        source="test",
    )
    assert conversation(db, "1")["first_response_seconds"] == 0


def test_inbound_message_from_a_brand_account_is_the_brand_speaking(db):
    ingest(
        db,
        [
            msg("1", at(2024, 5, 13, 10)),
            msg("2", at(2024, 5, 13, 10, 7), reply_to="1", author="ACME"),
        ],
        source="test",
    )
    c = conversation(db, "1")
    assert c["inbound_count"] == 1 and c["first_response_seconds"] == 420


def test_late_reply_updates_times_sla_and_reports(db):
    set_settings(
        db,
        "UTC",
        {
            "business_hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "sla": {"first_response_minutes": 30},
        },
    )
    ingest(db, [msg("1", at(2024, 5, 10, 16, 45))], source="test")  # Friday 16:45
    c = conversation(db, "1")
    assert c["sla_due_at"] == ts(2024, 5, 13, 9, 15)  # Monday 09:15
    # at risk from 75 % of 30 min = 1350 s: 15 min on Friday + 7 min 30 s on Monday
    assert c["sla_at_risk_at"] == ts(2024, 5, 13, 9, 7, 30)
    assert sla_state(c, at(2024, 5, 10, 16, 50)) == "ok"
    assert sla_state(c, at(2024, 5, 13, 9, 10)) == "at_risk"
    assert sla_state(c, at(2024, 5, 13, 9, 15)) == "breached"
    (row,) = response_time_report(db, by="brand")
    assert (row["conversations"], row["answered"], row["first_response_median_s"]) == (1, 0, None)
    assert [w["sla_state"] for w in waiting_conversations(db, now=at(2024, 5, 13, 10))] == [
        "breached"
    ]

    ingest(db, [msg("2", at(2024, 5, 13, 9, 40), brand=True, reply_to="1")], source="test")
    c = conversation(db, "1")
    assert c["sla_due_at"] is None and sla_state(c, at(2024, 5, 14)) is None
    assert c["first_response_seconds"] == ts(2024, 5, 13, 9, 40) - ts(2024, 5, 10, 16, 45)
    assert c["first_response_business_seconds"] == 55 * 60
    assert c["first_response_sla_met"] == 0
    (row,) = response_time_report(db, by="brand")
    assert row["answered"] == 1 and row["business_first_response_median_s"] == 3300
    assert row["within_sla"] == 0.0 and row["business_within_1h"] == 1.0
    assert row["within_1h"] == 0.0


def test_reply_arriving_before_its_parent_merges_and_the_rollup_follows(db):
    ingest(db, [msg("2", at(2024, 5, 14, 9, 0), brand=True, reply_to="1")], source="test")
    ingest(db, [msg("1", at(2024, 5, 13, 23, 50))], source="test")
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    rows = response_time_report(db, by="day")
    assert [(r["day"], r["conversations"], r["first_response_median_s"]) for r in rows] == [
        ("2024-05-13", 1, 9.0 * 3600 + 600)
    ]


def test_spam_is_excluded_even_before_the_engine_reruns(db):
    ingest(
        db,
        [msg("1", at(2024, 5, 13, 10)), msg("9", at(2024, 5, 13, 11), author="bot")],
        source="test",
    )
    assert response_time_report(db, by="brand")[0]["conversations"] == 2
    with transaction(db):  # what a triage action does
        db.execute(
            "UPDATE conversations SET status = 'spam' WHERE id = ?", [conversation(db, "9")["id"]]
        )
    assert response_time_report(db, by="brand")[0]["conversations"] == 1
    with transaction(db):
        recompute_conversations(db, [conversation(db, "9")["id"]])
    assert conversation(db, "9")["needs_response"] == 0
    assert response_time_report(db, by="brand")[0]["conversations"] == 1


def test_first_contact_resolution(db):
    ingest(
        db,
        [
            msg("1", at(2024, 5, 13, 10)),
            msg("2", at(2024, 5, 13, 10, 5), brand=True, reply_to="1"),
            msg("3", at(2024, 5, 13, 11), author="joao"),
            msg("4", at(2024, 5, 13, 11, 5), brand=True, reply_to="3"),
            msg("5", at(2024, 5, 13, 11, 6), reply_to="4", author="joao"),
            msg("6", at(2024, 5, 13, 11, 9), brand=True, reply_to="5"),
        ],
        source="test",
    )
    with transaction(db):
        db.execute("UPDATE conversations SET status = 'closed'")
        recompute_conversations(db, [r[0] for r in db.execute("SELECT id FROM conversations")])
    result = kpis(db, now=at(2024, 5, 14))
    assert result["closed"] == 2 and result["first_contact_resolution"] == 0.5
    assert result["waiting"] == 0


def test_local_dates_follow_the_brand_timezone(db):
    set_settings(db, "America/Sao_Paulo", {})
    ingest(db, [msg("1", at(2024, 5, 13, 1, 30))], source="test")  # Sun 12 May 22:30 local
    c = conversation(db, "1")
    assert c["local_date"] == "2024-05-12" and c["local_hour_of_week"] == 6 * 24 + 22
    week = response_time_report(db, by="week")
    assert week[0]["week"] == "2024-05-06"  # that Sunday's ISO week starts Monday 6 May
    slots = hour_of_week(db)
    assert len(slots) == 168 and slots[6 * 24 + 22]["conversations"] == 1
    assert sum(s["conversations"] for s in slots) == 1


def test_bounds_dates_and_instants(db):
    ingest(
        db,
        [
            msg("1", at(2024, 5, 13, 10)),
            msg("2", at(2024, 5, 14, 10), author="b"),
            msg("3", at(2024, 5, 15, 10), author="c"),
        ],
        source="test",
    )

    def count(**kw):
        return sum(r["conversations"] for r in response_time_report(db, by=None, **kw))

    assert count(since="2024-05-14") == 2
    assert count(since="2024-05-14", until="2024-05-14") == 1
    assert count(since=at(2024, 5, 13, 10, 0, 1), until=at(2024, 5, 15, 10)) == 1
    with pytest.raises(ValueError, match="timezone-aware"):
        count(since=datetime(2024, 5, 13))
    with pytest.raises(ValueError, match="unknown grouping"):
        response_time_report(db, by="colour")


def test_badge_and_distribution(db):
    now = at(2024, 5, 20, 12)
    ingest(
        db,
        [
            msg("1", at(2024, 5, 19, 10)),
            msg("2", at(2024, 5, 19, 10, 40), brand=True, reply_to="1"),
            msg("3", at(2024, 5, 18, 10), author="b"),
            msg("4", at(2024, 5, 18, 10, 50), brand=True, reply_to="3"),
            msg("5", at(2024, 5, 20, 11), author="c"),  # still unanswered
            msg("6", at(2024, 5, 1, 10), author="d"),  # outside the 7 days
            msg("7", at(2024, 5, 1, 10, 1), brand=True, reply_to="6"),
        ],
        source="test",
    )
    badge = public_badge(db, brand="acme", now=now)
    assert (badge["conversations"], badge["answered"]) == (3, 2)
    assert badge["response_rate"] == pytest.approx(2 / 3)
    assert badge["typical_response_s"] == 45 * 60
    assert badge["label"] == "typically replies within an hour"
    buckets = {b["bucket"]: b["count"] for b in frt_distribution(db)}
    assert buckets["<= 5m"] == 1 and buckets["30m-1h"] == 2 and sum(buckets.values()) == 3


def test_bad_brand_settings_fail_the_ingest_and_lose_nothing(db):
    with transaction(db):
        db.execute(
            "UPDATE brands SET settings = ? WHERE key = 'acme'",
            [json.dumps({"business_hours": {"mon": ["nine-five"]}})],
        )
    with pytest.raises(ValueError, match="brand 'acme'.*business_hours.mon"):
        ingest(
            db,
            [
                msg("1", at(2024, 5, 13, 10)),
                msg("2", at(2024, 5, 13, 10, 1), brand=True, reply_to="1"),
            ],
            source="test",
        )
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
