"""Opening the SQLite database: path resolution, pragmas and migrations."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# The store's connection type. Modules outside store/ name it from here (the
# "sql-in-store" import contract keeps them off the driver).
from sqlite_utils import Database

from replywatch.store.errors import (  # noqa: F401 - re-exported: callers' one import
    DatabaseOpenError,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreMissing,
    file_error,
    is_busy,
    translate,
)
from replywatch.store.schema import migrations

DEFAULT_DB_PATH = Path("data") / "replywatch.db"
DB_ENV_VAR = "REPLYWATCH_DB"
BUSY_TIMEOUT_MS = 30_000


def resolve_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the database path: ``explicit`` if given, else ``$REPLYWATCH_DB``,
    else ``data/replywatch.db``. This is the one rule every command and the
    dashboard use."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(DB_ENV_VAR)
    if from_env:
        return Path(from_env)
    return DEFAULT_DB_PATH


def _create_private_file(path: Path, *, create_dirs: bool) -> None:
    # Customer messages are personal data: the database (and, because SQLite
    # copies the main file's mode, its -wal and -shm files) is readable by
    # the owner only.
    if not path.parent.is_dir():
        if not create_dirs:
            # A mistyped --db must not leave folders behind (one run made a
            # folder at the filesystem root) and then report zeros.
            raise StoreMissing(
                f"{path}: the directory {path.parent} does not exist; check the path, "
                f"or create it first (mkdir -p {path.parent})"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def open_database(
    path: str | os.PathLike[str] | None = None,
    *,
    migrate: bool = True,
    create: bool = True,
    create_dirs: bool | None = None,
) -> Database:
    """Open the replywatch database at ``path`` (resolved with
    :func:`resolve_db_path`), in WAL mode with a busy timeout so that a
    collector can write while the dashboard reads, and apply pending
    migrations. Returns a ``sqlite_utils.Database``.

    A missing file is created (mode 0600) unless ``create`` is False (what
    read-only commands ask for); its directory is created only for the
    default location ``data/`` or with ``create_dirs=True``. Raises the
    store's :class:`DatabaseOpenError` kinds (``store.errors``) with a
    one-line message: :class:`StoreMissing` for a missing database or
    directory, ``StoreCorrupt`` / ``StoreReadOnly`` for a file SQLite refuses;
    :class:`StoreBusy` if a migration waits too long for the lock."""
    db_path = resolve_db_path(path)
    if not db_path.exists():
        if not create:
            raise StoreMissing(
                f"{db_path}: no database there; check --db (or ${DB_ENV_VAR}), or fill one "
                "first with replywatch import, collect or demo"
            )
        if create_dirs is None:
            create_dirs = db_path.parent == DEFAULT_DB_PATH.parent  # data/, ours
        _create_private_file(db_path, create_dirs=create_dirs)
    elif db_path.is_dir():
        raise StoreMissing(f"{db_path}: is a directory, not a database file")
    db = Database(db_path)
    try:
        configure_connection(db)
        if migrate:
            migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        error = translate(exc, db_path)
        if error is None:
            raise
        raise error from exc
    return db


def check_integrity(db: Database, path: str | os.PathLike[str] | None = None) -> None:
    """Raise :class:`DatabaseOpenError` unless SQLite's ``quick_check`` finds
    the file sound. Imports run it first, so a database corrupted mid-file is
    refused before any row is written rather than part-way through."""
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        error = translate(exc, path)
        if not isinstance(error, DatabaseOpenError):
            error = DatabaseOpenError(f"{path}: {exc}")
        raise error from exc
    if problems != ["ok"]:
        raise StoreCorrupt(
            f"{path}: the database is damaged ({problems[0]}); restore a backup "
            "(replywatch restore) before importing into it"
        )


def configure_connection(db: Database) -> None:
    """Apply the pragmas every connection needs."""
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable against process crashes in WAL mode (only a power
    # loss can drop the last commits), and much faster than FULL.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")


#: Page cache of a bulk-import connection (KiB). Bulk loads write in key or
#: file order and rebuild large indexes by sorting (``store.bulk``), so a
#: bigger cache measured no faster; bounded, so memory stays flat.
BULK_CACHE_KIB = 16 * 1024


def tune_for_bulk_load(db: Database) -> None:
    """Give this connection a larger (bounded) page cache for a file import.
    Changes nothing about durability or what other connections see."""
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    # Let SQLite sort with a helper thread when it builds indexes and orders
    # rows (bulk loads do both on a million rows at a time).
    db.execute("PRAGMA threads = 2")


#: While waiting for the write lock, try again this often (seconds, jittered).
LOCK_POLL_SECONDS = 0.002


def _begin_immediate(conn: sqlite3.Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting up to the busy timeout for the write lock.

    SQLite's own busy handler backs off to one retry per 100 ms, so a writer
    committing batch after batch with short gaps between them (a bulk import,
    a collector catching up) can starve a waiting agent's one-row update for
    seconds. Polling every couple of milliseconds catches those gaps. Raises
    :class:`StoreBusy` once the busy timeout has passed."""
    conn.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreBusy(str(exc)) from exc
                time.sleep(LOCK_POLL_SECONDS * random.uniform(0.5, 1.5))
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def schema_definitions(
    conn: sqlite3.Connection, table: str, kind: str = "index"
) -> list[tuple[str, str]]:
    """(name, CREATE statement) of ``table``'s secondary indexes (or, with
    ``kind="trigger"``, its triggers) in the main database; the indexes
    SQLite makes itself for constraints have no statement and are left out."""
    return conn.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = ? "
        "AND tbl_name = ? AND sql IS NOT NULL",
        (kind, table),
    ).fetchall()


