"""Collector cursors and health, written in the same transaction as data."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import iso_utc, utc_now


def get_cursor(db: Database, source: str) -> dict[str, Any]:
    """Return the saved cursor of ``source`` (an empty dict if none)."""
    row = db.execute("SELECT cursor FROM collector_state WHERE source = ?", (source,)).fetchone()
    return json.loads(row[0]) if row else {}


def set_cursor(db: Database, source: str, cursor: dict[str, Any]) -> None:
    """Save the cursor of ``source``. Call inside the transaction that stores
    the items the cursor covers, so the two can never disagree."""
    db.conn.execute(
        "INSERT INTO collector_state (source, cursor, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, "
        "updated_at = excluded.updated_at",
        (source, json.dumps(cursor, sort_keys=True), iso_utc(utc_now())),
    )


def record_health(
    db: Database,
    source: str,
    *,
    ok: bool,
    items: int = 0,
    error: str | None = None,
    rate_limit_wait_s: float = 0.0,
    details: dict[str, Any] | None = None,
) -> None:
    """Record the outcome of one poll of ``source`` for the Sources page."""
    now = iso_utc(utc_now())
    db.conn.execute(
        """
        INSERT INTO collector_health (source, last_poll_at, last_success_at, last_error,
            last_error_at, items_fetched, items_total, rate_limit_wait_s,
            consecutive_failures, details)
        VALUES (:source, :now, CASE WHEN :ok THEN :now END, :error,
            CASE WHEN :ok THEN NULL ELSE :now END, :items, :items, :wait,
            CASE WHEN :ok THEN 0 ELSE 1 END, :details)
        ON CONFLICT (source) DO UPDATE SET
            last_poll_at = :now,
            last_success_at = CASE WHEN :ok THEN :now ELSE last_success_at END,
            last_error = CASE WHEN :ok THEN last_error ELSE :error END,
            last_error_at = CASE WHEN :ok THEN last_error_at ELSE :now END,
            items_fetched = :items,
            items_total = items_total + :items,
            rate_limit_wait_s = rate_limit_wait_s + :wait,
            consecutive_failures = CASE WHEN :ok THEN 0 ELSE consecutive_failures + 1 END,
            details = :details
        """,
        {
            "source": source,
            "now": now,
            "ok": int(ok),
            "error": error,
            "items": items,
            "wait": rate_limit_wait_s,
            "details": json.dumps(details or {}, sort_keys=True),
        },
    )
