"""Bulk loading: a whole import file is staged in a private scratch database,
threaded there, and written to the store in chunks of whole conversations.

Why not batch by batch: committing every few thousand rows rewrites the same
randomly placed index pages at every commit, and storing messages first and
threading them afterwards writes every message row (and its indexes) twice
and every conversation row twice (created, then filled in). Here each message
row is written once, already carrying its conversation id, and each new
conversation is inserted once with its final values (computed by a callback
from ``metrics``). A large load into a small store also drops the secondary
indexes of ``messages`` and ``conversations`` for the duration of a chunk and
rebuilds them by sorting, which is several times cheaper than updating them
row by row.

Other writers: duplicates and threads are worked out in the scratch database
without the store's write lock, then the result is written in chunks of
about :data:`CHUNK_ROWS` messages, one short transaction each, so a
collector's poll or an agent's click waits for one chunk, not for the file.
A chunk in which another writer stored one of its messages (or a message
its threads answer) meanwhile goes through the general threading instead.

Crash safety: each chunk is whole conversations, committed at once; the
scratch database is SQLite's private temporary file (deleted by the
operating system when the process ends, even on SIGKILL). A killed import
leaves the chunks it committed; file imports are idempotent, so a re-run
skips them and stores the rest, threading replies into the conversations
already stored: nothing is lost or duplicated.

What the set-based pass does not thread itself (a private message that joins
its thread by reference, a reply to a stored message that is itself still
unthreaded, a reply cycle in corrupt data) is stored without a conversation
and threaded by ``store.messages.thread_pending`` in the last chunks.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlite_utils import Database

from replywatch.store.brands import ensure_brand_accounts
from replywatch.store.db import in_short_transactions, schema_definitions
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.message_spec import column_definitions
from replywatch.store.messages import (
    MESSAGE_COLUMNS,
    ROW_ERRORS,
    merge_pairs,
    scrub_values,
    thread_pending,
)

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
#: Messages per chunk of a load (whole conversations: a longer one is a chunk
#: alone). Consecutive chunks share a write transaction of about
#: ``store.db.TRANSACTION_SECONDS``, so the lock hold stays short whatever the
#: machine and the store's size.
CHUNK_ROWS = 5_000


def stage_schema() -> str:
    """The scratch tables: the staged rows carry every message column with the
    same checks as ``messages`` (from ``store.message_spec``), so a row the
    store would refuse is refused while staging, where it can be dead-lettered
    alone."""
    return (
        "CREATE TABLE stage.rows (\n    s INTEGER PRIMARY KEY,\n    "
        f"{column_definitions()}\n);\n"
        "CREATE TABLE stage.rejected (payload, error TEXT NOT NULL);\n"
        "CREATE TABLE stage.text (s INTEGER PRIMARY KEY, score TEXT NOT NULL);\n"
    )


@dataclass
class BulkResult:
    """What a bulk load stored."""

    inserted: int = 0
    duplicates: int = 0
    #: how many write chunks the load was stored in (see :meth:`BulkLoad.commit`)
    chunks: int = 0
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
        text_scores: Sequence[str] | None = None,
    ) -> None:
        """Stage validated row tuples, rejected ``(payload, error)`` items and
        brand accounts seen. A row SQLite refuses is staged as rejected with
        the reason; the others are kept. ``text_scores`` (one opaque text per
        row, e.g. the text part of its sentiment analysis) are kept beside the
        rows and returned by :meth:`stored_messages` once stored."""
        conn = self.db.conn
        self._accounts.update(brand_accounts)
        rows = [scrub_values(values) for values in rows]
        rejected = list(rejected)
        kept: list[int] = []
        conn.execute("BEGIN")
        try:
            try:
                conn.execute("SAVEPOINT stage_batch")
                conn.executemany(_STAGE_INSERT, rows)
                conn.execute("RELEASE stage_batch")
                kept = list(range(len(rows)))
            except ROW_ERRORS:
                # One bad row must not sink the batch: find it, stage the rest.
                conn.execute("ROLLBACK TO stage_batch")
                conn.execute("RELEASE stage_batch")
                for position, values in enumerate(rows):
                    try:
                        conn.execute(_STAGE_INSERT, values)
                        kept.append(position)
                    except ROW_ERRORS as exc:
                        rejected.append(
                            (
                                dict(zip(MESSAGE_COLUMNS, values, strict=False)),
                                f"refused by the store: {type(exc).__name__}: {exc}",
                            )
                        )
            if text_scores is not None:
                # Staged rows are numbered 1, 2, ... in the order they are kept.
                conn.executemany(
                    "INSERT INTO stage.text VALUES (?, ?)",
                    [(self.staged + 1 + n, text_scores[i]) for n, i in enumerate(kept)],
                )
            self.staged += len(kept)
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
        *,
        on_chunk: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Store everything staged: dead letters, brand accounts, the new
        messages (duplicates of stored or earlier rows skipped) with their
        conversations, full-text entries, merges of stored conversations that
        turn out to answer a new message; ``recompute`` is called with the ids
        of existing conversations that changed.

        Duplicates and threads are worked out in the scratch database first,
        without the store's write lock; the result is then written in chunks
        of whole conversations (about :data:`CHUNK_ROWS` messages), in short
        transactions (:func:`~replywatch.store.db.in_short_transactions`), so
        collectors and agents get the lock in between. ``on_chunk`` is told
        how many messages each transaction stored, once committed."""
        result = BulkResult()
        conflicts: list[tuple[Any, str]] = []
        conn = self.db.conn
        # One read snapshot of the store while planning; only stage is written.
        conn.execute("BEGIN")
        try:
            stored_before = conn.execute("SELECT count(*) FROM main.messages").fetchone()[0]
            result.duplicates = _drop_duplicates(
                conn, check_store=stored_before > 0, conflicts=conflicts
            )
            # A duplicate id whose text differs is not "already stored": it is
            # another message under the same id. Keep the first, and say so
            # with a dead letter holding the one not stored.
            result.duplicates -= len(conflicts)
            _thread_staged(conn, check_store=stored_before > 0)
            chunks = _plan_chunks(conn, CHUNK_ROWS)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        result.chunks = chunks

        def store(chunk: int) -> int:
            if chunk == 0:
                result.rejected += self._store_rejected(source, conflicts)
                ensure_brand_accounts(self.db, sorted(self._accounts))
            stored, touched = _store_chunk(self.db, chunk, build_conversations, result)
            if chunk == chunks - 1:
                # Anything the set-based pass left (DM threads, cycles,
                # replies to unthreaded messages) goes through the general
                # threading.
                touched |= thread_pending(self.db)
            recompute(touched)
            result.conversations_touched |= touched
            return stored

        # A small load is stored at once, as a collector's poll is: a damage
        # or error found anywhere in it then leaves the store as it was.
        small = self.staged <= CHUNK_ROWS
        in_short_transactions(
            self.db, chunks, store, after=on_chunk, seconds=math.inf if small else None
        )
        return result

    def _store_rejected(self, source: str, conflicts: list[tuple[Any, str]]) -> int:
        """Write the staged rejected rows and the text conflicts as dead letters."""
        count = 0
        rejected = self.db.conn.cursor()
        rejected.execute("SELECT payload, error FROM stage.rejected")
        while chunk := rejected.fetchmany(READ_CHUNK):
            for payload, error in chunk:
                add_dead_letter(self.db, source, payload, error)
            count += len(chunk)
        for payload, error in conflicts:
            add_dead_letter(self.db, source, payload, error)
        return count + len(conflicts)

    def stored_messages(self, chunk: int) -> list[tuple[int, str | None]]:
        """``(message id, staged text score or None)`` of the messages chunk
        ``chunk`` of the last :meth:`commit` stored (whole conversations), in
        id order: lets the caller score what a load stored, chunk by chunk."""
        return self.db.conn.execute(
            """
            SELECT b.base_id + p.rank, t.score
            FROM stage.plan p JOIN stage.bases b USING (chunk)
            LEFT JOIN stage.text t USING (s)
            WHERE p.chunk = ? ORDER BY p.rank
            """,
            (chunk,),
        ).fetchall()


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


