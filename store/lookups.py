"""Small lookup queries: filter choices, the shared date range, the Admin
page's brand settings and the counts of ``replywatch stats``."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import FUTURE_SLACK_SECONDS


def brands(db: Database) -> list[dict[str, Any]]:
    """Every brand as ``{"key", "name", "timezone"}``, sorted by name."""
    return [
        {"key": k, "name": n, "timezone": tz}
        for k, n, tz in db.execute("SELECT key, name, timezone FROM brands ORDER BY name, key")
    ]


def platforms(db: Database) -> list[str]:
    """Platforms that have conversations."""
    return [r[0] for r in db.execute("SELECT DISTINCT platform FROM conversations ORDER BY 1")]


def languages(db: Database) -> list[str]:
    """Languages the scorer has assigned, most common first (at most 30)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT language FROM scores GROUP BY language ORDER BY count(*) DESC LIMIT 30"
        )
    ]


def data_span(db: Database) -> tuple[int | None, int | None]:
    """(first, last) message time, unix seconds, from the created_ts index;
    (None, None) on an empty database."""
    # Two queries: SQLite answers a lone min() or max() from the index, but
    # scans the table for both in one SELECT.
    first = db.execute("SELECT min(created_ts) FROM messages").fetchone()[0]
    last = db.execute("SELECT max(created_ts) FROM messages").fetchone()[0]
    return first, last


def latest_actionable(db: Database, now: int) -> int | None:
    """The newest message time that is not in the future (at most ``now`` plus
    :data:`~store.timeutil.FUTURE_SLACK_SECONDS`), unix seconds; None if there
    is none. Default periods end here, so one mis-dated row cannot move them
    to a year nobody can act on."""
    return db.execute(
        "SELECT max(created_ts) FROM messages WHERE created_ts <= ?",
        (int(now) + FUTURE_SLACK_SECONDS,),
    ).fetchone()[0]


def has_messages(db: Database) -> bool:
    """True once anything has been collected or imported."""
    return db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None


def brand_details(db: Database) -> list[dict[str, Any]]:
    """Every brand as ``{"key", "name", "timezone", "settings"}`` (settings
    decoded from JSON, ``{}`` when none), sorted by key: the Admin page."""
    return [
        {"key": k, "name": n, "timezone": tz, "settings": json.loads(s or "{}")}
        for k, n, tz, s in db.execute(
            "SELECT key, name, timezone, settings FROM brands ORDER BY key"
        )
    ]


def counts(db: Database) -> dict[str, int]:
    """Row counts for ``replywatch stats``, in display order: messages (and
    how many inbound and outbound), brands, conversations, dead letters."""

    def one(sql: str) -> int:
        return db.execute(sql).fetchone()[0]

    return {
        "messages": one("SELECT count(*) FROM messages"),
        "inbound": one("SELECT count(*) FROM messages WHERE direction = 'inbound'"),
        "outbound": one("SELECT count(*) FROM messages WHERE direction = 'outbound'"),
        "brands": one("SELECT count(*) FROM brands"),
        "conversations": one("SELECT count(*) FROM conversations"),
        "dead_letters": one("SELECT count(*) FROM dead_letters"),
    }


def demo_message_kinds(db: Database) -> list[tuple[int, str | None]]:
    """(id, the simulator's ``kind`` from the raw payload) of every stored
    demo customer message, by id."""
    return db.execute(
        "SELECT m.id, json_extract(m.raw, '$.kind') FROM messages m "
        "WHERE m.direction = 'inbound' AND m.is_demo = 1 AND m.raw IS NOT NULL ORDER BY m.id"
    ).fetchall()
