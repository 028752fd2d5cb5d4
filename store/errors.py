"""The store's own exceptions: what the rest of replywatch catches instead of
the database driver's.

Only ``store/`` knows which driver is underneath (SQLite today; issue 24 plans
PostgreSQL beside it), so only ``store/`` looks at a driver exception and says
what it means: the lock was held too long (:class:`StoreBusy`), the file is
missing, damaged or read-only (:class:`DatabaseOpenError` and its kinds).
The store raises these where it meets the driver (opening, the integrity
check, taking the write lock); :func:`store_errors` translates for the
callers that still run their own SQL (metrics/, until it moves behind store
query functions), and :func:`as_store_error` lets an outermost boundary (the
CLI) classify whatever escaped.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """Base of every error the store raises about the database itself (not
    about the caller's input)."""


class StoreBusy(StoreError):
    """Another connection held the write lock past the busy timeout: nothing
    was written, and trying again later is the remedy."""


class DatabaseOpenError(StoreError):
    """The database cannot be opened or used as asked; the message is one line
    that says which file and what to do."""


class StoreMissing(DatabaseOpenError):
    """No database where one was asked for (no file, no directory, a
    directory instead of a file)."""


class StoreCorrupt(DatabaseOpenError):
    """The file is not a replywatch database, or is damaged."""


class StoreReadOnly(DatabaseOpenError):
    """The database cannot be written by this user."""


#: SQLite errors that are about the file, not the query (told apart by text:
#: they share the exception classes with programming errors).
_FILE_ERRORS = (
    "file is not a database",
    "database disk image is malformed",
    "readonly database",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
)


def is_busy(exc: BaseException) -> bool:
    """True if ``exc`` is the store (or SQLite under it) giving up on a lock
    another connection holds ("database is locked" / "busy") after the busy
    timeout: nothing was written, and trying again later is the remedy."""
    if isinstance(exc, StoreBusy):
        return True
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc)
    )


def file_error(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str | None:
    """A one-line description of ``exc`` if it is SQLite refusing the
    database file itself (not a database, corrupt, read-only, unreadable),
    else None."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    text = str(exc)
    if not any(marker in text.lower() for marker in _FILE_ERRORS):
        return None
    where = f"{path}: " if path is not None else ""
    if "readonly" in text.lower():
        return f"{where}the database is read-only for this user ({text})"
    if "not a database" in text.lower() or "malformed" in text.lower():
        return (
            f"{where}not a usable replywatch database ({text}); check --db, "
            "or restore a backup (replywatch restore)"
        )
    return f"{where}cannot use the database ({text})"


def translate(exc: BaseException, path: str | os.PathLike[str] | None = None) -> StoreError | None:
    """The store's exception for driver error ``exc`` (busy, or a file the
    driver refuses), or None for anything else (a programming error stays
    what it is, with its traceback)."""
    if isinstance(exc, StoreError):
        return exc
    if is_busy(exc):
        return StoreBusy(str(exc))
    message = file_error(exc, path)
    if message is None:
        return None
    text = str(exc).lower()
    if "readonly" in text:
        return StoreReadOnly(message)
    if "not a database" in text or "malformed" in text:
        return StoreCorrupt(message)
    return DatabaseOpenError(message)


@contextmanager
def store_errors(path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Run a block that talks to the driver; a driver error the store knows
    leaves it as the store's exception (chained to the original), anything
    else unchanged."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        error = translate(exc, path)
        if error is None:
            raise
        raise error from exc
