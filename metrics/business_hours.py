"""Business hours: when a brand's team is on duty, and how long a wait lasts in
that time.

A brand's calendar comes from ``brands.timezone`` and the JSON in
``brands.settings`` (keys documented in ``docs/metrics.md``)::

    {"business_hours": {"mon": ["09:00-18:00"], ..., "sat": ["09:00-13:00"]} | "24/7",
     "holidays": {"country": "BR", "subdivision": "SP", "dates": ["2024-12-24"]},
     "sla": {"first_response_minutes": 60, "next_response_minutes": 60,
             "at_risk_fraction": 0.75},
     "clock_start": "first" | "last"}

Every key is optional; unset means 24/7 in the brand's timezone (UTC when
unset), no holidays, a 60-minute SLA, at risk from 75 % of it, and the clock
starting at the first unanswered customer message.

Schedules are wall-clock times in the brand's timezone, so a 09:00-18:00 day
stays 09:00-18:00 local across daylight-saving changes; an interval that
spans the change (e.g. ``00:00-24:00``) is as long as the day really is (23 or
25 hours). A local time that does not exist (inside a spring-forward gap) is
read with the offset in force before the gap (PEP 495, ``fold=0``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24/7"
DEFAULT_SLA_MINUTES = 60
DEFAULT_AT_RISK_FRACTION = 0.75
CLOCK_STARTS = ("first", "last")
#: add_business_seconds gives up after this many days without enough open
#: time (a schedule whose every day is a holiday cannot meet any SLA).
MAX_SEARCH_DAYS = 3 * 366

SETTINGS_KEYS = ("business_hours", "holidays", "sla", "clock_start")


def _parse_clock(text: str, *, where: str) -> int:
    """'HH:MM' -> minutes after midnight (24:00 allowed as the end of a day)."""
    try:
        hours_text, minutes_text = text.strip().split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not HH:MM") from None
    if not (0 <= minutes < 60 and 0 <= hours <= 24) or (hours == 24 and minutes):
        raise ValueError(f"{where}: {text!r} is not a time of day (00:00-24:00)")
    return hours * 60 + minutes


def _parse_day(value: Any, *, where: str) -> tuple[tuple[int, int], ...]:
    """A day's intervals, merged where they overlap; an empty list means closed.
    Accepted forms: ``["09:00-12:00", "13:00-18:00"]`` (or one such string),
    a single ``["09:00", "18:00"]`` start/end pair, or a list of such pairs."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f"{where}: expected a list of 'HH:MM-HH:MM' strings, got {value!r}")
    if len(value) == 2 and all(isinstance(v, str) and "-" not in v for v in value):
        value = [value]  # one ["09:00", "18:00"] pair
    spans = []
    for item in value:
        if (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(v, str) for v in item)
        ):
            item = f"{item[0]}-{item[1]}"
        if not isinstance(item, str) or item.count("-") != 1:
            raise ValueError(f"{where}: {item!r} is not 'HH:MM-HH:MM' or a ['HH:MM', 'HH:MM'] pair")
        start_text, end_text = item.split("-")
        start = _parse_clock(start_text, where=where)
        end = _parse_clock(end_text, where=where)
        if end <= start:
            # Overnight shifts are written as two intervals (e.g. fri
            # 22:00-24:00 and sat 00:00-06:00) so each day stays self-contained.
            raise ValueError(
                f"{where}: {item!r} ends before it starts; split overnight shifts at midnight"
            )
        spans.append((start, end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass
class BusinessCalendar:
    """One brand's on-duty hours, holidays and SLA. Build it with
    :meth:`from_settings`; timestamps in and out are unix seconds (UTC)."""

    timezone: str = "UTC"
    #: Seven tuples (Mon..Sun) of (start_minute, end_minute); None = 24/7.
    weekly: tuple[tuple[tuple[int, int], ...], ...] | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    holiday_dates: frozenset[date] = frozenset()
    sla_first_response_seconds: int = DEFAULT_SLA_MINUTES * 60
    sla_next_response_seconds: int = DEFAULT_SLA_MINUTES * 60
    at_risk_fraction: float = DEFAULT_AT_RISK_FRACTION
    clock_start: str = "first"
    _zone: ZoneInfo = field(init=False, repr=False)
    _holidays: Any = field(init=False, repr=False, default=None)
    _day_cache: dict[date, tuple[tuple[int, int], ...]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        try:
            self._zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {self.timezone!r} (use an IANA name such as 'America/Sao_Paulo')"
            ) from None
        if self.holiday_country:
            try:
                self._holidays = holidays_lib.country_holidays(
                    self.holiday_country, subdiv=self.holiday_subdivision
                )
            except NotImplementedError:
                raise ValueError(f"holidays: unknown country {self.holiday_country!r}") from None
            except Exception as exc:  # the holidays package raises plain errors for subdivs
                raise ValueError(f"holidays: {exc}") from None
        if self.weekly is not None and not any(self.weekly):
            raise ValueError("business_hours: every day is closed; use '24/7' or open some hours")

    # --- construction -------------------------------------------------------

    @classmethod
    def from_settings(
        cls,
        timezone: str | None,
        settings: Mapping[str, Any] | str | None,
    ) -> BusinessCalendar:
        """Build a calendar from a brand's timezone and settings (dict or JSON text).
        Raises ``ValueError`` naming the bad key when the settings do not fit
        the documented shape (unknown keys outside :data:`SETTINGS_KEYS` are
        left alone: other modules keep their own settings there)."""
        if isinstance(settings, str):
            try:
                settings = json.loads(settings or "{}")
            except json.JSONDecodeError as exc:
                raise ValueError(f"settings are not valid JSON: {exc}") from None
        settings = settings or {}
        if not isinstance(settings, Mapping):
            raise ValueError("settings must be a JSON object")
        kwargs: dict[str, Any] = {"timezone": timezone or "UTC"}

        hours = settings.get("business_hours", ALWAYS_OPEN)
        if hours in (None, ALWAYS_OPEN):
            kwargs["weekly"] = None
        elif isinstance(hours, Mapping):
            unknown = set(hours) - set(WEEKDAYS)
            if unknown:
                raise ValueError(
                    f"business_hours: unknown day(s) {sorted(unknown)}; use {', '.join(WEEKDAYS)}"
                )
            kwargs["weekly"] = tuple(
                _parse_day(hours.get(day, []), where=f"business_hours.{day}") for day in WEEKDAYS
            )
        else:
            raise ValueError(f"business_hours must be '24/7' or a table of days, got {hours!r}")

        holiday_settings = settings.get("holidays") or {}
        if not isinstance(holiday_settings, Mapping):
            raise ValueError("holidays must be a table like {country = 'BR', subdivision = 'SP'}")
        kwargs["holiday_country"] = holiday_settings.get("country") or None
        kwargs["holiday_subdivision"] = holiday_settings.get("subdivision") or None
        try:
            kwargs["holiday_dates"] = frozenset(
                date.fromisoformat(str(d)) for d in holiday_settings.get("dates") or ()
            )
        except ValueError:
            raise ValueError("holidays.dates must be ISO dates (YYYY-MM-DD)") from None

        sla = settings.get("sla") or {}
        if not isinstance(sla, Mapping):
            raise ValueError("sla must be a table like {first_response_minutes = 60}")
        first = _positive_number(
            sla.get("first_response_minutes", DEFAULT_SLA_MINUTES), "sla.first_response_minutes"
        )
        following = _positive_number(
            sla.get("next_response_minutes", first), "sla.next_response_minutes"
        )
        fraction = sla.get("at_risk_fraction", DEFAULT_AT_RISK_FRACTION)
        if not isinstance(fraction, int | float) or not 0 < fraction <= 1:
            raise ValueError("sla.at_risk_fraction must be a number in (0, 1]")
        kwargs["sla_first_response_seconds"] = round(first * 60)
        kwargs["sla_next_response_seconds"] = round(following * 60)
        kwargs["at_risk_fraction"] = float(fraction)

        clock_start = settings.get("clock_start", "first")
        if clock_start not in CLOCK_STARTS:
            raise ValueError(f"clock_start must be one of {CLOCK_STARTS}, got {clock_start!r}")
        kwargs["clock_start"] = clock_start
        return cls(**kwargs)

    # --- calendar -----------------------------------------------------------

    @property
    def always_open(self) -> bool:
        """True when every moment is business time (24/7 and no holidays)."""
        return self.weekly is None and not self.holiday_country and not self.holiday_dates

    def is_holiday(self, day: date) -> bool:
        """True if ``day`` (a local date) is a configured public or extra holiday."""
        return day in self.holiday_dates or (self._holidays is not None and day in self._holidays)

    def local_datetime(self, ts: int | float) -> datetime:
        """The local wall-clock time of unix time ``ts``."""
        return datetime.fromtimestamp(ts, self._zone)

    def local_date(self, ts: int | float) -> date:
        """The local calendar date of unix time ``ts``."""
        return self.local_datetime(ts).date()

    def hour_of_week(self, ts: int | float) -> int:
        """0 (Monday 00:00-00:59 local) .. 167 (Sunday 23:00-23:59 local)."""
        moment = self.local_datetime(ts)
        return moment.weekday() * 24 + moment.hour

    def _wall_clock_ts(self, day: date, minute: int) -> int:
        moment = datetime.combine(day, time(0), tzinfo=self._zone)
        if minute == 24 * 60:
            moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self._zone)
        else:
            moment = moment.replace(hour=minute // 60, minute=minute % 60)
        return int(moment.timestamp())

    def open_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """The business intervals of local date ``day`` as (start_ts, end_ts)
        unix-second pairs, end exclusive; empty on holidays and closed days."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        if self.is_holiday(day):
            spans: tuple[tuple[int, int], ...] = ()
        else:
            minutes = ((0, 24 * 60),) if self.weekly is None else self.weekly[day.weekday()]
            spans = tuple(
                (self._wall_clock_ts(day, a), self._wall_clock_ts(day, b)) for a, b in minutes
            )
        self._day_cache[day] = spans
        return spans

    def business_seconds(self, start_ts: int, end_ts: int) -> int:
        """Business seconds in ``[start_ts, end_ts)``; 0 if ``end_ts <= start_ts``."""
        if end_ts <= start_ts:
            return 0
        if self.always_open:
            return end_ts - start_ts
        # Start one local day early: an interval of the previous local day can
        # never reach into this one, but this keeps the walk simple and safe.
        day = self.local_date(start_ts) - timedelta(days=1)
        last_day = self.local_date(end_ts)
        total = 0
        while day <= last_day:
            for open_ts, close_ts in self.open_intervals(day):
                overlap = min(close_ts, end_ts) - max(open_ts, start_ts)
                if overlap > 0:
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_business_seconds(self, start_ts: int, seconds: int) -> int:
        """The unix time at which ``seconds`` of business time have passed since
        ``start_ts`` (e.g. an SLA deadline). Raises ``ValueError`` if the
        calendar has no open time for :data:`MAX_SEARCH_DAYS` days."""
        if self.always_open:
            return start_ts + seconds
        remaining = seconds
        day = self.local_date(start_ts) - timedelta(days=1)
        for _ in range(MAX_SEARCH_DAYS):
            for open_ts, close_ts in self.open_intervals(day):
                begin = max(open_ts, start_ts)
                available = close_ts - begin
                if available <= 0:
                    continue
                if remaining <= available:
                    # A zero SLA is due at the first open moment, not before it.
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise ValueError(f"no business time within {MAX_SEARCH_DAYS} days of {start_ts}")


def _positive_number(value: Any, where: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{where} must be a positive number of minutes, got {value!r}")
    return float(value)


def validate_settings(timezone: str | None, settings: Mapping[str, Any] | str | None) -> None:
    """Raise ``ValueError`` (with the offending key) if a brand's timezone or
    business-hours/holiday/SLA settings are unusable; config loaders call this
    before saving a brand so that a typo is caught at load time."""
    BusinessCalendar.from_settings(timezone, settings)
