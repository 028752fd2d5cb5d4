"""Cost of a Triage search with many short prefix terms, without and with the
budget of ``store.triage`` (issue 18.10).

    python benchmarks/search_budget.py [--messages 200000] [--dir /tmp/rw-search]

Builds (once, in ``--dir``) a database of synthetic inbound messages whose
words share short prefixes, then times ``a* a* ... (30 times)`` as the raw
FTS5 query the search box used to send, and the same searches through
``store.triage.queue_count`` (deduplicated words, 1.5 s budget).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from replywatch.collectors.imports import JSONL_SOURCE, read_jsonl  # noqa: E402
from replywatch.pipeline import import_batches  # noqa: E402
from replywatch.store import triage  # noqa: E402
from replywatch.store.db import open_database  # noqa: E402

WORDS = ["refund", "order", "late", "again", "amazing", "account", "app", "about",
         "after", "any", "package", "delivery", "pedido", "atraso", "ajuda", "agora"]  # fmt: skip


def build(path: Path, messages: int) -> None:
    """A database of ``messages`` inbound messages of 12 words each."""
    rnd = random.Random(1)
    source = path.with_suffix(".jsonl")
    with open(source, "w", encoding="utf-8") as out:
        for i in range(messages):
            text = " ".join(rnd.choice(WORDS) + str(rnd.randrange(50)) for _ in range(12))
            record = {"platform": "x", "id": i, "created_at": "2024-05-01T10:00:00Z",
                      "text": "@acme " + text, "direction": "inbound"}  # fmt: skip
            out.write(json.dumps(record) + "\n")
    db = open_database(path)
    import_batches(db, read_jsonl(source), source=JSONL_SOURCE, score=False)
    db.close()
    source.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/rw-search"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"search-{args.messages}.db"
    if not path.exists():
        build(path, args.messages)
    db = open_database(path)
    query = " ".join(["a*"] * 30)
    where, params = triage._where(triage.QueueFilter(search=query), query)
    started = time.perf_counter()
    count = db.execute(f"SELECT count(*) FROM conversations c WHERE {where}", params).fetchone()[0]
    print(f"raw FTS5 'a* x30' (before): {time.perf_counter() - started:.2f} s, {count} matches")
    for search in (query, "a*", "refund1*"):
        started = time.perf_counter()
        try:
            count = triage.queue_count(db, triage.QueueFilter(search=search))
            outcome = f"{count} matches"
        except triage.SearchTooBroad:
            outcome = "stopped (SearchTooBroad)"
        print(f"bounded {search[:14]!r}: {time.perf_counter() - started:.2f} s, {outcome}")


if __name__ == "__main__":
    main()
