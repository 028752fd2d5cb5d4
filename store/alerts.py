"""Urgent-complaint alerts: the SQL behind queueing, rate-limit state and
delivery records. Sending lives in ``notify/``; nothing here knows about
apprise, and no apprise URL is ever passed in — targets are keys such as
``REPLYWATCH_ALERTS_AURORA#0:slack``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import iso_utc, to_utc, utc_now

#: Messages older than this (by their own timestamp) never raise an alert:
#: a late backfill of last month's complaints is history, not an emergency.
DEFAULT_MAX_AGE_SECONDS = 24 * 3600

#: Conversation statuses that make a pending alert pointless.
SETTLED_STATUSES = ("spam", "ignored", "replied", "closed")


def queue_urgent_alerts(
    db: Database, message_ids: Sequence[int], *, now: datetime | None = None
) -> int:
    """Queue a pending alert for each scored, inbound message among
    ``message_ids`` that is urgent — ``scores.urgent = 1``, or ``urgency >=``
    the brand's ``alerts.min_urgency`` when that is set — whose conversation
    is not spam/ignored and has no alert yet, whose brand has not switched
    alerts off (``alerts.enabled: false``) and which is not older than the
    brand's ``alerts.max_age_seconds`` (default one day). At most one alert per
    conversation, for its most urgent message; an alert that was dropped
    before reaching anyone (conversation answered first, expired) is re-armed
    by a later urgent message. Meant to run inside the ingest transaction,
    after scoring. Returns how many alerts were queued or re-armed."""
    if not message_ids:
        return 0
    moment = to_utc(now or utc_now())
    now_ts = int(moment.timestamp())
    return db.conn.execute(
        f"""
        INSERT INTO alerts (conversation_id, brand, message_id, urgency, reasons,
                            created_at, created_ts, status)
        SELECT m.conversation_id, c.brand, m.id, s.urgency, s.reasons, :now_iso, :now_ts,
               'pending'
        FROM json_each(:ids) j
        JOIN messages m ON m.id = j.value
        JOIN scores s ON s.message_id = m.id
        JOIN conversations c ON c.id = m.conversation_id
        LEFT JOIN brands b ON b.key = c.brand
        WHERE m.direction = 'inbound'
          AND c.status NOT IN ('spam', 'ignored')
          AND coalesce(json_extract(b.settings, '$.alerts.enabled'), 1) != 0
          AND CASE WHEN json_type(b.settings, '$.alerts.min_urgency') IN ('integer', 'real')
                   THEN s.urgency >= json_extract(b.settings, '$.alerts.min_urgency')
                   ELSE s.urgent = 1 END
          AND m.created_ts >= :now_ts - coalesce(
                json_extract(b.settings, '$.alerts.max_age_seconds'), {DEFAULT_MAX_AGE_SECONDS})
          -- a merged conversation may hold a message whose alert was queued
          -- under the conversation id it had before the merge
          AND NOT EXISTS (SELECT 1 FROM messages am JOIN alerts a ON a.message_id = am.id
                          WHERE am.conversation_id = m.conversation_id
                            AND a.status != 'skipped')
        ORDER BY s.urgency DESC, m.created_ts, m.id
        ON CONFLICT (conversation_id) DO UPDATE SET
            brand = excluded.brand, message_id = excluded.message_id,
            urgency = excluded.urgency, reasons = excluded.reasons,
            created_at = excluded.created_at, created_ts = excluded.created_ts,
            status = 'pending', attempts = 0, last_error = NULL, sent_at = NULL,
            digest_id = NULL, detail = NULL
        -- re-arm only an alert that was dropped without reaching anyone
        WHERE alerts.status = 'skipped'
          AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = alerts.id)
        """,
        {
            "ids": json.dumps([int(i) for i in message_ids]),
            "now_iso": iso_utc(moment),
            "now_ts": now_ts,
        },
    ).rowcount


def pending_alerts(db: Database) -> list[dict[str, Any]]:
    """Every pending alert with what a notification needs: brand (key, name,
    settings dict), the message (platform, text, url, created_ts), its current
    conversation (id, status, awaiting_since) and ``duplicate_of`` — the id of
    an older alert whose message now sits in the same conversation (after a
    merge), else None. Oldest first."""
    rows = db.execute(
        """
        SELECT a.id, a.brand, b.name, b.settings, a.message_id, a.urgency, a.reasons,
               a.created_ts, a.attempts, m.platform, m.text, m.url, m.created_ts,
               m.conversation_id, c.status, c.awaiting_since,
               (SELECT min(o.id) FROM alerts o JOIN messages om ON om.id = o.message_id
                 WHERE om.conversation_id = m.conversation_id AND o.id < a.id)
        FROM alerts a
        JOIN messages m ON m.id = a.message_id
        LEFT JOIN conversations c ON c.id = m.conversation_id
        LEFT JOIN brands b ON b.key = a.brand
        WHERE a.status = 'pending'
        ORDER BY a.created_ts, a.id
        """
    ).fetchall()
    keys = (
        "id",
        "brand",
        "brand_name",
        "settings",
        "message_id",
        "urgency",
        "reasons",
        "queued_ts",
        "attempts",
        "platform",
        "text",
        "url",
        "message_ts",
        "conversation_id",
        "conversation_status",
        "awaiting_since",
        "duplicate_of",
    )
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["settings"] = json.loads(item["settings"] or "{}")
        item["reasons"] = json.loads(item["reasons"] or "[]")
        out.append(item)
    return out


def skip_alerts(db: Database, reasons: Mapping[int, str]) -> int:
    """Mark pending alerts ``skipped`` with a short reason each (alert id ->
    reason). Returns how many changed."""
    return db.conn.executemany(
        "UPDATE alerts SET status = 'skipped', detail = ? WHERE id = ? AND status = 'pending'",
        [(reason, alert_id) for alert_id, reason in reasons.items()],
    ).rowcount


def target_states(db: Database) -> dict[tuple[str, str], dict[str, Any]]:
    """Rate-limit and backoff state per (brand key, target key); brand ``''``
    stands for alerts without a brand."""
    keys = ("last_sent_ts", "failures", "next_attempt_ts", "last_error", "lease_until")
    return {
        (row[0], row[1]): dict(zip(keys, row[2:], strict=True))
        for row in db.execute(
            "SELECT brand, target, last_sent_ts, failures, next_attempt_ts, last_error, "
            "lease_until FROM alert_targets"
        )
    }


def claim_target(db: Database, brand: str, target: str, *, now_ts: int, lease_until: int) -> bool:
    """Take the send lease of one brand+target until ``lease_until``, unless
    another dispatcher holds an unexpired one. Returns whether it was taken.
    The lease keeps two dispatchers (collector loop and a manual
    ``replywatch alerts dispatch``) from sending the same digest twice."""
    db.conn.execute(
        "INSERT INTO alert_targets (brand, target) VALUES (?, ?) "
        "ON CONFLICT (brand, target) DO NOTHING",
        (brand, target),
    )
    return (
        db.conn.execute(
            "UPDATE alert_targets SET lease_until = ? WHERE brand = ? AND target = ? "
            "AND (lease_until IS NULL OR lease_until <= ?)",
            (lease_until, brand, target, now_ts),
        ).rowcount
        == 1
    )


def release_target(db: Database, brand: str, target: str) -> None:
    """Give back a lease without recording an attempt."""
    db.conn.execute(
        "UPDATE alert_targets SET lease_until = NULL WHERE brand = ? AND target = ?",
        (brand, target),
    )


def delivered_targets(db: Database, alert_ids: Iterable[int]) -> dict[int, set[str]]:
    """Map alert id -> the target keys it has already been delivered to."""
    ids = json.dumps([int(i) for i in alert_ids])
    out: dict[int, set[str]] = {}
    for alert_id, target in db.execute(
        "SELECT d.alert_id, d.target FROM alert_deliveries d "
        "JOIN json_each(?) j ON j.value = d.alert_id",
        (ids,),
    ):
        out.setdefault(alert_id, set()).add(target)
    return out


def record_delivery(
    db: Database, brand: str, target: str, alert_ids: Sequence[int], *, now: datetime
) -> int:
    """Record one successful notification (single alert or digest) to
    ``target``: a digest row, a delivery per alert, and the target's rate-limit
    clock reset to ``now`` with its failure count cleared and lease released.
    Returns the digest id."""
    sent_at = iso_utc(now)
    digest_id = db.conn.execute(
        "INSERT INTO alert_digests (brand, target, sent_at, alert_count) VALUES (?, ?, ?, ?)",
        (brand or None, target, sent_at, len(alert_ids)),
    ).lastrowid
    db.conn.executemany(
        "INSERT INTO alert_deliveries (alert_id, target, digest_id, sent_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (alert_id, target) DO NOTHING",
        [(alert_id, target, digest_id, sent_at) for alert_id in alert_ids],
    )
    db.conn.execute(
        "UPDATE alert_targets SET last_sent_ts = ?, failures = 0, next_attempt_ts = NULL, "
        "lease_until = NULL WHERE brand = ? AND target = ?",
        (int(to_utc(now).timestamp()), brand, target),
    )
    db.conn.executemany(
        "UPDATE alerts SET digest_id = ? WHERE id = ?",
        [(digest_id, alert_id) for alert_id in alert_ids],
    )
    return int(digest_id)


def record_failure(
    db: Database,
    brand: str,
    target: str,
    alert_ids: Sequence[int],
    *,
    error: str,
    now: datetime,
    next_attempt_ts: int,
    max_attempts: int,
) -> int:
    """Record a failed notification: the target backs off until
    ``next_attempt_ts`` and releases its lease; each alert counts an attempt
    and keeps ``error`` (already redacted by the caller); alerts that reach
    ``max_attempts`` become ``failed``. Returns how many became failed."""
    at = iso_utc(now)
    db.conn.execute(
        "UPDATE alert_targets SET failures = failures + 1, next_attempt_ts = ?, last_error = ?, "
        "last_error_at = ?, lease_until = NULL WHERE brand = ? AND target = ?",
        (next_attempt_ts, error, at, brand, target),
    )
    ids = json.dumps([int(i) for i in alert_ids])
    db.conn.execute(
        "UPDATE alerts SET attempts = attempts + 1, last_error = ? "
        "WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending'",
        (error, ids),
    )
    return db.conn.execute(
        "UPDATE alerts SET status = 'failed', detail = 'gave up after ' || attempts || "
        "' failed attempts' WHERE id IN (SELECT value FROM json_each(?)) "
        "AND status = 'pending' AND attempts >= ?",
        (ids, max_attempts),
    ).rowcount


def complete_alerts(db: Database, required: Mapping[int, Iterable[str]], *, now: datetime) -> int:
    """Mark ``sent`` each pending alert (alert id -> target keys it must reach)
    that has been delivered to every one of its targets. Returns the count."""
    delivered = delivered_targets(db, required)
    done = [
        alert_id
        for alert_id, targets in required.items()
        if set(targets) and set(targets) <= delivered.get(alert_id, set())
    ]
    return db.conn.executemany(
        "UPDATE alerts SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'pending'",
        [(iso_utc(now), alert_id) for alert_id in done],
    ).rowcount


def alert_counts(db: Database) -> dict[str, int]:
    """Number of alerts per status."""
    return dict(db.execute("SELECT status, count(*) FROM alerts GROUP BY status").fetchall())


def brand_settings_of(db: Database, brand: str) -> tuple[str, dict[str, Any]] | None:
    """``(name, settings dict)`` of one brand, or None if it does not exist."""
    row = db.execute("SELECT name, settings FROM brands WHERE key = ?", (brand,)).fetchone()
    return None if row is None else (row[0], json.loads(row[1] or "{}"))
