"""Response-time reports: the Python API the dashboard and the CLI call.

Every function reads what the engine stored (``conversations`` and the exact
daily ``response_rollup``); none loads whole tables. Definitions (who needs a
response, median, nearest-rank p90, within-threshold shares, business time,
SLA, first-contact resolution) are in ``docs/metrics.md`` and
:mod:`metrics.stats`.

Periods. A conversation belongs to the brand-local date of its first customer
message (``conversations.local_date``, computed in the brand's timezone at
recompute time), so "day", "week" (ISO, starting Monday) and "month" mean the
brand's own calendar even when brands sit in different timezones.
``since``/``until`` accept:

- a ``date`` or ``"YYYY-MM-DD"``: brand-local dates, both ends inclusive;
- an aware ``datetime`` or ISO datetime string with offset: instants,
  ``since <= first customer message < until``.

Date bounds are answered from the rollup (fast; grouping by agent from its
per-agent rows); instant bounds, and grouping by hour of week, from
``conversations`` rows. Both paths compute the same statistics with the same
code (tests check they agree).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from replywatch.i18n import N_
from replywatch.metrics import stats
from replywatch.metrics.engine import sla_state
from replywatch.metrics.rollup import (
    FIGURE_COLUMNS,
    decode_values,
    refresh_rollup,
    rollup_is_current,
)

# Which conversations a report reads and the SQL that reads them are the
# store's (issue 24: only store/ speaks SQL).
from replywatch.store import live_queries, report_queries
from replywatch.store.db import Database, transaction
from replywatch.store.report_queries import ReportScope as _Filters
from replywatch.store.timeutil import unix_seconds

GROUP_KEYS = ("brand", "platform", "channel", "agent", "day", "week", "month", "hour")
ROLLUP_KEYS = frozenset({"brand", "platform", "channel", "agent", "day", "week", "month"})
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BADGE_WINDOW = timedelta(days=7)
#: (upper bound in seconds, label) for the public badge, first match wins.
# English here and in the API; the dashboard shows them translated (marked for gettext).
BADGE_LABELS: tuple[tuple[float, str], ...] = (
    (15 * 60, N_("typically replies within minutes")),
    (3600, N_("typically replies within an hour")),
    (4 * 3600, N_("typically replies within a few hours")),
    (24 * 3600, N_("typically replies within a day")),
    (float("inf"), N_("typically replies within a few days")),
)
#: Distribution buckets (upper bounds in seconds; the last bucket is open).
DISTRIBUTION_EDGES: tuple[int, ...] = (
    5 * 60,
    15 * 60,
    30 * 60,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    24 * 3600,
    48 * 3600,
)


# --- arguments ----------------------------------------------------------------


def parse_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Normalise ``by`` ("brand", "brand,day", ("brand", "day"), None/"" for one
    overall row). Raises ``ValueError`` for an unknown key."""
    if by is None:
        return ()
    parts = [p.strip() for p in by.split(",")] if isinstance(by, str) else [str(p) for p in by]
    keys = tuple(p for p in parts if p)
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown:
        raise ValueError(f"unknown grouping {unknown}; choose from {', '.join(GROUP_KEYS)}")
    return tuple(dict.fromkeys(keys))


def _bound(value: date | datetime | str | None, name: str) -> date | int | None:
    """A date (brand-local, inclusive) or an instant (unix seconds)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return (
                date.fromisoformat(text)
                if len(text) == 10
                else _bound(datetime.fromisoformat(text.replace("Z", "+00:00")), name)
            )
        except ValueError:
            raise ValueError(
                f"{name}: {value!r} is neither YYYY-MM-DD nor an ISO datetime with offset"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name}: datetime must be timezone-aware (or pass a date)")
        return int(value.timestamp())
    if isinstance(value, date):
        return value
    raise ValueError(f"{name}: expected a date, datetime or ISO string, got {value!r}")


def report_filters(since, until, brand, platform, channel) -> _Filters:
    if channel is not None and channel not in ("public", "private"):
        raise ValueError(f"channel must be 'public' or 'private', got {channel!r}")
    first, last = _bound(since, "since"), _bound(until, "until")
    if first is not None and last is not None and _after(first, last):
        raise ValueError(
            f"since ({since}) is after until ({until}): the period is empty; swap them"
        )
    return _Filters(first, last, brand, platform, channel)


def _after(first: date | int, last: date | int) -> bool:
    """True if the period from ``first`` to ``last`` is certainly empty. A
    date is brand-local, so against an instant it is given a day's slack."""
    if type(first) is type(last):
        return first > last  # type: ignore[operator]
    day = 86_400
    as_ts = [
        v if isinstance(v, int) else int(datetime(v.year, v.month, v.day, tzinfo=UTC).timestamp())
        for v in (first, last)
    ]
    return as_ts[0] > as_ts[1] + 2 * day


