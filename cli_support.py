"""Plain functions behind the ``replywatch`` command's output (the click wiring
lives in cli.py): scoring a CSV file, the terminal summary of one analysis,
import progress bars, the response-time table and CSV, owner-only files.

They sit beside the CLI, above ``sentiment/`` (which stays pure text analysis).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from rich.text import Text

from replywatch import i18n
from replywatch.i18n import default_language
from replywatch.importing import import_file
from replywatch.metrics.reports import group_columns
from replywatch.pipeline import ImportTotals
from replywatch.sentiment.analysis import Analysis
from replywatch.sentiment.core import analyze
from replywatch.sentiment.intent import reason_text as intent_reason_text
from replywatch.sentiment.reasons import display_language
from replywatch.sentiment.reasons import texts as reason_texts
from replywatch.sentiment.urgency import UrgencyRules
from replywatch.store.db import Database
from replywatch.untrusted import neutralise_formula


def _(message: str) -> str:
    """``message`` in the terminal's language ($REPLYWATCH_LANGUAGE, else English)."""
    return i18n.gettext_for(default_language(), message)


def _number(value: float | int | None, digits: int = 0, signed: bool = False) -> str:
    return (
        "-"
        if value is None
        else i18n.number(value, default_language(), digits=digits, signed=signed)
    )


def _duration(seconds: float | int | None) -> str:
    return i18n.duration(seconds, default_language(), missing="-")


def _group_cell(key: str, value: object) -> Text:
    # Channel and other stored English words translated; names and ids as written.
    if value is None:
        return terminal_text(None)
    return terminal_text(_(str(value)) if key in _TRANSLATED_GROUPS else value)


_TRANSLATED_GROUPS = {"channel"}

OUTPUT_COLUMNS = (
    "sentiment_language",
    "sentiment_compound",
    "sentiment_label",
    "urgency",
    "urgent",
    "urgency_reasons",
    "urgency_reason_codes",
    "urgency_reasons_local",
    # The names issue 22 asks for (the store's model decides intent and urgent
    # where it is used: `analyze --db`); sentiment/compound repeat the label
    # and compound above under the short names.
    "intent",
    "intent_reasons_local",
    "sentiment",
    "compound",
    "sentiment_error",
)
#: Rows scored together when the store's model is applied (one batch per model call).
CSV_BATCH = 500
#: Applies the store's model to analyses of their texts (``LearnedModel.apply``).
Learned = Callable[[list[Analysis], list[str]], list[Analysis]]


def analyze_csv(
    input_path: str | Path,
    column: str,
    output_path: str | Path | None = None,
    language_column: str | None = None,
    *,
    rules: UrgencyRules | None = None,
    learned: Learned | None = None,
) -> int:
    """Stream `input_path`, append sentiment/urgency columns, write CSV; return rows written.

    `learned` (the store's model, `analyze --db`) decides intent and urgent
    where it is used; rows are scored in batches of `CSV_BATCH` for it.

    `urgency_reasons` holds the English texts (as before), `urgency_reason_codes` the
    language-neutral codes (a JSON list, `sentiment/reasons.py`) and
    `urgency_reasons_local` the texts in the message's language (Portuguese for pt).

    Output goes to `output_path` or stdout. Every input column is kept (formula-leading
    cells neutralised, see `neutralise_formula`). A row lacking a value for `column`
    (short row) gets `sentiment_error` filled instead of stopping the run. Raises
    ValueError if `column` (or `language_column`) is not in the header at all, and
    OSError if the files cannot be opened.
    """
    with ExitStack() as stack:
        source = stack.enter_context(
            open(input_path, encoding="utf-8-sig", errors="replace", newline="")
        )
        reader = csv.DictReader(source)
        header = reader.fieldnames or []
        for wanted in (column, language_column):
            if wanted is not None and wanted not in header:
                raise ValueError(f"column {wanted!r} not found; columns are: {', '.join(header)}")
        clash = [c for c in OUTPUT_COLUMNS if c in header]
        if clash:
            raise ValueError(f"input already has output column(s): {', '.join(clash)}")

        target: TextIO
        if output_path is None:
            target = sys.stdout
        else:
            target = stack.enter_context(open(output_path, "w", encoding="utf-8", newline=""))
        writer = csv.writer(target)
        writer.writerow([neutralise_formula(h) for h in header] + list(OUTPUT_COLUMNS))
        count = 0
        batch: list[dict] = []
        for row in reader:
            batch.append(row)
            if len(batch) >= CSV_BATCH:
                count += _write_batch(
                    writer, batch, header, column, language_column, rules, learned
                )
                batch = []
        return count + _write_batch(writer, batch, header, column, language_column, rules, learned)


