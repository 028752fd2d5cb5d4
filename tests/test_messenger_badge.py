"""Facebook's "Very responsive to messages" badge on stored Messenger threads
(real SQLite, messages through the real ingest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from replywatch.collectors.base import Message
from replywatch.metrics.messenger_badge import very_responsive
from replywatch.pipeline import ingest, set_status

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
_n = iter(range(1, 10_000))


def msg(thread: str, ago: timedelta, direction: str, *, brand="acme", platform="facebook"):
    return Message(
        platform=platform,
        external_id=f"m_{next(_n)}",
        created_at=NOW - ago,
        text="Olá, preciso de ajuda" if direction == "inbound" else "Oi! Claro.",
        direction=direction,
        kind="dm",
        channel="private",
        source=f"{platform}:{brand}:messenger",
        author_id="page" if direction == "outbound" else f"user-{thread}",
        brand=brand,
        thread_ref=thread,
    )


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def d(days: float) -> timedelta:
    return timedelta(days=days)


def test_counted_messages_rate_time_and_distance(db):
    spam = msg("t_spam", d(2), "inbound")
    messages = [
        # A: counted, answered in 5 min; the follow-up 2 h later is the same
        # session (nobody was silent for 24 h): not counted.
        msg("t_a", d(6), "inbound"),
        msg("t_a", d(6) - m(5), "outbound"),
        msg("t_a", d(6) - m(120), "inbound"),
        msg("t_a", d(6) - m(130), "outbound"),
        # B: counted twice (a day of silence between), 10 and 40 minutes.
        msg("t_b", d(3), "inbound"),
        msg("t_b", d(3) - m(10), "outbound"),
        msg("t_b", d(1), "inbound"),
        msg("t_b", d(1) - m(40), "outbound"),
        # C: counted, still unanswered, 2 hours old: pending.
        msg("t_c", m(120), "inbound"),
        # Before the window: not counted (and its reply is not a response).
        msg("t_old", d(8), "inbound"),
        msg("t_old", d(8) - m(3), "outbound"),
        spam,
        # Not Messenger: public comments and Instagram DMs do not count.
        msg("t_ig", d(1), "inbound", platform="instagram"),
    ]
    ingest(db, messages, source="facebook:acme:messenger")
    conversation = db.execute(
        "SELECT conversation_id FROM messages WHERE external_id = ?", (spam.external_id,)
    ).fetchone()[0]
    set_status(db, [conversation], "spam", actor="tester")

    [page] = very_responsive(db, now=NOW)
    assert page["brand"] == "acme"
    assert (page["counted"], page["answered"], page["pending"]) == (4, 3, 1)
    assert page["spam_excluded"] == 1
    assert page["response_rate"] == 0.75 and not page["rate_ok"]
    # Fastest 90 % of 3 responses = all 3 (ceil): (5 + 10 + 40) / 3 minutes.
    assert page["response_time_s"] == (5 + 10 + 40) * 60 / 3
    assert not page["time_ok"] and not page["has_badge"]  # 18 min 20 s > 15 min
    # (3 + 6) / (4 + 6) = 90 %: six answered new messages in a row earn it.
    assert page["answers_needed"] == 6 and page["misses_allowed"] == 0
    assert page["time_margin_s"] == 15 * 60 - 1100  # 200 s too slow on average


def test_badge_earned_and_the_slowest_tenth_ignored(db):
    messages = []
    for i in range(10):
        messages.append(msg(f"t_{i}", d(5) - m(i), "inbound"))
        # Nine quick answers (4 min) and one very slow one (10 hours).
        messages.append(msg(f"t_{i}", d(5) - m(i) - (m(600) if i == 9 else m(4)), "outbound"))
    # One more, unanswered: 10 of 11 answered = 90.9 %.
    messages.append(msg("t_x", d(4), "inbound"))
    ingest(db, messages, source="facebook:acme:messenger")
    [page] = very_responsive(db, brand="acme", now=NOW)
    assert (page["counted"], page["answered"]) == (11, 10)
    # ceil(0.9 * 10) = 9 fastest: the 10-hour answer does not count.
    assert page["response_time_s"] == 4 * 60
    assert page["has_badge"] and page["answers_needed"] == 0
    # 10 / (11 + k) >= 0.9 holds for k = 0 only: one more miss loses it.
    assert page["misses_allowed"] == 0
    assert very_responsive(db, brand="other", now=NOW) == []


def test_exactly_ninety_percent_keeps_the_badge(db):
    messages = []
    for i in range(10):
        messages.append(msg(f"t_{i}", d(3) - m(i), "inbound"))
        if i:
            messages.append(msg(f"t_{i}", d(3) - m(i) - m(15), "outbound"))
    ingest(db, messages, source="facebook:acme:messenger")
    [page] = very_responsive(db, now=NOW)
    assert page["response_rate"] == 0.9 and page["rate_ok"]
    assert page["response_time_s"] == 15 * 60 and page["has_badge"]
    assert page["time_margin_s"] == 0


def test_no_messenger_messages_no_rows(db):
    assert very_responsive(db, now=NOW) == []
