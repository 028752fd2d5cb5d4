"""Cost of alerts on the collection path, with same-run baselines.

    python benchmarks/alerts_bench.py [--batches 30] [--batch-size 100]

1. Ingest with alert queueing vs the same ingest with queueing switched off
   (fresh databases, same messages; about a third of them urgent).
2. ``dispatch_pending`` with nothing due (what the collector loop pays on
   every pass) vs an empty write transaction.
3. One real apprise digest of N pending alerts to a local webhook vs one
   single alert.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from replywatch import pipeline  # noqa: E402
from replywatch.notify import apprise_send, dispatch_pending  # noqa: E402
from replywatch.store.db import open_database, transaction  # noqa: E402
from replywatch.store.timeutil import utc_now  # noqa: E402
from tests.alerts_support import ENV_NAME, complaint, setup_brand, webhook_receiver  # noqa: E402

CALM = "@LojaAurora hi, do you ship to Porto? thanks"


def batches(count: int, size: int):
    now = utc_now()
    for b in range(count):
        batch = []
        for i in range(size):
            n = b * size + i
            message = complaint(str(n), now - timedelta(minutes=30 - n % 30))
            if n % 3:
                message.text = CALM
            batch.append(message)
        yield batch


def ingest_seconds(folder: Path, name: str, count: int, size: int) -> tuple[float, int]:
    db = open_database(folder / f"{name}.db")
    setup_brand(db)
    started = time.perf_counter()
    for batch in batches(count, size):
        pipeline.ingest(db, batch, source="bench")
    elapsed = time.perf_counter() - started
    queued = db.execute("SELECT count(*) FROM alerts").fetchone()[0]
    db.close()
    return elapsed, queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--digest", type=int, default=1000)
    args = parser.parse_args()
    total = args.batches * args.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        real_queue = pipeline.queue_urgent_alerts
        ingest_seconds(folder, "warmup", 2, args.batch_size)  # imports, scorer lexicons
        runs: dict[str, list[float]] = {"base": [], "alerts": []}
        for round_ in range(2):
            # ABBA order so drift (cache, disk) does not favour either side
            for kind in ("base", "alerts") if round_ == 0 else ("alerts", "base"):
                pipeline.queue_urgent_alerts = (
                    real_queue if kind == "alerts" else (lambda db, ids, **kw: 0)
                )
                name = "alerts" if kind == "alerts" and round_ == 1 else f"{kind}{round_}"
                elapsed, count = ingest_seconds(folder, name, args.batches, args.batch_size)
                runs[kind].append(elapsed)
                if kind == "alerts":
                    queued = count
        pipeline.queue_urgent_alerts = real_queue
        base, with_alerts = min(runs["base"]), min(runs["alerts"])
        print(
            f"ingest {total:,} messages in {args.batches} batches: {with_alerts:.2f} s with "
            f"alert queueing ({queued:,} alerts) vs {base:.2f} s without -> ratio "
            f"{with_alerts / base:.3f}"
        )

        db = open_database(folder / "alerts.db")
        env = {ENV_NAME: "json://127.0.0.1:9/unused"}
        db.execute("UPDATE alerts SET status = 'sent'")
        idle, empty = [], []
        for _ in range(200):
            started = time.perf_counter()
            dispatch_pending(db, env=env)
            idle.append(time.perf_counter() - started)
            started = time.perf_counter()
            with transaction(db):
                pass
            empty.append(time.perf_counter() - started)
        print(
            f"dispatch_pending, nothing pending ({queued:,} alerts stored): median "
            f"{statistics.median(idle) * 1000:.2f} ms vs empty write transaction "
            f"{statistics.median(empty) * 1000:.2f} ms -> ratio "
            f"{statistics.median(idle) / statistics.median(empty):.1f}"
        )
        db.close()

        with webhook_receiver() as receiver:
            env = {ENV_NAME: receiver.url}
            timings = {}
            # Warm-up: apprise loads its plugins on first use.
            apprise_send(receiver.url, "warm-up", "warm-up")
            receiver.requests.clear()
            for label, count in (("single", 1), ("digest", args.digest)):
                db = open_database(folder / f"{label}.db")
                setup_brand(db)
                now = utc_now()
                for start in range(0, count, 500):
                    pipeline.ingest(
                        db,
                        [
                            complaint(f"{label}{n}", now - timedelta(minutes=5))
                            for n in range(start, min(start + 500, count))
                        ],
                        source="bench",
                    )
                started = time.perf_counter()
                result = dispatch_pending(db, env=env)
                timings[label] = time.perf_counter() - started
                assert result.notifications == 1 and result.alerts_sent == count, result
                digest_body = receiver.requests[-1]["json"]["message"]
                db.close()
            print(
                f"real apprise POST to 127.0.0.1: digest of {args.digest:,} alerts "
                f"{timings['digest'] * 1000:.1f} ms vs single alert "
                f"{timings['single'] * 1000:.1f} ms -> ratio "
                f"{timings['digest'] / timings['single']:.1f} "
                f"({len(receiver.requests)} POSTs, {len(digest_body)} characters in the digest)"
            )


if __name__ == "__main__":
    main()
