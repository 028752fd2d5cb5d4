"""Human-readable figures shared by the dashboard and the CLI."""

from __future__ import annotations


def duration(seconds: float | int | None, *, missing: str = "—") -> str:
    """Human duration: 45s, 12m, 3h 05m, 2d 4h; ``missing`` for None."""
    if seconds is None:
        return missing
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600}h"
