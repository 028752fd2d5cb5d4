"""Read side of collector health and dead letters, for the Sources page."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database


def collector_health(db: Database) -> list[dict[str, Any]]:
    """One row per source with its last poll, error and counters; ``details``
    is decoded from JSON (an empty dict if it is not valid JSON)."""
    columns = (
        "source",
        "last_poll_at",
        "last_success_at",
        "last_error",
        "last_error_at",
        "items_fetched",
        "items_total",
        "rate_limit_wait_s",
        "consecutive_failures",
        "details",
    )
    rows = []
    for values in db.execute(f"SELECT {', '.join(columns)} FROM collector_health ORDER BY source"):
        row = dict(zip(columns, values, strict=True))
        try:
            details = json.loads(row["details"] or "{}")
        except ValueError:
            details = {}
        row["details"] = details if isinstance(details, dict) else {}
        rows.append(row)
    return rows


def dead_letter_counts(db: Database) -> dict[str, int]:
    """Number of dead letters per source."""
    return dict(
        db.execute(
            "SELECT source, count(*) FROM dead_letters GROUP BY source ORDER BY source"
        ).fetchall()
    )


def dead_letters(
    db: Database, *, source: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest dead letters (at most ``limit``), payload as stored text."""
    where, params = ("WHERE source = ?", [source]) if source else ("", [])
    columns = ("id", "source", "received_at", "error", "payload")
    return [
        dict(zip(columns, r, strict=True))
        for r in db.execute(
            f"SELECT {', '.join(columns)} FROM dead_letters {where} ORDER BY id DESC LIMIT ?",
            [*params, max(1, min(int(limit), 1000))],
        )
    ]


def has_demo_messages(db: Database) -> bool:
    """True when the store holds messages of ``replywatch demo``'s simulated feed."""
    return db.execute("SELECT 1 FROM messages WHERE source = 'demo' LIMIT 1").fetchone() is not None