def _thread_staged(conn: sqlite3.Connection, *, check_store: bool) -> None:
    """Give every staged message a conversation (``stage.conv``): follow
    reply links from each thread's first message down, in one recursive pass.
    A thread whose first message replies to a stored message joins that
    message's conversation (``conv`` = its id, ``new`` = 0); other threads
    are new conversations, numbered 1, 2, ... in the order of their root
    message (``new`` = 1; the store ids are given when they are stored)."""
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
    conn.execute(
        "CREATE TABLE stage.roots (s INTEGER PRIMARY KEY, conv INTEGER NOT NULL, new INTEGER)"
    )
    conn.execute(
        """
        INSERT INTO stage.roots (s, conv, new)
        SELECT r.s, coalesce(l.parent_conv, row_number() OVER (
                   PARTITION BY l.parent_conv IS NULL ORDER BY r.s)),
               l.parent_conv IS NULL
        FROM stage.meta r LEFT JOIN stage.links l ON l.s = r.s
        WHERE l.parent_s IS NULL
          AND (l.parent_stored IS NULL OR l.parent_stored = 0 OR l.parent_conv IS NOT NULL)
          AND NOT (l.s IS NULL AND r.channel = 'private' AND r.thread_ref IS NOT NULL)
        ORDER BY r.s
        """
    )
    conn.execute(
        "CREATE TABLE stage.conv (s INTEGER PRIMARY KEY, conv INTEGER NOT NULL, new INTEGER, "
        "root INTEGER NOT NULL)"
    )
    conn.execute(
        """
        INSERT INTO stage.conv (s, conv, new, root)
        WITH RECURSIVE tree(s, conv, new, root) AS (
            SELECT s, conv, new, s FROM stage.roots
            UNION ALL
            SELECT l.s, tree.conv, tree.new, tree.root
            FROM tree JOIN stage.links l ON l.parent_s = tree.s
        )
        SELECT s, conv, new, root FROM tree
        """
    )


