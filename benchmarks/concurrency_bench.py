"""Concurrency: write and read latency with collectors, dashboard readers and
triage agents on one SQLite file, against a writer-alone baseline in the same
run.

    python benchmarks/concurrency_bench.py [--seconds 15] [--writers 1] [--readers 4]
                                           [--agents 2] [--batch-size 200]

Seeds a database with the real twcs slice (../shared/data), then runs (1) the
writers alone and (2) writers + readers + agents, each in its own process, and
prints p50/p95/p99/max latencies, operation counts, "database is locked"
errors and the verification (lost writes, lost status changes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.workload import percentiles, run_workload  # noqa: E402
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs  # noqa: E402
from replywatch.pipeline import import_batches  # noqa: E402
from replywatch.store.db import open_database  # noqa: E402

SLICE = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs" / "twcs_head5000.csv"


def _row(label: str, values: list[float], seconds: float, unit: str) -> str:
    p = percentiles(values)
    return (
        f"  {label:16} {len(values):>7,} {unit:9} {len(values) / seconds:>8,.0f}/s   "
        f"p50 {p['p50']:7.1f} ms  p95 {p['p95']:7.1f} ms  p99 {p['p99']:7.1f} ms  "
        f"max {p['max']:7.1f} ms"
    )


def report(title: str, result, batch_size: int) -> None:
    seconds = result.seconds
    writes = [x for w in result.writers for x in w.latencies]
    print(f"{title}")
    print(
        _row(f"{len(result.writers)} writer(s)", writes, seconds, "batches")
        + f"  ({len(writes) * batch_size / seconds:,.0f} messages/s)"
    )
    if result.readers:
        print(
            _row(
                f"{len(result.readers)} reader(s)",
                [x for r in result.readers for x in r.latencies],
                seconds,
                "queries",
            )
        )
    if result.agents:
        print(
            _row(
                f"{len(result.agents)} agent(s)",
                [x for a in result.agents for x in a.latencies],
                seconds,
                "changes",
            )
        )
    print(
        f"  'database is locked' errors: {result.locked_errors}; messages stored "
        f"{result.messages_stored:,} of {result.messages_expected:,} written; lost status "
        f"changes: {result.lost_status_changes}; missing audit entries: "
        f"{result.missing_audit_entries}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()
    if not SLICE.is_file():
        sys.exit(f"missing {SLICE}")
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.db"
        db = open_database(seed)
        import_batches(db, read_twcs(SLICE), source=TWCS_SOURCE)
        db.close()
        runs = {}
        for label, readers, agents in (("baseline", 0, 0), ("mixed", args.readers, args.agents)):
            path = Path(tmp) / f"{label}.db"
            shutil.copy(seed, path)
            runs[label] = run_workload(
                path,
                writers=args.writers,
                readers=readers,
                agents=agents,
                seconds=args.seconds,
                batch_size=args.batch_size,
            )
        report(
            f"baseline: writers alone for {args.seconds:.0f} s", runs["baseline"], args.batch_size
        )
        report(
            f"mixed: {args.writers} writer(s) + {args.readers} readers + {args.agents} agents "
            f"for {args.seconds:.0f} s",
            runs["mixed"],
            args.batch_size,
        )
        base = percentiles([x for w in runs["baseline"].writers for x in w.latencies])
        mixed = percentiles([x for w in runs["mixed"].writers for x in w.latencies])
        base_n = sum(len(w.latencies) for w in runs["baseline"].writers)
        mixed_n = sum(len(w.latencies) for w in runs["mixed"].writers)
        print(
            f"ratio mixed / baseline: write throughput {mixed_n / base_n:.2f}x, "
            f"write p95 latency {mixed['p95'] / base['p95']:.2f}x"
        )


if __name__ == "__main__":
    main()