def _write_batch(writer, rows, header, column, language_column, rules, learned) -> int:
    texts = [row.get(column) for row in rows]
    analyses: list[Analysis | None] = [
        None
        if text is None  # DictReader fills missing trailing fields with None
        else analyze(
            text, language=row.get(language_column) if language_column else None, rules=rules
        )
        for row, text in zip(rows, texts, strict=True)
    ]
    if learned is not None:
        known = [i for i, a in enumerate(analyses) if a is not None]
        decided = learned([analyses[i] for i in known], [texts[i] for i in known])
        for i, a in zip(known, decided, strict=True):
            analyses[i] = a
    for row, a in zip(rows, analyses, strict=True):
        writer.writerow(_output_row(row, header, column, a))
    return len(rows)


def _output_row(row: dict, header: list[str], column: str, a: Analysis | None) -> list[object]:
    cells: list[object] = [neutralise_formula(row.get(h) or "") for h in header]
    if a is None:
        blanks = [""] * (len(OUTPUT_COLUMNS) - 1)
        return cells + blanks + [f"missing value for column {column!r}"]
    # Portuguese reasons for a Portuguese message; otherwise $REPLYWATCH_LANGUAGE.
    reader = display_language(a.language, default_language())
    return cells + [
        a.language,
        f"{a.compound:.4f}",
        a.label,
        a.urgency,
        "yes" if a.urgent else "no",
        neutralise_formula("; ".join(a.reasons)),
        neutralise_formula(json.dumps(list(a.reason_codes), ensure_ascii=False)),
        neutralise_formula("; ".join(reason_texts(a.reason_codes, reader))),
        a.intent,
        neutralise_formula("; ".join(intent_reason_text(c, reader) for c in a.intent_reasons)),
        a.label,
        f"{a.compound:.4f}",
        "",
    ]


# --- file imports: progress on the terminal --------------------------------------


class _ImportBars:
    """The progress bars of a file import: the file read, the staged rows
    stored, the messages scored (callbacks of :func:`importing.import_file`)."""

    def __init__(self, progress: Progress, name: str, total_bytes: int):
        self.progress, self.total_bytes = progress, total_bytes
        self.task = progress.add_task(name, total=total_bytes, counts="")
        self.storing = progress.add_task("storing", total=None, counts="", visible=False)
        self.scoring = progress.add_task("scoring", total=None, counts="", visible=False)
        self.seen = {"messages": 0, "rejected": 0, "stored": 0, "scored": 0}

    def advance(self, batch) -> None:
        self.seen["messages"] += len(batch.messages)
        self.seen["rejected"] += len(batch.rejected)
        self.progress.update(
            self.task,
            completed=batch.bytes_read,
            counts=f"{self.seen['messages']:,} rows, {self.seen['rejected']:,} rejected",
        )

    def store(self, staged: int) -> None:
        self.progress.update(self.task, completed=self.total_bytes)
        self.progress.update(
            self.storing,
            visible=True,
            total=staged,
            counts=f"threading and measuring {staged:,} staged rows",
        )

    def stored(self, count: int) -> None:
        self.seen["stored"] += count
        self.progress.update(
            self.storing, advance=count, counts=f"{self.seen['stored']:,} messages stored"
        )

    def scored(self, count: int) -> None:
        self.seen["scored"] += count
        self.progress.update(
            self.scoring,
            visible=True,
            advance=count,
            counts=f"{self.seen['scored']:,} messages scored",
        )


