"""The floor under a file import: how fast could *any* importer be on this
machine, given the schema it has to fill?

    python benchmarks/import_floor.py [--rows 1000000] [--repeat 2]

It runs the real ``replywatch import twcs FILE --no-score`` on a generated
file (the same generator and seed as ``import_bench.py``), then measures two
things no import can do without, with everything else taken away:

1. **reading**: parsing the file into row tuples (``read_twcs(as_rows=True)``)
   in this process, nothing stored;
2. **writing**: putting the finished result of that import (its messages,
   conversations and rollup, copied from the imported database, so no
   threading, duplicate checks or derivation are left to do) into a fresh
   store with the store's own schema and pragmas, in one write transaction:
   rows inserted in key order, secondary indexes dropped and rebuilt by
   sorting, the full-text index filled, the rollup trigger left out, then
   COMMIT (which writes the WAL and checkpoints it).

Why the two add up: every message row carries its conversation id, and a
thread's first message can be the file's last line (the real file is not in
time order), so no message row can be written before the whole file is read.

It prints the import's time, each floor part, ``floor = reading + writing``,
the highest rate the floor allows, and the import's time as a multiple of
the floor (a ratio from the same run, so machine noise mostly cancels).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.import_bench import run_import  # noqa: E402
from replywatch.collectors.imports import read_twcs  # noqa: E402
from replywatch.store.db import open_database, transaction, tune_for_bulk_load  # noqa: E402

#: Tables an import fills, in the order they are copied.
IMPORTED_TABLES = (
    "brands",
    "brand_accounts",
    "messages",
    "conversations",
    "response_rollup",
    "agent_rollup",
)


def reading_seconds(csv_path: Path) -> float:
    """Parse the whole file into row tuples (what the importer stores)."""
    started = time.perf_counter()
    rows = sum(len(batch.messages) for batch in read_twcs(csv_path, as_rows=True))
    assert rows, "nothing parsed"
    return time.perf_counter() - started


def writing_seconds(imported: Path, target: Path) -> dict[str, float]:
    """Write the imported database's result into a fresh store at ``target``,
    timing each step. Returns seconds per step."""
    db = open_database(target)
    tune_for_bulk_load(db)
    conn = db.conn
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('messages', 'conversations')"
    ).fetchall()
    conn.execute("ATTACH DATABASE ? AS imported", (f"file:{imported}?mode=ro",))
    seconds: dict[str, float] = {}

    def timed(step: str, sql: str) -> None:
        started = time.perf_counter()
        conn.execute(sql)
        seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - started

    started = time.perf_counter()
    with transaction(db):
        # The floor leaves out the per-row rollup trigger: the rollup is copied.
        conn.execute("DROP TRIGGER conversations_rollup_insert")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for table in IMPORTED_TABLES:
            timed(
                table if table in ("messages", "conversations") else "small tables",
                f"INSERT INTO main.{table} SELECT * FROM imported.{table} ORDER BY rowid",
            )
        timed(
            "full-text index",
            "INSERT INTO messages_fts (rowid, text, author_handle, "
            "author_name) SELECT id, text, author_handle, author_name FROM main.messages "
            "WHERE conversation_id IS NOT NULL",
        )
        for _, sql in indexes:
            timed("secondary indexes", sql)
        commit_started = time.perf_counter()
    seconds["COMMIT (WAL write + checkpoint)"] = time.perf_counter() - commit_started
    seconds["total"] = time.perf_counter() - started
    stored = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    expected = conn.execute("SELECT count(*) FROM imported.messages").fetchone()[0]
    assert stored == expected, (stored, expected)
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="floor parts are measured this many times; the best counts",
    )
    args = parser.parse_args()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, imported = folder / "rows.csv", folder / "imported.db"
        subprocess.run(
            [
                sys.executable,
                str(REPO / "benchmarks" / "import_bench.py"),
                "--generate",
                str(csv_path),
                str(args.rows),
            ],
            check=True,
        )
        import_seconds, peak, _, _ = run_import(csv_path, imported, score=False)
        with sqlite3.connect(imported) as check:
            messages, conversations = check.execute(
                "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM conversations)"
            ).fetchone()
        print(
            f"import (replywatch import twcs --no-score): {args.rows:,} rows -> "
            f"{messages:,} messages, {conversations:,} conversations in "
            f"{import_seconds:.1f} s = {args.rows / import_seconds:,.0f} rows/s "
            f"(peak RSS {peak:,.0f} MiB)"
        )
        reading = min(reading_seconds(csv_path) for _ in range(args.repeat))
        writes = []
        for attempt in range(args.repeat):
            writes.append(writing_seconds(imported, folder / f"floor{attempt}.db"))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{folder / f'floor{attempt}.db'}{suffix}").unlink(missing_ok=True)
        writing = min(writes, key=lambda w: w["total"])
    floor = reading + writing["total"]
    print(f"floor, reading: parse {args.rows:,} rows to row tuples: {reading:.1f} s")
    print(f"floor, writing the imported result into a fresh store: {writing['total']:.1f} s")
    for step, value in writing.items():
        if step != "total":
            print(f"    {step:32} {value:5.1f} s")
    print(
        f"floor = reading + writing = {floor:.1f} s -> at most {args.rows / floor:,.0f} rows/s "
        f"with zero cost for duplicates, threading and conversation values"
    )
    print(
        f"import / floor: {import_seconds / floor:.2f}x; 50,000 rows/s would need "
        f"{args.rows / 50_000:.1f} s in all"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
