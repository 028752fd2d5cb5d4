"""UTC timestamp helpers shared by every layer (stored form: ISO-8601 with Z)."""

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
