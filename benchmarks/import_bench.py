"""Import speed and memory: `replywatch import twcs` on a generated twcs-format
file, against a per-row-insert baseline in the same run.

    python benchmarks/import_bench.py [--rows 1000000] [--baseline-rows 20000]

Prints rows/s and peak RSS of the import (run as a child process, so its peak
memory is measured alone) for a small and the full file with ``--no-score``
(the loading target), the small file again with scoring (``--scored-full``
for the full one), and the ratio to the baseline that stores one row per
transaction with sqlite-utils' insert(). Peak RSS is given for the largest
process and for the importer's whole process tree (it parses in a second
process).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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
            text = (
                f"@{brand} my order #{rng.randint(1000, 9999)} is late, please help"
                if inbound
                else f"@{customer} Sorry about that, please DM us. ^AB"
            )
            out.append(
                [
                    tweet_id,
                    customer if inbound else brand,
                    str(inbound),
                    when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    text,
                    "",
                    f"{parent}.0" if parent else "",
                ]
            )
            parent = tweet_id
            when += timedelta(minutes=rng.randint(1, 600))
    rng.shuffle(out)  # the real file is not in time order either
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(out[:rows])


def _tree_rss_mib(root: int) -> float:
    """Summed RSS of ``root`` and its descendants (shared pages counted in
    each process, so an upper bound), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total / 2**20


PAGE = os.sysconf("SC_PAGE_SIZE")


def run_import(csv_path: Path, db_path: Path, *, score: bool) -> tuple[float, float, float]:
    """Run the real CLI in a child process; return (seconds, peak RSS MiB of
    the largest process, peak summed RSS MiB of the importer's process tree:
    it parses in a second process)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "replywatch.cli",
            "import",
            "twcs",
            str(csv_path),
            "--db",
            str(db_path),
            "--score" if score else "--no-score",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    tree_peak = 0.0
    while True:
        # wait4 gives this child's own rusage (its ru_maxrss covers it and its
        # reader process), not the maximum over every child this script ran.
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, _tree_rss_mib(process.pid))
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"import failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, tree_peak


def baseline_per_row(csv_path: Path, db_path: Path, rows: int) -> float:
    """Insert the first ``rows`` rows one at a time, one transaction each."""
    sys.path.insert(0, str(REPO))
    from sqlite_utils import Database

    from replywatch.collectors.imports import read_twcs

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
    parser.add_argument(
        "--generate", nargs=2, metavar=("PATH", "ROWS"), help="only write a generated file and exit"
    )
    parser.add_argument(
        "--scored-full",
        action="store_true",
        help="also time the full file with scoring (slow: ~10k msg/s)",
    )
    args = parser.parse_args()
    if args.generate:
        generate(Path(args.generate[0]), int(args.generate[1]))
        return
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = {}
        runs = [
            ("small", args.small_rows, False),
            ("full", args.rows, False),
            ("small", args.small_rows, True),
        ]
        if args.scored_full:
            runs.append(("full", args.rows, True))
        for label, rows, score in runs:
            csv_path = folder / f"{label}.csv"
            if not csv_path.exists():
                # In a child process: generating holds the whole file in
                # memory, and a later fork of this process would count it in
                # the importer's ru_maxrss (that was the "445 MB peak").
                subprocess.run(
                    [sys.executable, __file__, "--generate", str(csv_path), str(rows)], check=True
                )
            db_path = folder / f"{label}-{'scored' if score else 'unscored'}.db"
            seconds, peak, tree = run_import(csv_path, db_path, score=score)
            results[label, score] = (rows, seconds, peak)
            size = csv_path.stat().st_size / 2**20
            mode = "--score   " if score else "--no-score"
            print(
                f"{label:5} {mode}: {rows:>9,} rows ({size:,.0f} MiB) in {seconds:6.1f} s = "
                f"{rows / seconds:>8,.0f} rows/s, peak RSS {peak:,.0f} MiB "
                f"(process tree {tree:,.0f} MiB)"
            )
        base_rate = baseline_per_row(
            folder / "small.csv", folder / "baseline.db", args.baseline_rows
        )
        rows, seconds, _ = results["full", False]
        print(
            f"baseline (one insert + commit per row, first {args.baseline_rows:,} rows): "
            f"{base_rate:,.0f} rows/s"
        )
        print(f"ratio full --no-score import / baseline: {rows / seconds / base_rate:.1f}x")
        print(
            "scored figures include the sentiment phase (docs/sentiment.md); the "
            "--no-score figures do not"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
