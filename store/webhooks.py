"""What real-time webhooks store besides messages: events that refer to a
stored message (reactions, edits, revokes, delivery statuses), account alerts
and per channel delivery statistics (the Sources page).

Every write here is idempotent, so a delivery Meta retries (it does, for any
POST not answered 200) changes nothing the second time: events and alerts
are unique on their key, and statistics count deliveries, not messages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import iso_utc, utc_now

#: Kinds of :class:`MessageEvent`.
EVENT_KINDS = ("reaction", "edit", "revoke", "status")
#: The row of ``webhook_stats`` for what cannot be told apart by channel: a
#: POST whose signature is wrong is never parsed, so its channel is unknown.
ENDPOINT = "meta"


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """Something that happened to a message stored (or to be stored) under
    ``(platform, target_id)``: a reaction (``value`` = emoji, "" when taken
    back), an edit (``value`` = the new text), a revoke, or a delivery
    ``status`` (sent, delivered, read, played, failed; ``detail`` = the error).
    ``event_key`` identifies it (a retried delivery stores it once);
    ``thread_ref`` is the conversation's thread, so a failed delivery shows on
    the conversation even when the message itself is not stored."""

    platform: str
    event_key: str
    target_id: str
    kind: str
    at: int
    value: str = ""
    detail: str | None = None
    thread_ref: str | None = None


@dataclass(frozen=True, slots=True)
class AccountAlert:
    """An account-level event of a channel (a template approved or rejected, the
    account restricted, a customer's number changed): shown on the Sources
    page, never a conversation. ``payload`` (JSON-able) makes its key."""

    channel: str
    field: str
    summary: str
    at: int
    account: str | None = None
    payload: Any = None

    def key(self) -> str:
        """The de-duplication key: the channel, field and whole payload."""
        text = json.dumps([self.channel, self.field, self.payload], sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def add_events(db: Database, events: Iterable[MessageEvent]) -> int:
    """Store ``events`` (known keys are skipped). Returns how many were new."""
    added = 0
    for e in events:
        cursor = db.conn.execute(
            "INSERT INTO message_events (platform, event_key, target_id, thread_ref, kind, "
            "value, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, event_key) DO NOTHING",
            (e.platform, e.event_key, e.target_id, e.thread_ref, e.kind, e.value, e.detail, e.at),
        )
        added += cursor.rowcount
    return added


def add_alerts(db: Database, alerts: Iterable[AccountAlert]) -> int:
    """Store account ``alerts`` (known ones are skipped). Returns how many were new."""
    added = 0
    now = iso_utc(utc_now())
    for a in alerts:
        cursor = db.conn.execute(
            "INSERT INTO account_alerts (channel, account, field, summary, at, received_at, "
            "alert_key) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_key) DO NOTHING",
            (a.channel, a.account, a.field, a.summary[:500], a.at, now, a.key()),
        )
        added += cursor.rowcount
    return added


def record_delivery(db: Database, channel: str, *, ok: bool, error: str | None = None) -> None:
    """Count one delivery of ``channel`` (``ok=False``: it could not be
    stored, or held items that were dead-lettered; ``error`` says why)."""
    now = iso_utc(utc_now())
    db.conn.execute(
        """INSERT INTO webhook_stats (channel, deliveries, last_delivery_at, failures,
               last_failure_at, last_error)
           VALUES (:channel, 1, :now, :failed, CASE WHEN :failed THEN :now END, :error)
           ON CONFLICT (channel) DO UPDATE SET
               deliveries = deliveries + 1,
               last_delivery_at = :now,
               failures = failures + :failed,
               last_failure_at = CASE WHEN :failed THEN :now ELSE last_failure_at END,
               last_error = CASE WHEN :failed THEN :error ELSE last_error END""",
        {"channel": channel, "now": now, "failed": 0 if ok else 1, "error": error},
    )


def record_rejection(db: Database, channel: str = ENDPOINT) -> None:
    """Count one POST refused for its signature (nothing of it is stored)."""
    now = iso_utc(utc_now())
    db.conn.execute(
        """INSERT INTO webhook_stats (channel, signature_rejections, last_rejection_at)
           VALUES (?, 1, ?)
           ON CONFLICT (channel) DO UPDATE SET
               signature_rejections = signature_rejections + 1,
               last_rejection_at = excluded.last_rejection_at""",
        (channel, now),
    )


def webhook_stats(db: Database) -> list[dict[str, Any]]:
    """One row per channel that received a delivery (and ``meta`` for
    signature rejections), for the Sources page."""
    columns = (
        "channel",
        "deliveries",
        "last_delivery_at",
        "failures",
        "last_failure_at",
        "last_error",
        "signature_rejections",
        "last_rejection_at",
    )
    return [
        dict(zip(columns, row, strict=True))
        for row in db.execute(f"SELECT {', '.join(columns)} FROM webhook_stats ORDER BY channel")
    ]


def account_alerts(db: Database, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest account alerts, newest first."""
    columns = ("channel", "account", "field", "summary", "at", "received_at")
    return [
        dict(zip(columns, row, strict=True))
        for row in db.execute(
            f"SELECT {', '.join(columns)} FROM account_alerts ORDER BY at DESC, id DESC LIMIT ?",
            (max(1, min(int(limit), 500)),),
        )
    ]


def message_annotations(
    db: Database, platform: str, external_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """What the events say about each of ``external_ids``: ``reaction`` (the
    latest emoji; absent when taken back), ``edited`` (the latest text),
    ``revoked`` (True) and ``status`` / ``status_error`` (the latest delivery
    state, a failure winning over a later read)."""
    ids = list(dict.fromkeys(external_ids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            f"""SELECT target_id, kind, value, detail FROM message_events
                WHERE platform = ? AND target_id IN ({", ".join("?" * len(chunk))})
                ORDER BY at, id""",
            [platform, *chunk],
        ).fetchall()
        for target, kind, value, detail in rows:
            _annotate(found.setdefault(target, {}), kind, value, detail)
    return found


def _annotate(note: dict[str, Any], kind: str, value: str, detail: str | None) -> None:
    if kind == "reaction":
        if value:
            note["reaction"] = value
        else:
            note.pop("reaction", None)
    elif kind == "edit":
        note["edited"] = value
    elif kind == "revoke":
        note["revoked"] = True
    elif kind == "status" and note.get("status") != "failed":
        note["status"] = value
        if detail:
            note["status_error"] = detail


def failed_deliveries(db: Database, platform: str, thread_refs: Iterable[str]) -> dict[str, str]:
    """``thread_ref -> error`` of the latest failed delivery of each thread
    (a brand message that never reached the customer)."""
    refs = list(dict.fromkeys(r for r in thread_refs if r))
    found: dict[str, str] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        for ref, detail in db.execute(
            f"""SELECT thread_ref, coalesce(detail, '') FROM message_events
                WHERE platform = ? AND kind = 'status' AND value = 'failed'
                  AND thread_ref IN ({", ".join("?" * len(chunk))})
                ORDER BY at, id""",
            [platform, *chunk],
        ):
            found[ref] = detail
    return found


def dm_thread_of(db: Database, platform: str, customer_id: str) -> str | None:
    """The thread of the latest private message the customer ``customer_id``
    sent on ``platform`` (a webhook's direct message joins the conversation
    the poller stored, whose Graph thread id the webhook does not carry)."""
    row = db.execute(
        """SELECT thread_ref FROM messages
           WHERE platform = ? AND author_id = ? AND channel = 'private'
             AND direction = 'inbound' AND thread_ref IS NOT NULL
           ORDER BY created_ts DESC, id DESC LIMIT 1""",
        (platform, customer_id),
    ).fetchone()
    return row[0] if row else None


def forget_customer(
    db: Database,
    handle: str,
    message_ids: list[int],
    pattern: re.Pattern,
    erased: str,
) -> int:
    """The webhook traces of a customer being forgotten (``replywatch
    forget``): events on their messages (an edit keeps its text), events and
    brand replies (thread and raw payload) whose thread is named by their number (WhatsApp threads
    are ``<business number>:<customer number>``), and account alerts naming
    them (a changed number). Returns how many rows were erased or scrubbed."""
    count = 0
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        count += db.conn.execute(
            f"""DELETE FROM message_events WHERE EXISTS (
                    SELECT 1 FROM messages m WHERE m.id IN ({", ".join("?" * len(chunk))})
                      AND m.platform = message_events.platform
                      AND m.external_id = message_events.target_id)""",
            chunk,
        ).rowcount
    suffix = _suffix(handle)
    count += db.conn.execute(
        "DELETE FROM message_events WHERE thread_ref LIKE ? ESCAPE '\\'", (suffix,)
    ).rowcount
    # Brand replies in their thread (e.g. a reply known by its delivery
    # status, which names the customer's number in its raw payload).
    count += db.conn.execute(
        "UPDATE messages SET thread_ref = NULL, raw = NULL WHERE thread_ref LIKE ? ESCAPE '\\'",
        (suffix,),
    ).rowcount
    for id_, summary in db.execute("SELECT id, summary FROM account_alerts").fetchall():
        if pattern.search(summary):
            db.conn.execute(
                "UPDATE account_alerts SET summary = ? WHERE id = ?",
                (pattern.sub(erased, summary), id_),
            )
            count += 1
    return count


def customer_traces(
    db: Database, handle: str, message_ids: list[int], pattern: re.Pattern
) -> dict[str, list[dict[str, Any]]]:
    """What :func:`forget_customer` would erase, for an access request
    (``replywatch export-subject``): events on their messages or in the
    thread named by their number, and account alerts naming them."""
    columns = ("platform", "kind", "target_id", "value", "detail", "at")
    found: dict[tuple, dict[str, Any]] = {}
    for start in range(0, len(message_ids), 500):
        chunk = message_ids[start : start + 500]
        for row in db.execute(
            f"""SELECT e.id, e.platform, e.kind, e.target_id, e.value, e.detail, e.at
                FROM message_events e JOIN messages m
                  ON m.platform = e.platform AND m.external_id = e.target_id
                WHERE m.id IN ({", ".join("?" * len(chunk))})""",
            chunk,
        ):
            found[row[0]] = dict(zip(columns, row[1:], strict=True))
    for row in db.execute(
        "SELECT id, platform, kind, target_id, value, detail, at FROM message_events "
        "WHERE thread_ref LIKE ? ESCAPE '\\'",
        (_suffix(handle),),
    ):
        found[row[0]] = dict(zip(columns, row[1:], strict=True))
    alerts = [a for a in account_alerts(db, limit=500) if pattern.search(a["summary"])]
    return {"message_events": [found[k] for k in sorted(found)], "account_alerts": alerts}


def _suffix(handle: str) -> str:
    """A LIKE pattern (escape ``\\``) for thread references ending ``:handle``."""
    return "%:" + handle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
