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

from replywatch.store import rollup_queries as queries
from replywatch.store.db import Database

# The rollup's columns are the store's (issue 24: only store/ speaks SQL);
# FIGURE_COLUMNS is named here too, where the reports have always found it.
from replywatch.store.rollup_queries import FIGURE_COLUMNS  # noqa: F401 - re-exported

VALUE_DTYPE = np.dtype("<i8")


def encode_values(values: list[int] | np.ndarray) -> bytes:
    """Sorted little-endian int64 bytes of ``values``."""
    return np.sort(np.asarray(values, dtype=VALUE_DTYPE)).tobytes()


def decode_values(blob: bytes | None) -> np.ndarray:
    """The int64 array stored by :func:`encode_values` (read-only view)."""
    if not blob:
        return np.empty(0, dtype=np.int64)
    return np.frombuffer(blob, dtype=VALUE_DTYPE)


_RECOVERY_LABELS = ("recovered", "unchanged", "worsened", "silent")


def _count_sum(values: list) -> tuple[int, float]:
    known = [v for v in values if v is not None]
    return len(known), math.fsum(known)


def _figures(rows: list[tuple]) -> tuple:
    """The figures of one rollup row from its conversations' rows
    (``store.rollup_queries.SOURCE_COLUMNS``
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


def _rebuild_key(db: Database, brand: str, platform: str, channel: str, local_date: str) -> None:
    key = (brand, platform, channel, local_date)
    rows = queries.key_sources(db, key)
    queries.delete_key(db, key)
    if rows:
        _insert_key(db, key, rows)


def _insert_key(db: Database, key: tuple, rows: list[tuple]) -> None:
    """Insert the rollup rows of one key from its conversations' rows."""
    by_agent: dict[str | None, list[tuple]] = {}
    for row in rows:
        by_agent.setdefault(row[18], []).append(row)
    queries.insert_key(
        db, key, _figures(rows), [(agent, *_figures(group)) for agent, group in by_agent.items()]
    )


def rebuild_rollup(db: Database) -> int:
    """Rebuild every rollup row in one ordered pass over the conversations
    and clear every dirty mark (after a recompute of everything: cheaper
    than one query per key). Call inside a write transaction. Returns how
    many keys it holds now."""
    queries.clear_all(db)
    rows = queries.all_sources(db)
    keys = 0
    for key, group in itertools.groupby(rows, key=lambda r: r[:4]):
        _insert_key(db, key, [r[4:] for r in group])
        keys += 1
    return keys


def refresh_rollup(db: Database, *, limit: int | None = None) -> int:
    """Rebuild every rollup row marked dirty (or, with ``limit``, that many of
    them) and clear their marks. Call inside a write transaction (the engine
    does, at the end of each recompute). Returns how many keys were rebuilt."""
    keys = queries.dirty_keys(db, limit)
    if limit is not None:
        return refresh_rollup_keys(db, keys)
    for key in keys:
        _rebuild_key(db, *key)
    if keys:
        queries.clear_dirty(db)
    return len(keys)


def conversation_rollup_keys(db: Database, conversation_ids: Iterable[int]) -> set[tuple]:
    """The rollup keys ``(brand or '', platform, channel, local_date)`` the
    given conversations count under (as the dirty-marking triggers write them)."""
    ids = sorted(set(conversation_ids))
    keys: set[tuple] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        keys.update(queries.conversation_keys(db, chunk))
    return keys


def refresh_rollup_keys(db: Database, keys: Iterable[tuple]) -> int:
    """Rebuild the rollup rows of ``keys`` that are marked dirty and clear
    their marks; other dirty rows stay marked (a report refreshes them before
    reading). Lets a small change (an agent's click, a collector's poll)
    refresh only what it changed while a large import has marked thousands.
    Call inside a write transaction. Returns how many keys were rebuilt."""
    rebuilt = 0
    for key in keys:
        if queries.take_dirty(db, key):
            _rebuild_key(db, *key)
            rebuilt += 1
    return rebuilt


def dirty_rollup_keys(db: Database) -> int:
    """How many rollup rows are marked dirty (waiting for :func:`refresh_rollup`)."""
    return queries.dirty_count(db)


def rollup_is_current(db: Database) -> bool:
    """True when no conversation change is waiting to be folded into the rollup."""
    return not queries.any_dirty(db)
