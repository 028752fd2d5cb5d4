"""UTC timestamp helpers shared by every layer (stored form: ISO-8601 with Z).
Durations as text are ``replywatch.i18n.compact_duration`` (English) and
``replywatch.i18n.duration`` (any language)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """Format as ``YYYY-MM-DDTHH:MM:SSZ`` (second precision, UTC)."""
    # isoformat() is several times faster than strftime() on the import path.
    return to_utc(moment).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def from_ts(ts: int | float) -> datetime:
    """Unix seconds to an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def unix_seconds(now: datetime | int | float | None = None) -> int:
    """``now`` as whole unix seconds: the current time for None, an aware
    datetime's timestamp, or a number as given (truncated). Refuses a naive
    datetime with ValueError, because its instant is unknown."""
    if now is None:
        return int(utc_now().timestamp())
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (or unix seconds)")
        return int(now.timestamp())
    return int(now)
