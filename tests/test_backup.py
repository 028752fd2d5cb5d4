"""Online backup while a writer is busy, restore, and their refusals."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.workload import synthetic_batch
from replywatch.cli import main
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches, ingest
from replywatch.store.backup import backup_database, restore_database
from replywatch.store.db import open_database
from replywatch.store.state import get_cursor

BATCH = 50


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _dump(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        # sorted in Python: some tables are WITHOUT ROWID
        return {
            t: sorted(conn.execute(f"SELECT * FROM [{t}]").fetchall(), key=repr) for t in tables
        }
    finally:
        conn.close()


@pytest.fixture
def seeded(db_path: Path, twcs_slice: Path) -> Path:
    db = open_database(db_path)
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    db.close()
    return db_path


def test_backup_during_writes_is_a_consistent_snapshot_and_restores(seeded, tmp_path):
    stop = threading.Event()
    written = []

    def writer() -> None:
        db = open_database(seeded)
        batch = 0
        while not stop.is_set():
            ingest(
                db,
                synthetic_batch(0, batch, BATCH),
                source="bench:writer0",
                cursor={"batch": batch},
            )
            written.append(batch)
            batch += 1
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    backups = []
    try:
        while len(written) < 3:
            time.sleep(0.01)
        for n in range(3):
            backups.append(backup_database(seeded, tmp_path / "backups" / f"b{n}.db"))
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert len(written) > 3

    batches_seen = []
    for result in backups:
        path = result.path
        assert _mode(path) == 0o600
        assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        conn.close()
        db = open_database(path, migrate=False)
        # The cursor commits with its batch: a consistent snapshot holds the
        # seed plus exactly the batches up to the saved cursor, no torn batch.
        batch = get_cursor(db, "bench:writer0")["batch"]
        batches_seen.append(batch)
        assert result.messages == 5000 + (batch + 1) * BATCH
        torn = db.execute(
            """SELECT count(*) FROM conversations c WHERE message_count !=
               (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)"""
        ).fetchone()[0]
        assert torn == 0
        db.close()
    assert batches_seen == sorted(batches_seen) and len(set(batches_seen)) > 1
    assert [p.name for p in (tmp_path / "backups").iterdir() if p.name.startswith(".")] == []

    # restore the last one into a new place: identical content, private file
    restored = tmp_path / "restored" / "replywatch.db"
    last = backups[-1].path
    expected = _dump(last)
    outcome = restore_database(last, restored)
    assert outcome.messages == backups[-1].messages and outcome.previous_copy is None
    assert _mode(restored) == 0o600
    assert _dump(restored) == expected


def test_restore_refuses_to_overwrite_unless_forced_and_keeps_the_old_db(seeded, tmp_path):
    backup = backup_database(seeded, tmp_path / "snap.db").path
    db = open_database(seeded)
    ingest(db, synthetic_batch(7, 0, BATCH), source="bench:writer7")
    db.close()
    with pytest.raises(FileExistsError):
        restore_database(backup, seeded)
    result = CliRunner().invoke(main, ["restore", str(backup), "--db", str(seeded)])
    assert result.exit_code != 0 and "--force" in result.output

    result = CliRunner().invoke(main, ["restore", str(backup), "--db", str(seeded), "--force"])
    assert result.exit_code == 0, result.output
    assert "restored 5,000 messages" in result.output
    previous = list(seeded.parent.glob(f"{seeded.name}.before-restore-*"))
    assert len(previous) == 1 and _mode(previous[0]) == 0o600
    conn = sqlite3.connect(previous[0])
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 5000 + BATCH
    conn.close()
    db = open_database(seeded)
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 5000
    db.close()


def test_backup_and_restore_refusals(seeded, tmp_path):
    target = tmp_path / "b.db"
    runner = CliRunner()
    result = runner.invoke(main, ["backup", str(target), "--db", str(seeded)])
    assert result.exit_code == 0 and "5,000 messages" in result.output
    assert _mode(target) == 0o600
    result = runner.invoke(main, ["backup", str(target), "--db", str(seeded)])
    assert result.exit_code != 0 and "exists" in result.output
    result = runner.invoke(
        main, ["backup", str(tmp_path / "x.db"), "--db", str(tmp_path / "missing.db")]
    )
    assert result.exit_code != 0 and "no database" in result.output
    assert not (tmp_path / "missing.db").exists()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValueError, match="not a replywatch database"):
        restore_database(junk, tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(ValueError, match="not a replywatch database"):
        restore_database(other, tmp_path / "new.db")
