"""Human-readable figures shared by the dashboard and the CLI."""

from __future__ import annotations

from replywatch.i18n import compact_duration


def duration(seconds: float | int | None, *, missing: str = "—") -> str:
    """Human duration: 45s, 12m, 3h 05m, 2d 4h; ``missing`` for None
    (other languages: ``replywatch.i18n.duration``)."""
    return compact_duration(seconds, missing=missing)
