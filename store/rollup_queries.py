"""The reads and writes behind ``metrics/rollup.py`` (the daily rollup): a
key's source conversations, replacing a key's rows, the dirty marks the
triggers write. The SQL stays in the store (issue 24: only store/ speaks
SQL); the metric computes each row's figures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from replywatch.store.db import Database
from replywatch.store.schema import ROLLUP_OUTCOME_COLUMNS

#: Conversation columns a rollup row is built from, in the order
#: ``metrics.rollup._figures`` reads them.
SOURCE_COLUMNS = """first_response_seconds, first_response_business_seconds, first_response_sla_met,
    status, brand_reply_count, reopened_count, next_response_count,
    next_response_seconds_total, next_response_business_seconds_total, recovery_label,
    mood_recovery, mood_before, mood_after, resolved_by, first_contact_resolved,
    effort_customer_messages, effort_brand_replies, repeat_contact_id, assignee"""
#: The figure columns of both rollup tables, in ``metrics.rollup._figures`` order.
FIGURE_COLUMNS = (
    "conversations", "answered", "first_response_values", "business_first_response_values",
    "sla_met", "closed", "first_contact_resolved", "next_response_count",
    "next_response_seconds_total", "next_response_business_seconds_total",
    *ROLLUP_OUTCOME_COLUMNS,
)  # fmt: skip
#: The conversations the rollup counts.
_POPULATION = "needs_response = 1 AND status NOT IN ('spam', 'ignored')"
_KEY_WHERE = "WHERE brand = ? AND platform = ? AND channel = ? AND local_date = ?"


def key_sources(db: Database, key: Sequence) -> list[tuple]:
    """The :data:`SOURCE_COLUMNS` rows of the conversations counted under
    ``key`` = (brand or '', platform, channel, local_date)."""
    brand, platform, channel, local_date = key
    return db.conn.execute(
        f"""
        SELECT {SOURCE_COLUMNS}
        FROM conversations
        WHERE brand IS ? AND platform = ? AND channel = ? AND local_date = ? AND {_POPULATION}
        """,
        (brand or None, platform, channel, local_date),
    ).fetchall()


def delete_key(db: Database, key: Sequence) -> None:
    """Remove ``key``'s rows from both rollup tables."""
    db.conn.execute(f"DELETE FROM response_rollup {_KEY_WHERE}", tuple(key))
    db.conn.execute(f"DELETE FROM agent_rollup {_KEY_WHERE}", tuple(key))


def insert_key(
    db: Database, key: Sequence, figures: Sequence, agent_figures: Iterable[tuple]
) -> None:
    """Insert ``key``'s ``response_rollup`` row (``figures`` in
    :data:`FIGURE_COLUMNS` order) and its ``agent_rollup`` rows
    (``(agent, *figures)`` each)."""
    columns = ", ".join(FIGURE_COLUMNS)
    marks = ", ".join("?" * len(FIGURE_COLUMNS))
    db.conn.execute(
        f"INSERT INTO response_rollup (brand, platform, channel, local_date, {columns}) "
        f"VALUES (?, ?, ?, ?, {marks})",
        (*key, *figures),
    )
    db.conn.executemany(
        f"INSERT INTO agent_rollup (brand, platform, channel, local_date, agent, {columns}) "
        f"VALUES (?, ?, ?, ?, ?, {marks})",
        [(*key, *row) for row in agent_figures],
    )


def clear_all(db: Database) -> None:
    """Empty both rollup tables and every dirty mark."""
    for table in ("response_rollup", "agent_rollup", "response_rollup_dirty"):
        db.conn.execute(f"DELETE FROM {table}")


def all_sources(db: Database) -> Iterator[tuple]:
    """Every counted conversation as (brand or '', platform, channel,
    local_date, *:data:`SOURCE_COLUMNS`), ordered by that key (one pass)."""
    # brand '' never names a brand: the key of conversations without one.
    return db.conn.execute(
        f"""
        SELECT coalesce(brand, ''), platform, channel, local_date, {SOURCE_COLUMNS}
        FROM conversations WHERE local_date IS NOT NULL AND {_POPULATION}
        ORDER BY 1, 2, 3, 4
        """
    )


def dirty_keys(db: Database, limit: int | None = None) -> list[tuple]:
    """The keys marked dirty (at most ``limit``)."""
    return db.conn.execute(
        "SELECT brand, platform, channel, local_date FROM response_rollup_dirty"
        + ("" if limit is None else " LIMIT ?"),
        () if limit is None else (limit,),
    ).fetchall()


def clear_dirty(db: Database) -> None:
    """Clear every dirty mark."""
    db.conn.execute("DELETE FROM response_rollup_dirty")


def take_dirty(db: Database, key: Sequence) -> bool:
    """Clear ``key``'s dirty mark; True if it was marked."""
    return bool(db.conn.execute(f"DELETE FROM response_rollup_dirty {_KEY_WHERE}", key).rowcount)


def conversation_keys(db: Database, conversation_ids: Sequence[int]) -> list[tuple]:
    """The distinct keys (brand or '', platform, channel, local_date) the
    conversations ``conversation_ids`` (at most SQLite's parameter limit)
    count under."""
    return db.conn.execute(
        "SELECT DISTINCT coalesce(brand, ''), platform, channel, local_date "
        f"FROM conversations WHERE id IN ({','.join('?' * len(conversation_ids))}) "
        "AND local_date IS NOT NULL",
        list(conversation_ids),
    ).fetchall()


def dirty_count(db: Database) -> int:
    """How many keys are marked dirty."""
    return db.conn.execute("SELECT count(*) FROM response_rollup_dirty").fetchone()[0]


def any_dirty(db: Database) -> bool:
    """True when at least one key is marked dirty."""
    return db.conn.execute("SELECT 1 FROM response_rollup_dirty LIMIT 1").fetchone() is not None
