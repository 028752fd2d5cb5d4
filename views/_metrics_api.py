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
    not waiting). Uses ``metrics.sla_state`` (business-hours aware, from the
    stored ``sla_due_at``/``sla_at_risk_at``) when present; without it a
    fallback: past ``sla_due_at`` (or one hour of waiting when no due time is
    stored) is breached, past 75 % of the time allowed is at risk."""
    now = int(time.time()) if now is None else now
    function = _find("sla_state")
    if function is not None:
        state = function(row, now)
        return state.replace("_", " ") if isinstance(state, str) else state
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



def export_formats() -> tuple[str, ...]:
    """The file formats the exports offer (empty without ``metrics.exports``)."""
    exports = _modules.get("exports")
    return tuple(getattr(exports, "EXPORT_FORMATS", ())) if exports is not None else ()


def export_downloads(connect: Callable[[], Any], *, since: Any, until: Any,
                     brand: str | None, period: str = "week") -> list[Download]:
    """Every export the CLI offers (``replywatch export conversations`` and
    ``export benchmarks``, every format), as lazy downloads built by the same
    ``metrics.exports`` functions. ``connect`` returns a database connection
    for the thread that builds the file. Empty until ``metrics.exports`` is
    installed."""
    if not available("export_conversations_to_bytes", "export_benchmarks_to_bytes"):
        return []
    suffix = f"{since}_{until}" + (f"_{brand}" if brand else "")
    downloads = []
    for fmt in export_formats():
        downloads.append(Download(
            f"Conversations ({fmt})", f"conversations_{suffix}.{fmt}", MIME.get(fmt, "bin"),
            lambda fmt=fmt: call("export_conversations_to_bytes", connect(), fmt,
                                 since=since, until=until, brand=brand)))
    for fmt in export_formats():
        downloads.append(Download(
            f"Benchmarks by {period} ({fmt})", f"benchmarks_{period}_{suffix}.{fmt}",
            MIME.get(fmt, "bin"),
            lambda fmt=fmt: call("export_benchmarks_to_bytes", connect(), fmt, since=since,
                                 until=until, brand=brand, period=period)))
    return downloads


PERCENT_COLUMNS = ("response rate", "within 15m", "within 1h", "within 24h", "within SLA",
                   "response rate (previous)", "response rate change")
MINUTE_COLUMNS = ("median (min)", "p90 (min)", "mean (min)", "median (min) (previous)",
                  "median (min) change")


def report_table(rows: list[dict[str, Any]], key: str, *, business: bool):
    """A response-time report as a display table: the group ``key``, volumes,
    rates, and median/p90/mean in minutes for the chosen basis (calendar or
    business). Returns a pandas DataFrame (empty if ``rows`` is)."""
    import pandas as pd

    p = "business_" if business else ""
    names = {key: key, "conversations": "conversations", "answered": "answered",
             "response_rate": "response rate",
             f"{p}first_response_median_s": "median (min)",
             f"{p}first_response_p90_s": "p90 (min)",
             f"{p}first_response_mean_s": "mean (min)",
             f"{p}within_15m": "within 15m", f"{p}within_1h": "within 1h",
             f"{p}within_24h": "within 24h", "within_sla": "within SLA"}
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame[[c for c in names if c in frame.columns]].rename(columns=names)
    if key in frame.columns:
        frame[key] = frame[key].fillna("(none)")
    for column in frame.columns:
        if column != key:  # None (nothing answered) becomes NaN: an empty cell
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ("median (min)", "p90 (min)", "mean (min)"):
        if column in frame.columns:
            frame[column] = (frame[column].astype(float) / 60).round(1)
    return frame
