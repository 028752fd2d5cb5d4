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


#: Message times outside [PLAUSIBLE_FROM, PLAUSIBLE_UNTIL) are refused: no
#: social-media post is older than 2000, and a year like 9999 is a broken
#: export, not a post (one such row used to move every default period).
PLAUSIBLE_FROM = datetime(2000, 1, 1, tzinfo=UTC)
PLAUSIBLE_UNTIL = datetime(2100, 1, 1, tzinfo=UTC)
_PLAUSIBLE_RANGE = (int(PLAUSIBLE_FROM.timestamp()), int(PLAUSIBLE_UNTIL.timestamp()))
#: A message newer than now + this is "in the future" (clock skew allowed):
#: stored, but not what default periods are based on.
FUTURE_SLACK_SECONDS = 86_400


def check_plausible(ts: int) -> int:
    """Return ``ts`` (unix seconds) if it is a plausible message time, else
    raise ``ValueError`` naming the accepted range."""
    if not _PLAUSIBLE_RANGE[0] <= ts < _PLAUSIBLE_RANGE[1]:
        raise ValueError(
            f"created_at {from_ts(ts).date() if -62135596800 <= ts < 253402300800 else ts} "
            f"is outside the plausible range {PLAUSIBLE_FROM.date()} to "
            f"{PLAUSIBLE_UNTIL.year - 1}-12-31"
        )
    return ts
