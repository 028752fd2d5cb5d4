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
    (the session's gettext), percentages as percentages."""
    import streamlit as st

    config: dict[str, Any] = {}
    for column in frame.columns:
        if column in PERCENT_COLUMNS:
            config[column] = st.column_config.NumberColumn(label(column), format="percent")
        else:
            config[column] = st.column_config.Column(label(column))
    return config


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
