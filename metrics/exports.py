"""Exports: one row per conversation, and response-time benchmarks per brand
and period, as CSV, XLSX, Parquet or JSON.

Each export has a file variant (``out`` is a path or a writable binary file)
and a ``*_to_bytes`` variant for download buttons; both run the same code.
Rows are streamed from SQLite in chunks: nothing loads a whole table.

Spreadsheet safety: customer text is untrusted. In CSV every text value that
a spreadsheet would run as a formula gets a leading ``'``
(:func:`replywatch.untrusted.neutralise_formula`: starts with ``=``, ``+``,
``-``, ``@``, tab or CR and is not a plain number) so Excel and LibreOffice
show it instead of running it (a CSV has no cell types). XLSX text is a typed
string cell, which no spreadsheet runs, so it is written as is ("@LojaAurora
obrigado", not "'@LojaAurora obrigado"); Parquet and JSON are data formats and
keep text as written. CSV is UTF-8 with a byte-order mark so Excel reads Portuguese
accents correctly. Times are ISO-8601 UTC strings (``2017-10-31T22:10:47Z``)
in CSV, Parquet and JSON; durations are integer seconds.

Headers are the stable machine names (scripts depend on them). CSV and XLSX
can instead carry headers for people in a language (``header_language``:
"en", "pt-BR", "pt-PT"; gettext catalogues in locales/).

XLSX cells carry real types and number formats, so a spreadsheet shows them
in its own locale (``12,5%`` and ``1.234`` in a Portuguese Excel): times are
Excel date-times (UTC) and dates are dates; rates have a percent format;
durations are integer seconds with a thousands format (``1,234``) under
machine headers, and real Excel durations (``[h]:mm:ss``) under translated
headers, where the header names the unit-free "First response".
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from replywatch import i18n
from replywatch.i18n import N_
from replywatch.metrics import stats
from replywatch.metrics.outcome_reports import outcome_report
from replywatch.metrics.reports import report_filters, response_time_report
from replywatch.store import report_queries
from replywatch.store.db import Database
from replywatch.store.timeutil import from_ts, iso_utc
from replywatch.untrusted import FORMULA_PREFIXES, neutralise_formula

EXPORT_FORMATS = ("csv", "xlsx", "parquet", "json")
CHUNK_ROWS = 5_000
# XML 1.0 cannot hold these control characters; openpyxl refuses them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Column = tuple[str, str]  # (name, kind: "int" | "float" | "str")

CONVERSATION_COLUMNS: tuple[Column, ...] = (
    ("conversation_id", "int"),
    ("platform", "str"),
    ("brand", "str"),
    ("channel", "str"),
    ("customer_handle", "str"),
    ("first_message_external_id", "str"),
    ("first_response_external_id", "str"),
    ("url", "str"),
    ("first_customer_at", "str"),
    ("local_date", "str"),
    ("first_response_at", "str"),
    ("first_response_seconds", "int"),
    ("first_response_business_seconds", "int"),
    ("status", "str"),
    ("needs_response", "int"),
    ("assignee", "str"),
    ("tags", "str"),
    ("sentiment", "float"),
    ("urgency", "int"),
    ("message_count", "int"),
    ("next_response_count", "int"),
    # Outcomes (docs/metrics.md, Outcomes)
    ("mood_before", "float"),
    ("mood_after", "float"),
    ("mood_recovery", "float"),
    ("recovery_label", "str"),
    ("resolved_by", "str"),
    ("resolved_at", "str"),
    ("effort_customer_messages", "int"),
    ("effort_brand_replies", "int"),
    ("first_contact_resolved", "int"),
    ("first_contact_resolved_closed_only", "int"),
    ("repeat_contact_id", "int"),
    # Last: text is never NULL, so spreadsheet readers that drop trailing
    # empty cells still see every column.
    ("first_message_text", "str"),
)
_RESOLVED_AT = [name for name, _ in CONVERSATION_COLUMNS].index("resolved_at")

# --- row sources ----------------------------------------------------------------


def _iso(ts: int | None) -> str | None:
    return iso_utc(from_ts(ts)) if ts is not None else None


def _conversation_rows(db: Database, since, until, brand) -> Iterator[tuple]:
    # Arguments are checked before the generator starts, so a bad bound fails
    # before any file is opened.
    filters = report_filters(since, until, brand, None, None)
    return _conversation_rows_from(db, filters)


def _conversation_rows_from(db: Database, filters) -> Iterator[tuple]:
    for row in report_queries.export_conversations(db, filters, CHUNK_ROWS):
        row = list(row)
        row[8], row[10] = _iso(row[8]), _iso(row[10])
        row[_RESOLVED_AT] = _iso(row[_RESOLVED_AT])
        yield tuple(row)


BENCHMARK_PERIODS = ("day", "week", "month")


def _benchmark_columns(thresholds: Sequence[int]) -> tuple[Column, ...]:
    names = [stats.threshold_key(t) for t in thresholds]
    return (
        ("brand", "str"),
        ("period", "str"),
        ("period_start", "str"),
        ("conversations", "int"),
        ("answered", "int"),
        ("response_rate", "float"),
        ("first_response_median_s", "float"),
        ("first_response_p90_s", "int"),
        ("first_response_mean_s", "float"),
        ("business_first_response_median_s", "float"),
        ("business_first_response_p90_s", "int"),
        ("business_first_response_mean_s", "float"),
        *((n, "float") for n in names),
        *((f"business_{n}", "float") for n in names),
        ("within_sla", "float"),
        ("closed", "int"),
        ("first_contact_resolution", "float"),
        ("next_responses", "int"),
        ("next_response_mean_s", "float"),
        ("business_next_response_mean_s", "float"),
        # Outcomes (docs/metrics.md, Outcomes)
        *((name, kind) for name, kind in OUTCOME_BENCHMARK_COLUMNS),
    )


OUTCOME_BENCHMARK_COLUMNS: tuple[Column, ...] = (
    ("recovery_rate", "float"),
    ("worsened_share", "float"),
    ("silent_share", "float"),
    ("mean_recovery", "float"),
    ("resolved", "int"),
    ("resolution_rate", "float"),
    ("first_contact_resolution_rate", "float"),
    ("mean_effort_customer_messages", "float"),
    ("mean_effort_brand_replies", "float"),
    ("repeat_contacts", "int"),
    ("repeat_contact_rate", "float"),
)


def _benchmark_rows(
    db: Database,
    period: str,
    since,
    until,
    brand,
    columns: Sequence[Column],
    thresholds: Sequence[int],
) -> list[tuple]:
    if period not in BENCHMARK_PERIODS:
        raise ValueError(f"period must be one of {BENCHMARK_PERIODS}, got {period!r}")
    # One row per brand and period: small, so it is built in full.
    outcomes = {
        (row["brand"], row[period]): row
        for row in outcome_report(
            db, by=("brand", period), since=since, until=until, brand=brand,
            with_response_times=False,
        )
    }  # fmt: skip
    out = []
    for row in response_time_report(
        db, by=("brand", period), since=since, until=until, brand=brand, thresholds=thresholds
    ):
        extra = outcomes.get((row["brand"], row[period]), {})
        row = {**extra, **row, "period": period, "period_start": row[period]}
        out.append(tuple(row.get(name) for name, _ in columns))
    return out


# --- writers ------------------------------------------------------------------------


# Headers for people (``header_language``); the ``within_*`` thresholds are
# made from their limit ("within 15m").
HEADER_LABELS: dict[str, str] = {
    "conversation_id": N_("Conversation"),
    "platform": N_("Platform"),
    "brand": N_("Brand"),
    "channel": N_("Channel"),
    "customer_handle": N_("Customer"),
    "first_message_external_id": N_("First message id"),
    "first_response_external_id": N_("First response id"),
    "url": N_("Link"),
    "first_customer_at": N_("First customer message (UTC)"),
    "local_date": N_("Local date"),
    "first_response_at": N_("First response (UTC)"),
    "first_response_seconds": N_("First response time"),
    "first_response_business_seconds": N_("First response time (business hours)"),
    "status": N_("Status"),
    "needs_response": N_("Needs a response"),
    "assignee": N_("Assignee"),
    "tags": N_("Tags"),
    "sentiment": N_("Sentiment"),
    "urgency": N_("Urgency"),
    "message_count": N_("Messages"),
    "next_response_count": N_("Next responses"),
    "first_message_text": N_("First message"),
    "period": N_("Period"),
    "period_start": N_("Period start"),
    "conversations": N_("Conversations"),
    "answered": N_("Answered"),
    "response_rate": N_("Response rate"),
    "first_response_median_s": N_("Median first response"),
    "first_response_p90_s": N_("p90 first response"),
    "first_response_mean_s": N_("Mean first response"),
    "business_first_response_median_s": N_("Median first response (business hours)"),
    "business_first_response_p90_s": N_("p90 first response (business hours)"),
    "business_first_response_mean_s": N_("Mean first response (business hours)"),
    "within_sla": N_("Within SLA"),
    "closed": N_("Closed"),
    "first_contact_resolution": N_("First-contact resolution"),
    "next_responses": N_("Next responses"),
    "next_response_mean_s": N_("Mean next response"),
    "business_next_response_mean_s": N_("Mean next response (business hours)"),
    # Outcomes (docs/metrics.md, Outcomes)
    "mood_before": N_("Mood before the reply"),
    "mood_after": N_("Mood after the reply"),
    "mood_recovery": N_("Mood recovery"),
    "recovery_label": N_("Recovery"),
    "resolved_by": N_("Resolved by"),
    "resolved_at": N_("Resolved (UTC)"),
    "effort_customer_messages": N_("Customer messages"),
    "effort_brand_replies": N_("Brand replies"),
    "first_contact_resolved": N_("Resolved at first contact"),
    "first_contact_resolved_closed_only": N_("Resolved at first contact (closed by an agent)"),
    "repeat_contact_id": N_("Came back in conversation"),
    "recovery_rate": N_("Left happier"),
    "worsened_share": N_("Left unhappier"),
    "silent_share": N_("Silent after the reply"),
    "mean_recovery": N_("Mean mood recovery"),
    "resolved": N_("Resolved"),
    "resolution_rate": N_("Resolution rate"),
    "first_contact_resolution_rate": N_("Solved at first reply"),
    "mean_effort_customer_messages": N_("Customer messages to resolve (mean)"),
    "mean_effort_brand_replies": N_("Brand replies to resolve (mean)"),
    "repeat_contacts": N_("Came back"),
    "repeat_contact_rate": N_("Came back (share)"),
}
_WITHIN = N_("Within {limit}")
_WITHIN_BUSINESS = N_("Within {limit} (business hours)")
_PERCENT_COLUMNS = {
    "response_rate",
    "within_sla",
    "first_contact_resolution",
    "recovery_rate",
    "worsened_share",
    "silent_share",
    "resolution_rate",
    "first_contact_resolution_rate",
    "repeat_contact_rate",
}
# Columns holding the store's English words: translated in files for people
# (``header_language``), as the dashboard shows them (catalogue: views/i18n.VALUES).
_WORD_COLUMNS = {"status", "channel", "recovery_label", "resolved_by", "period"}
_YES_NO_COLUMNS = {"needs_response", "first_contact_resolved", "first_contact_resolved_closed_only"}
_YES, _NO = N_("yes"), N_("no")


def people_value(name: str, value: Any, language: str) -> Any:
    """A value as a file for people in ``language`` shows it: the store's words
    translated ("replied" -> "respondida"), yes/no flags as words, tags as a
    comma-separated list instead of JSON ("[]" -> ""). Numbers and dates are
    left to the writer (CSV formats them, XLSX types them)."""
    if value is None:
        return None
    if name in _WORD_COLUMNS and isinstance(value, str):
        return i18n.gettext_for(language, value)
    if name in _YES_NO_COLUMNS and isinstance(value, int):
        return i18n.gettext_for(language, _YES if value else _NO)
    if name == "tags" and isinstance(value, str):
        try:
            tags = json.loads(value)
        except ValueError:
            return value
        return ", ".join(str(t) for t in tags) if isinstance(tags, list) else value
    return value


def _csv_people_value(name: str, kind: str, value: Any, language: str) -> Any:
    """A CSV cell for people: :func:`people_value`, then figures, dates and
    durations in the locale's form (a CSV has no cell types)."""
    value = people_value(name, value, language)
    if isinstance(value, str):
        if name.endswith("_at"):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
            return i18n.format_datetime(moment, language, "short")
        if name in ("local_date", "period_start"):
            return _csv_date(value, language)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _is_percent(name):
            return i18n.percent(value, language, digits=1)
        if _is_duration(name):
            return i18n.duration(value, language)
        if kind == "float":
            return i18n.number(value, language, digits=2)
    return value


