"""The reads behind the live figures of ``metrics/reports.py``: who is waiting
now, how many are probably resolved, and the first responses of a badge
window. The SQL stays in the store (issue 24: only store/ speaks SQL); the
metric shapes the rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from replywatch.store.db import Database
from replywatch.store.scores import PROBABLY_RESOLVED

#: The columns of :func:`waiting_rows`, in order.
WAITING_COLUMNS = (
    "id",
    "brand",
    "platform",
    "channel",
    "customer_handle",
    "status",
    "assignee",
    "awaiting_since",
    "sla_due_at",
    "sla_at_risk_at",
)


def _open_scope(
    clauses: list[str], brand: str | None, platform: str | None
) -> tuple[str, list[Any]]:
    """WHERE text and parameters: ``clauses`` plus the brand/platform filter."""
    params: list[Any] = []
    for column, value in (("brand", brand), ("platform", platform)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def waiting_rows(
    db: Database, brand: str | None, platform: str | None, limit: int | None
) -> Iterator[tuple]:
    """Conversations waiting for a reply now (status new/open, last word from
    the customer, not probably resolved), oldest first, as
    :data:`WAITING_COLUMNS` tuples; at most ``limit`` (None: all)."""
    where, params = _open_scope(
        [
            "needs_response = 1",
            "status IN ('new', 'open')",
            "awaiting_since IS NOT NULL",
            # Not waiting: the customer's latest word is a thank-you or "solved"
            # after a brand reply ("probably resolved", counted apart).
            f"NOT {PROBABLY_RESOLVED}",
        ],
        brand,
        platform,
    )
    sql = (
        f"SELECT {', '.join(WAITING_COLUMNS)} FROM conversations "
        f"WHERE {where} ORDER BY awaiting_since, id"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return db.execute(sql, params)


def probably_resolved_count(db: Database, brand: str | None, platform: str | None) -> int:
    """How many open (new/open) conversations are "probably resolved" now
    (``store.scores.PROBABLY_RESOLVED``)."""
    where, params = _open_scope(
        ["needs_response = 1", "status IN ('new', 'open')", PROBABLY_RESOLVED], brand, platform
    )
    return int(
        db.execute(f"SELECT count(*) FROM conversations WHERE {where}", params).fetchone()[0]
    )


def first_responses(db: Database, since: int, until: int, brand: str | None) -> Iterator[tuple]:
    """(first_response_seconds,) of every conversation needing a response
    whose first customer message is in [since, until] (spam and ignored left
    out); None while unanswered. A lean query of its own: with
    idx_conversations_badge (all brands) or idx_conversations_brand_first (one
    brand) it reads only the window."""
    sql = (
        "SELECT first_response_seconds FROM conversations "
        "WHERE first_customer_at >= ? AND first_customer_at <= ? AND needs_response = 1 "
        "AND status NOT IN ('spam', 'ignored')"
    )
    params: list[Any] = [since, until]
    if brand is not None:
        sql += " AND brand = ?"
        params.append(brand)
    return db.execute(sql, params)
