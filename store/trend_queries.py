"""The reads behind ``metrics/trends.py``: customer (inbound) messages in a
period with their scores, aggregated in SQL. The metric shapes the rows; the
SQL stays here, in the store (issue 24: only store/ speaks SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from replywatch.store.db import Database


def _scope(
    since: int,
    until: int,
    brand: str | None,
    platform: str | None,
    language: str | None = None,
    label: str | None = None,
) -> tuple[str, str, list[Any]]:
    """(join, where, params) selecting inbound messages in [since, until)."""
    join = "LEFT JOIN scores s ON s.message_id = m.id"
    clauses = ["m.direction = 'inbound'", "m.created_ts >= ?", "m.created_ts < ?"]
    params: list[Any] = [int(since), int(until)]
    if brand:
        join += " JOIN conversations c ON c.id = m.conversation_id"
        clauses.append("c.brand = ?")
        params.append(brand)
    if platform:
        clauses.append("m.platform = ?")
        params.append(platform)
    if language:
        clauses.append("coalesce(s.language, m.lang) = ?")
        params.append(language)
    if label == "unscored":
        clauses.append("s.message_id IS NULL")
    elif label:
        clauses.append("s.label = ?")
        params.append(label)
    return join, " AND ".join(clauses), params


def hourly_sentiment(
    db: Database, since: int, until: int, brand: str | None, platform: str | None
) -> Iterator[tuple]:
    """Per UTC hour, oldest first: (hour start, messages, positive, neutral,
    negative, unscored, urgent, compound sum, scored)."""
    join, where, params = _scope(since, until, brand, platform)
    return db.execute(
        f"""SELECT (m.created_ts / 3600) * 3600 AS hour, count(*),
                   sum(s.label = 'positive'), sum(s.label = 'neutral'),
                   sum(s.label = 'negative'), sum(s.message_id IS NULL),
                   coalesce(sum(s.urgent), 0), coalesce(sum(s.compound), 0.0),
                   count(s.message_id)
            FROM messages m {join} WHERE {where} GROUP BY hour ORDER BY hour""",
        params,
    )


def sentiment_sums(
    db: Database, since: int, until: int, brand: str | None, platform: str | None
) -> tuple:
    """(messages, scored, negative, urgent, average compound or None)."""
    join, where, params = _scope(since, until, brand, platform)
    return db.execute(
        f"""SELECT count(*), count(s.message_id), coalesce(sum(s.label = 'negative'), 0),
                   coalesce(sum(s.urgent), 0), avg(s.compound)
            FROM messages m {join} WHERE {where}""",
        params,
    ).fetchone()


def language_counts(
    db: Database, since: int, until: int, brand: str | None, platform: str | None
) -> Iterator[tuple[str, int]]:
    """(language, messages), most common first: the scorer's language, else
    the platform's tag, else "unknown"."""
    join, where, params = _scope(since, until, brand, platform)
    # GROUP BY 1, not the alias: "language" is also a column of scores, and
    # SQLite prefers the column, which is NULL for every unscored message
    # (they all landed in one bucket).
    return db.execute(
        f"""SELECT coalesce(s.language, m.lang, 'unknown') AS language_key, count(*)
        FROM messages m {join} WHERE {where} GROUP BY 1 ORDER BY 2 DESC, 1""",
        params,
    )


def inbound_messages(
    db: Database,
    since: int,
    until: int,
    scope: dict[str, str | None],
    limit: int,
) -> Iterator[tuple]:
    """Newest first, at most ``limit``: (id, created_ts, platform, author,
    text, url, language, label, compound, urgency, reasons JSON,
    conversation_id, reason codes JSON). ``scope`` may name ``brand``,
    ``platform``, ``language`` and ``label`` (``"unscored"`` for none)."""
    join, where, params = _scope(
        since,
        until,
        scope.get("brand"),
        scope.get("platform"),
        scope.get("language"),
        scope.get("label"),
    )
    return db.execute(
        f"""SELECT m.id, m.created_ts, m.platform, coalesce(m.author_name, m.author_handle),
                   m.text, m.url, coalesce(s.language, m.lang), s.label, s.compound,
                   s.urgency, s.reasons, m.conversation_id, s.reason_codes
            FROM messages m {join} WHERE {where}
            ORDER BY m.created_ts DESC, m.id DESC LIMIT ?""",
        [*params, limit],
    )


def complaint_texts(
    db: Database,
    since: int,
    until: int,
    scope: dict[str, str | None],
    limit: int,
) -> list[str]:
    """The texts of the newest ``limit`` customer complaints (intent
    ``complaint``; scores from before intents count when negative) in the
    period; ``scope`` may name ``brand``, ``platform`` and ``language``."""
    join, where, params = _scope(
        since, until, scope.get("brand"), scope.get("platform"), scope.get("language")
    )
    where += " AND coalesce(s.intent = 'complaint', s.label = 'negative')"
    return [
        r[0]
        for r in db.execute(
            f"SELECT m.text FROM messages m {join} WHERE {where} "
            "ORDER BY m.created_ts DESC LIMIT ?",
            [*params, limit],
        )
    ]


def complaint_reasons(
    db: Database, since: int, until: int, brand: str | None
) -> Iterator[tuple[int, str | None, str | None]]:
    """(created_ts, reason codes JSON, English reasons JSON) of the period's
    customer complaints (intent ``complaint``; scores from before intents
    count when negative), oldest first."""
    join, where, params = _scope(since, until, brand, None)
    where += " AND coalesce(s.intent = 'complaint', s.label = 'negative')"
    return db.execute(
        f"SELECT m.created_ts, s.reason_codes, s.reasons FROM messages m {join} "
        f"WHERE {where} ORDER BY m.created_ts",
        params,
    )