def _csv_date(value: str, language: str) -> str:
    try:
        return i18n.format_date(date.fromisoformat(value), language, "short")
    except ValueError:  # a week or month key ("2024-W19", "2024-05") stays as it is
        return value


def header_labels(columns: Sequence[Column], language: str | None) -> list[str]:
    """The header row: machine names (``language`` None), or labels for people
    in ``language`` (English when a label has no translation)."""
    names = [name for name, _ in columns]
    if language is None:
        return names
    out = []
    for name in names:
        if name in HEADER_LABELS:
            out.append(i18n.gettext_for(language, HEADER_LABELS[name]))
        elif name.startswith(("within_", "business_within_")):
            template = _WITHIN_BUSINESS if name.startswith("business_") else _WITHIN
            limit = name.rsplit("_", 1)[1]
            out.append(i18n.gettext_for(language, template).format(limit=limit))
        else:
            out.append(name)
    return out


def _is_percent(name: str) -> bool:
    return name in _PERCENT_COLUMNS or name.startswith(("within_", "business_within_"))


def _is_duration(name: str) -> bool:
    return name.endswith(("_seconds", "_s"))


def _write_csv(
    rows: Iterable[tuple],
    columns: Sequence[Column],
    out: IO[bytes],
    header_language: str | None = None,
) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow(header_labels(columns, header_language))
        for row in rows:
            if header_language is not None:
                row = [
                    _csv_people_value(name, kind, v, header_language)
                    for (name, kind), v in zip(columns, row, strict=True)
                ]
            writer.writerow(["" if v is None else neutralise_formula(v) for v in row])
        text.flush()
    finally:
        text.detach()  # leave ``out`` open: the caller owns it


