"""Display helpers shared by the Response times and Benchmarks pages: report
rows as tables, and the export downloads (built by the same ``metrics``
functions as ``replywatch export``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from replywatch import metrics


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
    connect: Callable[[], Any], *, since: Any, until: Any, brand: str | None, period: str = "week"
) -> list[Download]:
    """Every export the CLI offers (``replywatch export conversations`` and
    ``export benchmarks``, every format), as lazy downloads built by the same
    ``metrics.exports`` functions. ``connect`` returns a database connection
    for the thread that builds the file."""
    suffix = f"{since}_{until}" + (f"_{brand}" if brand else "")
    downloads = []
    for fmt in metrics.EXPORT_FORMATS:
        downloads.append(
            Download(
                f"Conversations ({fmt})",
                f"conversations_{suffix}.{fmt}",
                MIME.get(fmt, "bin"),
                lambda fmt=fmt: metrics.export_conversations_to_bytes(
                    connect(), fmt, since=since, until=until, brand=brand
                ),
            )
        )
    for fmt in metrics.EXPORT_FORMATS:
        downloads.append(
            Download(
                f"Benchmarks by {period} ({fmt})",
                f"benchmarks_{period}_{suffix}.{fmt}",
                MIME.get(fmt, "bin"),
                lambda fmt=fmt: metrics.export_benchmarks_to_bytes(
                    connect(), fmt, since=since, until=until, brand=brand, period=period
                ),
            )
        )
    return downloads


PERCENT_COLUMNS = (
    "response rate",
    "within 15m",
    "within 1h",
    "within 24h",
    "within SLA",
    "response rate (previous)",
    "response rate change",
)
MINUTE_COLUMNS = (
    "median (min)",
    "p90 (min)",
    "mean (min)",
    "median (min) (previous)",
    "median (min) change",
)


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
        frame[key] = frame[key].fillna("(none)")
    for column in frame.columns:
        if column != key:  # None (nothing answered) becomes NaN: an empty cell
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    for column in ("median (min)", "p90 (min)", "mean (min)"):
        if column in frame.columns:
            frame[column] = (frame[column].astype(float) / 60).round(1)
    return frame
