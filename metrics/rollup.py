"""The daily rollup: one row per (brand, platform, channel, brand-local
date) holding counts and the *sorted* first-response times of that day's
conversations (calendar and business seconds) and their outcome counts and
sums (``response_rollup``), and the same per agent (``agent_rollup``), so the
response-time, outcome and by-agent reports merge a few thousand rows instead
of reading every conversation.

Medians and percentiles cannot be added up from daily medians, so the rollup
keeps the values themselves (little-endian int64 blobs, already sorted);
a report merges the rows it needs and reads exact ranks. It is derived data:
triggers on ``conversations`` mark changed keys in ``response_rollup_dirty``
and :func:`refresh_rollup` rebuilds exactly those rows, so it stays correct
whoever changes a conversation (the engine, a triage action, a merge).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import numpy as np

from replywatch.store.db import Database
from replywatch.store.schema import ROLLUP_OUTCOME_COLUMNS

VALUE_DTYPE = np.dtype("<i8")


def encode_values(values: list[int] | np.ndarray) -> bytes:
    """Sorted little-endian int64 bytes of ``values``."""
    return np.sort(np.asarray(values, dtype=VALUE_DTYPE)).tobytes()


def decode_values(blob: bytes | None) -> np.ndarray:
    """The int64 array stored by :func:`encode_values` (read-only view)."""
    if not blob:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(blob, dtype=VALUE_DTYPE)


#: Conversation columns a rollup row is built from (see :func:`_figures`).
_SOURCE = """first_response_seconds, first_response_business_seconds, first_response_sla_met,
    status, brand_reply_count, reopened_count, next_response_count,
    next_response_seconds_total, next_response_business_seconds_total, recovery_label,
    mood_recovery, mood_before, mood_after, resolved_by, first_contact_resolved,
    effort_customer_messages, effort_brand_replies, repeat_contact_id, assignee"""
#: The figure columns of both rollup tables, in :func:`_figures` order.
FIGURE_COLUMNS = (
    "conversations", "answered", "first_response_values", "business_first_response_values",
    "sla_met", "closed", "first_contact_resolved", "next_response_count",
    "next_response_seconds_total", "next_response_business_seconds_total",
    *ROLLUP_OUTCOME_COLUMNS,
)  # fmt: skip
_RECOVERY_LABELS = ("recovered", "unchanged", "worsened", "silent")


def _count_sum(values: list) -> tuple[int, float]:
    known = [v for v in values if v is not None]
    return len(known), math.fsum(known)


def _figures(rows: list[tuple]) -> tuple:
    """The figures of one rollup row from its conversations' :data:`_SOURCE`
    rows: response times as in m002, then the outcome counts and sums of
    m023 (what ``metrics.outcome_reports`` aggregates in SQL)."""
    answered = [r for r in rows if r[0] is not None]
    closed = [r for r in rows if r[3] == "closed"]
    labels = [r[9] for r in rows]
    resolved = [r for r in rows if r[13] is not None]
    return (
        len(rows),
        len(answered),
        encode_values([r[0] for r in answered]),
        encode_values([r[1] for r in answered]),
        sum(1 for r in rows if r[2] == 1),
        len(closed),
        sum(1 for r in closed if r[4] == 1 and r[5] == 0),
        sum(r[6] for r in rows),
        sum(r[7] for r in rows),
        sum(r[8] for r in rows),
        *(labels.count(label) for label in _RECOVERY_LABELS),
        *_count_sum([r[10] for r in rows]),
        *_count_sum([r[11] for r in rows]),
        *_count_sum([r[12] for r in rows]),
        len(resolved),
        sum(1 for r in resolved if r[13] == "customer"),
        sum(1 for r in resolved if r[13] == "closed"),
        sum(r[14] or 0 for r in rows),
        *_count_sum([r[15] for r in rows]),
        *_count_sum([r[16] for r in rows]),
        sum(1 for r in rows if r[17] is not None),
    )


_POPULATION = "needs_response = 1 AND status NOT IN ('spam', 'ignored')"


def _rebuild_key(db: Database, brand: str, platform: str, channel: str, local_date: str) -> None:
    conn = db.conn
    rows = conn.execute(
        f"""
        SELECT {_SOURCE}
        FROM conversations
        WHERE brand IS ? AND platform = ? AND channel = ? AND local_date = ? AND {_POPULATION}
        """,
        (brand or None, platform, channel, local_date),
    ).fetchall()
    key = (brand, platform, channel, local_date)
    where = "WHERE brand = ? AND platform = ? AND channel = ? AND local_date = ?"
    conn.execute(f"DELETE FROM response_rollup {where}", key)
    conn.execute(f"DELETE FROM agent_rollup {where}", key)
    if rows:
        _insert_key(db, key, rows)


def _insert_key(db: Database, key: tuple, rows: list[tuple]) -> None:
    """Insert the rollup rows of one key from its conversations' rows."""
    conn = db.conn
    columns = ", ".join(FIGURE_COLUMNS)
    marks = ", ".join("?" * len(FIGURE_COLUMNS))
    conn.execute(
        f"INSERT INTO response_rollup (brand, platform, channel, local_date, {columns}) "
        f"VALUES (?, ?, ?, ?, {marks})",
        (*key, *_figures(rows)),
    )
    by_agent: dict[str | None, list[tuple]] = {}
    for row in rows:
        by_agent.setdefault(row[18], []).append(row)
    conn.executemany(
        f"INSERT INTO agent_rollup (brand, platform, channel, local_date, agent, {columns}) "
        f"VALUES (?, ?, ?, ?, ?, {marks})",
        [(*key, agent, *_figures(group)) for agent, group in by_agent.items()],
    )


