"""Outcome reports: mood recovery, resolution, first-contact resolution,
effort and repeat contact per group, the "do faster replies make happier
customers?" buckets, and the conversations behind each figure.

Every function is one aggregate over the outcome columns that
``metrics.outcomes`` stores on ``conversations`` (nothing loads the
conversations into Python): :func:`outcome_report` with date bounds reads the
daily rollup's outcome counts and sums (``metrics.rollup``, per agent when
grouping by agent), otherwise one aggregate SQL query. Population, periods and bounds are those of
the response-time reports (:mod:`metrics.reports`): conversations that
needed a response, not spam/ignored, in the period of their first customer
message. Definitions: ``docs/metrics.md``, section "Outcomes".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from replywatch.metrics import stats
from replywatch.metrics.reports import (
    DISTRIBUTION_EDGES,
    bucket_label,
    collect_groups,
    group_sort_key,
    parse_by,
    report_filters,
    response_time_report,
    rollup_can_answer,
    share,
)
from replywatch.store import outcome_queries
from replywatch.store.db import Database
from replywatch.store.outcome_queries import DRILL_FIGURES

#: Groupings the outcome report accepts (hour of week is a response-time view).
OUTCOME_GROUP_KEYS = ("brand", "platform", "channel", "agent", "day", "week", "month")


def _outcome_keys(by: str | Sequence[str] | None) -> tuple[str, ...]:
    keys = parse_by(by)
    unknown = [k for k in keys if k not in OUTCOME_GROUP_KEYS]
    if unknown:
        raise ValueError(
            f"unknown grouping {unknown} for outcomes; choose from {', '.join(OUTCOME_GROUP_KEYS)}"
        )
    return keys


def outcome_report(
    db: Database,
    *,
    by: str | Sequence[str] | None = "brand",
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
    with_response_times: bool = True,
) -> list[dict[str, Any]]:
    """Outcome figures per group (``by``: brand, platform, channel, agent,
    day, week, month, alone or combined; None for one row), sorted by the
    group keys. Each row: the group keys, ``conversations``, ``answered``,
    counts ``recovered``/``unchanged``/``worsened``/``silent``,
    ``recovery_rate`` and ``worsened_share`` (of the conversations where the
    customer spoke after the reply and both moods are known),
    ``silent_share`` (of answered ones with a label), ``mean_recovery``,
    ``mean_mood_before``/``_after``, ``resolved`` (+ ``resolved_by_customer``,
    ``resolved_by_close``), ``resolution_rate`` (of conversations),
    ``first_contact_resolved`` and ``first_contact_resolution_rate`` (of
    resolved), ``mean_effort_customer_messages``/``_brand_replies`` (resolved
    only), ``repeat_contacts`` and ``repeat_contact_rate`` (of conversations),
    and, with ``with_response_times``, ``first_response_median_s`` and
    ``response_rate`` of the same group from :func:`response_time_report`."""
    keys = _outcome_keys(by)
    filters = report_filters(since, until, brand, platform, channel)
    if rollup_can_answer(keys, filters):
        return _report_from_rollup(db, keys, filters, with_response_times)
    rows = outcome_queries.outcome_aggregates(db, keys, filters)
    timing: dict[tuple, dict[str, Any]] = {}
    if with_response_times:
        for row in response_time_report(
            db, by=keys, since=since, until=until, brand=brand, platform=platform, channel=channel
        ):
            timing[tuple(row[k] for k in keys)] = row
    out = []
    for row in sorted(rows, key=lambda r: group_sort_key(tuple(r[: len(keys)]))):
        values = tuple(row[: len(keys)])
        if row[len(keys)] == 0:
            continue  # an aggregate without GROUP BY over no rows
        item = _outcome_row(keys, values, row[len(keys) :])
        if with_response_times:
            times = timing.get(values, {})
            item["response_rate"] = times.get("response_rate")
            item["first_response_median_s"] = times.get("first_response_median_s")
        out.append(item)
    return out


def _report_from_rollup(
    db: Database, keys: tuple[str, ...], filters: Any, with_response_times: bool
) -> list[dict[str, Any]]:
    """:func:`outcome_report` from the rollup rows (date bounds): the same
    figures as the SQL aggregate over conversations (counts and rates
    identical; means from exactly added sums, so they can differ from
    SQLite's ``avg`` in the last bits)."""
    groups = collect_groups(db, keys, filters)
    out = []
    for values in sorted(groups, key=group_sort_key):
        group = groups[values]
        if group.conversations == 0:
            continue
        item = _outcome_row(keys, values, _aggregates_of(group))
        if with_response_times:
            calendar = stats.sorted_values(group.calendar_parts)
            item["response_rate"] = share(group.answered, group.conversations)
            item["first_response_median_s"] = stats.median(calendar)
        out.append(item)
    return out


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def _aggregates_of(group: Any) -> tuple:
    """A rollup group's figures in the order of
    ``store.outcome_queries.OUTCOME_AGGREGATES``."""
    o = group.outcome
    return (
        group.conversations,
        group.answered,
        o("recovered"),
        o("unchanged"),
        o("worsened"),
        o("silent"),
        _mean(o("mood_recovery_sum"), o("mood_recovery_count")),
        _mean(o("mood_before_sum"), o("mood_before_count")),
        _mean(o("mood_after_sum"), o("mood_after_count")),
        o("resolved"),
        o("resolved_by_customer"),
        o("resolved_by_close"),
        o("outcome_first_contact_resolved"),
        _mean(o("effort_customer_sum"), o("effort_customer_count")),
        _mean(o("effort_brand_sum"), o("effort_brand_count")),
        o("repeat_contacts"),
    )


def _outcome_row(keys: tuple[str, ...], values: tuple, aggregates: Sequence) -> dict[str, Any]:
    """One report row from a group's key values and its aggregates (in the
    order of ``store.outcome_queries.OUTCOME_AGGREGATES``)."""
    (
        conversations,
        answered,
        recovered,
        unchanged,
        worsened,
        silent,
        mean_recovery,
        mean_before,
        mean_after,
        resolved,
        by_customer,
        by_close,
        fcr,
        effort_customer,
        effort_brand,
        repeats,
    ) = aggregates
    recovered, unchanged, worsened, silent = (
        int(v or 0) for v in (recovered, unchanged, worsened, silent)
    )
    labelled = recovered + unchanged + worsened
    item: dict[str, Any] = dict(zip(keys, values, strict=True))
    item.update(
        conversations=conversations,
        answered=answered,
        recovered=recovered,
        unchanged=unchanged,
        worsened=worsened,
        silent=silent,
        recovery_rate=share(recovered, labelled),
        worsened_share=share(worsened, labelled),
        silent_share=share(silent, labelled + silent),
        mean_recovery=mean_recovery,
        mean_mood_before=mean_before,
        mean_mood_after=mean_after,
        resolved=resolved,
        resolved_by_customer=int(by_customer or 0),
        resolved_by_close=int(by_close or 0),
        resolution_rate=share(resolved, conversations),
        first_contact_resolved=int(fcr or 0),
        first_contact_resolution_rate=share(int(fcr or 0), resolved),
        mean_effort_customer_messages=effort_customer,
        mean_effort_brand_replies=effort_brand,
        repeat_contacts=repeats,
        repeat_contact_rate=share(repeats, conversations),
    )
    return item


def recovery_by_response_time(
    db: Database,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
    edges: Sequence[int] = DISTRIBUTION_EDGES,
) -> list[dict[str, Any]]:
    """ "Do faster replies make happier customers here?": answered
    conversations with a known recovery, bucketed by calendar first-response
    time (the buckets of :func:`metrics.reports.frt_distribution`). One dict
    per bucket: ``bucket``, ``lower_s``, ``upper_s``, ``conversations``,
    ``median_recovery`` (median as in docs/metrics.md: mean of the two
    middle values for an even count; computed in SQL), ``recovery_rate``
    and ``worsened_share``. Empty buckets are included with None."""
    bounds = [int(e) for e in edges]
    filters = report_filters(since, until, brand, platform, channel)
    found = outcome_queries.recovery_by_bucket(db, filters, bounds)
    lowers = [0, *bounds]
    uppers: list[int | None] = [*bounds, None]
    out = []
    for i, (lower, upper) in enumerate(zip(lowers, uppers, strict=True)):
        n, median, recovered, worsened = found.get(i, (0, None, 0, 0))
        out.append(
            {
                "bucket": bucket_label(lower, upper),
                "lower_s": lower,
                "upper_s": upper,
                "conversations": n,
                "median_recovery": median,
                "recovery_rate": share(recovered, n),
                "worsened_share": share(worsened, n),
            }
        )
    return out


def outcome_conversations(
    db: Database,
    figure: str,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
    agent: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The conversations behind an outcome figure (``figure``: a key of
    :data:`DRILL_FIGURES`), newest first, at most ``limit``: ids, brand,
    channel, agent, customer, date, first response seconds, moods, labels,
    resolution, effort, the repeat contact's id, and the customer's first and
    last message text (untrusted: show it through widgets that do not
    interpret it)."""
    if figure not in DRILL_FIGURES:
        raise ValueError(f"figure must be one of {', '.join(DRILL_FIGURES)}, got {figure!r}")
    filters = report_filters(since, until, brand, platform, channel)
    return outcome_queries.figure_conversations(db, filters, figure, agent, int(limit))
