"""A file import is stored in chunks of whole conversations, one short
transaction each: the result is the same as storing it at once, other
writers get the write lock between chunks, and a message another writer
stores during the import is neither duplicated nor left unthreaded."""

from __future__ import annotations

import random
import sqlite3

from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches, ingest
from replywatch.store import bulk
from replywatch.store import db as store_db
from replywatch.store.db import open_database
from tests.crash_harness import store_signature


def _import(path, twcs_slice, *, chunk_rows, monkeypatch, early=(), on_stored=None):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", chunk_rows)
    # One chunk per transaction (a real load groups chunks by time).
    monkeypatch.setattr(store_db, "TRANSACTION_SECONDS", 0)
    db = open_database(path)
    if early:
        ingest(db, list(early), source="x:mentions")
    chunks: list[int] = []

    def stored(count: int) -> None:
        chunks.append(count)
        if on_stored:
            on_stored(len(chunks))

    totals = import_batches(
        db,
        read_twcs(twcs_slice, batch_size=900, as_rows=True),
        source=TWCS_SOURCE,
        score=False,
        on_stored=stored,
    )
    db.conn.close()
    return totals, chunks


def _messages(twcs_slice):
    return [m for batch in read_twcs(twcs_slice) for m in batch.messages]


def test_small_chunks_store_what_one_chunk_stores(tmp_path, twcs_slice, monkeypatch):
    for label, early in (
        ("empty", ()),
        ("non-empty", random.Random(5).sample(_messages(twcs_slice), 700)),
    ):
        one, one_chunks = _import(
            tmp_path / f"{label}-one.db",
            twcs_slice,
            chunk_rows=10**9,
            monkeypatch=monkeypatch,
            early=early,
        )
        many, many_chunks = _import(
            tmp_path / f"{label}-many.db",
            twcs_slice,
            chunk_rows=300,
            monkeypatch=monkeypatch,
            early=early,
        )
        assert len(one_chunks) <= 2 < 12 <= len(many_chunks), (one_chunks, many_chunks)
        assert sum(many_chunks) == many.inserted == one.inserted == 5000 - len(early)
        assert (many.duplicates, many.rejected) == (one.duplicates, one.rejected)
        signature = store_signature(tmp_path / f"{label}-many.db")
        assert signature == store_signature(tmp_path / f"{label}-one.db")
        assert signature["unthreaded"] == 0
        assert signature["messages"] == signature["distinct_messages"] == 5000


def test_other_writers_get_the_lock_between_chunks(tmp_path, twcs_slice, monkeypatch):
    """After every chunk, a second connection takes the write lock without
    waiting at all (busy timeout 0) and stores a message."""
    path = tmp_path / "shared.db"
    db = open_database(path)
    db.execute("CREATE TABLE probe (chunk INTEGER)")
    db.conn.close()
    writes: list[int] = []

    def write_now(chunk: int) -> None:
        other = sqlite3.connect(path, isolation_level=None, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if held
            other.execute("INSERT INTO probe VALUES (?)", (chunk,))
            other.execute("COMMIT")
            writes.append(chunk)
        finally:
            other.close()

    totals, chunks = _import(
        path, twcs_slice, chunk_rows=400, monkeypatch=monkeypatch, on_stored=write_now
    )
    assert totals.inserted == 5000
    assert writes == list(range(1, len(chunks) + 1)) and len(writes) >= 10
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*) FROM probe").fetchone()[0] == len(writes)
    check.close()


def test_a_message_another_writer_stores_meanwhile_is_not_duplicated(
    tmp_path, twcs_slice, monkeypatch
):
    """A collector stores, between two chunks, a reply (and the root of
    another thread) that the import staged for a later chunk: those chunks go
    through the general threading, and the store ends as an import alone
    would leave it, with each message once."""
    messages = _messages(twcs_slice)
    by_id = {m.external_id: m for m in messages}
    # A reply deep in the file whose parent is in the file too, and a thread root.
    late_reply = next(
        m for m in reversed(messages) if m.in_reply_to_id and m.in_reply_to_id in by_id
    )
    late_root = next(m for m in reversed(messages) if not m.in_reply_to_id)
    path = tmp_path / "raced.db"

    def collector(chunk: int) -> None:
        if chunk == 1:
            other = open_database(path)
            ingest(other, [late_reply, late_root], source="x:mentions")
            other.conn.close()

    totals, chunks = _import(
        path, twcs_slice, chunk_rows=300, monkeypatch=monkeypatch, on_stored=collector
    )
    assert len(chunks) >= 10
    assert totals.inserted == 4998 and totals.duplicates == 2
    _import(tmp_path / "alone.db", twcs_slice, chunk_rows=300, monkeypatch=monkeypatch)
    raced, alone = store_signature(path), store_signature(tmp_path / "alone.db")
    assert raced["messages"] == raced["distinct_messages"] == 5000
    assert raced["unthreaded"] == 0
    assert raced["membership"] == alone["membership"]
    assert raced["conversations"] == alone["conversations"]


def test_chunks_share_a_transaction_until_it_has_run_long_enough(tmp_path, twcs_slice, monkeypatch):
    """With a time budget, the 5,000-row slice cut into 100-row chunks is
    stored in fewer transactions than chunks; with none, one transaction per
    chunk. (A load of at most CHUNK_ROWS is stored at once whatever the
    budget.)"""
    counts = {}
    for budget in (0, 60):
        monkeypatch.setattr(bulk, "CHUNK_ROWS", 100)
        monkeypatch.setattr(store_db, "TRANSACTION_SECONDS", budget)
        db = open_database(tmp_path / f"budget-{budget}.db")
        committed: list[int] = []
        import_batches(
            db,
            read_twcs(twcs_slice, as_rows=True),
            source=TWCS_SOURCE,
            score=False,
            on_stored=committed.append,
        )
        db.conn.close()
        assert sum(committed) == 5000
        counts[budget] = len(committed)
    assert counts[60] == 1 < 40 <= counts[0], counts


def test_a_small_load_is_stored_in_one_transaction(tmp_path, twcs_slice, monkeypatch):
    """Up to CHUNK_ROWS rows, every chunk shares one transaction even with no
    time budget: an error anywhere in a small import leaves the store as it
    was (tests/test_failing_clearly.py's damaged database relies on it)."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 5000)
    monkeypatch.setattr(store_db, "TRANSACTION_SECONDS", 0)
    db = open_database(tmp_path / "small.db")
    committed: list[int] = []
    import_batches(
        db,
        read_twcs(twcs_slice, as_rows=True),
        source=TWCS_SOURCE,
        score=False,
        on_stored=committed.append,
    )
    assert committed == [5000]