def table_csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Any table shown on a page (the Triage queue, a conversation, a
    drill-down) as CSV bytes for a download button: the same writer as the
    exports, so every cell that a spreadsheet would run as a formula is
    neutralised (:func:`neutralise_formula`), headers included."""
    out = io.BytesIO()
    header = [(str(neutralise_formula(str(name))), "str") for name in columns]
    _write_csv((tuple(row) for row in rows), header, out)
    return out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    # Text is written as a typed string cell (see _write_xlsx), which no
    # spreadsheet runs as a formula: no leading "'" shows in the cell.
    if isinstance(value, str):
        value = _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


# Excel's built-in number formats 22 and 14: Excel shows them in the reader's
# locale (02/03/2026 14:05 in pt-BR), unlike a spelled-out pattern.
_XLSX_DATETIME = "m/d/yy h:mm"
_XLSX_DATE = "mm-dd-yy"
_XLSX_DURATION = "[h]:mm:ss"
_XLSX_SECONDS = "#,##0"
_XLSX_PERCENT = "0.0%"
_XLSX_FLOAT = "#,##0.00"


def _xlsx_typed(name: str, kind: str, value: Any, durations: bool) -> tuple[Any, str | None]:
    """(cell value, number format) of one exported value."""
    if value is None:
        return None, None
    if name.endswith("_at") and isinstance(value, str):
        try:  # ISO-8601 UTC -> a naive Excel date-time (Excel has no time zones)
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.replace(tzinfo=None), _XLSX_DATETIME
        except ValueError:
            return _xlsx_cell(value), None
    if name in ("local_date", "period_start") and isinstance(value, str):
        try:
            return date.fromisoformat(value), _XLSX_DATE
        except ValueError:  # a month ("2024-05") stays text
            return _xlsx_cell(value), None
    if kind in ("int", "float") and isinstance(value, int | float):
        if _is_percent(name):
            return value, _XLSX_PERCENT
        if _is_duration(name):
            return (value / 86400, _XLSX_DURATION) if durations else (value, _XLSX_SECONDS)
        if kind == "float":
            return value, _XLSX_FLOAT
        return value, None
    return _xlsx_cell(value), None


def _write_xlsx(
    rows: Iterable[tuple],
    columns: Sequence[Column],
    out: IO[bytes],
    sheet: str,
    header_language: str | None = None,
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(header_labels(columns, header_language))
    durations = header_language is not None
    for row in rows:
        cells = []
        for (name, kind), value in zip(columns, row, strict=True):
            if header_language is not None:
                value = people_value(name, value, header_language)
            typed, number_format = _xlsx_typed(name, kind, value, durations)
            if isinstance(typed, str) and typed.startswith(FORMULA_PREFIXES):
                # openpyxl would store "=..." as a formula: an explicit string
                # cell (inlineStr) is shown as written and never run.
                cell = WriteOnlyCell(worksheet, value=typed)
                cell.data_type = "s"
                cells.append(cell)
            elif number_format is None:
                cells.append(typed)
            else:
                cell = WriteOnlyCell(worksheet, value=typed)
                cell.number_format = number_format
                cells.append(cell)
        worksheet.append(cells)
    workbook.save(out)


def _write_parquet(rows: Iterable[tuple], columns: Sequence[Column], out: IO[bytes]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"int": pa.int64(), "float": pa.float64(), "str": pa.string()}
    schema = pa.schema([(name, types[kind]) for name, kind in columns])
    with pq.ParquetWriter(out, schema) as writer:
        batch: list[tuple] = []

        def flush() -> None:
            arrays = [
                pa.array([r[i] for r in batch], type=schema.field(i).type)
                for i in range(len(columns))
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            batch.clear()

        wrote = False
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK_ROWS:
                flush()
                wrote = True
        if batch or not wrote:
            flush()  # an empty export still gets a file with the schema


def _write_json(rows: Iterable[tuple], columns: Sequence[Column], out: IO[bytes]) -> None:
    names = [name for name, _ in columns]
    out.write(b"[")
    first = True
    for row in rows:
        out.write(b"\n" if first else b",\n")
        out.write(
            json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False).encode("utf-8")
        )
        first = False
    out.write(b"\n]\n")


def _check_format(fmt: str) -> None:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")


def _check_headers(fmt: str, header_language: str | None) -> str | None:
    if header_language is None:
        return None
    if fmt not in ("csv", "xlsx"):
        raise ValueError("translated headers are for csv and xlsx; parquet and json keep names")
    return i18n.parse_language(header_language)


def _write(
    fmt: str,
    rows: Iterable[tuple],
    columns: Sequence[Column],
    out: str | os.PathLike[str] | IO[bytes],
    sheet: str,
    header_language: str | None = None,
) -> None:
    _check_format(fmt)
    writers: dict[str, Callable[[IO[bytes]], None]] = {
        "csv": lambda f: _write_csv(rows, columns, f, header_language),
        "xlsx": lambda f: _write_xlsx(rows, columns, f, sheet, header_language),
        "parquet": lambda f: _write_parquet(rows, columns, f),
        "json": lambda f: _write_json(rows, columns, f),
    }
    if isinstance(out, str | os.PathLike):
        path = Path(out)
        if not path.parent.is_dir():
            # A mistyped --out must not create folders (nor an export nobody finds).
            raise ValueError(
                f"{path}: the directory {path.parent} does not exist; check the path, "
                f"or create it first (mkdir -p {path.parent})"
            )
        # Write to a temporary name and rename, so a failed export never
        # leaves a half-written file where a good one is expected.
        partial = path.with_name(path.name + ".partial")
        try:
            # Exports hold customers' handles and texts: owner-only, like the
            # database itself.
            partial.unlink(missing_ok=True)
            fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "wb") as handle:
                writers[fmt](handle)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    else:
        writers[fmt](out)


# --- public API -------------------------------------------------------------------------


def export_conversations(
    db: Database,
    fmt: str,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    header_language: str | None = None,
) -> None:
    """Write one row per conversation with a customer message (columns:
    :data:`CONVERSATION_COLUMNS`; ``sentiment`` is ``last_compound``,
    ``urgency`` is ``max_urgency``) as ``fmt`` (csv, xlsx, parquet, json) to
    ``out`` (a path, written atomically, or a binary file). ``since``/``until``
    as in :func:`metrics.reports.response_time_report`. ``header_language``
    ("en", "pt-BR", "pt-PT"; csv and xlsx only) writes headers for people in
    that language instead of the machine names. Raises ``ValueError`` for an
    unknown format, language or bad bound."""
    _check_format(fmt)
    header_language = _check_headers(fmt, header_language)
    _write(
        fmt,
        _conversation_rows(db, since, until, brand),
        CONVERSATION_COLUMNS,
        out,
        "conversations",
        header_language,
    )


def export_conversations_to_bytes(db: Database, fmt: str, **filters: Any) -> bytes:
    """:func:`export_conversations` into memory (for a download button)."""
    buffer = io.BytesIO()
    export_conversations(db, fmt, buffer, **filters)
    return buffer.getvalue()


def export_benchmarks(
    db: Database,
    fmt: str,
    out: str | os.PathLike[str] | IO[bytes],
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    brand: str | None = None,
    period: str = "week",
    thresholds: Sequence[int] = stats.DEFAULT_THRESHOLDS,
    header_language: str | None = None,
) -> None:
    """Write the benchmark table: one row per brand and ``period`` (day, week
    starting Monday, or month; brand-local) with the figures of
    :func:`metrics.reports.response_time_report` (calendar and business). Same
    formats, destinations, ``header_language`` and errors as
    :func:`export_conversations`."""
    _check_format(fmt)
    header_language = _check_headers(fmt, header_language)
    columns = _benchmark_columns(thresholds)
    _write(
        fmt,
        _benchmark_rows(db, period, since, until, brand, columns, thresholds),
        columns,
        out,
        "benchmarks",
        header_language,
    )


def export_benchmarks_to_bytes(db: Database, fmt: str, **options: Any) -> bytes:
    """:func:`export_benchmarks` into memory (for a download button)."""
    buffer = io.BytesIO()
    export_benchmarks(db, fmt, buffer, **options)
    return buffer.getvalue()