def _plan_chunks(conn: sqlite3.Connection, rows_per_chunk: int) -> int:
    """Split the staged messages into write chunks (``stage.plan``) of about
    ``rows_per_chunk`` messages: first the messages that join stored
    conversations, then the new conversations in order, whole
    (a longer conversation is a chunk alone), then the messages left for the
    general threading. ``rank`` numbers a chunk's messages in file order (their
    ids are the store's highest id when the chunk is stored + rank). Returns
    how many chunks there are (at least 1: chunk 0 also stores dead letters)."""
    # Messages before each new conversation, in conversation order (a keyed
    # table: joining a window query's result directly would rescan it per row).
    conn.execute("CREATE TABLE stage.starts (conv INTEGER PRIMARY KEY, before INTEGER)")
    conn.execute(
        """
        INSERT INTO stage.starts
        SELECT conv, coalesce(sum(n) OVER (
            ORDER BY conv ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
        FROM (SELECT conv, count(*) AS n FROM stage.conv WHERE new GROUP BY conv)
        """
    )
    conn.execute(
        """
        CREATE TABLE stage.plan AS
        WITH
        joined AS (
            SELECT s, conv, 0 AS new,
                   (row_number() OVER (ORDER BY conv, s) - 1) / :rows AS chunk
            FROM stage.conv WHERE NOT new),
        first_new AS (SELECT coalesce(max(chunk), 0) + 1 AS chunk FROM joined),
        threaded AS (
            SELECT * FROM joined
            UNION ALL
            SELECT c.s, c.conv, 1, first_new.chunk + st.before / :rows
            FROM stage.conv c JOIN stage.starts st ON st.conv = c.conv, first_new WHERE c.new),
        last AS (SELECT coalesce(max(chunk), 0) AS chunk FROM threaded),
        pending AS (
            SELECT m.s, NULL AS conv, 0 AS new,
                   last.chunk + 1 + (row_number() OVER (ORDER BY m.s) - 1) / :rows AS chunk
            FROM stage.meta m, last WHERE m.s NOT IN (SELECT s FROM stage.conv)),
        placed AS (SELECT * FROM threaded UNION ALL SELECT * FROM pending)
        SELECT s, conv, new, chunk, row_number() OVER (PARTITION BY chunk ORDER BY s) AS rank
        FROM placed
        """,
        {"rows": rows_per_chunk},
    )
    conn.execute("CREATE UNIQUE INDEX stage.plan_order ON plan (chunk, rank)")
    conn.execute("CREATE TABLE stage.bases (chunk INTEGER PRIMARY KEY, base_id INTEGER)")
    return 1 + (conn.execute("SELECT max(chunk) FROM stage.plan").fetchone()[0] or 0)


