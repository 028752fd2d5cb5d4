"""Writing messages: idempotent batched inserts and reply-link threading.

A message is identified by ``(platform, external_id)``. Inserting one that is
already stored changes nothing. New messages are attached to conversations by
their reply links; a reply that arrives before its parent starts its own
conversation, which is merged into the parent's once the parent arrives.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from replywatch.store.db import savepoint
from replywatch.store.message_spec import column_names, required_columns, row_defaults
from replywatch.store.timeutil import iso_utc, utc_now
from replywatch.untrusted import scrub_credentials

#: The stored columns a collector or importer fills, in order, and those a
#: row must have: both from ``store.message_spec``, the one definition.
MESSAGE_COLUMNS = column_names()
REQUIRED_COLUMNS = required_columns()

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
    #: rows SQLite would not take (a broken CHECK, an unencodable string, an
    #: integer too large...), as (row, reason); the caller dead-letters them.
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)


#: Errors that mean "this row cannot be stored", as opposed to errors of the
# database itself (locked, I/O), which must propagate.
ROW_ERRORS = (
    sqlite3.IntegrityError,
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
    UnicodeEncodeError,
    OverflowError,
)


def missing_fields(row: Mapping[str, Any]) -> list[str]:
    """Return the required columns that ``row`` lacks (empty list if storable)."""
    return [c for c in REQUIRED_COLUMNS if row.get(c) in (None, "")]


_as_tuple = itemgetter(*MESSAGE_COLUMNS)
_required_values = itemgetter(*(MESSAGE_COLUMNS.index(c) for c in REQUIRED_COLUMNS))


def missing_values(values: tuple) -> list[str]:
    """Like :func:`missing_fields`, for a row tuple in :data:`MESSAGE_COLUMNS` order."""
    required = _required_values(values)
    if None not in required and "" not in required:  # the common case, checked in C
        return []
    return [c for c, v in zip(REQUIRED_COLUMNS, required, strict=True) if v in (None, "")]


def prepare_row(row: Mapping[str, Any]) -> tuple:
    """The stored tuple (:data:`MESSAGE_COLUMNS` order) of a row dict: defaults
    filled in, ``raw`` as JSON text. Raises ``ValueError`` if it lacks a
    required field."""
    missing = missing_fields(row)
    if missing:
        raise ValueError(f"message is missing required fields: {', '.join(missing)}")
    values = list(_as_tuple({**_DEFAULTS, **row}))
    raw = values[_RAW]
    if raw is not None and not isinstance(raw, str):
        values[_RAW] = json.dumps(raw, ensure_ascii=False, default=str)
    if values[_FETCHED_AT] is None:
        values[_FETCHED_AT] = iso_utc(utc_now())
    for index in _NOT_NULL_TEXT:
        if values[index] is None:
            values[index] = ""
    values[_IS_DEMO] = 1 if values[_IS_DEMO] else 0
    return tuple(values)


def scrub_values(values: tuple) -> tuple:
    """The row tuple with credentials scrubbed from its raw payload and URL
    (:func:`replywatch.untrusted.scrub_credentials`): every path that stores a
    message (collectors' inserts, file imports' bulk load) goes through it, so
    no channel can store a token a platform put in its answer."""
    raw, url = values[_RAW], values[_URL]
    clean_raw = scrub_credentials(raw) if isinstance(raw, str) else raw
    clean_url = scrub_credentials(url) if isinstance(url, str) else url
    if clean_raw is raw and clean_url is url:
        return values
    row = list(values)
    row[_RAW], row[_URL] = clean_raw, clean_url
    return tuple(row)


def _checked(values: tuple) -> tuple:
    missing = missing_values(values)
    if missing:
        raise ValueError(f"message is missing required fields: {', '.join(missing)}")
    return values


_DEFAULTS: dict[str, Any] = row_defaults()
_RAW = MESSAGE_COLUMNS.index("raw")
_URL = MESSAGE_COLUMNS.index("url")
_FETCHED_AT = MESSAGE_COLUMNS.index("fetched_at")
_IS_DEMO = MESSAGE_COLUMNS.index("is_demo")
_INSERT_SQL = (
    f"INSERT INTO messages ({', '.join(MESSAGE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in MESSAGE_COLUMNS)}) "
    "ON CONFLICT (platform, external_id) DO NOTHING"
)
_NOT_NULL_TEXT = tuple(i for i, v in enumerate(_DEFAULTS.values()) if v == "")


def insert_messages(
    db: Database, rows: Iterable[Mapping[str, Any] | tuple], *, thread: bool = True
) -> InsertResult:
    """Insert ``rows`` (dicts with :data:`MESSAGE_COLUMNS`, or tuples of their
    values in that order as made by ``collectors.base.row_values``, which are
    stored as they are) in one statement batch,
    skipping ones already stored, then (unless ``thread`` is False) thread every
    unthreaded message into conversations.

    Must be called inside a transaction (see ``store.db.transaction``) so that
    messages, threading and the caller's cursor commit together. With
    ``thread=False`` the rows stay unthreaded until the next call of this
    function or :func:`thread_pending` (file imports use ``store.bulk``,
    which threads set-based). Raises ``ValueError`` for a row missing required fields
    (callers validate first, :func:`missing_values` for tuples, and
    dead-letter bad items); rows SQLite refuses
    are returned in ``refused`` and the others are stored."""
    prepared = [
        scrub_values(_checked(row) if type(row) is tuple else prepare_row(row)) for row in rows
    ]
    result = InsertResult()
    if prepared:
        conn = db.conn
        max_before = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
        try:
            with savepoint(db, "insert_batch"):
                conn.executemany(_INSERT_SQL, prepared)
        except ROW_ERRORS:
            # One bad row must not sink the batch: find it, store the rest.
            for values in prepared:
                try:
                    with savepoint(db, "insert_row"):
                        conn.execute(_INSERT_SQL, values)
                except ROW_ERRORS as exc:
                    result.refused.append(
                        (
                            dict(zip(MESSAGE_COLUMNS, values, strict=True)),
                            f"{type(exc).__name__}: {exc}",
                        )
                    )
        # Rowids of rows inserted inside this write transaction are all above
        # the maximum seen at its start, so this finds exactly the new rows.
        result.new_message_ids = [
            r[0] for r in conn.execute("SELECT id FROM messages WHERE id > ?", (max_before,))
        ]
        result.inserted = len(result.new_message_ids)
        result.duplicates = len(prepared) - result.inserted - len(result.refused)
    if thread:
        result.touched_conversation_ids = thread_pending(db)
    return result


def thread_pending(db: Database) -> set[int]:
    """Attach every message without a conversation to one, merging conversations
    whose root turns out to answer one of these messages. Returns the ids of
    the conversations that changed. Call inside a transaction."""
    conn = db.conn
    if not conn.execute("SELECT 1 FROM messages WHERE conversation_id IS NULL LIMIT 1").fetchone():
        return set()
    conn.execute("DROP TABLE IF EXISTS temp.pending_messages")
    conn.execute("CREATE TEMP TABLE pending_messages (id INTEGER PRIMARY KEY)")
    conn.execute(
        "INSERT INTO temp.pending_messages SELECT id FROM messages WHERE conversation_id IS NULL"
    )
    # Every message is threaded exactly once, in the transaction that stores
    # it (or, for bulk imports, the one that finishes them): the moment to add
    # it to the full-text index.
    conn.execute(
        """
        INSERT INTO messages_fts (rowid, text, author_handle, author_name)
        SELECT m.id, m.text, m.author_handle, m.author_name
        FROM temp.pending_messages p JOIN messages m ON m.id = p.id
        """
    )

    def propagate_from_parents() -> int:
        # Repeat so that chains of replies resolve top-down, one level a pass.
        moved = 0
        while changed := conn.execute(
            """
            UPDATE messages SET conversation_id = parent.conversation_id
            FROM messages AS parent
            WHERE messages.conversation_id IS NULL AND messages.in_reply_to_id IS NOT NULL
              AND parent.platform = messages.platform
              AND parent.external_id = messages.in_reply_to_id
              AND parent.conversation_id IS NOT NULL
            """
        ).rowcount:
            moved += changed
        return moved

    _attach_private_threads(db)
    # Messages with no stored parent start conversations; replies then follow
    # their parents. A reply cycle (only corrupt data makes one) is broken at
    # its oldest message.
    while conn.execute("SELECT 1 FROM messages WHERE conversation_id IS NULL LIMIT 1").fetchone():
        started = _new_conversations_for(
            db,
            """NOT (m.in_reply_to_id IS NOT NULL AND EXISTS (
                    SELECT 1 FROM messages p WHERE p.platform = m.platform
                    AND p.external_id = m.in_reply_to_id))""",
        )
        if not propagate_from_parents() and not started:
            _new_conversations_for(
                db,
                "m.id = (SELECT id FROM messages WHERE conversation_id IS NULL "
                "ORDER BY created_ts, id LIMIT 1)",
            )
    touched = _merge_orphans(db)
    touched |= {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT m.conversation_id FROM temp.pending_messages p "
            "JOIN messages m ON m.id = p.id"
        )
    }
    conn.execute("DROP TABLE temp.pending_messages")
    return touched


def _new_conversations_for(db: Database, where: str, params: tuple = ()) -> int:
    """Create a conversation rooted at each unthreaded message matching ``where``
    and attach the root to it. Returns how many were created."""
    conn = db.conn
    created = conn.execute(
        f"""
        INSERT INTO conversations (platform, root_message_id, brand, channel, updated_at)
        SELECT m.platform, m.id, m.brand, m.channel, ? FROM messages m
        WHERE m.conversation_id IS NULL AND {where}
        """,
        (iso_utc(utc_now()), *params),
    ).rowcount
    conn.execute(
        """
        UPDATE messages SET conversation_id = c.id FROM conversations c
        WHERE messages.conversation_id IS NULL AND c.root_message_id = messages.id
        """
    )
    return created


def _attach_private_threads(db: Database) -> None:
    """Private messages carry a thread reference instead of reply links: join
    the thread's latest conversation unless it has been silent for longer than
    :data:`DM_SILENCE_SECONDS`, in which case a new conversation starts."""
    conn = db.conn
    rows = conn.execute(
        """
        SELECT id, platform, thread_ref, created_ts FROM messages
        WHERE conversation_id IS NULL AND in_reply_to_id IS NULL
          AND channel = 'private' AND thread_ref IS NOT NULL
        ORDER BY created_ts, id
        """
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
            _new_conversations_for(db, "m.id = ?", (message_id,))


def _merge_orphans(db: Database) -> set[int]:
    """Merge the conversations of stored replies whose parent has just been
    threaded into the parent's conversation. Returns the surviving ids."""
    pairs = db.conn.execute(
        """
        SELECT DISTINCT child.conversation_id, parent.conversation_id
        FROM temp.pending_messages pending
        -- CROSS JOIN pins the join order: walk the new rows, then look up
        -- their children by index (the other order scans the whole table).
        CROSS JOIN messages parent ON parent.id = pending.id
        CROSS JOIN messages child ON child.platform = parent.platform
                                 AND child.in_reply_to_id = parent.external_id
        WHERE child.conversation_id != parent.conversation_id
        """
    ).fetchall()
    return merge_pairs(db, pairs)


def merge_pairs(db: Database, pairs: Iterable[tuple[int, int]]) -> set[int]:
    """Merge each ``(child conversation, parent conversation)`` pair, following
    earlier merges (a parent already absorbed elsewhere is looked up through
    them). Returns the surviving conversations that absorbed others."""
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
    conn.execute(
        "UPDATE messages SET conversation_id = ? WHERE conversation_id = ?", (parent_id, child_id)
    )
    conn.execute(
        "UPDATE notes SET conversation_id = ? WHERE conversation_id = ?", (parent_id, child_id)
    )
    conn.execute(
        "UPDATE audit_log SET conversation_id = ? WHERE conversation_id = ?", (parent_id, child_id)
    )
    conn.execute("DELETE FROM conversations WHERE id = ?", (child_id,))
