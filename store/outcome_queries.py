"""The reads and writes behind ``metrics/outcomes.py``: a chunk's stored
state and scored messages, and the set-based repeat-contact links. The SQL
stays in the store (issue 24: only store/ speaks SQL); the metric decides
what an outcome is and which windows apply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from replywatch.store.db import Database

#: The grouping of a repeat contact: same platform, customer and brand.
_KEY = "c.platform, lower(c.customer_handle), c.brand"


def chunk_outcome_states(db: Database, chunk: list[int]) -> dict[int, tuple]:
    """Conversation id -> (status, status_changed_at, reopened_count,
    closing_dismissed_id) for the conversations ``chunk``."""
    marks = ",".join("?" * len(chunk))
    return {
        row[0]: row[1:]
        for row in db.execute(
            f"SELECT id, status, status_changed_at, reopened_count, closing_dismissed_id "
            f"FROM conversations WHERE id IN ({marks})",
            chunk,
        )
    }


def chunk_scored_messages(db: Database, chunk: list[int]) -> dict[int, list[tuple]]:
    """Conversation id -> its messages as (id, direction, created_ts,
    author_handle, platform, compound or None) tuples, in no particular order."""
    marks = ",".join("?" * len(chunk))
    messages: dict[int, list[tuple]] = {}
    for row in db.execute(
        f"""SELECT m.conversation_id, m.id, m.direction, m.created_ts, m.author_handle,
                   m.platform, s.compound
            FROM messages m LEFT JOIN scores s ON s.message_id = m.id
            WHERE m.conversation_id IN ({marks})""",
        chunk,
    ):
        messages.setdefault(row[0], []).append(row[1:])
    return messages


def _keys_of(db: Database, conversation_ids: Sequence[int]) -> str:
    """Fill ``temp.outcome_keys`` with the (platform, customer, brand) keys of
    ``conversation_ids`` and of the conversations pointing at them, clear
    those conversations' links (conversations that left the key, by spam or a
    new brand, drop out), and return the FROM clause over the keys."""
    marks = ",".join("?" * len(conversation_ids))
    db.conn.execute("DROP TABLE IF EXISTS temp.outcome_keys")
    # ``customer`` has no type on purpose: compared with the untyped
    # expression ``lower(customer_handle)``, a TEXT column would apply its
    # affinity and stop SQLite from seeking idx_conversations_customer on
    # it (every call then read all of a platform's conversations: 11.7 of
    # 23 s of scoring a 100k-row import).
    db.conn.execute(
        "CREATE TEMP TABLE outcome_keys (platform TEXT, customer, brand TEXT, "
        "PRIMARY KEY (platform, customer, brand)) WITHOUT ROWID"
    )
    db.conn.execute(
        f"""INSERT OR IGNORE INTO temp.outcome_keys
            SELECT {_KEY} FROM conversations c
            WHERE (c.id IN ({marks}) OR c.repeat_contact_id IN ({marks}))
              AND c.customer_handle IS NOT NULL AND c.brand IS NOT NULL""",
        [*conversation_ids, *conversation_ids],
    )
    db.conn.execute(
        f"UPDATE conversations SET repeat_contact_id = NULL WHERE id IN ({marks}) "
        f"OR repeat_contact_id IN ({marks})",
        [*conversation_ids, *conversation_ids],
    )
    return (
        "temp.outcome_keys k CROSS JOIN conversations c ON c.platform = k.platform "
        "AND lower(c.customer_handle) = k.customer AND c.brand = k.brand"
    )


def link_repeat_contacts(
    db: Database,
    windows: Mapping[str, int],
    default_window: int,
    excluded: Sequence[str],
    conversation_ids: Sequence[int] | None = None,
) -> None:
    """Set ``repeat_contact_id`` (the next conversation of the same platform,
    customer and brand, if its first customer message came within the
    brand's window, seconds, after this one's last message) for every
    conversation sharing a key with ``conversation_ids`` or pointing at one
    of them; all conversations when None. Statuses ``excluded`` (trusted
    constants) neither link nor are linked. Set-based: one statement."""
    window_sql = "CASE c.brand " + " ".join("WHEN ? THEN ?" for _ in windows) + " ELSE ? END"
    window_params: list[Any] = [v for item in windows.items() for v in item] + [default_window]
    if not windows:
        window_sql, window_params = "?", [default_window]
    source = "conversations c" if conversation_ids is None else _keys_of(db, conversation_ids)
    excluded_sql = ", ".join(f"'{s}'" for s in excluded)
    ordered = f"""
        SELECT c.id,
               max(c.first_customer_at, coalesce(c.last_customer_at, 0),
                   coalesce(c.last_brand_at, 0)) + {window_sql} AS deadline,
               lead(c.id) OVER w AS next_id,
               lead(c.first_customer_at) OVER w AS next_at
        FROM {source}
        WHERE c.first_customer_at IS NOT NULL AND c.customer_handle IS NOT NULL
          AND c.brand IS NOT NULL AND c.status NOT IN ({excluded_sql})
        WINDOW w AS (PARTITION BY {_KEY} ORDER BY c.first_customer_at, c.id)"""
    db.conn.execute(
        f"""WITH ordered AS ({ordered})
            UPDATE conversations SET repeat_contact_id =
                CASE WHEN o.next_at <= o.deadline THEN o.next_id END
            FROM ordered o
            WHERE conversations.id = o.id
              AND conversations.repeat_contact_id IS NOT
                  (CASE WHEN o.next_at <= o.deadline THEN o.next_id END)""",
        window_params,
    )
    if conversation_ids is None:
        db.conn.execute(
            f"UPDATE conversations SET repeat_contact_id = NULL WHERE repeat_contact_id IS "
            f"NOT NULL AND (status IN ({excluded_sql}) OR brand IS NULL)"
        )
