"""Conversation engine: derives reply status and response times from messages.

Runs whenever messages arrive (``pipeline.ingest`` calls
:func:`recompute_conversations` inside its write transaction), and on demand
(:func:`recompute_brand` after a brand's business hours change,
:func:`recompute_all`). It stores its results on ``conversations`` and keeps
the ``response_rollup`` table current, so every report is an aggregate over
indexed columns. Definitions: ``docs/metrics.md``.

Who is who: a message is the *brand's* when it is outbound or written by one
of the brand accounts (``brand_accounts``); every other inbound message is a
*customer* message that needs a response. Messages are taken in time order;
at equal timestamps (one-second resolution) customer messages come first, so
a brand message stamped in the same second as a customer message answers it.

Turns: a run of customer messages followed by a brand message is one turn;
the first turn's wait is the *first response time*, later turns' waits are
*next response times*. The clock starts at the turn's first customer message
(default) or its last one (brand setting ``clock_start = "last"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from replywatch.metrics.business_hours import BusinessCalendar
from replywatch.metrics.outcomes import refresh_outcomes
from replywatch.metrics.rollup import (
    conversation_rollup_keys,
    rebuild_rollup,
    refresh_rollup_keys,
)
from replywatch.metrics.speakers import CHUNK, load_brand_accounts, speaker_is_brand
from replywatch.store import engine_queries as queries
from replywatch.store.db import Database
from replywatch.store.scores import refresh_current_turn
from replywatch.store.timeutil import iso_utc, unix_seconds, utc_now

TERMINAL_STATUSES = ("spam", "ignored")
#: Statuses in which a waiting customer is owed a reply (SLA clock running).
AWAITING_STATUSES = ("new", "open")
SLA_STATES = ("ok", "at_risk", "breached")


@dataclass
class _Derived:
    message_count: int = 0
    inbound_count: int = 0
    outbound_count: int = 0
    first_message_at: int | None = None
    first_customer_at: int | None = None
    first_customer_message_id: int | None = None
    first_response_at: int | None = None
    first_response_message_id: int | None = None
    first_response_start_at: int | None = None
    last_customer_at: int | None = None
    last_brand_at: int | None = None
    awaiting_since: int | None = None
    awaiting_clock_start: int | None = None
    unanswered_count: int = 0
    brand_reply_count: int = 0
    brand: str | None = None
    mention_brand: str | None = None
    customer_handle: str | None = None
    #: (clock start, response time) of every answered turn after the first.
    next_responses: list[tuple[int, int]] = field(default_factory=list)


def _derive(
    rows: list[tuple], brand_by_handle: Mapping[tuple[str, str], str], clock_start: str = "first"
) -> _Derived:
    """Rows: (id, direction, created_ts, brand, author_handle, mentions, platform)."""
    tagged = []
    for row in rows:
        message_id, direction, ts, brand, author, _mentions, platform = row
        account_brand = brand_by_handle.get((platform, (author or "").lower()))
        is_brand = speaker_is_brand(direction, platform, author, brand_by_handle)
        tagged.append((ts, 1 if is_brand else 0, message_id, is_brand, brand or account_brand, row))
    tagged.sort(key=lambda t: t[:3])
    d = _Derived()
    turn_first: int | None = None
    turn_last: int | None = None
    for ts, _, message_id, is_brand, brand, row in tagged:
        _id, _direction, _ts, _brand, author, mentions, platform = row
        d.message_count += 1
        if d.first_message_at is None:
            d.first_message_at = ts
        if not is_brand:
            d.inbound_count += 1
            if d.first_customer_at is None:
                d.first_customer_at, d.first_customer_message_id = ts, message_id
                d.customer_handle = author
            d.last_customer_at = ts
            if turn_first is None:
                turn_first = ts
            turn_last = ts
            d.unanswered_count += 1
            if d.mention_brand is None:
                d.mention_brand = brand or next(
                    (
                        brand_by_handle[(platform, h)]
                        for h in (mentions or "").split()
                        if (platform, h) in brand_by_handle
                    ),
                    None,
                )
        else:
            d.outbound_count += 1
            d.brand = d.brand or brand
            d.last_brand_at = ts
            if d.first_customer_at is not None:
                d.brand_reply_count += 1
            if turn_first is not None:
                start = turn_first if clock_start == "first" else turn_last
                assert start is not None
                if d.first_response_at is None:
                    d.first_response_at, d.first_response_message_id = ts, message_id
                    d.first_response_start_at = start
                else:
                    d.next_responses.append((start, ts))
            turn_first = turn_last = None
            d.unanswered_count = 0
    if turn_first is not None:
        d.awaiting_since = turn_first
        d.awaiting_clock_start = turn_first if clock_start == "first" else turn_last
    d.brand = d.brand or d.mention_brand
    return d


def _next_status(status: str, changed_at: int | None, d: _Derived) -> tuple[str, bool]:
    """Return (status, reopened) after new messages: brand replies mark a
    conversation replied; a customer writing after it was replied or closed
    reopens it. Spam and ignored stay as a person set them."""
    if status in TERMINAL_STATUSES or d.inbound_count == 0:
        return status, False
    if d.awaiting_since is None:  # the brand had the last word
        # ... but a person who reopened it after that reply keeps it open.
        brand_spoke_since = changed_at is None or (
            d.last_brand_at is not None and d.last_brand_at >= changed_at
        )
        if status in ("new", "open") and brand_spoke_since:
            return "replied", False
        return status, False
    customer_wrote_since = changed_at is None or (
        d.last_customer_at is not None and d.last_customer_at > changed_at
    )
    if status in ("replied", "closed") and customer_wrote_since:
        return "open", status == "closed"
    if status == "new" and d.brand_reply_count > 0:
        return "open", False
    return status, False


class CalendarCache:
    """Business calendars by brand key, built once per recompute run. A brand
    without a row (or the None brand) gets the default: 24/7 UTC, 60-min SLA."""

    def __init__(self, db: Database):
        self._rows = queries.brand_calendar_settings(db)
        self._calendars: dict[str | None, BusinessCalendar] = {}

    def get(self, brand: str | None) -> BusinessCalendar:
        """The calendar of ``brand``; raises ``ValueError`` naming the brand if
        its settings are unusable (the surrounding transaction rolls back and
        nothing is lost)."""
        calendar = self._calendars.get(brand)
        if calendar is None:
            timezone, settings = self._rows.get(brand, ("UTC", "{}")) if brand else ("UTC", "{}")
            try:
                calendar = BusinessCalendar.from_settings(timezone, settings)
            except ValueError as exc:
                raise ValueError(f"brand {brand!r}: {exc}") from None
            self._calendars[brand] = calendar
        return calendar


def _measure(d: _Derived, status: str, calendar: BusinessCalendar) -> dict[str, Any]:
    """Calendar/business response times, SLA deadlines and brand-local period
    columns for one conversation."""
    out: dict[str, Any] = {
        "first_response_start_at": d.first_response_start_at,
        "first_response_seconds": None,
        "first_response_business_seconds": None,
        "first_response_sla_met": None,
        "sla_due_at": None,
        "sla_at_risk_at": None,
        "local_date": None,
        "local_hour_of_week": None,
        "next_response_count": len(d.next_responses),
        "next_response_seconds_total": sum(end - start for start, end in d.next_responses),
        "next_response_business_seconds_total": sum(
            calendar.business_seconds(start, end) for start, end in d.next_responses
        ),
    }
    if d.first_customer_at is not None:
        out["local_date"] = calendar.local_date(d.first_customer_at).isoformat()
        out["local_hour_of_week"] = calendar.hour_of_week(d.first_customer_at)
    if d.first_response_at is not None and d.first_response_start_at is not None:
        business = calendar.business_seconds(d.first_response_start_at, d.first_response_at)
        out["first_response_seconds"] = d.first_response_at - d.first_response_start_at
        out["first_response_business_seconds"] = business
        out["first_response_sla_met"] = int(business <= calendar.sla_first_response_seconds)
    if d.awaiting_clock_start is not None and status in AWAITING_STATUSES:
        sla = (
            calendar.sla_first_response_seconds
            if d.first_response_at is None
            else calendar.sla_next_response_seconds
        )
        out["sla_due_at"] = calendar.add_business_seconds(d.awaiting_clock_start, sla)
        out["sla_at_risk_at"] = calendar.add_business_seconds(
            d.awaiting_clock_start, math.ceil(sla * calendar.at_risk_fraction)
        )
    return out


def recompute_conversations(
    db: Database, conversation_ids: Iterable[int], *, outcomes: bool = True, rollup: bool = True
) -> int:
    """Recompute the derived fields of the given conversations from their
    messages (status transitions, first/next response times in calendar and
    business seconds, SLA deadlines, brand-local date and hour-of-week), then
    rebuild the rollup rows they affect. Returns how many conversations were
    updated. Call it inside the same transaction as the writes that made it
    necessary (new messages, a status change, a brand settings change).
    Raises ``ValueError`` if a brand's business-hours settings are unusable.
    ``outcomes=False`` skips the outcome columns (``metrics.outcomes``) when
    the caller scores the new messages next, which refreshes them anyway;
    ``rollup=False`` leaves the rollup rows marked dirty for a later
    :func:`~replywatch.metrics.rollup.refresh_rollup` (a bulk load refreshes
    them once, not once per chunk; a report refreshes dirty rows itself)."""
    ids = sorted(set(conversation_ids))
    updated = 0
    # The rollup rows these conversations counted under before and after.
    keys = conversation_rollup_keys(db, ids) if rollup else set()
    if ids:
        brand_by_handle = load_brand_accounts(db)
        calendars = CalendarCache(db)
        now = iso_utc(utc_now())
        for start in range(0, len(ids), CHUNK):
            updated += _recompute_chunk(
                db, ids[start : start + CHUNK], brand_by_handle, calendars, now
            )
        if outcomes:
            refresh_outcomes(db, ids)
    if rollup:
        # Only the rows of these conversations: a running import may have
        # marked thousands (store.bulk). Rows marked by anything else (a
        # conversation merged away) stay marked; reports refresh them first.
        refresh_rollup_keys(db, keys | conversation_rollup_keys(db, ids))
    return updated


def _recompute_chunk(
    db: Database,
    chunk: list[int],
    brand_by_handle: Mapping[tuple[str, str], str],
    calendars: CalendarCache,
    now: str,
) -> int:
    messages = queries.chunk_messages(db, chunk)
    current = queries.chunk_states(db, chunk)
    updates = []
    for conversation_id, rows in messages.items():
        if conversation_id not in current:
            continue
        status, changed_at, reopened_count, stored_brand = current[conversation_id]
        update = _conversation_values(
            rows, status, changed_at, reopened_count, stored_brand, brand_by_handle, calendars, now
        )
        update["id"] = conversation_id
        updates.append(update)
    queries.write_conversation_values(db, updates)
    return len(updates)


def _conversation_values(
    rows: list[tuple],
    status: str,
    changed_at: int | None,
    reopened_count: int,
    stored_brand: str | None,
    brand_by_handle: Mapping[tuple[str, str], str],
    calendars: CalendarCache,
    now: str,
) -> dict[str, Any]:
    """Every derived column of one conversation from its message rows
    ``(id, direction, created_ts, brand, author_handle, mentions, platform)``
    and its current status, status change time, reopen count and brand."""
    brand_hint = stored_brand
    calendar = calendars.get(brand_hint)
    d = _derive(rows, brand_by_handle, calendar.clock_start)
    brand = d.brand or stored_brand
    if brand != brand_hint:
        calendar = calendars.get(brand)
        if calendar.clock_start != calendars.get(brand_hint).clock_start:
            d = _derive(rows, brand_by_handle, calendar.clock_start)
    new_status, reopened = _next_status(status, changed_at, d)
    if new_status != status:
        changed_at = d.last_customer_at if reopened or new_status == "open" else (d.last_brand_at)
    values = {
        "brand": brand,
        "customer_handle": d.customer_handle,
        "status": new_status,
        "status_changed_at": changed_at,
        "reopened_count": reopened_count + (1 if reopened else 0),
        "needs_response": int(d.inbound_count > 0 and new_status not in TERMINAL_STATUSES),
        "message_count": d.message_count,
        "inbound_count": d.inbound_count,
        "outbound_count": d.outbound_count,
        "first_message_at": d.first_message_at,
        "first_customer_at": d.first_customer_at,
        "first_customer_message_id": d.first_customer_message_id,
        "first_response_at": d.first_response_at,
        "first_response_message_id": d.first_response_message_id,
        "last_customer_at": d.last_customer_at,
        "last_brand_at": d.last_brand_at,
        "awaiting_since": d.awaiting_since,
        "unanswered_count": d.unanswered_count,
        "brand_reply_count": d.brand_reply_count,
        "updated_at": now,
    }
    values.update(_measure(d, new_status, calendar))
    return values


def new_conversation_rows(db: Database, groups: Iterable[tuple]) -> Iterator[dict[str, Any]]:
    """Complete ``conversations`` rows for conversations that do not exist
    yet, from groups ``(id, platform, root message id, channel, root brand,
    message rows)`` (message rows as for :func:`_conversation_values`): what a
    bulk load inserts, so each conversation is written once. Brand accounts
    and business calendars are read when the first group is asked for."""
    brand_by_handle = load_brand_accounts(db)
    calendars = CalendarCache(db)
    now = iso_utc(utc_now())
    for conversation_id, platform, root_id, channel, root_brand, rows in groups:
        values = _conversation_values(
            rows, "new", None, 0, root_brand, brand_by_handle, calendars, now
        )
        values.update(
            id=conversation_id, platform=platform, root_message_id=root_id, channel=channel
        )
        yield values


def recompute_brand(db: Database, brand: str) -> int:
    """Recompute every conversation of ``brand`` (call after its timezone,
    business hours, holidays or SLA change), in one transaction. Returns the
    number of conversations updated."""
    from replywatch.store.db import transaction

    with transaction(db):
        ids = queries.conversation_ids(db, brand)
        return recompute_conversations(db, ids)


def recompute_all(db: Database) -> int:
    """Recompute every conversation (after an upgrade or a definitions change),
    in one transaction. Returns the number of conversations updated."""
    from replywatch.store.db import indexes_rebuilt, transaction

    with transaction(db):
        ids = queries.conversation_ids(db)
        # Every row changes: building each index once, by sorting, beats
        # keeping eleven indexes up row by row, and the rollup is rebuilt
        # whole below, so the triggers that mark its rows dirty rest
        # (docs/performance.md, "recompute_all").
        with indexes_rebuilt(db, "conversations", triggers=True):
            updated = recompute_conversations(db, ids, rollup=False)
        rebuild_rollup(db)
        return updated


def sla_state(
    conversation: Mapping[str, Any],
    now: datetime | int | float | None = None,
) -> str | None:
    """SLA state of a conversation row (a mapping with ``sla_due_at`` and
    ``sla_at_risk_at``, unix seconds) at ``now`` (aware datetime or unix
    seconds; default: the current time): ``"breached"`` once the deadline has
    passed, ``"at_risk"`` from the at-risk moment (``sla.at_risk_fraction`` of
    the SLA in business time), else ``"ok"``. Returns None when nobody is
    waiting for a reply (answered, closed, spam, ignored)."""
    due = conversation.get("sla_due_at")
    if due is None:
        return None
    moment = unix_seconds(now)
    if moment >= due:
        return "breached"
    at_risk = conversation.get("sla_at_risk_at")
    if at_risk is not None and moment >= at_risk:
        return "at_risk"
    return "ok"


def refresh_score_aggregates(db: Database, conversation_ids: Iterable[int]) -> None:
    """Copy message scores up to their conversations: ``max_urgency`` (highest
    urgency of any customer message: the history) and ``last_compound``
    (sentiment of the latest customer message), for exports, the current
    turn (``store.scores.refresh_current_turn``: ``current_urgency``,
    ``current_urgent``, ``closing_message_id``) for the triage queue, and
    the outcome columns that depend on scores (``metrics.outcomes``)."""
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), CHUNK):
        queries.refresh_score_columns(db, ids[start : start + CHUNK])
    # The current turn (urgency since the last brand reply, "probably resolved").
    refresh_current_turn(db, ids)
    refresh_outcomes(db, ids)