def rebuild_rollup(db: Database) -> int:
    """Rebuild every rollup row in one ordered pass over the conversations
    and clear every dirty mark (after a recompute of everything: cheaper
    than one query per key). Call inside a write transaction. Returns how
    many keys it holds now."""
    conn = db.conn
    for table in ("response_rollup", "agent_rollup", "response_rollup_dirty"):
        conn.execute(f"DELETE FROM {table}")
    # brand '' never names a brand: the key of conversations without one.
    rows = conn.execute(
        f"""
        SELECT coalesce(brand, ''), platform, channel, local_date, {_SOURCE}
        FROM conversations WHERE local_date IS NOT NULL AND {_POPULATION}
        ORDER BY 1, 2, 3, 4
        """
    )
    keys = 0
    for key, group in itertools.groupby(rows, key=lambda r: r[:4]):
        _insert_key(db, key, [r[4:] for r in group])
        keys += 1
    return keys


def refresh_rollup(db: Database, *, limit: int | None = None) -> int:
    """Rebuild every rollup row marked dirty (or, with ``limit``, that many of
    them) and clear their marks. Call inside a write transaction (the engine
    does, at the end of each recompute). Returns how many keys were rebuilt."""
    keys = db.conn.execute(
        "SELECT brand, platform, channel, local_date FROM response_rollup_dirty"
        + ("" if limit is None else " LIMIT ?"),
        () if limit is None else (limit,),
    ).fetchall()
    if limit is not None:
        return refresh_rollup_keys(db, keys)
    for key in keys:
        _rebuild_key(db, *key)
    if keys:
        db.conn.execute("DELETE FROM response_rollup_dirty")
    return len(keys)


def conversation_rollup_keys(db: Database, conversation_ids: Iterable[int]) -> set[tuple]:
    """The rollup keys ``(brand or '', platform, channel, local_date)`` the
    given conversations count under (as the dirty-marking triggers write them)."""
    ids = sorted(set(conversation_ids))
    keys: set[tuple] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        keys.update(
            db.conn.execute(
                "SELECT DISTINCT coalesce(brand, ''), platform, channel, local_date "
                f"FROM conversations WHERE id IN ({','.join('?' * len(chunk))}) "
                "AND local_date IS NOT NULL",
                chunk,
            ).fetchall()
        )
    return keys


def refresh_rollup_keys(db: Database, keys: Iterable[tuple]) -> int:
    """Rebuild the rollup rows of ``keys`` that are marked dirty and clear
    their marks; other dirty rows stay marked (a report refreshes them before
    reading). Lets a small change (an agent's click, a collector's poll)
    refresh only what it changed while a large import has marked thousands.
    Call inside a write transaction. Returns how many keys were rebuilt."""
    rebuilt = 0
    for key in keys:
        if db.conn.execute(
            "DELETE FROM response_rollup_dirty WHERE brand = ? AND platform = ? "
            "AND channel = ? AND local_date = ?",
            key,
        ).rowcount:
            _rebuild_key(db, *key)
            rebuilt += 1
    return rebuilt


def dirty_rollup_keys(db: Database) -> int:
    """How many rollup rows are marked dirty (waiting for :func:`refresh_rollup`)."""
    return db.conn.execute("SELECT count(*) FROM response_rollup_dirty").fetchone()[0]


def rollup_is_current(db: Database) -> bool:
    """True when no conversation change is waiting to be folded into the rollup."""
    return db.conn.execute("SELECT 1 FROM response_rollup_dirty LIMIT 1").fetchone() is None
