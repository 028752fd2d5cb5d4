"""Display helpers shared by the Response times and Benchmarks pages: report
rows as tables, and the export downloads (built by the same ``metrics``
functions as ``replywatch export``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from replywatch import metrics
from replywatch.i18n import N_


@dataclass(frozen=True)
class Download:
    """One download button: label, file name, MIME type and a callable that
    builds the bytes only when the button is clicked."""

    label: str
    file_name: str
    mime: str
    data: Callable[[], bytes]


MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
}


def export_downloads(
    connect: Callable[[], Any],
    *,
    since: Any,
    until: Any,
    brand: str | None,
    period: str = "week",
    label: Callable[[str], str] = str,
    header_language: str | None = None,
) -> list[Download]:
    """Every export the CLI offers (``replywatch export conversations`` and
    ``export benchmarks``, every format), as lazy downloads built by the same
    ``metrics.exports`` functions. ``connect`` returns a database connection
    for the thread that builds the file; ``label`` translates button text;
    ``header_language`` gives the CSV and XLSX files headers for people in that
    language (Parquet and JSON keep the machine names)."""
    suffix = f"{since}_{until}" + (f"_{brand}" if brand else "")
    downloads = []
    for fmt in metrics.EXPORT_FORMATS:
        downloads.append(
            Download(
                label(N_("Conversations ({format})")).format(format=fmt),
                f"conversations_{suffix}.{fmt}",
                MIME.get(fmt, "bin"),
                lambda fmt=fmt: metrics.export_conversations_to_bytes(
                    connect(),
                    fmt,
                    since=since,
                    until=until,
                    brand=brand,
                    header_language=_people(fmt, header_language),
                ),
            )
        )
    for fmt in metrics.EXPORT_FORMATS:
        downloads.append(
            Download(
                label(N_("Benchmarks by {period} ({format})")).format(
                    period=label(period), format=fmt
                ),
                f"benchmarks_{period}_{suffix}.{fmt}",
                MIME.get(fmt, "bin"),
                lambda fmt=fmt: metrics.export_benchmarks_to_bytes(
                    connect(),
                    fmt,
                    since=since,
                    until=until,
                    brand=brand,
                    period=period,
                    header_language=_people(fmt, header_language),
                ),
            )
        )
    return downloads


def _people(fmt: str, header_language: str | None) -> str | None:
    return header_language if fmt in ("csv", "xlsx") else None


NONE = "(none)"
PERCENT_COLUMNS = (
    N_("response rate"),
    N_("within 15m"),
    N_("within 1h"),
    N_("within 24h"),
    N_("within SLA"),
    N_("response rate (previous)"),
    N_("response rate change"),
)
MINUTE_COLUMNS = (
    N_("median (min)"),
    N_("p90 (min)"),
    N_("mean (min)"),
    N_("median (min) (previous)"),
    N_("median (min) change"),
)
# The other headers of report tables (machine names in the frame; shown translated).
OTHER_COLUMNS = (
    N_("brand"),
    N_("platform"),
    N_("channel"),
    N_("agent"),
    N_("conversations"),
    N_("answered"),
)


def column_config(frame, label: Callable[[str], str] = str) -> dict[str, Any]:
    """Streamlit column_config for a report table: each header through ``label``
    (the session's gettext)."""
    import streamlit as st

    return {column: st.column_config.Column(label(column)) for column in frame.columns}


@dataclass(frozen=True)
class Formats:
    """The session's formatting, for :func:`display_table`."""

    number: Callable[..., str]
    percent: Callable[..., str]
    #: (group key, value) -> the value as shown (brand name, "público", "Unassigned" ...)
    group: Callable[[str, Any], str]


def display_table(frame, key: str, formats: Formats):
    """A (sorted) report table as the page shows it: figures formatted in the
    session's locale (the grid's own number formats follow the browser, not
    the interface language: "85.17%" beside "0,17"), the group column through
    ``formats.group``. Sort before calling: the result holds text."""
    shown = frame.copy()
    for column in shown.columns:
        values = frame[column]
        if column == key:
            shown[column] = [formats.group(key, None if v == NONE else v) for v in values]
        elif column in PERCENT_COLUMNS:
            shown[column] = [_or_dash(v, formats.percent) for v in values]
        elif column in MINUTE_COLUMNS:
            shown[column] = [_or_dash(v, formats.number, 1) for v in values]
        else:
            shown[column] = [_or_dash(v, formats.number) for v in values]
    return shown


def _or_dash(value: Any, format_value: Callable[..., str], *args: Any) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_value(value, *args)


def report_table(rows: list[dict[str, Any]], key: str, *, business: bool):
    """A response-time report as a display table: the group ``key``, volumes,
    rates, and median/p90/mean in minutes for the chosen basis (calendar or
    business). Returns a pandas DataFrame (empty if ``rows`` is)."""
    import pandas as pd

    p = "business_" if business else ""
    names = {
        key: key,
        "conversations": "conversations",
        "answered": "answered",
        "response_rate": "response rate",
        f"{p}first_response_median_s": "median (min)",
        f"{p}first_response_p90_s": "p90 (min)",
        f"{p}first_response_mean_s": "mean (min)",
        f"{p}within_15m": "within 15m",
        f"{p}within_1h": "within 1h",
        f"{p}within_24h": "within 24h",
        "within_sla": "within SLA",
    }
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame[[c for c in names if c in frame.columns]].rename(columns=names)
    if key in frame.columns:
        frame[key] = frame[key].fillna(NONE)
    for column in frame.columns:
        if column != key:  # None (nothing answered) becomes NaN: an empty cell
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ("median (min)", "p90 (min)", "mean (min)"):
        if column in frame.columns:
            frame[column] = (frame[column].astype(float) / 60).round(1)
    return frame
