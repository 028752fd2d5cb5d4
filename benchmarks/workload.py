"""A concurrent workload on one replywatch database, in separate processes:
writers ingesting at full speed through ``pipeline.ingest``, readers running
dashboard-like aggregate queries, and "agents" changing conversation
statuses (with an audit-log entry, in one transaction).

Used by ``benchmarks/concurrency_bench.py`` (figures) and
``tests/test_concurrency.py`` (a small, fast run with hard checks).

The reader queries and the agent's status change are written out here as
representative stand-ins for the dashboard's queries and ``store/triage.py``.
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from collectors.base import Message  # noqa: E402
from store.db import open_database, transaction  # noqa: E402

WRITER_PLATFORM = "bench"
AGENT_STATUSES = ("open", "replied", "closed", "spam", "ignored", "new")

READER_QUERIES = {
    "triage_queue": (
        "SELECT id, brand, status, awaiting_since, max_urgency FROM conversations "
        "WHERE needs_response = 1 AND status IN ('new', 'open') "
        "ORDER BY awaiting_since LIMIT 50", ()),
    "response_by_brand": (
        "SELECT brand, count(*), avg(first_response_seconds), max(first_response_seconds) "
        "FROM conversations WHERE first_response_seconds IS NOT NULL GROUP BY brand", ()),
    "daily_volume": (
        "SELECT created_ts / 86400 AS day, direction, count(*) FROM messages "
        "WHERE created_ts >= ? GROUP BY day, direction", (0,)),
    "status_counts": ("SELECT status, count(*) FROM conversations GROUP BY status", ()),
    "unanswered": (
        "SELECT count(*), min(awaiting_since) FROM conversations "
        "WHERE awaiting_since IS NOT NULL AND status NOT IN ('spam', 'ignored')", ()),
}


def synthetic_batch(writer_no: int, batch_no: int, size: int) -> list[Message]:
    """``size`` new messages: customer posts and brand replies to them, with
    ids unique per (writer, batch)."""
    base = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=batch_no)
    out: list[Message] = []
    for i in range(size):
        ext = f"w{writer_no}-{batch_no}-{i}"
        inbound = i % 2 == 0
        out.append(Message(
            platform=WRITER_PLATFORM, external_id=ext, created_at=base + timedelta(seconds=i),
            text="my order is late" if inbound else "sorry, we are on it",
            direction="inbound" if inbound else "outbound", kind="mention" if inbound else "reply",
            channel="public", source=f"bench:writer{writer_no}",
            author_handle=f"cust{i}" if inbound else "acme", brand=None if inbound else "acme",
            in_reply_to_id=None if inbound else f"w{writer_no}-{batch_no}-{i - 1}",
        ))
    return out


@dataclass
class WorkerResult:
    """Latencies (seconds) and outcomes of one worker process."""

    role: str
    latencies: list[float] = field(default_factory=list)
    locked_errors: int = 0
    batches: int = 0
    changes: list[tuple[int, str, int]] = field(default_factory=list)  # (conv, status, audit id)


def _is_lock_error(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _wait(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def run_writer(db_path: str, writer_no: int, batch_size: int, start_at: float,
               seconds: float) -> WorkerResult:
    """Ingest synthetic batches back to back (each with its cursor) until time is up."""
    from pipeline import ingest

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
        except sqlite3.OperationalError as exc:
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
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc):
                raise
            result.locked_errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
    db.close()
    return result


def run_agent(db_path: str, agent_no: int, conversation_ids: list[int], start_at: float,
              seconds: float, pause: float) -> WorkerResult:
    """Change the status of conversations this agent owns (one transaction:
    UPDATE + audit entry), remembering every change for verification."""
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
            with transaction(db):
                db.conn.execute(
                    "UPDATE conversations SET status = ?, status_changed_at = ? WHERE id = ?",
                    (status, int(time.time()), conversation))
                audit_id = db.conn.execute(
                    "INSERT INTO audit_log (at, actor, action, conversation_id, detail) "
                    "VALUES (?, ?, 'status', ?, ?)",
                    (datetime.now(UTC).isoformat(), f"agent{agent_no}", conversation,
                     json.dumps({"status": status}))).lastrowid
        except sqlite3.OperationalError as exc:
            if not _is_lock_error(exc):
                raise
            result.locked_errors += 1
            continue
        result.latencies.append(time.perf_counter() - started)
        result.changes.append((conversation, status, audit_id))
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


def run_workload(db_path: Path, *, writers: int = 1, readers: int = 3, agents: int = 2,
                 seconds: float = 3.0, batch_size: int = 200,
                 agent_pause: float = 0.005) -> WorkloadResult:
    """Run the workload on ``db_path`` (already holding conversations for the
    agents) in ``writers + readers + agents`` processes for ``seconds``, then
    verify it: every writer batch stored, every agent change kept (final
    status and audit entry)."""
    db = open_database(db_path)
    before = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    owned = [r[0] for r in db.execute(
        "SELECT id FROM conversations WHERE platform != ? ORDER BY id", (WRITER_PLATFORM,))]
    db.close()
    if agents and len(owned) < agents:
        raise ValueError("the database needs conversations for the agents to work on")
    shares = [owned[i::agents] for i in range(agents)]  # disjoint: each change is checkable
    start_at = time.time() + 2.0  # let every process start before the clock runs
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=writers + readers + agents,
                             mp_context=context) as pool:
        futures = (
            [pool.submit(run_writer, str(db_path), n, batch_size, start_at, seconds)
             for n in range(writers)]
            + [pool.submit(run_reader, str(db_path), n, start_at, seconds)
               for n in range(readers)]
            + [pool.submit(run_agent, str(db_path), n, shares[n], start_at, seconds, agent_pause)
               for n in range(agents)]
        )
        results = [f.result() for f in futures]
    by_role = {role: [r for r in results if r.role == role]
               for role in ("writer", "reader", "agent")}
    db = open_database(db_path)
    lost = missing_audit = 0
    for agent in by_role["agent"]:
        last: dict[int, str] = {}
        for conversation, status, audit_id in agent.changes:
            last[conversation] = status
            row = db.execute("SELECT conversation_id, detail FROM audit_log WHERE id = ?",
                             (audit_id,)).fetchone()
            if row is None or row[0] != conversation or json.loads(row[1]) != {"status": status}:
                missing_audit += 1
        for conversation, status in last.items():
            stored = db.execute("SELECT status FROM conversations WHERE id = ?",
                                (conversation,)).fetchone()[0]
            lost += stored != status
    stored = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    db.close()
    expected = before + sum(w.batches for w in by_role["writer"]) * batch_size
    return WorkloadResult(seconds, by_role["writer"], by_role["reader"], by_role["agent"],
                          lost, missing_audit, expected, stored)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of ``values`` in milliseconds (empty -> zeros)."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] * 1000}
