"""Online backups and restores of the replywatch database.

A backup is taken with SQLite's backup API in a single step, which copies one
consistent snapshot (every committed transaction up to that moment, none
half-written) while collectors keep writing: in WAL mode the writer appends to
the WAL and does not wait for the copy. The copy is written to a hidden
temporary name, checked, and only then renamed into place, so a crash never
leaves a half-written file under the backup's name. Backups are readable by
their owner only.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from replywatch.store.db import BUSY_TIMEOUT_MS, open_database
from replywatch.store.schema import migrations
from replywatch.store.timeutil import utc_now


@dataclass
class BackupResult:
    """What :func:`backup_database` wrote."""

    path: Path
    size_bytes: int
    messages: int
    seconds: float


@dataclass
class RestoreResult:
    """What :func:`restore_database` did."""

    path: Path
    messages: int
    previous_copy: Path | None


def _private_new_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    uri = f"file:{path.resolve()}" + ("?mode=ro" if read_only else "")
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_replywatch_database(conn: sqlite3.Connection, label: str) -> int:
    """Raise ``ValueError`` unless ``conn`` holds an intact replywatch
    database; return its message count."""
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise ValueError(f"{label} is damaged: {check}")
        applied = conn.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?", (migrations.name,)
        ).fetchone()[0]
        if not applied:
            raise ValueError(f"{label} is not a replywatch database")
        return conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{label} is not a replywatch database: {exc}") from exc


def backup_database(source: Path, destination: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live database ``source`` to ``destination`` (one consistent
    snapshot, taken while other connections keep writing), as a single
    self-contained file (rollback journal mode) created with mode 0600.

    Refuses (``FileNotFoundError``) a missing source, (``FileExistsError``) an
    existing destination unless ``overwrite``, and (``ValueError``) copying a
    file onto itself or a source that is not an intact replywatch database."""
    source, destination = Path(source), Path(destination)
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    if destination.exists():
        if destination.resolve() == source.resolve():
            raise ValueError("the backup cannot overwrite the database itself")
        if not overwrite:
            raise FileExistsError(f"{destination} exists (use --force to overwrite it)")
    started = time.perf_counter()
    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    _private_new_file(partial)
    try:
        src = _connect(source)
        dst = _connect(partial)
        try:
            # pages=-1: the whole copy in one step under one read snapshot. In
            # steps, every write by another connection would restart it.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")
            messages = _check_replywatch_database(dst, "the new backup")
        finally:
            dst.close()
            src.close()
        _fsync(partial)
        os.replace(partial, destination)
        _fsync(destination.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.chmod(destination, 0o600)
    return BackupResult(
        destination, destination.stat().st_size, messages, time.perf_counter() - started
    )


def restore_database(
    backup: Path, target: Path, *, force: bool = False, keep_previous: bool = True
) -> RestoreResult:
    """Replace the database at ``target`` with the contents of ``backup``, then
    apply any migrations newer than the backup.

    Refuses (``ValueError``) a backup that is damaged or not a replywatch
    database and (``FileExistsError``) an existing ``target`` unless ``force``.
    With ``force`` and ``keep_previous``, the current database is first backed
    up next to it as ``<name>.before-restore-<UTC time>``. The copy goes
    through SQLite (not a file copy), so a target in WAL mode stays
    consistent; stop collectors and the dashboard first all the same."""
    backup, target = Path(backup), Path(target)
    if not backup.is_file():
        raise FileNotFoundError(f"no backup at {backup}")
    src = _connect(backup, read_only=True)
    try:
        _check_replywatch_database(src, f"backup {backup}")
        previous = None
        if target.exists():
            if not force:
                raise FileExistsError(
                    f"{target} exists; restoring would overwrite it (use --force)"
                )
            if keep_previous:
                stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
                previous = target.with_name(f"{target.name}.before-restore-{stamp}")
                backup_database(target, previous)
        else:
            _private_new_file(target)
        dst = _connect(target)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    finally:
        src.close()
    db = open_database(target)  # brings an older backup up to the current schema
    try:
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        db.close()
    return RestoreResult(target, messages, previous)
