"""Writing messages: idempotent batched inserts and reply-link threading.

A message is identified by ``(platform, external_id)``. Inserting one that is
already stored changes nothing. New messages are attached to conversations by
their reply links; a reply that arrives before its parent starts its own
conversation, which is merged into the parent's once the parent arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from store.timeutil import iso_utc, utc_now

MESSAGE_COLUMNS = (
    "platform", "external_id", "kind", "channel", "direction", "brand",
    "author_id", "author_handle", "author_name", "author_followers", "text", "lang",
    "mentions", "created_at", "created_ts", "in_reply_to_id", "thread_ref", "url",
    "source", "fetched_at", "raw", "is_demo",
)  # fmt: skip
REQUIRED_COLUMNS = ("platform", "external_id", "kind", "channel", "direction",
                    "created_at", "created_ts", "source")  # fmt: skip

#: A private message without reply links joins the latest conversation of its
#: thread only if that conversation was active this recently (seconds).
DM_SILENCE_SECONDS = 24 * 3600


@dataclass
class InsertResult:
    """What one batch insert did."""

    inserted: int = 0
    duplicates: int = 0
    new_message_ids: list[int] = field(default_factory=list)
    touched_conversation_ids: set[int] = field(default_factory=set)


def missing_fields(row: Mapping[str, Any]) -> list[str]:
    """Return the required columns that ``row`` lacks (empty list if storable)."""
    return [c for c in REQUIRED_COLUMNS if row.get(c) in (None, "")]


def _prepare(row: Mapping[str, Any]) -> tuple:
    missing = missing_fields(row)
    if missing:
        raise ValueError(f"message is missing required fields: {', '.join(missing)}")
    values = dict(row)
    raw = values.get("raw")
    if raw is not None and not isinstance(raw, str):
        values["raw"] = json.dumps(raw, ensure_ascii=False, default=str)
    values.setdefault("fetched_at", iso_utc(utc_now()))
    values["is_demo"] = 1 if values.get("is_demo") else 0
    values["text"] = values.get("text") or ""
    values["mentions"] = values.get("mentions") or ""
    return tuple(values.get(column) for column in MESSAGE_COLUMNS)


def insert_messages(db: Database, rows: Iterable[Mapping[str, Any]]) -> InsertResult:
    """Insert ``rows`` (dicts with :data:`MESSAGE_COLUMNS`) in one statement batch,
    skipping ones already stored, then thread the new ones into conversations.

    Must be called inside a transaction (see ``store.db.transaction``) so that
    messages, threading and the caller's cursor commit together. Returns an
    :class:`InsertResult`; raises ``ValueError`` for a row missing required
    fields (callers validate first and dead-letter bad items)."""
    prepared = [_prepare(row) for row in rows]
    result = InsertResult()
    if not prepared:
        return result
    conn = db.conn
    max_before = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    placeholders = ", ".join("?" for _ in MESSAGE_COLUMNS)
    conn.executemany(
        f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) VALUES ({placeholders}) "
        "ON CONFLICT (platform, external_id) DO NOTHING",
        prepared,
    )
    # Rowids of rows inserted inside this write transaction are all above the
    # maximum seen at its start, so this finds exactly the new rows.
    result.new_message_ids = [
        r[0] for r in conn.execute("SELECT id FROM messages WHERE id > ?", (max_before,))
    ]
    result.inserted = len(result.new_message_ids)
    result.duplicates = len(prepared) - result.inserted
    if result.inserted:
        result.touched_conversation_ids = _thread_new_messages(db, max_before)
    return result


def _thread_new_messages(db: Database, max_before: int) -> set[int]:
    conn = db.conn
    touched: set[int] = set()

    def propagate_from_parents() -> None:
        # Repeat so that chains of replies inside one batch resolve top-down.
        while True:
            changed = conn.execute(
                """
                UPDATE messages SET conversation_id = (
                    SELECT p.conversation_id FROM messages p
                    WHERE p.platform = messages.platform
                      AND p.external_id = messages.in_reply_to_id)
                WHERE id > ? AND conversation_id IS NULL AND in_reply_to_id IS NOT NULL
                  AND EXISTS (
                    SELECT 1 FROM messages p
                    WHERE p.platform = messages.platform
                      AND p.external_id = messages.in_reply_to_id
                      AND p.conversation_id IS NOT NULL)
                """,
                (max_before,),
            ).rowcount
            if not changed:
                return

    propagate_from_parents()
    _attach_private_threads(db, max_before)
    propagate_from_parents()
    # Whatever is left has no stored parent: each starts its own conversation,
    # and its replies in this batch follow it.
    while conn.execute(
        "SELECT 1 FROM messages WHERE id > ? AND conversation_id IS NULL LIMIT 1", (max_before,)
    ).fetchone():
        _start_conversations(db, max_before)
        propagate_from_parents()
    touched |= _merge_orphans(db, max_before)
    touched |= {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT conversation_id FROM messages WHERE id > ?", (max_before,)
        )
    }
    return touched


def _start_conversations(db: Database, max_before: int) -> None:
    """Create a conversation for every new unthreaded message with no stored
    parent; if none qualifies (a reply cycle), break the cycle at its oldest."""
    conn = db.conn
    roots = conn.execute(
        """
        SELECT m.id FROM messages m
        WHERE m.id > ? AND m.conversation_id IS NULL
          AND NOT (m.in_reply_to_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM messages p WHERE p.platform = m.platform
                AND p.external_id = m.in_reply_to_id))
        """,
        (max_before,),
    ).fetchall()
    if not roots:
        roots = conn.execute(
            "SELECT id FROM messages WHERE id > ? AND conversation_id IS NULL "
            "ORDER BY created_ts, id LIMIT 1",
            (max_before,),
        ).fetchall()
    now = iso_utc(utc_now())
    conn.executemany(
        """
        INSERT INTO conversations (platform, root_message_id, brand, channel, updated_at)
        SELECT platform, id, brand, channel, ? FROM messages WHERE id = ?
        """,
        [(now, root_id) for (root_id,) in roots],
    )
    conn.executemany(
        "UPDATE messages SET conversation_id = "
        "(SELECT id FROM conversations WHERE root_message_id = ?) WHERE id = ?",
        [(root_id, root_id) for (root_id,) in roots],
    )


def _attach_private_threads(db: Database, max_before: int) -> None:
    """Private messages carry a thread reference instead of reply links: join
    the thread's latest conversation unless it has been silent for longer than
    :data:`DM_SILENCE_SECONDS`, in which case a new conversation starts."""
    conn = db.conn
    rows = conn.execute(
        """
        SELECT id, platform, thread_ref, created_ts FROM messages
        WHERE id > ? AND conversation_id IS NULL AND in_reply_to_id IS NULL
          AND channel = 'private' AND thread_ref IS NOT NULL
        ORDER BY created_ts, id
        """,
        (max_before,),
    ).fetchall()
    for message_id, platform, thread_ref, created_ts in rows:
        previous = conn.execute(
            """
            SELECT conversation_id, created_ts FROM messages
            WHERE platform = ? AND thread_ref = ? AND conversation_id IS NOT NULL
              AND created_ts <= ? AND id != ?
            ORDER BY created_ts DESC, id DESC LIMIT 1
            """,
            (platform, thread_ref, created_ts, message_id),
        ).fetchone()
        if previous and created_ts - previous[1] <= DM_SILENCE_SECONDS:
            conn.execute(
                "UPDATE messages SET conversation_id = ? WHERE id = ?",
                (previous[0], message_id),
            )
        else:
            conn.execute(
                "INSERT INTO conversations (platform, root_message_id, brand, channel, "
                "updated_at) SELECT platform, id, brand, channel, ? FROM messages WHERE id = ?",
                (iso_utc(utc_now()), message_id),
            )
            conn.execute(
                "UPDATE messages SET conversation_id = last_insert_rowid() WHERE id = ?",
                (message_id,),
            )


def _merge_orphans(db: Database, max_before: int) -> set[int]:
    """Merge the conversations of stored replies whose parent has just arrived
    into the parent's conversation. Returns the surviving conversation ids."""
    pairs = db.conn.execute(
        """
        SELECT DISTINCT child.conversation_id, parent.conversation_id
        FROM messages parent
        -- CROSS JOIN pins the join order: walk the new rows, then look up
        -- their children by index (the other order scans the whole table).
        CROSS JOIN messages child ON child.platform = parent.platform
                           AND child.in_reply_to_id = parent.external_id
        WHERE parent.id > ? AND child.conversation_id != parent.conversation_id
        """,
        (max_before,),
    ).fetchall()
    absorbed_into: dict[int, int] = {}

    def current(conversation_id: int) -> int:
        while conversation_id in absorbed_into:
            conversation_id = absorbed_into[conversation_id]
        return conversation_id

    touched: set[int] = set()
    for child_id, parent_id in pairs:
        child_id, parent_id = current(child_id), current(parent_id)
        if child_id == parent_id:
            continue
        merge_conversations(db, child_id, parent_id)
        absorbed_into[child_id] = parent_id
        touched.add(parent_id)
    return {current(c) for c in touched}


def merge_conversations(db: Database, child_id: int, parent_id: int) -> None:
    """Move every message, note and audit entry of conversation ``child_id``
    into ``parent_id`` and delete the child."""
    conn = db.conn
    conn.execute(
        """
        UPDATE conversations SET
            assignee = coalesce(assignee, (SELECT assignee FROM conversations WHERE id = :c)),
            tags = CASE WHEN tags = '[]'
                        THEN (SELECT tags FROM conversations WHERE id = :c) ELSE tags END
        WHERE id = :p
        """,
        {"c": child_id, "p": parent_id},
    )
    conn.execute("UPDATE messages SET conversation_id = ? WHERE conversation_id = ?",
                 (parent_id, child_id))
    conn.execute("UPDATE notes SET conversation_id = ? WHERE conversation_id = ?",
                 (parent_id, child_id))
    conn.execute("UPDATE audit_log SET conversation_id = ? WHERE conversation_id = ?",
                 (parent_id, child_id))
    conn.execute("DELETE FROM conversations WHERE id = ?", (child_id,))
