"""Where a bulk import's time goes: the phases of ``store.bulk.BulkLoad`` on a
generated twcs file, parsed first (not timed), then staged and committed in
this process with each phase wrapped in a timer.

    python benchmarks/import_phases.py [--rows 1000000]

Prints staging time, commit time and the seconds spent in each phase
(``read+build`` is reading the staged threads back and deriving each new
conversation's values in Python; ``_write_conversations`` is inserting them).
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replywatch.collectors.imports import read_twcs  # noqa: E402
from replywatch.metrics import engine  # noqa: E402
from replywatch.store import bulk  # noqa: E402
from replywatch.store.db import open_database, tune_for_bulk_load  # noqa: E402

PHASES = (
    "_drop_duplicates",
    "_thread_staged",
    "_insert_messages",
    "_insert_conversations",
    "_write_conversations",
    "_orphan_pairs",
    "thread_pending",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    seconds: dict[str, float] = {}

    def timed(name, function):
        @functools.wraps(function)
        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    def timed_rows(rows):
        iterator = iter(rows)
        while True:
            started = time.perf_counter()
            try:
                value = next(iterator)
            except StopIteration:
                return
            finally:
                seconds["read+build"] = (
                    seconds.get("read+build", 0.0) + time.perf_counter() - started
                )
            yield value

    for name in PHASES:
        setattr(bulk, name, timed(name, getattr(bulk, name)))
    bulk._rebuilt_indexes_if_large.__exit__ = timed(
        "index rebuild", bulk._rebuilt_indexes_if_large.__exit__
    )
    engine.refresh_rollup = timed("refresh_rollup", engine.refresh_rollup)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "rows.csv"
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
        batches = list(read_twcs(csv_path, as_rows=True))
        db = open_database(Path(tmp) / "phases.db")
        tune_for_bulk_load(db)
        print(f"{args.rows:,} rows, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        started = time.perf_counter()
        with bulk.BulkLoad(db) as load:
            for batch in batches:
                load.add(batch.messages, (), batch.brand_accounts)
            staged = time.perf_counter()
            result = load.commit(
                "import:twcs",
                lambda groups: timed_rows(engine.new_conversation_rows(db, groups)),
                timed("recompute", functools.partial(engine.recompute_conversations, db)),
            )
        done = time.perf_counter()
    print(
        f"staging {staged - started:.2f} s, commit {done - staged:.2f} s "
        f"({result.inserted:,} messages, {result.conversations_created:,} conversations)"
    )
    for name, value in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"  {name:24} {value:6.2f} s")


if __name__ == "__main__":
    main()
