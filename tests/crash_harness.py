"""Crash-safety harness: run a real command, SIGKILL it at random moments,
run it again, and compare the store with one from an uninterrupted run.

Reusable for any command that writes the store (``replywatch import``,
``replywatch collect`` ...)::

    stats = KillStats()
    run_until_complete(cmd, rng=random.Random(7), delay_range=(0.2, 1.0),
                       max_kills=5, stats=stats, inspect=lambda: store_state(db, 5000))
    assert store_signature(db) == reference
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def replywatch_command(*args: str) -> list[str]:
    """The command line that runs ``replywatch ARGS`` from this checkout."""
    return [sys.executable, "-m", "replywatch", *args]


def _connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def store_signature(db_path: Path) -> dict:
    """A canonical picture of the store that does not depend on row ids:
    counts, every message's sentiment score, and per conversation (keyed by
    its root message's external id) the reply status, first response time and
    message count, plus which conversation every message belongs to."""
    conn = _connect(db_path)
    try:
        q = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        conversations = {
            (platform, root): (status, first_response, count)
            for platform, root, status, first_response, count in conn.execute(
                """SELECT c.platform, m.external_id, c.status, c.first_response_seconds,
                          c.message_count
                   FROM conversations c JOIN messages m ON m.id = c.root_message_id"""
            )
        }
        membership = {
            (platform, external_id): root
            for platform, external_id, root in conn.execute(
                """SELECT m.platform, m.external_id, r.external_id FROM messages m
                   LEFT JOIN conversations c ON c.id = m.conversation_id
                   LEFT JOIN messages r ON r.id = c.root_message_id"""
            )
        }
        scores = {
            (platform, external_id): (label, urgency, compound)
            for platform, external_id, label, urgency, compound in conn.execute(
                """SELECT m.platform, m.external_id, s.label, s.urgency, s.compound
                   FROM scores s JOIN messages m ON m.id = s.message_id"""
            )
        }
        return {
            "messages": q("SELECT count(*) FROM messages"),
            "scores": scores,
            "distinct_messages": q(
                "SELECT count(*) FROM (SELECT DISTINCT platform, external_id FROM messages)"
            ),
            "unthreaded": q("SELECT count(*) FROM messages WHERE conversation_id IS NULL"),
            "conversations": conversations,
            "membership": membership,
            "dead_letters": q("SELECT count(*) FROM dead_letters"),
            "brand_accounts": q("SELECT count(*) FROM brand_accounts"),
        }
    finally:
        conn.close()


def store_state(db_path: Path, expected_messages: int, *, scored: bool = True) -> str:
    """Where an interrupted run left the store: ``empty`` (nothing committed),
    ``partial`` (some batches), ``unthreaded`` (all messages, threading not
    committed), ``unscored`` (threaded, sentiment scoring unfinished; only
    if ``scored``) or ``complete``. Raises AssertionError if SQLite's integrity
    check fails."""
    if not db_path.exists():
        return "empty"
    conn = _connect(db_path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "messages" not in tables:
            return "empty"
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        assert check == "ok", f"integrity check after a kill: {check}"
        count = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        unthreaded = conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id IS NULL"
        ).fetchone()[0]
        unscored = conn.execute(
            "SELECT count(*) FROM messages m WHERE NOT EXISTS "
            "(SELECT 1 FROM scores s WHERE s.message_id = m.id)"
        ).fetchone()[0]
    finally:
        conn.close()
    if count == 0:
        return "empty"
    if count < expected_messages:
        return "partial"
    if unthreaded:
        return "unthreaded"
    return "unscored" if unscored and scored else "complete"


@dataclass
class KillStats:
    """Counts over all kill cycles: kills sent, runs that finished on their
    own, and the store states the kills left behind."""

    kills: int = 0
    completed_runs: int = 0
    states: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
        return f"{self.kills} SIGKILLs survived ({states}); {self.completed_runs} clean runs"


def run_once(
    command: Sequence[str],
    *,
    kill_after: float | None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> bool:
    """Run ``command`` (in the repo root); SIGKILL it after ``kill_after``
    seconds if it is still running. Returns True if it was killed, False if it
    finished (raising if it failed)."""
    process = subprocess.Popen(
        list(command), cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if kill_after is not None:
        deadline = time.monotonic() + kill_after
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.005)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.communicate()
            return True
    _, stderr = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise AssertionError(f"{command} failed ({process.returncode}): {stderr.decode()}")
    return False


def run_until_complete(
    command: Sequence[str],
    *,
    rng: random.Random,
    delay_range: tuple[float, float],
    max_kills: int,
    stats: KillStats,
    inspect: Callable[[], str],
    env: dict[str, str] | None = None,
    storing_range: tuple[float, float] | None = None,
) -> None:
    """Start ``command`` again and again, killing it after a random delay in
    ``delay_range`` up to ``max_kills`` times and calling ``inspect`` after
    each kill (it returns a state name to count); stop when a run finishes by
    itself. The last run is never killed, so the command always completes.
    With ``storing_range`` (from a run's first stored row to its end, see
    :func:`timed_run_watching`) half the kills are drawn from it: a store is
    part-written only in that stretch, often a small part of a run."""
    kills = 0
    while True:
        window = storing_range if storing_range and rng.random() < 0.5 else delay_range
        delay = rng.uniform(*window) if kills < max_kills else None
        if not run_once(command, kill_after=delay, env=env):
            stats.completed_runs += 1
            return
        kills += 1
        stats.kills += 1
        stats.states[inspect()] += 1


def _holds_a_message(db_path: Path) -> bool:
    """True once the store at ``db_path`` has a committed message (read-only:
    never creates the file, never waits on the writer)."""
    if not db_path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.05)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def timed_run_watching(command: Sequence[str], db_path: Path) -> tuple[float, float]:
    """Run ``command`` to completion while watching its store; return its wall
    time and the time its first message was committed (the wall time if none
    was seen), so kills can aim at the stretch where the store is part-written."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    first_stored = None
    while process.poll() is None:
        if first_stored is None and _holds_a_message(db_path):
            first_stored = time.perf_counter() - started
        time.sleep(0.01)
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise AssertionError(f"{command} failed ({process.returncode}): {stderr.decode()}")
    duration = time.perf_counter() - started
    return duration, duration if first_stored is None else first_stored


def timed_run(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Run ``command`` to completion; return its wall time in seconds."""
    started = time.perf_counter()
    run_once(command, kill_after=None, env=env)
    return time.perf_counter() - started
