"""A concurrent workload on one replywatch database, in separate processes:
writers ingesting at full speed through ``pipeline.ingest``, readers running
dashboard-like aggregate queries, and "agents" changing conversation
statuses through ``pipeline.set_status`` (recompute and audit-log entry in
one transaction).

Used by ``benchmarks/concurrency_bench.py`` (figures) and
``tests/test_concurrency.py`` (a small, fast run with hard checks).

The reader queries are written out here as representative stand-ins for the
dashboard's queries; the agents change statuses with ``pipeline.set_status``,
the function the dashboard calls.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from replywatch.collectors.base import Message  # noqa: E402
from replywatch.store.db import open_database  # noqa: E402
from replywatch.store.errors import StoreBusy, is_busy  # noqa: E402

WRITER_PLATFORM = "bench"
# Every status a person may set (store.triage.SETTABLE_STATUSES).
AGENT_STATUSES = ("open", "replied", "closed", "spam", "ignored")

READER_QUERIES = {
    "triage_queue": (
        "SELECT id, brand, status, awaiting_since, max_urgency FROM conversations "
        "WHERE needs_response = 1 AND status IN ('new', 'open') "
        "ORDER BY awaiting_since LIMIT 50",
        (),
    ),
    "response_by_brand": (
        "SELECT brand, count(*), avg(first_response_seconds), max(first_response_seconds) "
        "FROM conversations WHERE first_response_seconds IS NOT NULL GROUP BY brand",
        (),
    ),
    "daily_volume": (
        "SELECT created_ts / 86400 AS day, direction, count(*) FROM messages "
        "WHERE created_ts >= ? GROUP BY day, direction",
        (0,),
    ),
    "status_counts": ("SELECT status, count(*) FROM conversations GROUP BY status", ()),
    "unanswered": (
        "SELECT count(*), min(awaiting_since) FROM conversations "
        "WHERE awaiting_since IS NOT NULL AND status NOT IN ('spam', 'ignored')",
        (),
    ),
}


def synthetic_batch(writer_no: int, batch_no: int, size: int) -> list[Message]:
    """``size`` new messages: customer posts and brand replies to them, with
    ids unique per (writer, batch)."""
    base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=batch_no)
    out: list[Message] = []
    for i in range(size):
        ext = f"w{writer_no}-{batch_no}-{i}"
        inbound = i % 2 == 0
        out.append(
            Message(
                platform=WRITER_PLATFORM,
                external_id=ext,
                created_at=base + timedelta(seconds=i),
                text="my order is late" if inbound else "sorry, we are on it",
                direction="inbound" if inbound else "outbound",
                kind="mention" if inbound else "reply",
                channel="public",
                source=f"bench:writer{writer_no}",
                author_handle=f"cust{i}" if inbound else "acme",
                brand=None if inbound else "acme",
                in_reply_to_id=None if inbound else f"w{writer_no}-{batch_no}-{i - 1}",
            )
        )
    return out


@dataclass
class WorkerResult:
    """Latencies (seconds) and outcomes of one worker process."""

    role: str
    latencies: list[float] = field(default_factory=list)
    locked_errors: int = 0
    batches: int = 0
    # Agents: (conversation, status set, conversations set_status changed: 0 or 1).
    changes: list[tuple[int, str, int]] = field(default_factory=list)


def _is_lock_error(exc: Exception) -> bool:
    # The store raises StoreBusy when its write lock times out; the readers'
    # raw queries here still meet SQLite's own error.
    return is_busy(exc)


def _wait(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def _warm_up(hold: float) -> None:
    """Import what the workers use and hold the process for ``hold`` seconds
    (so the pool starts a process for each warm-up call)."""
    from replywatch import pipeline  # noqa: F401
    from replywatch.store import triage  # noqa: F401

    time.sleep(hold)


def run_writer(
    db_path: str, writer_no: int, batch_size: int, start_at: float, seconds: float
) -> WorkerResult:
    """Ingest synthetic batches back to back (each with its cursor) until time is up."""
    from replywatch.pipeline import ingest

    db = open_database(db_path, migrate=False)
    result = WorkerResult("writer")
    _wait(start_at)
    end = start_at + seconds
    batch_no = 0
    while time.time() < end:
        messages = synthetic_batch(writer_no, batch_no, batch_size)
        started = time.perf_counter()
        try:
            ingest(db, messages, source=f"bench:writer{writer_no}", cursor={"batch": batch_no})
        except (sqlite3.OperationalError, StoreBusy) as exc:
            if not _is_lock_error(exc):
                raise
            result.locked_errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
        batch_no += 1
    result.batches = batch_no
    db.close()
    return result


def run_reader(db_path: str, reader_no: int, start_at: float, seconds: float) -> WorkerResult:
    """Run the dashboard-like queries in rotation until time is up."""
    db = open_database(db_path, migrate=False)
    result = WorkerResult("reader")
    queries = list(READER_QUERIES.values())
    _wait(start_at)
    end = start_at + seconds
    i = reader_no
    while time.time() < end:
        sql, params = queries[i % len(queries)]
        i += 1
        started = time.perf_counter()
        try:
            db.execute(sql, params).fetchall()
        except (sqlite3.OperationalError, StoreBusy) as exc:
            if not _is_lock_error(exc):
                raise
            result.locked_errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
    db.close()
    return result


def run_agent(
    db_path: str,
    agent_no: int,
    conversation_ids: list[int],
    start_at: float,
    seconds: float,
    pause: float,
) -> WorkerResult:
    """Change the status of conversations this agent owns through the
    dashboard's own code path (``pipeline.set_status``: UPDATE, recompute,
    audit entry, one transaction), remembering every call and how many
    conversations it changed, for verification."""
    from replywatch.pipeline import set_status

    db = open_database(db_path, migrate=False)
    rng = random.Random(agent_no)
    result = WorkerResult("agent")
    _wait(start_at)
    end = start_at + seconds
    while time.time() < end:
        conversation = rng.choice(conversation_ids)
        status = rng.choice(AGENT_STATUSES)
        started = time.perf_counter()
        try:
            changed = set_status(db, [conversation], status, actor=f"agent{agent_no}")
        except (sqlite3.OperationalError, StoreBusy) as exc:
            if not _is_lock_error(exc):
                raise
            result.locked_errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
        result.changes.append((conversation, status, changed))
        if pause:
            time.sleep(pause)
    db.close()
    return result


@dataclass
class WorkloadResult:
    """Everything a workload run measured and verified."""

    seconds: float
    writers: list[WorkerResult]
    readers: list[WorkerResult]
    agents: list[WorkerResult]
    lost_status_changes: int
    missing_audit_entries: int
    messages_expected: int
    messages_stored: int

    @property
    def locked_errors(self) -> int:
        return sum(w.locked_errors for w in self.writers + self.readers + self.agents)


def run_workload(
    db_path: Path,
    *,
    writers: int = 1,
    readers: int = 3,
    agents: int = 2,
    seconds: float = 3.0,
    batch_size: int = 200,
    agent_pause: float = 0.005,
) -> WorkloadResult:
    """Run the workload on ``db_path`` (already holding conversations for the
    agents) in ``writers + readers + agents`` processes for ``seconds``, then
    verify it: every writer batch stored; every agent's last status per
    conversation is the stored one; its audit entries (actor, conversation,
    status set, resulting status) are exactly its effective calls, in order."""
    db = open_database(db_path)
    before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    owned = [
        r[0]
        for r in db.execute(
            "SELECT id FROM conversations WHERE platform != ? ORDER BY id", (WRITER_PLATFORM,)
        )
    ]
    db.close()
    if agents and len(owned) < agents:
        raise ValueError("the database needs conversations for the agents to work on")
    shares = [owned[i::agents] for i in range(agents)]  # disjoint: each change is checkable
    context = multiprocessing.get_context("spawn")
    workers = writers + readers + agents
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Start every process (and its imports) before the clock runs: on a
        # loaded machine, spawning can take longer than a fixed head start.
        for warm in [pool.submit(_warm_up, 0.5) for _ in range(workers)]:
            warm.result()
        start_at = time.time() + 0.5
        futures = (
            [
                pool.submit(run_writer, str(db_path), n, batch_size, start_at, seconds)
                for n in range(writers)
            ]
            + [pool.submit(run_reader, str(db_path), n, start_at, seconds) for n in range(readers)]
            + [
                pool.submit(run_agent, str(db_path), n, shares[n], start_at, seconds, agent_pause)
                for n in range(agents)
            ]
        )
        results = [f.result() for f in futures]
    by_role = {
        role: [r for r in results if r.role == role] for role in ("writer", "reader", "agent")
    }
    db = open_database(db_path)
    lost = missing_audit = 0
    for n, agent in enumerate(by_role["agent"]):
        # A person's status sticks until a newer customer or brand message
        # changes it; the writers only add messages to their own (bench)
        # conversations, so here every call must take effect: a call that
        # changed nothing is one that found the status already set.
        expected_audit, last = [], {}
        for conversation, status, changed in agent.changes:
            last[conversation] = status
            if changed:
                expected_audit.append((conversation, status, status))
        audited = [
            (c, json.loads(d)["to"], json.loads(d)["result"])
            for c, d in db.execute(
                "SELECT conversation_id, detail FROM audit_log "
                "WHERE actor = ? AND action = 'status' ORDER BY id",
                (f"agent{n}",),
            )
        ]
        # Same entries in the same order: none lost, none extra, none reordered.
        missing_audit += sum(a != b for a, b in zip_longest(audited, expected_audit))
        for conversation, status in last.items():
            stored = db.execute(
                "SELECT status FROM conversations WHERE id = ?", (conversation,)
            ).fetchone()[0]
            lost += stored != status
    stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    db.close()
    expected = before + sum(w.batches for w in by_role["writer"]) * batch_size
    return WorkloadResult(
        seconds,
        by_role["writer"],
        by_role["reader"],
        by_role["agent"],
        lost,
        missing_audit,
        expected,
        stored,
    )


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of ``values`` in milliseconds (empty -> zeros)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] * 1000}