# --- accumulation -------------------------------------------------------------


@dataclass
class _Group:
    conversations: int = 0
    answered: int = 0
    calendar_parts: list[np.ndarray] = field(default_factory=list)
    business_parts: list[np.ndarray] = field(default_factory=list)
    sla_met: int = 0
    closed: int = 0
    first_contact_resolved: int = 0
    next_response_count: int = 0
    next_response_seconds_total: int = 0
    next_response_business_seconds_total: int = 0
    #: Outcome counts and sums by ROLLUP_OUTCOME_COLUMNS name; rollup path only.
    outcomes: dict[str, float] = field(default_factory=dict)

    def outcome(self, column: str) -> float:
        """An outcome count or sum of the group (0 when it has none)."""
        return self.outcomes.get(column, 0)


def _ensure_rollup_current(db: Database) -> None:
    # A conversation changed outside the engine (e.g. a triage action that did
    # not call recompute) leaves dirty keys; fold them in before reading.
    if not rollup_is_current(db):
        with transaction(db):
            refresh_rollup(db)


# Rollup figures summed by SQL (integers: exact), and the float sums, which
# are added exactly in Python (math.fsum) beside the sorted-value blobs.
_BLOBS = ("first_response_values", "business_first_response_values")
_INTEGER_FIGURES = tuple(c for c in FIGURE_COLUMNS if not c.endswith("_sum") and c not in _BLOBS)
_FLOAT_SUMS = tuple(c for c in FIGURE_COLUMNS if c.endswith("_sum"))


def _collect_from_rollup(
    db: Database,
    keys: tuple[str, ...],
    filters: _Filters,
) -> dict[tuple, _Group]:
    """Groups from the rollup rows: ``agent_rollup`` when grouping by agent,
    else ``response_rollup`` (fewer rows). SQL adds up the counts per group;
    Python gathers each group's sorted values and float sums."""
    width = max(len(keys), 1)
    groups: dict[tuple, _Group] = {}
    for row in report_queries.rollup_totals(db, keys, filters, _INTEGER_FIGURES):
        group = groups[tuple(row[:width]) if keys else ()] = _Group()
        figures = dict(zip(_INTEGER_FIGURES, row[width:], strict=True))
        for name in _GROUP_FIELDS:
            setattr(group, name, figures.pop(name))
        group.outcomes = figures
    calendar: dict[tuple, list[bytes]] = {key: [] for key in groups}
    business: dict[tuple, list[bytes]] = {key: [] for key in groups}
    sums: dict[tuple, list[tuple]] = {key: [] for key in groups}
    for row in report_queries.rollup_parts(db, keys, filters, _BLOBS, _FLOAT_SUMS):
        key = tuple(row[:width]) if keys else ()
        calendar[key].append(row[width])
        business[key].append(row[width + 1])
        sums[key].append(row[width + 2 :])
    for key, group in groups.items():
        group.calendar_parts = [_merged_values(calendar[key])]
        group.business_parts = [_merged_values(business[key])]
        for name, values in zip(_FLOAT_SUMS, zip(*sums[key], strict=True), strict=True):
            group.outcomes[name] = math.fsum(values)
    return groups


#: The _Group fields SQL totals fill (the rest of _INTEGER_FIGURES are outcomes).
_GROUP_FIELDS = (
    "conversations",
    "answered",
    "sla_met",
    "closed",
    "first_contact_resolved",
    "next_response_count",
    "next_response_seconds_total",
    "next_response_business_seconds_total",
)


def _merged_values(blobs: list[bytes]) -> np.ndarray:
    """The sorted values of several rollup blobs (each sorted) as one array."""
    if len(blobs) == 1:
        return decode_values(blobs[0])
    return np.sort(decode_values(b"".join(blobs)), kind="stable")


