"""Import speed and memory: `replywatch import twcs` on a generated twcs-format
file, against a per-row-insert baseline in the same run.

    python benchmarks/import_bench.py [--rows 1000000] [--baseline-rows 20000]

Prints rows/s and peak RSS of the import (run as a child process, so its peak
memory is measured alone) for a small and the full file, and the ratio to the
baseline that stores one row per transaction with sqlite-utils' insert().
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADER = ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id",
          "in_response_to_tweet_id"]  # fmt: skip


def generate(path: Path, rows: int, *, brands: int = 76, seed: int = 1) -> None:
    """Write a twcs-format file of ``rows`` tweets: threads of a customer tweet,
    brand replies and customer follow-ups, ids newest-first like the real file."""
    rng = random.Random(seed)
    start = datetime(2017, 10, 1, tzinfo=UTC)
    brand_names = [f"Brand{i}" for i in range(brands)]
    out: list[list[str]] = []
    next_id = 1
    while len(out) < rows:
        brand = rng.choice(brand_names)
        customer = str(100000 + rng.randint(0, 500000))
        when = start + timedelta(seconds=rng.randint(0, 60 * 86400))
        parent = ""
        for turn in range(min(rng.choice([1, 2, 2, 3, 4]), rows - len(out))):
            inbound = turn % 2 == 0
            tweet_id = str(next_id)
            next_id += 1
            text = (f"@{brand} my order #{rng.randint(1000, 9999)} is late, please help"
                    if inbound else f"@{customer} Sorry about that, please DM us. ^AB")
            out.append([tweet_id, customer if inbound else brand, str(inbound),
                        when.strftime("%a %b %d %H:%M:%S +0000 %Y"), text, "",
                        f"{parent}.0" if parent else ""])
            parent = tweet_id
            when += timedelta(minutes=rng.randint(1, 600))
    rng.shuffle(out)  # the real file is not in time order either
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(out[:rows])


def run_import(csv_path: Path, db_path: Path) -> tuple[float, float]:
    """Run the real CLI in a child process; return (seconds, peak RSS MiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "import", "twcs", str(csv_path),
                    "--db", str(db_path)], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: run the small
    # file first so each reading is that run's own peak or larger.
    return elapsed, max(peak, before) / 1024


def baseline_per_row(csv_path: Path, db_path: Path, rows: int) -> float:
    """Insert the first ``rows`` rows one at a time, one transaction each."""
    sys.path.insert(0, str(REPO))
    from sqlite_utils import Database

    from collectors.imports import read_twcs

    db = Database(db_path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    table = db["messages"]
    done = 0
    started = time.perf_counter()
    for batch in read_twcs(csv_path, batch_size=1000):
        for message in batch.messages:
            table.insert(message.to_row(), pk="id", alter=True, ignore=True)
            done += 1
            if done >= rows:
                return done / (time.perf_counter() - started)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        for label, rows in (("small", args.small_rows), ("full", args.rows)):
            csv_path = folder / f"{label}.csv"
            generate(csv_path, rows)
            seconds, peak = run_import(csv_path, folder / f"{label}.db")
            results[label] = (rows, seconds, peak)
            size = csv_path.stat().st_size / 2**20
            print(f"{label:5}: {rows:>9,} rows ({size:,.0f} MiB) in {seconds:6.1f} s = "
                  f"{rows / seconds:>8,.0f} rows/s, peak RSS {peak:,.0f} MiB")
        base_rate = baseline_per_row(folder / "small.csv", folder / "baseline.db",
                                     args.baseline_rows)
        rows, seconds, _ = results["full"]
        print(f"baseline (one insert + commit per row, first {args.baseline_rows:,} rows): "
              f"{base_rate:,.0f} rows/s")
        print(f"ratio full import / baseline: {rows / seconds / base_rate:.1f}x")


if __name__ == "__main__":
    main()
