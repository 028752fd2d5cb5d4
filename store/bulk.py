"""Bulk loading: a whole import file is staged in a private scratch database,
threaded there, and written to the store in one transaction.

Why not batch by batch: committing every few thousand rows rewrites the same
randomly placed index pages at every commit, and storing messages first and
threading them afterwards writes every message row (and its indexes) twice
and every conversation row twice (created, then filled in). Here each message
row is written once, in key order, already carrying its conversation id, and
each new conversation is inserted once with its final values (computed by a
callback from ``metrics``). A large load into a small store also drops the
secondary indexes of ``messages`` and ``conversations`` for the duration and
rebuilds them by sorting, which is several times cheaper than updating them
row by row.

Crash safety: nothing reaches the store until the final transaction commits.
The scratch database is SQLite's private temporary file (deleted by the
operating system when the process ends, even on SIGKILL), so a killed import
leaves the store exactly as it was and a re-run starts over; file imports are
idempotent, so nothing is lost or duplicated.

What the set-based pass does not thread itself (a private message that joins
its thread by reference, a reply to a stored message that is itself still
unthreaded, a reply cycle in corrupt data) is stored without a conversation
and threaded by ``store.messages.thread_pending`` in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from replywatch.store.brands import ensure_brand_accounts
from replywatch.store.db import transaction
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.message_spec import column_definitions
from replywatch.store.messages import MESSAGE_COLUMNS, ROW_ERRORS, merge_pairs, thread_pending

_COLUMNS = ", ".join(MESSAGE_COLUMNS)
_STAGE_INSERT = (
    f"INSERT INTO stage.rows ({_COLUMNS}) VALUES ({', '.join('?' for _ in MESSAGE_COLUMNS)})"
)
#: Page cache of the scratch database (KiB); it spills to its file beyond this.
STAGE_CACHE_KIB = 32 * 1024
#: Drop and rebuild a table's secondary indexes when the load adds at least
#: this many rows per row already stored (sorting beats random updates then).
REBUILD_INDEX_RATIO = 0.5
#: Rows per statement batch when reading the staged rows back.
READ_CHUNK = 5_000


def stage_schema() -> str:
    """The scratch tables: the staged rows carry every message column with the
    same checks as ``messages`` (from ``store.message_spec``), so a row the
    store would refuse is refused while staging, where it can be dead-lettered
    alone."""
    return (
        "CREATE TABLE stage.rows (\n    s INTEGER PRIMARY KEY,\n    "
        f"{column_definitions()}\n);\n"
        "CREATE TABLE stage.rejected (payload, error TEXT NOT NULL);\n"
    )


@dataclass
class BulkResult:
    """What a bulk load stored."""

    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    conversations_created: int = 0
    #: existing conversations that received messages or absorbed others
    conversations_touched: set[int] = field(default_factory=set)


#: ``build(groups)`` -> conversation rows to insert; a group is
#: ``(conversation id, platform, root message id, channel, root brand,
#: [(message id, direction, created_ts, brand, author_handle, mentions,
#: platform), ...])``.
ConversationBuilder = Callable[[Iterator[tuple]], Iterator[dict[str, Any]]]


class BulkLoad:
    """Collects row tuples (``MESSAGE_COLUMNS`` order) and rejected items in a
    scratch database, then stores them with :meth:`commit`. Use as a context
    manager; the scratch database is dropped on exit."""

    def __init__(self, db: Database):
        self.db = db
        self.staged = 0
        self._accounts: set[tuple[str, str, str]] = set()
        conn = db.conn
        # A private temporary database: its file is unlinked as soon as it is
        # opened, so it disappears with the process whatever happens.
        conn.execute("ATTACH DATABASE '' AS stage")
        # A journal (in memory) so a refused row can be rolled back alone;
        # tables made during the final transaction are new pages, which
        # SQLite does not journal, so it stays small.
        conn.execute("PRAGMA stage.journal_mode = MEMORY")
        conn.execute("PRAGMA stage.synchronous = OFF")
        conn.execute(f"PRAGMA stage.cache_size = -{STAGE_CACHE_KIB}")
        for statement in stage_schema().split(";"):
            if statement.strip():
                conn.execute(statement)

    def __enter__(self) -> BulkLoad:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the scratch database."""
        conn = self.db.conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        try:
            conn.execute("DETACH DATABASE stage")
        except sqlite3.OperationalError:
            pass

    def add(
        self,
        rows: list[tuple],
        rejected: Iterable[tuple[Any, str]] = (),
        brand_accounts: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        """Stage validated row tuples, rejected ``(payload, error)`` items and
        brand accounts seen. A row SQLite refuses is staged as rejected with
        the reason; the others are kept."""
        conn = self.db.conn
        self._accounts.update(brand_accounts)
        rejected = list(rejected)
        conn.execute("BEGIN")
        try:
            try:
                conn.execute("SAVEPOINT stage_batch")
                conn.executemany(_STAGE_INSERT, rows)
                conn.execute("RELEASE stage_batch")
                self.staged += len(rows)
            except ROW_ERRORS:
                # One bad row must not sink the batch: find it, stage the rest.
                conn.execute("ROLLBACK TO stage_batch")
                conn.execute("RELEASE stage_batch")
                for values in rows:
                    try:
                        conn.execute(_STAGE_INSERT, values)
                        self.staged += 1
                    except ROW_ERRORS as exc:
                        rejected.append(
                            (
                                dict(zip(MESSAGE_COLUMNS, values, strict=False)),
                                f"refused by the store: {type(exc).__name__}: {exc}",
                            )
                        )
            conn.executemany(
                "INSERT INTO stage.rejected VALUES (?, ?)",
                [(_storable_payload(p), e) for p, e in rejected],
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def commit(
        self,
        source: str,
        build_conversations: ConversationBuilder,
        recompute: Callable[[set[int]], Any],
    ) -> BulkResult:
        """Store everything staged in one write transaction: dead letters,
        brand accounts, the new messages (duplicates of stored or earlier rows
        skipped) with their conversations, full-text entries, merges of stored
        conversations that turn out to answer a new message; ``recompute`` is
        called with the ids of existing conversations that changed."""
        result = BulkResult()
        conflicts: list[tuple[Any, str]] = []
        with transaction(self.db):
            conn = self.db.conn
            rejected = conn.cursor()
            rejected.execute("SELECT payload, error FROM stage.rejected")
            while chunk := rejected.fetchmany(READ_CHUNK):
                for payload, error in chunk:
                    add_dead_letter(self.db, source, payload, error)
                result.rejected += len(chunk)
            ensure_brand_accounts(self.db, sorted(self._accounts))
            stored_before = conn.execute("SELECT count(*) FROM main.messages").fetchone()[0]
            result.duplicates = _drop_duplicates(
                conn, check_store=stored_before > 0, conflicts=conflicts
            )
            # A duplicate id whose text differs is not "already stored": it is
            # another message under the same id. Keep the first, and say so
            # with a dead letter holding the one not stored.
            for payload, error in conflicts:
                add_dead_letter(self.db, source, payload, error)
            result.duplicates -= len(conflicts)
            result.rejected += len(conflicts)
            staged = conn.execute("SELECT count(*) FROM stage.meta").fetchone()[0]
            if staged:
                result.conversations_touched |= _thread_staged(conn, check_store=stored_before > 0)
                base_id = _max_id(conn, "messages")
                with _rebuilt_indexes_if_large(conn, "messages", staged, stored_before):
                    result.inserted = _insert_messages(conn, base_id)
                conversations_before = conn.execute(
                    "SELECT count(*) FROM main.conversations"
                ).fetchone()[0]
                new_roots = conn.execute(
                    "SELECT count(*) FROM stage.roots WHERE conv > ?",
                    (_max_id(conn, "conversations"),),
                ).fetchone()[0]
                with _rebuilt_indexes_if_large(
                    conn, "conversations", new_roots, conversations_before
                ):
                    result.conversations_created = _insert_conversations(
                        conn, base_id, build_conversations
                    )
                if stored_before:
                    result.conversations_touched |= merge_pairs(self.db, _orphan_pairs(conn))
            # Anything the set-based pass left (DM threads, cycles, replies to
            # unthreaded messages) goes through the general threading.
            result.conversations_touched |= thread_pending(self.db)
            recompute(result.conversations_touched)
        return result


def _storable_payload(payload: Any) -> Any:
    # Stored as add_dead_letter would store it (its key is computed from this text).
    if isinstance(payload, (str, bytes)) or payload is None:
        return payload
    return json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True)


def _max_id(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT coalesce(max(id), 0) FROM main.{table}").fetchone()[0]


_META_COLUMNS = (
    "platform",
    "external_id",
    "in_reply_to_id",
    "channel",
    "thread_ref",
    "direction",
    "created_ts",
    "brand",
    "author_handle",
    "mentions",
)


_CONFLICT_ERROR = (
    "duplicate id {platform}:{external_id} with different text than the message "
    "{where}; the first one is kept"
)


def _drop_duplicates(
    conn: sqlite3.Connection, *, check_store: bool, conflicts: list[tuple[Any, str]]
) -> int:
    """Copy the columns threading and measuring need into the narrow
    ``stage.meta`` (so those passes never read the wide rows), without rows
    whose key is already stored or staged earlier in the file (the first
    occurrence wins, as with row-by-row inserts). Returns how many rows
    were left out; the ones among them whose text differs from the kept
    message are appended to ``conflicts`` as ``(payload, error)``. Erased
    messages are not compared (re-importing after ``forget`` must not bring
    the erased text back as a dead letter)."""
    conn.execute(f"CREATE TABLE stage.meta AS SELECT s, {', '.join(_META_COLUMNS)} FROM stage.rows")
    conn.execute("CREATE INDEX stage.meta_key ON meta (platform, external_id)")
    # CREATE TABLE ... AS keeps no key: without this index every correlated
    # lookup by staging position (``_thread_staged`` into a non-empty store)
    # scans the whole table, once per row (328 s of a 1M-row import).
    conn.execute("CREATE UNIQUE INDEX stage.meta_s ON meta (s)")
    dropped = 0
    if conn.execute(
        "SELECT 1 FROM stage.meta GROUP BY platform, external_id HAVING count(*) > 1 LIMIT 1"
    ).fetchone():
        for platform, external_id, raw in conn.execute(
            """
            SELECT r.platform, r.external_id, r.raw FROM (
                SELECT s, first_value(s) OVER (
                    PARTITION BY platform, external_id ORDER BY s) AS first_s
                FROM stage.meta) d
            JOIN stage.rows r ON r.s = d.s
            JOIN stage.rows f ON f.s = d.first_s
            WHERE d.s > d.first_s AND r.text IS NOT f.text
            ORDER BY r.s
            """
        ):
            conflicts.append(
                (
                    raw if raw is not None else f"{platform}:{external_id}",
                    _CONFLICT_ERROR.format(
                        platform=platform, external_id=external_id, where="earlier in the file"
                    ),
                )
            )
        dropped = conn.execute(
            """
            DELETE FROM stage.meta WHERE s IN (
                SELECT s FROM (
                    SELECT s, row_number() OVER (
                        PARTITION BY platform, external_id ORDER BY s) AS n
                    FROM stage.meta)
                WHERE n > 1)
            """
        ).rowcount
    if check_store:
        for platform, external_id, raw in conn.execute(
            """
            SELECT r.platform, r.external_id, r.raw
            FROM stage.meta d
            JOIN main.messages m ON m.platform = d.platform AND m.external_id = d.external_id
            JOIN stage.rows r ON r.s = d.s
            WHERE m.erased_at IS NULL AND r.text IS NOT m.text
            ORDER BY r.s
            """
        ):
            conflicts.append(
                (
                    raw if raw is not None else f"{platform}:{external_id}",
                    _CONFLICT_ERROR.format(
                        platform=platform, external_id=external_id, where="already stored"
                    ),
                )
            )
        dropped += conn.execute(
            """
            DELETE FROM stage.meta WHERE EXISTS (
                SELECT 1 FROM main.messages m
                WHERE m.platform = meta.platform AND m.external_id = meta.external_id)
            """
        ).rowcount
    return dropped


def _thread_staged(conn: sqlite3.Connection, *, check_store: bool) -> set[int]:
    """Give every staged message a conversation (``stage.conv``): follow
    reply links from each thread's first message down, in one recursive pass.
    A thread whose first message replies to a stored message joins that
    message's conversation; other threads get new conversation ids, numbered
    in the order of their root message. Returns the ids of the stored
    conversations that receive messages."""
    conn.execute(
        "CREATE TABLE stage.links (s INTEGER PRIMARY KEY, parent_s INTEGER, "
        "parent_conv INTEGER, parent_stored INTEGER NOT NULL DEFAULT 0)"
    )
    conn.execute(
        """
        INSERT INTO stage.links (s, parent_s)
        SELECT r.s, p.s FROM stage.meta r
        LEFT JOIN stage.meta p ON p.platform = r.platform AND p.external_id = r.in_reply_to_id
        WHERE r.in_reply_to_id IS NOT NULL
        """
    )
    if check_store:
        conn.execute(
            """
            UPDATE stage.links SET parent_stored = 1, parent_conv = (
                SELECT m.conversation_id FROM main.messages m, stage.meta r
                WHERE r.s = links.s AND m.platform = r.platform
                  AND m.external_id = r.in_reply_to_id)
            WHERE parent_s IS NULL AND EXISTS (
                SELECT 1 FROM main.messages m, stage.meta r
                WHERE r.s = links.s AND m.platform = r.platform
                  AND m.external_id = r.in_reply_to_id)
            """
        )
    conn.execute("CREATE INDEX stage.links_parent ON links (parent_s) WHERE parent_s IS NOT NULL")
    # Thread roots: no reply link, or a link to a message that is nowhere
    # (new conversation); or a link to a stored, threaded message (joins it).
    # Private messages that join their thread by reference are left out.
    conn.execute("CREATE TABLE stage.roots (s INTEGER PRIMARY KEY, conv INTEGER)")
    base_conv = _max_id(conn, "conversations")
    conn.execute(
        """
        INSERT INTO stage.roots (s, conv)
        SELECT r.s, coalesce(l.parent_conv, ? + row_number() OVER (
                   PARTITION BY l.parent_conv IS NULL ORDER BY r.s))
        FROM stage.meta r LEFT JOIN stage.links l ON l.s = r.s
        WHERE l.parent_s IS NULL
          AND (l.parent_stored IS NULL OR l.parent_stored = 0 OR l.parent_conv IS NOT NULL)
          AND NOT (l.s IS NULL AND r.channel = 'private' AND r.thread_ref IS NOT NULL)
        ORDER BY r.s
        """,
        (base_conv,),
    )
    conn.execute("CREATE TABLE stage.conv (s INTEGER PRIMARY KEY, conv INTEGER NOT NULL)")
    conn.execute(
        """
        INSERT INTO stage.conv (s, conv)
        WITH RECURSIVE tree(s, conv) AS (
            SELECT s, conv FROM stage.roots
            UNION ALL
            SELECT l.s, tree.conv FROM tree JOIN stage.links l ON l.parent_s = tree.s
        )
        SELECT s, conv FROM tree
        """
    )
    return {
        r[0]
        for r in conn.execute("SELECT DISTINCT conv FROM stage.roots WHERE conv <= ?", (base_conv,))
    }


def _insert_messages(conn: sqlite3.Connection, base_id: int) -> int:
    """Write the staged messages to the store in file order (message id =
    ``base_id`` + staging position), with their conversations, and index the
    threaded ones for full-text search (the rest are indexed when they are
    threaded)."""
    inserted = conn.execute(
        f"""
        INSERT INTO main.messages (id, {_COLUMNS}, conversation_id)
        SELECT ? + r.s, {", ".join(f"r.{c}" for c in MESSAGE_COLUMNS)}, c.conv
        FROM stage.rows r JOIN stage.meta USING (s) LEFT JOIN stage.conv c USING (s)
        ORDER BY r.s
        """,
        (base_id,),
    ).rowcount
    conn.execute(
        """
        INSERT INTO main.messages_fts (rowid, text, author_handle, author_name)
        SELECT ? + r.s, r.text, r.author_handle, r.author_name
        FROM stage.rows r JOIN stage.conv USING (s)
        ORDER BY r.s
        """,
        (base_id,),
    )
    return inserted


def _insert_conversations(
    conn: sqlite3.Connection, base_id: int, build: ConversationBuilder
) -> int:
    """Insert every new conversation once, with the values ``build`` derives
    from its messages. Returns how many were inserted."""
    base_conv = _max_id(conn, "conversations")
    cursor = conn.cursor()
    cursor.execute(
        """
        SELECT c.conv, ? + m.s, m.direction, m.created_ts, m.brand, m.author_handle,
               m.mentions, m.platform, ro.s IS NOT NULL, m.channel
        FROM stage.conv c JOIN stage.meta m USING (s) LEFT JOIN stage.roots ro USING (s)
        WHERE c.conv > ?
        ORDER BY c.conv
        """,
        (base_id, base_conv),
    )

    def groups() -> Iterator[tuple]:
        while chunk := cursor.fetchmany(READ_CHUNK * 2):
            yield from chunk

    def conversations() -> Iterator[tuple]:
        for conv, members in groupby(groups(), key=lambda row: row[0]):
            rows, root = [], None
            for row in members:
                rows.append(row[1:8])
                if row[8]:
                    root = row
            assert root is not None, f"conversation {conv} has no root"
            yield conv, root[7], root[1], root[9], root[4], rows

    created = 0
    batch: list[dict[str, Any]] = []
    for values in build(conversations()):
        batch.append(values)
        if len(batch) >= READ_CHUNK:
            created += _write_conversations(conn, batch)
            batch = []
    if batch:
        created += _write_conversations(conn, batch)
    return created


def _write_conversations(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> int:
    columns = list(rows[0])
    values = itemgetter(*columns)  # positional parameters bind ~2x faster than named
    conn.executemany(
        f"INSERT INTO main.conversations ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        map(values, rows),
    )
    return len(rows)


def _orphan_pairs(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """(child conversation, parent conversation) for every message stored
    before this load that replies to one of its messages."""
    return conn.execute(
        """
        SELECT DISTINCT child.conversation_id, c.conv
        FROM stage.conv c JOIN stage.meta r USING (s)
        CROSS JOIN main.messages child ON child.platform = r.platform
                                      AND child.in_reply_to_id = r.external_id
        WHERE child.conversation_id IS NOT NULL AND child.conversation_id != c.conv
        """
    ).fetchall()


class _rebuilt_indexes_if_large:
    """Context manager: drop ``table``'s secondary indexes when ``adding``
    rows to ``existing`` ones makes rebuilding them cheaper, recreate them
    (same SQL) on the way out. Inside the caller's transaction, so other
    connections never see the table without them."""

    def __init__(self, conn: sqlite3.Connection, table: str, adding: int, existing: int):
        self.conn = conn
        self.indexes: list[tuple[str, str]] = []
        if adding >= REBUILD_INDEX_RATIO * max(existing, 1) and adding > READ_CHUNK:
            self.indexes = conn.execute(
                "SELECT name, sql FROM main.sqlite_master WHERE type = 'index' "
                "AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            ).fetchall()

    def __enter__(self) -> None:
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX main."{name}"')

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            for _, sql in self.indexes:
                self.conn.execute(sql)
