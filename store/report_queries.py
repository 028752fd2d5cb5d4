"""Which conversations a report reads (:class:`ReportScope`) and the SQL that
selects them, for ``metrics/reports.py``, ``metrics/outcome_reports.py`` and
``metrics/exports.py``. The SQL stays in the store (issue 24: only store/
speaks SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from replywatch.store.db import Database


@dataclass
class ReportScope:
    """Which conversations a report reads: a period (brand-local dates, or
    unix-second instants as ints) and optional brand, platform, channel."""

    since: date | int | None = None
    until: date | int | None = None
    brand: str | None = None
    platform: str | None = None
    channel: str | None = None

    @property
    def by_dates_only(self) -> bool:
        """True when no bound is an instant: the daily rollup can answer."""
        return not isinstance(self.since, int) and not isinstance(self.until, int)

    def where(self, *, rollup: bool, alias: str = "") -> tuple[list[str], list[Any]]:
        """SQL conditions and parameters. ``rollup=False`` adds the
        needs-response condition (the rollup only holds such conversations);
        ``alias`` prefixes column names (for joins)."""
        p = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        for bound, op in ((self.since, ">="), (self.until, "<=")):
            if isinstance(bound, date):
                clauses.append(f"{p}local_date {op} ?")
                params.append(bound.isoformat())
            elif isinstance(bound, int):
                clauses.append(f"{p}first_customer_at {'>=' if op == '>=' else '<'} ?")
                params.append(bound)
        for column in ("brand", "platform", "channel"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{p}{column} = ?")
                params.append(value)
        if not rollup:
            # status too: a triage action may mark spam before the engine runs
            clauses.append(f"{p}needs_response = 1 AND {p}status NOT IN ('spam', 'ignored')")
        return clauses, params


#: One exported conversation: the columns of ``metrics.exports``'
#: CONVERSATION_COLUMNS, in that order.
_CONVERSATION_SQL = """
SELECT c.id, c.platform, c.brand, c.channel, c.customer_handle, fm.external_id,
       fr.external_id, fm.url, c.first_customer_at, c.local_date, c.first_response_at,
       c.first_response_seconds, c.first_response_business_seconds, c.status,
       c.needs_response, c.assignee, c.tags, c.last_compound, c.max_urgency,
       c.message_count, c.next_response_count,
       c.mood_before, c.mood_after, c.mood_recovery, c.recovery_label, c.resolved_by,
       c.resolved_at, c.effort_customer_messages, c.effort_brand_replies,
       c.first_contact_resolved,
       c.status = 'closed' AND c.brand_reply_count = 1 AND c.reopened_count = 0,
       c.repeat_contact_id, fm.text
FROM conversations c
LEFT JOIN messages fm ON fm.id = c.first_customer_message_id
LEFT JOIN messages fr ON fr.id = c.first_response_message_id
"""


def export_conversations(db: Database, scope: ReportScope, chunk_rows: int) -> Iterator[tuple]:
    """The conversations of ``scope`` with a customer message, oldest first,
    as :data:`_CONVERSATION_SQL` rows, fetched ``chunk_rows`` at a time (an
    export never holds the table in memory)."""
    clauses, params = scope.where(rollup=True, alias="c")
    clauses.append("c.inbound_count > 0")
    cursor = db.conn.execute(
        f"{_CONVERSATION_SQL} WHERE {' AND '.join(clauses)} ORDER BY c.first_customer_at, c.id",
        params,
    )
    while True:
        chunk = cursor.fetchmany(chunk_rows)
        if not chunk:
            return
        yield from chunk


# Base-path SQL expressions for each group key (all over indexed/stored columns).
GROUP_KEY_SQL = {
    "brand": "brand",
    "platform": "platform",
    "channel": "channel",
    "agent": "assignee",
    "day": "local_date",
    "week": "date(local_date, 'weekday 0', '-6 days')",
    "month": "substr(local_date, 1, 7)",
    "hour": "local_hour_of_week",
}

# A rollup row's group key values, as SQL over the rollup's columns (week and
# month as GROUP_KEY_SQL computes them from conversations; '' is "no brand").
_ROLLUP_KEY_SQL = {
    "brand": "nullif(brand, '')",
    "platform": "platform",
    "channel": "channel",
    "agent": "agent",
    "day": "local_date",
    "week": "date(local_date, 'weekday 0', '-6 days')",
    "month": "substr(local_date, 1, 7)",
}


def rollup_totals(
    db: Database, keys: tuple[str, ...], scope: ReportScope, figures: tuple[str, ...]
) -> Iterator[tuple]:
    """Per group of ``keys`` (rollup keys only), the group's key values (one
    NULL without keys) then ``sum()`` of each integer rollup column in
    ``figures``: from ``agent_rollup`` when grouping by agent, else
    ``response_rollup`` (fewer rows)."""
    table, key_sql, where, params = _rollup_select(keys, scope)
    group_by = f"GROUP BY {', '.join(str(i + 1) for i in range(len(key_sql)))}"
    totals = ", ".join(f"sum({c})" for c in figures)
    return db.execute(
        f"SELECT {', '.join(key_sql)}, {totals} FROM {table} {where} {group_by}", params
    )


def rollup_parts(
    db: Database,
    keys: tuple[str, ...],
    scope: ReportScope,
    blobs: tuple[str, ...],
    float_sums: tuple[str, ...],
) -> Iterator[tuple]:
    """Every rollup row of ``scope``: its key values for ``keys`` (one NULL
    without keys), the ``blobs`` columns (sorted-value blobs) and the
    ``float_sums`` columns, for sums added exactly in Python."""
    table, key_sql, where, params = _rollup_select(keys, scope)
    return db.execute(
        f"""SELECT {", ".join(key_sql)}, {", ".join(blobs)},
                   {", ".join(float_sums)} FROM {table} {where}""",
        params,
    )


def _rollup_select(
    keys: tuple[str, ...], scope: ReportScope
) -> tuple[str, list[str], str, list[Any]]:
    """(table, key expressions, WHERE text, parameters) of a rollup read."""
    clauses, params = scope.where(rollup=True)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    table = "agent_rollup" if "agent" in keys else "response_rollup"
    key_sql = [_ROLLUP_KEY_SQL[k] for k in keys] or ["NULL"]
    return table, key_sql, where, params


def conversation_response_rows(
    db: Database, keys: tuple[str, ...], scope: ReportScope
) -> Iterator[tuple]:
    """Every conversation of ``scope`` that needs a response: its values for
    ``keys`` (:data:`GROUP_KEY_SQL`), then first response seconds (calendar,
    business), SLA met, closed, first-contact resolved, next-response count
    and totals (calendar, business)."""
    clauses, params = scope.where(rollup=False)
    columns = ", ".join(
        [
            *(GROUP_KEY_SQL[k] for k in keys),
            "first_response_seconds",
            "first_response_business_seconds",
            "first_response_sla_met",
            "status = 'closed'",
            "status = 'closed' AND brand_reply_count = 1 AND reopened_count = 0",
            "next_response_count",
            "next_response_seconds_total",
            "next_response_business_seconds_total",
        ]
    )
    return db.execute(f"SELECT {columns} FROM conversations WHERE {' AND '.join(clauses)}", params)