@contextmanager
def indexes_rebuilt(
    conn: sqlite3.Connection | Database,
    table: str,
    indexes: list[tuple[str, str]] | None = None,
    *,
    triggers: bool = False,
) -> Iterator[None]:
    """Drop ``table``'s secondary indexes (or the given ``indexes``) and
    recreate them with the same SQL on the way out, when the block rewrites
    so much of the table that building each index once by sorting is cheaper
    than keeping it up row by row. ``triggers=True`` also suspends the
    table's triggers for the block: only for a caller that redoes their work
    itself (a recompute of everything rebuilds the rollup the triggers mark).
    Use inside the caller's write transaction: other connections never see
    the table without them, and an error rolls the drop back with everything
    else (so nothing is recreated then). ``conn`` may be the store's
    Database (callers outside store/) or its connection."""
    conn = getattr(conn, "conn", conn)
    if indexes is None:
        indexes = schema_definitions(conn, table)
    dropped = [("INDEX", name, sql) for name, sql in indexes]
    if triggers:
        dropped += [("TRIGGER", n, sql) for n, sql in schema_definitions(conn, table, "trigger")]
    for kind, name, _ in dropped:
        conn.execute(f'DROP {kind} main."{name}"')
    yield
    for _, _, sql in dropped:
        conn.execute(sql)


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """Run a block in one write transaction (``BEGIN IMMEDIATE``), committing
    on success and rolling back on any exception. Taking the write lock up
    front avoids the deadlock-prone upgrade from a read transaction. A lock
    held too long, at the start or by any statement of the block, leaves as
    :class:`StoreBusy`."""
    conn = db.conn
    if conn.in_transaction:
        # Already inside a transaction (nested call): let the outer one decide.
        yield db
        return
    _begin_immediate(conn)
    try:
        yield db
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if is_busy(exc) and not isinstance(exc, StoreBusy):
            # The store's exception, whatever statement met the lock.
            raise StoreBusy(str(exc)) from exc
        raise
    else:
        conn.execute("COMMIT")


#: A long job's write transactions last about this long (see
#: :func:`in_short_transactions`): other writers wait at most that, plus one
#: step, for the lock.
TRANSACTION_SECONDS = 1.0
#: Pause between two of a long job's write transactions. A writer waiting for
#: the lock (a collector's poll, an agent's click) sleeps up to 100 ms between
#: attempts (SQLite's busy handler); without a pause the job takes the lock
#: again before it wakes, and it waits for several transactions in a row.
YIELD_SECONDS = 0.11


def in_short_transactions(
    db: Database,
    steps: int,
    step: Callable[[int], int],
    *,
    after: Callable[[int], None] | None = None,
    seconds: float | None = None,
) -> None:
    """Run ``step(0)`` .. ``step(steps - 1)`` in write transactions of about
    ``seconds`` each (default :data:`TRANSACTION_SECONDS`; consecutive steps
    share one until it has run that long),
    pausing :data:`YIELD_SECONDS` between transactions so that other writers
    get the lock. Each step returns a count; ``after`` receives the sum of a
    transaction's counts once it is committed. A step that raises rolls back
    its transaction's steps and the exception goes on."""
    budget = TRANSACTION_SECONDS if seconds is None else seconds
    position = 0
    while position < steps:
        started = time.monotonic()
        done = 0
        with transaction(db):
            while True:
                done += step(position)
                position += 1
                if position == steps or time.monotonic() - started >= budget:
                    break
        if after and done:
            after(done)
        if position < steps:
            time.sleep(YIELD_SECONDS)


@contextmanager
def savepoint(db: Database, name: str = "replywatch_sp") -> Iterator[Database]:
    """Run a block as a savepoint inside the current transaction: on an
    exception only the block's writes are undone and the exception goes on.
    Lets a batch fall back to item-by-item work without losing the rest of the
    transaction. Refuses (``RuntimeError``) outside a transaction."""
    conn = db.conn
    if not conn.in_transaction:
        raise RuntimeError("savepoint() needs an open transaction")
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield db
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    else:
        conn.execute(f"RELEASE {name}")


def in_transaction(db: Database) -> bool:
    """True while ``db`` has a transaction open (callers that must not hold
    the write lock across slow work check this)."""
    return db.conn.in_transaction


def ping(db: Database) -> None:
    """One trivial query: raises if the store cannot answer (health checks)."""
    db.execute("SELECT 1").fetchone()


def database_file(db: Database) -> str:
    """The file behind ``db`` (its main database), for caches keyed by store."""
    return str(db.conn.execute("PRAGMA database_list").fetchone()[2])