def _store_chunk(
    db: Database, chunk: int, build: ConversationBuilder, result: BulkResult
) -> tuple[int, set[int]]:
    """Store one planned chunk inside the caller's transaction: its messages
    (ids after the store's highest), its new conversations (ids after the
    store's highest, in root order), full-text entries, and merges of stored
    conversations whose messages answer one of its messages. A chunk in which
    another writer stored one of its messages, or the parent of one of its
    thread roots, since the plan was made goes through the general threading
    instead. Returns (messages stored, ids of existing conversations that
    changed)."""
    conn = db.conn
    base_id = _max_id(conn, "messages")
    base_conv = _max_id(conn, "conversations")
    conn.execute("INSERT INTO stage.bases VALUES (?, ?)", (chunk, base_id))
    first_new = conn.execute(
        "SELECT min(conv) FROM stage.plan WHERE chunk = ? AND new", (chunk,)
    ).fetchone()[0]
    offset = base_conv - (first_new or 1) + 1
    raced = _raced(conn, chunk)
    if raced:
        # Stored meanwhile by a collector: skip those, thread the rest the
        # general way (it joins whatever is stored now).
        result.duplicates += conn.execute(
            """
            DELETE FROM stage.plan WHERE chunk = ? AND s IN (
                SELECT d.s FROM stage.meta d JOIN main.messages m
                ON m.platform = d.platform AND m.external_id = d.external_id)
            """,
            (chunk,),
        ).rowcount
        conn.execute("UPDATE stage.plan SET conv = NULL, new = 0 WHERE chunk = ?", (chunk,))
    else:
        # Threads that join a stored conversation join the one their parent
        # is in now: an earlier chunk (or a person) may have merged the one
        # the plan saw into another.
        conn.execute(
            """
            UPDATE stage.plan SET conv = (
                SELECT m.conversation_id FROM stage.conv c
                JOIN stage.meta r ON r.s = c.root
                JOIN main.messages m ON m.platform = r.platform
                                    AND m.external_id = r.in_reply_to_id
                WHERE c.s = plan.s)
            WHERE chunk = ? AND NOT new AND conv IS NOT NULL
            """,
            (chunk,),
        )
    adding = conn.execute("SELECT count(*) FROM stage.plan WHERE chunk = ?", (chunk,)).fetchone()[0]
    conv_id = "CASE WHEN p.conv IS NULL THEN NULL WHEN p.new THEN p.conv + :offset ELSE p.conv END"
    params = {"base": base_id, "chunk": chunk, "offset": offset}
    with _rebuilt_indexes_if_large(conn, "messages", adding):
        stored = conn.execute(
            f"""
            INSERT INTO main.messages (id, {_COLUMNS}, conversation_id)
            SELECT :base + p.rank, {", ".join(f"r.{c}" for c in MESSAGE_COLUMNS)}, {conv_id}
            FROM stage.plan p JOIN stage.rows r USING (s)
            WHERE p.chunk = :chunk ORDER BY p.rank
            """,
            params,
        ).rowcount
    # Threaded messages are indexed for full-text search now, the rest when
    # they are threaded.
    conn.execute(
        """
        INSERT INTO main.messages_fts (rowid, text, author_handle, author_name)
        SELECT :base + p.rank, r.text, r.author_handle, r.author_name
        FROM stage.plan p JOIN stage.rows r USING (s)
        WHERE p.chunk = :chunk AND p.conv IS NOT NULL ORDER BY p.rank
        """,
        params,
    )
    result.inserted += stored
    new_conversations = conn.execute(
        "SELECT count(DISTINCT conv) FROM stage.plan WHERE chunk = ? AND new", (chunk,)
    ).fetchone()[0]
    with _rebuilt_indexes_if_large(conn, "conversations", new_conversations):
        result.conversations_created += _insert_conversations(conn, params, build)
    touched = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT conv FROM stage.plan WHERE chunk = ? AND conv IS NOT NULL AND NOT new",
            (chunk,),
        )
    }
    touched |= merge_pairs(db, _orphan_pairs(conn, params, conv_id))
    if raced:
        touched |= thread_pending(db)
    return stored, touched


