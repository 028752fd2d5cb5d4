"""Alerts end to end: real ingestion and scoring, real apprise, a real HTTP
endpoint on 127.0.0.1 (apprise's ``json://`` target)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest

from replywatch.notify import dispatch_pending
from replywatch.pipeline import ingest
from replywatch.store.timeutil import utc_now
from tests.alerts_support import (
    ENV_NAME,
    TOKEN,
    closed_port,
    complaint,
    minutes_ago,
    setup_brand,
    silent_listener,
    webhook_receiver,
)


@pytest.fixture
def receiver():
    with webhook_receiver() as server:
        yield server


def alert_rows(db):
    return db.execute(
        "SELECT id, conversation_id, status, attempts, last_error, digest_id FROM alerts "
        "ORDER BY id"
    ).fetchall()


def test_urgent_message_posts_once_with_text_and_reasons(db, receiver):
    setup_brand(db)
    env = {ENV_NAME: receiver.url}
    now = utc_now()
    first = ingest(db, [complaint("100", minutes_ago(now, 12))], source="test")
    assert first.alerts_queued == 1

    result = dispatch_pending(db, env=env, now=now)

    assert (result.notifications, result.alerts_sent, result.failures) == (1, 1, 0)
    assert len(receiver.requests) == 1
    post = receiver.requests[0]
    assert post["path"] == f"/hooks/{TOKEN}"
    assert post["json"]["title"] == "Urgent complaint for Loja Aurora"
    message = post["json"]["message"]
    assert "order 100 never arrived, I want a refund now" in message
    assert "asks for a refund" in message and "order never arrived" in message  # reasons
    assert "x · waiting 12 min" in message
    assert "Link: https://x.com/cust100/status/100" in message
    assert [r[2] for r in alert_rows(db)] == ["sent"]

    # The customer insists in the same conversation: still urgent, no new alert.
    again = ingest(
        db,
        [
            complaint(
                "101",
                minutes_ago(now, 2),
                parent="100",
                author="cust100",
                text="@LojaAurora hello?? refund NOW, this is a scam",
            )
        ],
        source="test",
    )
    assert (
        db.execute(
            "SELECT urgent FROM scores WHERE message_id = ?", (again.new_message_ids[0],)
        ).fetchone()[0]
        == 1
    )
    assert again.alerts_queued == 0
    later = dispatch_pending(db, env=env, now=now + timedelta(hours=1))
    assert later.notifications == 0
    assert len(receiver.requests) == 1


def test_ten_complaints_within_the_interval_become_one_digest(db, receiver):
    setup_brand(db, alerts={"min_interval_seconds": 300})
    env = {ENV_NAME: receiver.url}
    now = utc_now()
    ingest(db, [complaint("1", minutes_ago(now, 3))], source="test")
    assert dispatch_pending(db, env=env, now=now).notifications == 1

    # A storm: 10 urgent complaints in 10 conversations, in several batches.
    for start in range(0, 10, 3):
        batch = [
            complaint(str(n), minutes_ago(now, 1))
            for n in range(10 + start, 10 + min(start + 3, 10))
        ]
        ingest(db, batch, source="test")
    assert db.execute("SELECT count(*) FROM alerts WHERE status = 'pending'").fetchone()[0] == 10

    inside = dispatch_pending(db, env=env, now=now + timedelta(seconds=60))
    assert (inside.notifications, inside.deferred) == (0, 10)
    assert len(receiver.requests) == 1

    after = dispatch_pending(db, env=env, now=now + timedelta(seconds=301))
    assert (after.notifications, after.alerts_sent) == (1, 10)
    assert len(receiver.requests) == 2
    digest = receiver.requests[1]["json"]
    assert digest["title"] == "10 urgent complaints for Loja Aurora"
    listed = [
        line
        for line in digest["message"].splitlines()
        if line[:2] in {f"{n}." for n in range(1, 10)}
    ]
    assert len(listed) == 5
    assert "…and 5 more in the replywatch triage queue." in digest["message"]
    rows = alert_rows(db)
    assert {r[2] for r in rows} == {"sent"}
    assert len({r[5] for r in rows[1:]}) == 1  # the ten share one digest

    assert dispatch_pending(db, env=env, now=now + timedelta(seconds=900)).notifications == 0
    assert len(receiver.requests) == 2


def test_failing_target_keeps_alert_pending_then_sends_it_once(db, receiver):
    setup_brand(db)
    env = {ENV_NAME: receiver.url}
    now = utc_now()
    ingest(db, [complaint("7", minutes_ago(now, 5))], source="test")
    receiver.status = 500

    failed = dispatch_pending(db, env=env, now=now)

    assert (failed.notifications, failed.failures) == (0, 1)
    assert len(receiver.requests) == 1  # it was tried
    ((_, _, status, attempts, last_error, _),) = alert_rows(db)
    assert (status, attempts) == ("pending", 1)
    assert "json://***" in last_error and "500" in last_error
    assert TOKEN not in last_error and str(receiver.port) not in last_error

    # Backing off: an immediate second run does not hammer the target.
    receiver.status = 200
    assert dispatch_pending(db, env=env, now=now + timedelta(seconds=5)).deferred == 1
    assert len(receiver.requests) == 1

    recovered = dispatch_pending(db, env=env, now=now + timedelta(seconds=31))
    assert (recovered.notifications, recovered.alerts_sent) == (1, 1)
    assert len(receiver.requests) == 2
    assert alert_rows(db)[0][2] == "sent"
    assert dispatch_pending(db, env=env, now=now + timedelta(hours=2)).notifications == 0
    assert len(receiver.requests) == 2


def test_dead_or_silent_target_does_not_block(db):
    setup_brand(db)
    now = utc_now()
    ingest(db, [complaint("9", minutes_ago(now, 5))], source="test")

    dead = {ENV_NAME: f"json://127.0.0.1:{closed_port()}/hooks/{TOKEN}"}
    started = time.monotonic()
    result = dispatch_pending(db, env=dead, now=now)
    assert time.monotonic() - started < 3
    assert result.failures == 1 and alert_rows(db)[0][2] == "pending"

    # A target that accepts the connection and never answers: the per-send
    # timeout, and failing that the dispatch deadline, bound the wait.
    with silent_listener() as port:
        silent = {ENV_NAME: f"json://127.0.0.1:{port}/hooks/{TOKEN}"}
        started = time.monotonic()
        result = dispatch_pending(
            db, env=silent, now=now + timedelta(hours=1), send_timeout=1.0, timeout=2.0
        )
        elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed
    assert result.failures == 1
    ((_, _, status, attempts, last_error, _),) = alert_rows(db)
    assert (status, attempts) == ("pending", 2)
    assert TOKEN not in last_error


def _stored_bytes(db_path: Path) -> bytes:
    return b"".join(
        Path(f"{db_path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{db_path}{suffix}").exists()
    )


def test_target_url_never_reaches_database_or_logs(db, db_path, receiver, caplog):
    caplog.set_level(logging.DEBUG)  # everything, including apprise and urllib3 debug
    setup_brand(db)
    env = {ENV_NAME: receiver.url}
    now = utc_now()
    ingest(db, [complaint("20", minutes_ago(now, 5))], source="test")
    receiver.status = 500
    dispatch_pending(db, env=env, now=now)
    receiver.status = 200
    dispatch_pending(db, env=env, now=now + timedelta(minutes=1))
    ingest(db, [complaint("21", minutes_ago(now, 1))], source="test")
    dead = {ENV_NAME: f"json://127.0.0.1:{closed_port()}/hooks/{TOKEN}"}
    dispatch_pending(db, env=dead, now=now + timedelta(minutes=20))
    assert len(receiver.requests) == 2
    assert db.execute("SELECT count(*) FROM alerts WHERE last_error IS NOT NULL").fetchone()[0]

    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert "json://***" in logged  # the redacted form is what shows up
    assert "apprise" in {r.name for r in caplog.records}  # the sender's debug lines were seen
    dump = "\n".join(db.conn.iterdump())
    stored = _stored_bytes(db_path)
    for secret in (TOKEN, receiver.url, f"/hooks/{TOKEN}"):
        assert secret not in logged
        assert secret not in dump
        assert secret.encode() not in stored