def _collect_from_conversations(
    db: Database,
    keys: tuple[str, ...],
    filters: _Filters,
) -> dict[tuple, _Group]:
    width = len(keys)
    lists: dict[tuple, tuple[list[int], list[int]]] = {}
    groups: dict[tuple, _Group] = {}
    for row in report_queries.conversation_response_rows(db, keys, filters):
        key = tuple(row[:width])
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
            lists[key] = ([], [])
        (frt, business, met, closed, resolved, next_count, next_total, next_business) = row[width:]
        group.conversations += 1
        if frt is not None:
            group.answered += 1
            lists[key][0].append(frt)
            lists[key][1].append(business)
        group.sla_met += met or 0
        group.closed += closed
        group.first_contact_resolved += resolved
        group.next_response_count += next_count
        group.next_response_seconds_total += next_total
        group.next_response_business_seconds_total += next_business
    for key, (calendar, business) in lists.items():
        groups[key].calendar_parts = [np.sort(np.asarray(calendar, dtype=np.int64))]
        groups[key].business_parts = [np.sort(np.asarray(business, dtype=np.int64))]
    return groups


def rollup_can_answer(keys: tuple[str, ...], filters: _Filters) -> bool:
    """True when the rollup holds what grouping by ``keys`` under ``filters``
    needs: date bounds (not instants) and no hour-of-week grouping."""
    return set(keys) <= ROLLUP_KEYS and filters.by_dates_only


def collect_groups(db: Database, keys: tuple[str, ...], filters: _Filters) -> dict[tuple, _Group]:
    """The rollup's groups for ``keys`` (refreshing dirty rows first); only
    when :func:`rollup_can_answer` says the rollup holds them."""
    _ensure_rollup_current(db)
    return _collect_from_rollup(db, keys, filters)


def _collect(
    db: Database, keys: tuple[str, ...], filters: _Filters, *, force_base: bool = False
) -> dict[tuple, _Group]:
    if not force_base and rollup_can_answer(keys, filters):
        return collect_groups(db, keys, filters)
    return _collect_from_conversations(db, keys, filters)


# --- rows -----------------------------------------------------------------------


