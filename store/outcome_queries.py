"""The reads and writes behind ``metrics/outcomes.py``: a chunk's stored
state and scored messages, and the set-based repeat-contact links. The SQL
stays in the store (issue 24: only store/ speaks SQL); the metric decides
what an outcome is and which windows apply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from replywatch.store.db import Database
from replywatch.store.report_queries import GROUP_KEY_SQL, ReportScope

#: Figures a drill-down can list the conversations of, and the condition
#: (over ``conversations``) that selects them.
DRILL_FIGURES = {
    "recovered": "recovery_label = 'recovered'",
    "unchanged": "recovery_label = 'unchanged'",
    "worsened": "recovery_label = 'worsened'",
    "silent": "recovery_label = 'silent'",
    "resolved": "resolved_by IS NOT NULL",
    "resolved_by_customer": "resolved_by = 'customer'",
    "resolved_by_close": "resolved_by = 'closed'",
    "unresolved": "resolved_by IS NULL",
    "first_contact_resolved": "first_contact_resolved = 1",
    "repeat_contact": "repeat_contact_id IS NOT NULL",
}

#: One outcome report row's aggregates over conversations, in the order
#: ``metrics.outcome_reports`` reads them.
OUTCOME_AGGREGATES = """
    count(*),
    count(first_response_seconds),
    sum(recovery_label = 'recovered'),
    sum(recovery_label = 'unchanged'),
    sum(recovery_label = 'worsened'),
    sum(recovery_label = 'silent'),
    avg(mood_recovery),
    avg(mood_before),
    avg(mood_after),
    count(resolved_by),
    sum(resolved_by = 'customer'),
    sum(resolved_by = 'closed'),
    sum(first_contact_resolved),
    avg(effort_customer_messages),
    avg(effort_brand_replies),
    count(repeat_contact_id)
