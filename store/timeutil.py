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


def format_duration(seconds: float | int | None, *, missing: str = "—") -> str:
    """A short human duration, the one form used everywhere (dashboard, CLI
    tables, urgency reasons): "45s", "12m", "1h", "1h 5m", "3d", "3d 4h".

    Seconds are rounded to the nearest second, then shown in the two largest
    units with zero parts left out; ``missing`` for None; a negative duration
    keeps its sign ("-5m") so that a data error stays visible."""
    if seconds is None:
        return missing
    total = int(round(seconds))
    if total < 0:
        return "-" + format_duration(-total)
    if total < 60:
        return f"{total}s"
    minutes = total // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