def _key_fields(keys: tuple[str, ...], values: tuple) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=True):
        if key == "hour":
            fields["hour_of_week"] = value
            fields["weekday"] = WEEKDAY_NAMES[value // 24] if value is not None else None
            fields["hour"] = value % 24 if value is not None else None
        else:
            fields[key] = value
    return fields


def group_columns(by: str | Sequence[str] | None) -> list[str]:
    """The columns that name a report row's group, in display order, for the
    grouping ``by`` (as :func:`parse_by` reads it): the keys themselves, with
    ``hour`` (hour of week) shown as ``weekday`` and ``hour``. Every other
    column of a row is a figure."""
    columns: list[str] = []
    for key in parse_by(by):
        columns.extend(("weekday", "hour") if key == "hour" else (key,))
    return columns


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _row(
    keys: tuple[str, ...],
    values: tuple,
    group: _Group,
    thresholds: Sequence[int],
    business_hours: bool,
) -> dict[str, Any]:
    calendar = stats.sorted_values(group.calendar_parts)
    business = stats.sorted_values(group.business_parts)
    row = _key_fields(keys, values)
    row.update(
        {
            "conversations": group.conversations,
            "answered": group.answered,
            "response_rate": share(group.answered, group.conversations),
            "first_response_median_s": stats.median(calendar),
            "first_response_p90_s": stats.p90(calendar),
            "first_response_mean_s": stats.mean(calendar),
            "business_first_response_median_s": stats.median(business),
            "business_first_response_p90_s": stats.p90(business),
            "business_first_response_mean_s": stats.mean(business),
        }
    )
    names = [stats.threshold_key(t) for t in thresholds]
    row.update(zip(names, stats.within_shares(calendar, thresholds), strict=True))
    row.update(
        zip(
            [f"business_{n}" for n in names], stats.within_shares(business, thresholds), strict=True
        )
    )
    row.update(
        {
            "within_sla": share(group.sla_met, group.answered),
            "closed": group.closed,
            "first_contact_resolution": share(group.first_contact_resolved, group.closed),
            "next_responses": group.next_response_count,
            "next_response_mean_s": share(
                group.next_response_seconds_total, group.next_response_count
            ),
            "business_next_response_mean_s": share(
                group.next_response_business_seconds_total, group.next_response_count
            ),
            "basis": "business" if business_hours else "calendar",
        }
    )
    return row


def group_sort_key(values: tuple) -> tuple:
    # None (no brand, no agent) sorts last; mixed types never meet in one column.
    return tuple((v is None, v if v is not None else 0) for v in values)


def response_time_report(
    db: Database,
    *,
    by: str | Sequence[str] | None = "brand",
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    business_hours: bool = False,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
    thresholds: Sequence[int] = stats.DEFAULT_THRESHOLDS,
) -> list[dict[str, Any]]:
    """Response times of conversations that needed a response, one dict per
    group, sorted by the group keys.

    ``by``: any of brand, platform, channel, agent, day, week, month, hour
    (hour of week), alone or combined ("brand,day"); None/"" for one overall
    row. Each row holds its group keys (``hour`` gives ``hour_of_week``,
    ``weekday``, ``hour``), ``conversations``, ``answered``,
    ``response_rate``, ``first_response_median_s``/``_p90_s``/``_mean_s``,
    their ``business_`` twins, ``within_15m``/``within_1h``/``within_24h``
    (share of answered conversations answered within the threshold; keys
    follow ``thresholds``) and ``business_within_*``, ``within_sla``,
    ``closed``, ``first_contact_resolution``, ``next_responses``,
    ``next_response_mean_s`` (+ business) and ``basis``. Calendar and business
    figures are always both present; ``business_hours`` only records which
    the caller means to show (``basis``). Times are seconds (None when no
    conversation of the group was answered). Raises ``ValueError`` for an
    unknown grouping, channel or unparsable bound."""
    keys = parse_by(by)
    filters = report_filters(since, until, brand, platform, channel)
    thresholds = tuple(int(t) for t in thresholds)
    groups = _collect(db, keys, filters)
    return [
        _row(keys, values, groups[values], thresholds, business_hours)
        for values in sorted(groups, key=group_sort_key)
    ]


def hour_of_week(
    db: Database,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
) -> list[dict[str, Any]]:
    """168 rows (Monday 00h .. Sunday 23h, brand-local time of the first
    customer message): ``hour_of_week``, ``weekday``, ``hour``,
    ``conversations`` (volume needing a response), ``answered``,
    ``first_response_median_s`` and ``business_first_response_median_s``
    (None where nothing was answered). Empty hours are included with zeros."""
    rows = {
        row["hour_of_week"]: row
        for row in response_time_report(
            db, by="hour", since=since, until=until, brand=brand, platform=platform, channel=channel
        )
    }
    out = []
    for slot in range(168):
        row = rows.get(slot, {})
        out.append(
            {
                "hour_of_week": slot,
                "weekday": WEEKDAY_NAMES[slot // 24],
                "hour": slot % 24,
                "conversations": row.get("conversations", 0),
                "answered": row.get("answered", 0),
                "first_response_median_s": row.get("first_response_median_s"),
                "business_first_response_median_s": row.get("business_first_response_median_s"),
            }
        )
    return out


def _compact(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def bucket_label(
    lower: int,
    upper: int | None,
    duration: Callable[[int], str] = _compact,
    *,
    at_most: str = "<= ",
    between: str = "-",
) -> str:
    """The one name of a first-response-time bucket: "<= 5m", "5m-15m",
    "> 1d" (the reports' and CSV/JSON's machine form). The dashboard passes
    its locale's ``duration`` and typographic signs ("≤ 5 min", "5 min–15 min")."""
    if upper is None:
        return f"> {duration(lower)}"
    if lower == 0:
        return f"{at_most}{duration(upper)}"
    return f"{duration(lower)}{between}{duration(upper)}"


def frt_distribution(
    db: Database,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    channel: str | None = None,
    business_hours: bool = False,
    edges: Sequence[int] = DISTRIBUTION_EDGES,
) -> list[dict[str, Any]]:
    """Histogram of first-response times of answered conversations: one dict
    per bucket with ``bucket`` (label), ``lower_s`` (exclusive, 0 inclusive),
    ``upper_s`` (inclusive; None for the open last bucket), ``count`` and
    ``share``. Business seconds when ``business_hours``."""
    filters = report_filters(since, until, brand, platform, channel)
    groups = _collect(db, (), filters)
    group = groups.get((), _Group())
    values = stats.sorted_values(group.business_parts if business_hours else group.calendar_parts)
    bounds = [int(e) for e in edges]
    cumulative = [0, *(int(c) for c in np.searchsorted(values, bounds, side="right")), len(values)]
    lowers = [0, *bounds]
    uppers: list[int | None] = [*bounds, None]
    return [
        {
            "bucket": bucket_label(lower, upper),
            "lower_s": lower,
            "upper_s": upper,
            "count": cumulative[i + 1] - cumulative[i],
            "share": share(cumulative[i + 1] - cumulative[i], len(values)),
        }
        for i, (lower, upper) in enumerate(zip(lowers, uppers, strict=True))
    ]


# --- live state -------------------------------------------------------------------


def waiting_conversations(
    db: Database,
    *,
    brand: str | None = None,
    platform: str | None = None,
    now: datetime | int | float | None = None,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Conversations waiting for a reply now (status new/open, last word from
    the customer), oldest first: id, brand, platform, channel,
    customer_handle, status, assignee, awaiting_since, ``age_s`` (calendar
    seconds waited so far), sla_due_at and ``sla_state``."""
    moment = unix_seconds(now)
    out = []
    for row in live_queries.waiting_rows(db, brand, platform, limit):
        item = dict(zip(live_queries.WAITING_COLUMNS, row, strict=True))
        item["age_s"] = max(0, moment - item["awaiting_since"])
        item["sla_state"] = sla_state(item, moment)
        out.append(item)
    return out


def probably_resolved_count(
    db: Database, *, brand: str | None = None, platform: str | None = None
) -> int:
    """How many conversations are "probably resolved" now: status new/open,
    the customer's latest word a thank-you or "solved" after a brand reply
    (``store.scores.PROBABLY_RESOLVED``). They are not counted as waiting."""
    return live_queries.probably_resolved_count(db, brand, platform)


def kpis(
    db: Database,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    platform: str | None = None,
    now: datetime | int | float | None = None,
) -> dict[str, Any]:
    """Headline figures for a period: the overall report row (conversations,
    answered, response_rate, median/p90/mean first response in calendar and
    business seconds, within_* shares, ``within_sla``,
    ``first_contact_resolution``) plus the live queue as of ``now`` (not
    limited to the period): ``waiting``, ``oldest_waiting_s``,
    ``sla_ok``/``sla_at_risk``/``sla_breached`` counts, and
    ``probably_resolved`` (not waiting; counted apart)."""
    report = response_time_report(
        db, by=None, since=since, until=until, brand=brand, platform=platform
    )
    empty_row = _row((), (), _Group(), stats.DEFAULT_THRESHOLDS, False)
    result = dict(report[0] if report else empty_row)
    result.pop("basis", None)
    moment = unix_seconds(now)
    waiting = waiting_conversations(db, brand=brand, platform=platform, now=moment, limit=None)
    result["waiting"] = len(waiting)
    result["probably_resolved"] = probably_resolved_count(db, brand=brand, platform=platform)
    result["oldest_waiting_s"] = waiting[0]["age_s"] if waiting else None
    for state in ("ok", "at_risk", "breached"):
        result[f"sla_{state}"] = sum(1 for w in waiting if w["sla_state"] == state)
    return result


def public_badge(
    db: Database,
    *,
    brand: str | None = None,
    now: datetime | int | float | None = None,
) -> dict[str, Any]:
    """The response badge a customer would see, like the one on Facebook
    business pages: over conversations whose first customer message falls in
    the 7 days before ``now`` (all brands when ``brand`` is None): ``brand``,
    ``since``/``until`` (unix seconds), ``conversations``, ``answered``,
    ``response_rate``, ``typical_response_s`` (median calendar first response:
    customers wait in calendar time) and ``label`` ("typically replies within
    an hour"; ``None`` when nothing was answered in the window). Conversations
    still unanswered count against the rate, as they do on Facebook."""
    until_ts = unix_seconds(now)
    since_ts = until_ts - int(BADGE_WINDOW.total_seconds())
    answered_values = []
    conversations = 0
    for (seconds,) in live_queries.first_responses(db, since_ts, until_ts, brand):
        conversations += 1
        if seconds is not None:
            answered_values.append(seconds)
    group = _Group(conversations=conversations, answered=len(answered_values))
    values = np.sort(np.asarray(answered_values, dtype=np.int64))
    typical = stats.median(values)
    label = None
    if typical is not None:
        label = next(text for limit, text in BADGE_LABELS if typical <= limit)
    return {
        "brand": brand,
        "since": since_ts,
        "until": until_ts,
        "conversations": group.conversations,
        "answered": group.answered,
        "response_rate": share(group.answered, group.conversations),
        "typical_response_s": typical,
        "label": label,
    }