"""

#: The grouping of a repeat contact: same platform, customer and brand.
_KEY = "c.platform, lower(c.customer_handle), c.brand"


def chunk_outcome_states(db: Database, chunk: list[int]) -> dict[int, tuple]:
    """Conversation id -> (status, status_changed_at, reopened_count,
    closing_dismissed_id) for the conversations ``chunk``."""
    marks = ",".join("?" * len(chunk))
    return {
        row[0]: row[1:]
        for row in db.execute(
            f"SELECT id, status, status_changed_at, reopened_count, closing_dismissed_id "
            f"FROM conversations WHERE id IN ({marks})",
            chunk,
        )
    }


def chunk_scored_messages(db: Database, chunk: list[int]) -> dict[int, list[tuple]]:
    """Conversation id -> its messages as (id, direction, created_ts,
    author_handle, platform, compound or None) tuples, in no particular order."""
    marks = ",".join("?" * len(chunk))
    messages: dict[int, list[tuple]] = {}
    for row in db.execute(
        f"""SELECT m.conversation_id, m.id, m.direction, m.created_ts, m.author_handle,
                   m.platform, s.compound
            FROM messages m LEFT JOIN scores s ON s.message_id = m.id
            WHERE m.conversation_id IN ({marks})""",
        chunk,
    ):
        messages.setdefault(row[0], []).append(row[1:])
    return messages


def _keys_of(db: Database, conversation_ids: Sequence[int]) -> str:
    """Fill ``temp.outcome_keys`` with the (platform, customer, brand) keys of
    ``conversation_ids`` and of the conversations pointing at them, clear
    those conversations' links (conversations that left the key, by spam or a
    new brand, drop out), and return the FROM clause over the keys."""
    marks = ",".join("?" * len(conversation_ids))
    db.conn.execute("DROP TABLE IF EXISTS temp.outcome_keys")
    # ``customer`` has no type on purpose: compared with the untyped
    # expression ``lower(customer_handle)``, a TEXT column would apply its
    # affinity and stop SQLite from seeking idx_conversations_customer on
    # it (every call then read all of a platform's conversations: 11.7 of
    # 23 s of scoring a 100k-row import).
    db.conn.execute(
        "CREATE TEMP TABLE outcome_keys (platform TEXT, customer, brand TEXT, "
        "PRIMARY KEY (platform, customer, brand)) WITHOUT ROWID"
    )
    db.conn.execute(
        f"""INSERT OR IGNORE INTO temp.outcome_keys
            SELECT {_KEY} FROM conversations c
            WHERE (c.id IN ({marks}) OR c.repeat_contact_id IN ({marks}))
              AND c.customer_handle IS NOT NULL AND c.brand IS NOT NULL""",
        [*conversation_ids, *conversation_ids],
    )
    db.conn.execute(
        f"UPDATE conversations SET repeat_contact_id = NULL WHERE id IN ({marks}) "
        f"OR repeat_contact_id IN ({marks})",
        [*conversation_ids, *conversation_ids],
    )
    return (
        "temp.outcome_keys k CROSS JOIN conversations c ON c.platform = k.platform "
        "AND lower(c.customer_handle) = k.customer AND c.brand = k.brand"
    )


def link_repeat_contacts(
    db: Database,
    windows: Mapping[str, int],
    default_window: int,
    excluded: Sequence[str],
    conversation_ids: Sequence[int] | None = None,
) -> None:
    """Set ``repeat_contact_id`` (the next conversation of the same platform,
    customer and brand, if its first customer message came within the
    brand's window, seconds, after this one's last message) for every
    conversation sharing a key with ``conversation_ids`` or pointing at one
    of them; all conversations when None. Statuses ``excluded`` (trusted
    constants) neither link nor are linked. Set-based: one statement."""
    window_sql = "CASE c.brand " + " ".join("WHEN ? THEN ?" for _ in windows) + " ELSE ? END"
    window_params: list[Any] = [v for item in windows.items() for v in item] + [default_window]
    if not windows:
        window_sql, window_params = "?", [default_window]
    source = "conversations c" if conversation_ids is None else _keys_of(db, conversation_ids)
    excluded_sql = ", ".join(f"'{s}'" for s in excluded)
    ordered = f"""
        SELECT c.id,
               max(c.first_customer_at, coalesce(c.last_customer_at, 0),
                   coalesce(c.last_brand_at, 0)) + {window_sql} AS deadline,
               lead(c.id) OVER w AS next_id,
               lead(c.first_customer_at) OVER w AS next_at
        FROM {source}
        WHERE c.first_customer_at IS NOT NULL AND c.customer_handle IS NOT NULL
          AND c.brand IS NOT NULL AND c.status NOT IN ({excluded_sql})
        WINDOW w AS (PARTITION BY {_KEY} ORDER BY c.first_customer_at, c.id)"""
    db.conn.execute(
        f"""WITH ordered AS ({ordered})
            UPDATE conversations SET repeat_contact_id =
                CASE WHEN o.next_at <= o.deadline THEN o.next_id END
            FROM ordered o
            WHERE conversations.id = o.id
              AND conversations.repeat_contact_id IS NOT
                  (CASE WHEN o.next_at <= o.deadline THEN o.next_id END)""",
        window_params,
    )
    if conversation_ids is None:
        db.conn.execute(
            f"UPDATE conversations SET repeat_contact_id = NULL WHERE repeat_contact_id IS "
            f"NOT NULL AND (status IN ({excluded_sql}) OR brand IS NULL)"
        )


def outcome_aggregates(db: Database, keys: tuple[str, ...], scope: ReportScope) -> list[tuple]:
    """Per group of ``keys`` (:data:`GROUP_KEY_SQL`), the key values then
    :data:`OUTCOME_AGGREGATES` over the conversations of ``scope`` that need
    a response (without keys: one row, counting 0 over no conversations)."""
    clauses, params = scope.where(rollup=False)
    select = ", ".join([*(GROUP_KEY_SQL[k] for k in keys), OUTCOME_AGGREGATES])
    group = f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
    return db.execute(
        f"SELECT {select} FROM conversations WHERE {' AND '.join(clauses)} {group}", params
    ).fetchall()


def recovery_by_bucket(db: Database, scope: ReportScope, bounds: Sequence[int]) -> dict[int, tuple]:
    """Bucket index -> (conversations, median recovery, recovered, worsened)
    of the answered conversations of ``scope`` with a known recovery,
    bucketed by calendar first response (bucket i: up to ``bounds[i]``
    seconds; the last, past every bound). The median is docs/metrics.md's
    (mean of the two middle values for an even count), computed in SQL."""
    clauses, params = scope.where(rollup=False)
    clauses += ["mood_recovery IS NOT NULL", "first_response_seconds IS NOT NULL"]
    bucket_sql = (
        "CASE "
        + " ".join(f"WHEN first_response_seconds <= {b} THEN {i}" for i, b in enumerate(bounds))
        + f" ELSE {len(bounds)} END"
    )
    sql = f"""
        WITH b AS (
            SELECT {bucket_sql} AS bucket, mood_recovery AS r, recovery_label AS label
            FROM conversations WHERE {" AND ".join(clauses)}),
        ranked AS (
            SELECT bucket, r, label,
                   row_number() OVER (PARTITION BY bucket ORDER BY r) AS k,
                   count(*) OVER (PARTITION BY bucket) AS n
            FROM b)
        SELECT bucket, max(n),
               avg(CASE WHEN k IN ((n + 1) / 2, (n + 2) / 2) THEN r END),
               sum(label = 'recovered'), sum(label = 'worsened')
        FROM ranked GROUP BY bucket"""
    return {row[0]: row[1:] for row in db.execute(sql, params)}


#: The columns of :func:`figure_conversations`' rows before the two texts.
_DRILL_COLUMNS = (
    "id", "brand", "platform", "channel", "assignee", "customer_handle", "local_date",
    "status", "first_response_seconds", "mood_before", "mood_after", "mood_recovery",
    "recovery_label", "resolved_by", "resolved_at", "effort_customer_messages",
    "effort_brand_replies", "first_contact_resolved", "repeat_contact_id",
)  # fmt: skip


def figure_conversations(
    db: Database, scope: ReportScope, figure: str, agent: str | None, limit: int
) -> list[dict[str, Any]]:
    """The conversations of ``scope`` counted by ``figure`` (a key of
    :data:`DRILL_FIGURES`; ``agent`` narrows to one assignee), newest first,
    at most ``limit``: :data:`_DRILL_COLUMNS` plus ``first_text`` and
    ``last_customer_text`` (the customer's latest inbound message)."""
    clauses, params = scope.where(rollup=False, alias="c")
    clauses.append(f"c.{DRILL_FIGURES[figure]}")
    if agent is not None:
        clauses.append("c.assignee = ?")
        params.append(agent)
    sql = f"""
        SELECT {", ".join(f"c.{name}" for name in _DRILL_COLUMNS)}, fm.text,
               (SELECT lm.text FROM messages lm
                 WHERE lm.conversation_id = c.id AND lm.direction = 'inbound'
                   AND lower(coalesce(lm.author_handle, '')) =
                       lower(coalesce(c.customer_handle, ''))
                 ORDER BY lm.created_ts DESC, lm.id DESC LIMIT 1)
        FROM conversations c LEFT JOIN messages fm ON fm.id = c.first_customer_message_id
        WHERE {" AND ".join(clauses)}
        ORDER BY c.first_customer_at DESC, c.id DESC LIMIT ?"""
    return [
        dict(zip((*_DRILL_COLUMNS, "first_text", "last_customer_text"), row, strict=True))
        for row in db.execute(sql, [*params, limit])
    ]
