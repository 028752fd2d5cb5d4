"""The daily response-time rollup: one row per (brand, platform, channel,
brand-local date) holding counts and the *sorted* first-response times of
that day's conversations (calendar and business seconds).

Medians and percentiles cannot be added up from daily medians, so the rollup
keeps the values themselves (little-endian int64 blobs, already sorted);
a report merges the rows it needs and reads exact ranks. It is derived data:
triggers on ``conversations`` mark changed keys in ``response_rollup_dirty``
and :func:`refresh_rollup` rebuilds exactly those rows, so it stays correct
whoever changes a conversation (the engine, a triage action, a merge).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sqlite_utils import Database

VALUE_DTYPE = np.dtype("<i8")


def encode_values(values: list[int] | np.ndarray) -> bytes:
    """Sorted little-endian int64 bytes of ``values``."""
    return np.sort(np.asarray(values, dtype=VALUE_DTYPE)).tobytes()


def decode_values(blob: bytes | None) -> np.ndarray:
    """The int64 array stored by :func:`encode_values` (read-only view)."""
    if not blob:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(blob, dtype=VALUE_DTYPE)


def _rebuild_key(db: Database, brand: str, platform: str, channel: str, local_date: str) -> None:
    conn = db.conn
    params = (brand or None, platform, channel, local_date)
    rows = conn.execute(
        """
        SELECT first_response_seconds, first_response_business_seconds, first_response_sla_met,
               status, brand_reply_count, reopened_count, next_response_count,
               next_response_seconds_total, next_response_business_seconds_total
        FROM conversations
        WHERE brand IS ? AND platform = ? AND channel = ? AND local_date = ?
          AND needs_response = 1 AND status NOT IN ('spam', 'ignored')
        """,
        params,
    ).fetchall()
    conn.execute(
        "DELETE FROM response_rollup WHERE brand = ? AND platform = ? AND channel = ? "
        "AND local_date = ?",
        (brand, platform, channel, local_date),
    )
    if not rows:
        return
    calendar = [r[0] for r in rows if r[0] is not None]
    business = [r[1] for r in rows if r[0] is not None]
    closed = [r for r in rows if r[3] == "closed"]
    conn.execute(
        "INSERT INTO response_rollup VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            brand,
            platform,
            channel,
            local_date,
            len(rows),
            len(calendar),
            encode_values(calendar),
            encode_values(business),
            sum(1 for r in rows if r[2] == 1),
            len(closed),
            sum(1 for r in closed if r[4] == 1 and r[5] == 0),
            sum(r[6] for r in rows),
            sum(r[7] for r in rows),
            sum(r[8] for r in rows),
        ),
    )


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