def _raced(conn: sqlite3.Connection, chunk: int) -> bool:
    """Whether another writer stored, since the plan was made, one of the
    chunk's messages or the parent of one of its new threads' roots."""
    return bool(
        conn.execute(
            """
            SELECT EXISTS (
                SELECT 1 FROM stage.plan p JOIN stage.meta d USING (s)
                JOIN main.messages m ON m.platform = d.platform AND m.external_id = d.external_id
                WHERE p.chunk = :chunk)
            OR EXISTS (
                SELECT 1 FROM stage.plan p JOIN stage.roots ro USING (s)
                JOIN stage.meta d USING (s)
                JOIN main.messages m ON m.platform = d.platform
                                    AND m.external_id = d.in_reply_to_id
                WHERE p.chunk = :chunk AND p.new)
            """,
            {"chunk": chunk},
        ).fetchone()[0]
    )


def _insert_conversations(
    conn: sqlite3.Connection, params: dict[str, int], build: ConversationBuilder
) -> int:
    """Insert every new conversation of the chunk once, with the values
    ``build`` derives from its messages. Returns how many were inserted."""
    cursor = conn.cursor()
    cursor.execute(
        """
        SELECT p.conv + :offset, :base + p.rank, m.direction, m.created_ts, m.brand,
               m.author_handle, m.mentions, m.platform, ro.s IS NOT NULL, m.channel
        FROM stage.plan p JOIN stage.meta m USING (s) LEFT JOIN stage.roots ro USING (s)
        WHERE p.chunk = :chunk AND p.new
        ORDER BY p.conv, p.s
        """,
        params,
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


def _orphan_pairs(
    conn: sqlite3.Connection, params: dict[str, int], conv_id: str
) -> list[tuple[int, int]]:
    """(child conversation, parent conversation) for every stored message
    (stored before this load, or by another writer during it) that replies
    to one of the chunk's messages but sits in another conversation."""
    return conn.execute(
        f"""
        SELECT DISTINCT child.conversation_id, {conv_id}
        FROM stage.plan p JOIN stage.meta r USING (s)
        CROSS JOIN main.messages child ON child.platform = r.platform
                                      AND child.in_reply_to_id = r.external_id
        WHERE p.chunk = :chunk AND p.conv IS NOT NULL
          AND child.conversation_id IS NOT NULL AND child.conversation_id != {conv_id}
        """,
        params,
    ).fetchall()


class _rebuilt_indexes_if_large:
    """Context manager: drop ``table``'s secondary indexes when ``adding``
    rows to those it holds makes rebuilding them cheaper, recreate them (same
    SQL) on the way out. Inside the caller's transaction, so other
    connections never see the table without them. The table is counted only
    for a load over :data:`READ_CHUNK` rows (a chunk hardly ever is)."""

    def __init__(self, conn: sqlite3.Connection, table: str, adding: int):
        self.conn = conn
        self.indexes: list[tuple[str, str]] = []
        if adding > READ_CHUNK and adding >= REBUILD_INDEX_RATIO * max(
            conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0], 1
        ):
            self.indexes = schema_definitions(conn, table)

    def __enter__(self) -> None:
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX main."{name}"')

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            for _, sql in self.indexes:
                self.conn.execute(sql)
