"""The read behind ``metrics/messenger_badge.py``: Messenger threads (Facebook,
private channel) in a period, in the order the badge simulator walks them.
The SQL stays in the store (issue 24: only store/ speaks SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from replywatch.store.db import Database


def messenger_timeline(
    db: Database, since: int, until: int, brand: str | None = None
) -> Iterator[tuple[str, str | None, int, str, int]]:
    """(brand, thread_ref, created_ts, direction, spam) of every Messenger
    message with a brand created in [since, until] (both ends included),
    ``spam`` 1 when its conversation is marked spam; ordered by brand, thread
    and time, inbound first at equal seconds (a reply stamped in the same
    second answers)."""
    sql = """
        SELECT m.brand, m.thread_ref, m.created_ts, m.direction,
               coalesce(c.status, '') = 'spam' AS spam
        FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
        WHERE m.platform = 'facebook' AND m.channel = 'private'
          AND m.created_ts >= ? AND m.created_ts <= ? AND m.brand IS NOT NULL
    """
    params: list[Any] = [since, until]
    if brand is not None:
        sql += " AND m.brand = ?"
        params.append(brand)
    sql += " ORDER BY m.brand, m.thread_ref, m.created_ts, m.direction = 'outbound', m.id"
    return db.execute(sql, params)
