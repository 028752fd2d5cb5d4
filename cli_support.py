"""Plain functions behind the ``replywatch`` command's output (the click wiring
lives in cli.py): scoring a CSV file, the terminal summary of one analysis.

They sit beside the CLI, above ``sentiment/`` (which stays pure text analysis).
"""

from __future__ import annotations

import csv
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from replywatch.i18n import default_language
from replywatch.sentiment.analysis import Analysis
from replywatch.sentiment.core import analyze
from replywatch.sentiment.reasons import display_language
from replywatch.sentiment.reasons import texts as reason_texts
from replywatch.sentiment.urgency import UrgencyRules
from replywatch.untrusted import neutralise_formula

OUTPUT_COLUMNS = (
    "sentiment_language",
    "sentiment_compound",
    "sentiment_label",
    "urgency",
    "urgent",
    "urgency_reasons",
    "urgency_reason_codes",
    "urgency_reasons_local",
    "sentiment_error",
)


def analyze_csv(
    input_path: str | Path,
    column: str,
    output_path: str | Path | None = None,
    language_column: str | None = None,
    *,
    rules: UrgencyRules | None = None,
) -> int:
    """Stream `input_path`, append sentiment/urgency columns, write CSV; return rows written.

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
        for row in reader:
            writer.writerow(_output_row(row, header, column, language_column, rules))
            count += 1
        return count


def _output_row(
    row: dict, header: list[str], column: str, language_column: str | None, rules
) -> list[object]:
    cells: list[object] = [neutralise_formula(row.get(h) or "") for h in header]
    text = row.get(column)
    if text is None:  # DictReader fills missing trailing fields with None
        blanks = [""] * (len(OUTPUT_COLUMNS) - 1)
        return cells + blanks + [f"missing value for column {column!r}"]
    language = row.get(language_column) if language_column else None
    a = analyze(text, language=language, rules=rules)
    return cells + [
        a.language,
        f"{a.compound:.4f}",
        a.label,
        a.urgency,
        "yes" if a.urgent else "no",
        neutralise_formula("; ".join(a.reasons)),
        neutralise_formula(json.dumps(list(a.reason_codes), ensure_ascii=False)),
        neutralise_formula("; ".join(reason_texts(a.reason_codes, _reader_language(a)))),
        "",
    ]


def _reader_language(a: Analysis, ui_language: str | None = None) -> str:
    # Portuguese reasons for a Portuguese message; otherwise $REPLYWATCH_LANGUAGE.
    return display_language(a.language, ui_language or default_language())


def format_analysis(a: Analysis, ui_language: str | None = None) -> str:
    """Return a short multi-line, plain-text summary of `a` for the terminal.

    The reasons read in the message's language when it is Portuguese, else in
    `ui_language` (default: $REPLYWATCH_LANGUAGE, else English)."""
    flag = "URGENT" if a.urgent else "not urgent"
    lines = [
        f"language:  {a.language} ({a.language_source})",
        f"sentiment: {a.label} ({a.compound:+.2f}, {a.scorer})",
        f"urgency:   {a.urgency}/100 - {flag}",
    ]
    if a.reasons:
        lines.append("reasons:")
        lines.extend(
            f"  - {r}" for r in reason_texts(a.reason_codes, _reader_language(a, ui_language))
        )
    if a.truncated:
        lines.append("note: long text, only its beginning was analysed")
    return "\n".join(lines)
