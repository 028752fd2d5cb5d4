"""The reads and writes behind ``metrics/engine.py`` (the conversation
engine): the messages and stored state of a chunk of conversations, the
derived fields written back, the brands' calendars and the score
aggregates. The SQL stays in the store (issue 24: only store/ speaks SQL);
the engine decides what the values are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from replywatch.store.db import Database


def brand_calendar_settings(db: Database) -> dict[str, tuple[str, str]]:
    """Brand key -> (timezone, settings JSON) of every brand."""
    return {
        key: (timezone, settings)
        for key, timezone, settings in db.execute("SELECT key, timezone, settings FROM brands")
    }


def chunk_messages(db: Database, chunk: list[int]) -> dict[int, list[tuple]]:
    """Conversation id -> its messages as (id, direction, created_ts, brand,
    author_handle, mentions, platform) tuples, in no particular order, for
    the conversations ``chunk`` (at most SQLite's parameter limit)."""
    marks = ",".join("?" * len(chunk))
    messages: dict[int, list[tuple]] = {}
    for row in db.execute(
        f"""SELECT conversation_id, id, direction, created_ts, brand, author_handle,
                   mentions, platform
            FROM messages WHERE conversation_id IN ({marks})""",
        chunk,
    ):
        messages.setdefault(row[0], []).append(row[1:])
    return messages


def chunk_states(db: Database, chunk: list[int]) -> dict[int, tuple]:
    """Conversation id -> (status, status_changed_at, reopened_count, brand)."""
    marks = ",".join("?" * len(chunk))
    return {
        row[0]: row[1:]
        for row in db.execute(
            f"SELECT id, status, status_changed_at, reopened_count, brand "
            f"FROM conversations WHERE id IN ({marks})",
            chunk,
        )
    }


def write_conversation_values(db: Database, updates: list[dict[str, Any]]) -> None:
    """Write each update (a dict of conversation columns with its ``id``; all
    with the same columns, trusted names from the engine) to its row."""
    if not updates:
        return
    columns = [c for c in updates[0] if c != "id"]
    db.conn.executemany(
        f"UPDATE conversations SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id",
        updates,
    )


def conversation_ids(db: Database, brand: str | None = None) -> list[int]:
    """Ids of every conversation, or of ``brand``'s."""
    if brand is None:
        return [r[0] for r in db.execute("SELECT id FROM conversations")]
    return [r[0] for r in db.execute("SELECT id FROM conversations WHERE brand = ?", (brand,))]


def refresh_score_columns(db: Database, ids: Iterable[int]) -> None:
    """Copy message scores up to the conversations ``ids`` (at most SQLite's
    parameter limit): ``max_urgency`` (highest urgency of any customer
    message) and ``last_compound`` (sentiment of the latest one)."""
    chunk = list(ids)
    marks = ",".join("?" * len(chunk))
    db.conn.execute(
        f"""
        UPDATE conversations SET
            max_urgency = (
                SELECT max(s.urgency) FROM messages m JOIN scores s ON s.message_id = m.id
                WHERE m.conversation_id = conversations.id AND m.direction = 'inbound'),
            last_compound = (
                SELECT s.compound FROM messages m JOIN scores s ON s.message_id = m.id
                WHERE m.conversation_id = conversations.id AND m.direction = 'inbound'
                ORDER BY m.created_ts DESC, m.id DESC LIMIT 1)
        WHERE id IN ({marks})
        """,
        chunk,
    )