def import_with_progress(
    db: Database,
    path: Path,
    reader: Callable[..., Iterable[Any]],
    *,
    source: str,
    score: bool,
    batch_size: int,
    console: Console,
) -> ImportTotals:
    """Import the file ``path`` with ``reader`` (parsed in a second process
    while this one writes: flat memory) through :func:`importing.import_file`,
    drawing progress bars on ``console`` when it is a terminal. Returns the
    totals; raises ValueError for a file the reader refuses."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[counts]}"),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        bars = _ImportBars(progress, path.name, path.stat().st_size)
        return import_file(
            db,
            path,
            reader,
            source=source,
            score=score,
            batch_size=batch_size,
            on_progress=bars.advance,
            on_storing=bars.store,
            on_stored=bars.stored,
            on_scored=bars.scored,
        )


# --- response-time report: table and CSV ------------------------------------------


def percent(share: float | None) -> str:
    """A share as the terminal's locale writes it ("12.5%", "12,5 %"); "-" when
    there is none."""
    return "-" if share is None else i18n.percent(share, default_language(), digits=1)


# C0/C1 control characters (ESC starts terminal escape sequences), not \t or \n.
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_text(value: object) -> Text:
    """A value from the data as a Rich cell: a ``Text`` is never parsed as
    markup (``ok[/]`` and ``[link=...]`` stay literal), and control characters
    are dropped so no escape sequence from the data reaches the terminal."""
    return Text(_TERMINAL_CONTROL.sub("", "-" if value is None else str(value)))


def response_time_table(rows: Sequence[dict[str, Any]], by: str, *, business_hours: bool) -> Table:
    """The rows of :func:`metrics.reports.response_time_report` as a terminal
    table: the group columns, then conversations, answered, rate, median, p90,
    mean and the within-15m/1h/24h shares (business-time figures when
    ``business_hours``), in $REPLYWATCH_LANGUAGE. Cells are plain text, never
    Rich markup."""
    prefix = "business_" if business_hours else ""
    title = (
        _("First response times (business hours)")
        if business_hours
        else _("First response times (calendar)")
    )
    table = Table(title=title)
    key_columns = group_columns(by)
    figures = [
        _("conv."),
        _("answered"),
        _("rate"),
        _("median"),
        _("p90"),
        _("mean"),
        "<=15m",
        "<=1h",
        "<=24h",
    ]
    for name in key_columns:
        table.add_column(_(name), justify="left")
    for name in figures:
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(
            *(_group_cell(k, row[k]) for k in key_columns),
            _number(row["conversations"]),
            _number(row["answered"]),
            percent(row["response_rate"]),
            _duration(row[f"{prefix}first_response_median_s"]),
            _duration(row[f"{prefix}first_response_p90_s"]),
            _duration(row[f"{prefix}first_response_mean_s"]),
            percent(row[f"{prefix}within_15m"]),
            percent(row[f"{prefix}within_1h"]),
            percent(row[f"{prefix}within_24h"]),
        )
    return table


def outcome_table(rows: Sequence[dict[str, Any]], by: str) -> Table:
    """The rows of :func:`metrics.outcome_reports.outcome_report` as a
    terminal table: the group columns, then conversations, left happier,
    left unhappier, silent after the reply, resolved, first-contact
    resolution, mean effort (customer messages / brand replies), repeat
    contact and the median first response, in $REPLYWATCH_LANGUAGE. Cells are
    plain text, never Rich markup."""
    table = Table(title=_("Outcomes"))
    key_columns = group_columns(by)
    figures = [
        _("conv."),
        _("left happier"),
        _("left unhappier"),
        _("silent after reply"),
        _("resolved"),
        _("solved at first reply"),
        _("effort"),
        _("came back"),
        _("median first response"),
    ]
    for name in key_columns:
        table.add_column(_(name), justify="left")
    for name in figures:
        table.add_column(name, justify="right")
    for row in rows:
        customer, brand_replies = (
            row["mean_effort_customer_messages"],
            row["mean_effort_brand_replies"],
        )
        table.add_row(
            *(_group_cell(k, row[k]) for k in key_columns),
            _number(row["conversations"]),
            percent(row["recovery_rate"]),
            percent(row["worsened_share"]),
            percent(row["silent_share"]),
            percent(row["resolution_rate"]),
            percent(row["first_contact_resolution_rate"]),
            "-" if customer is None else f"{_number(customer, 1)} / {_number(brand_replies, 1)}",
            percent(row["repeat_contact_rate"]),
            _duration(row.get("first_response_median_s")),
        )
    return table


def write_report_csv(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """Write report rows as CSV (header from the first row; nothing for no
    rows), text cells neutralised for spreadsheets."""
    if not rows:
        return
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise_formula(v) for k, v in row.items()})


def write_new_private_file(path: Path, text: str) -> None:
    """Write ``text`` (plus a newline) to a new file readable by its owner
    only (0600). Refuses an existing ``path`` with FileExistsError, so personal
    data never overwrites or joins another file."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
