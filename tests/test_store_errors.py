"""The store's own exceptions (issue 24 item 1): driver errors are translated
where the store meets the driver, so callers catch ``store.errors`` classes,
never sqlite3's."""

from __future__ import annotations

import sqlite3

import pytest

from replywatch.store import db as store_db
from replywatch.store.db import open_database, transaction
from replywatch.store.errors import (
    DatabaseOpenError,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreMissing,
    StoreReadOnly,
    store_errors,
    translate,
)


def test_translate_classifies_driver_errors():
    busy = translate(sqlite3.OperationalError("database is locked"))
    assert isinstance(busy, StoreBusy) and str(busy) == "database is locked"
    corrupt = translate(sqlite3.DatabaseError("file is not a database"), "x.db")
    assert isinstance(corrupt, StoreCorrupt)
    assert isinstance(
        translate(sqlite3.OperationalError("attempt to write a readonly database")), StoreReadOnly
    )
    full = translate(sqlite3.OperationalError("database or disk is full"))
    assert type(full) is DatabaseOpenError
    # Programming errors are not the store's to rename: they keep their traceback.
    assert translate(sqlite3.OperationalError("no such column: nope")) is None
    assert translate(ValueError("file is not a database")) is None
    already = StoreBusy("held")
    assert translate(already) is already
    assert all(issubclass(k, StoreError) for k in (StoreBusy, StoreCorrupt, StoreMissing))


def test_store_errors_context_translates_and_leaves_the_rest(tmp_path):
    with pytest.raises(StoreCorrupt) as caught, store_errors(tmp_path / "a.db"):
        raise sqlite3.DatabaseError("database disk image is malformed")
    assert str(caught.value).startswith(f"{tmp_path / 'a.db'}: not a usable replywatch database")
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)
    with pytest.raises(sqlite3.OperationalError), store_errors():
        raise sqlite3.OperationalError("no such table: nope")


def test_opening_raises_the_stores_kinds(tmp_path):
    with pytest.raises(StoreMissing, match="no database there"):
        open_database(tmp_path / "none.db", create=False)
    with pytest.raises(StoreMissing, match="is a directory"):
        open_database(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all, just some bytes" * 200)
    with pytest.raises(StoreCorrupt, match="not a usable replywatch database"):
        open_database(junk)


def test_a_held_write_lock_is_store_busy_and_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "busy.db"
    db = open_database(path)
    db.execute("CREATE TABLE t (x)")
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 200)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy, match="locked"), transaction(db):
            db.execute("INSERT INTO t VALUES (1)")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_a_busy_statement_inside_a_transaction_leaves_as_store_busy(tmp_path):
    db = open_database(tmp_path / "s.db")
    db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreBusy, match="locked") as caught, transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
        raise sqlite3.OperationalError("database is locked")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0  # rolled back
    with pytest.raises(sqlite3.OperationalError, match="no such table"), transaction(db):
        db.execute("SELECT * FROM nope")
