"""The pseudo-locale check's rules (importable helper; tests/test_pseudo_locale.py).

In the pseudo-locale (``REPLYWATCH_LANGUAGE=qps-ploc``, see ``replywatch.i18n``)
every catalogue string comes back marked "⟦…⟧" and dates, durations and weekday
names from the formatting helpers are marked too; numbers are formatted with a
decimal comma. Whatever a person sees that is not marked must then be data (a
customer's text, a handle, a brand's name, an id): an English word that is not
found in the database's data columns skipped ``_()``; "85.17" or "0.2732" skipped
the number helpers; "2026-12-07" skipped the date helpers.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from replywatch import i18n

HOW_TO_FIX = (
    "Each finding is text a person sees that did not come from the catalogue. "
    "Fix: wrap the literal in _() (views: replywatch.views.i18n._; elsewhere "
    "replywatch.i18n.gettext_for(language, ...)), format numbers/dates/durations "
    "with replywatch.i18n's helpers (number, percent, format_date, duration), "
    "draw charts with views/_common.plotly_chart (the locale's separators) and "
    "format grid figures as text (common.number/percent), "
    "then run scripts/i18n.sh and translate the new entries in "
    "locales/pt_BR and locales/pt_PT. Data (customer text, names, ids) is "
    "allowed only when it is in the database's data columns."
)

# Columns whose values are data, shown as written (customer text, names, ids).
DATA_COLUMNS = {
    "brands": ("key", "name", "timezone"),
    "brand_accounts": ("handle", "account_id", "brand"),
    "messages": (
        "external_id",
        "author_id",
        "author_handle",
        "author_name",
        "text",
        "mentions",
        "in_reply_to_id",
        "thread_ref",
        "url",
        "source",
        "brand",
    ),
    "conversations": ("customer_handle", "assignee", "tags", "brand"),
    "notes": ("author", "text"),
    "collector_health": ("source", "last_error"),
    "collector_state": ("source",),
    "dead_letters": ("source", "error", "payload"),
    "audit_log": ("actor",),
    "alert_targets": ("target", "last_error"),
}
# Names that are the same in every language: the product, the platforms and
# file formats. Kept short on purpose: anything else is a finding.
PROPER_NAMES = {
    "replywatch",
    "reddit",
    "facebook",
    "instagram",
    "whatsapp",
    "messenger",
    "meta",
    "csv",
    "xlsx",
    "json",
    "utc",
    "sla",
    "id",
    "url",
    "api",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
ENGLISH_DECIMAL = re.compile(r"(?<![\d.,])\d+\.(?:\d{1,2}|\d{4,})(?![\d.,])")
# Not text: Streamlit icons, Plotly template fields and markup (<br>, <extra>).
ICON = re.compile(r":material/\w+:|%\{[^}]*\}|<[^>]*>")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
MARKED = re.compile(
    re.escape(i18n.PSEUDO_OPEN)
    + r"[^"
    + i18n.PSEUDO_OPEN
    + i18n.PSEUDO_CLOSE
    + r"]*"
    + re.escape(i18n.PSEUDO_CLOSE)
)


def data_words(db_path: Path) -> set[str]:
    """Every word (lower case) in the data columns of the database at ``db_path``."""
    words: set[str] = set()
    with sqlite3.connect(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table, columns in DATA_COLUMNS.items():
            if table not in tables:
                continue
            present = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            for column in columns:
                if column not in present:
                    continue
                for (value,) in conn.execute(f"SELECT DISTINCT {column} FROM {table}"):
                    if isinstance(value, str):
                        words.update(w.lower() for w in WORD.findall(value))
    return words


CUT_OFF = re.compile(re.escape(i18n.PSEUDO_OPEN) + r"[^\n" + i18n.PSEUDO_CLOSE + r"]*$", re.M)


def unmarked(text: str) -> str:
    """``text`` with its marked parts (nested ones too) replaced by a space; a
    mark that the interface cut off ("⟦Éŕášé á çúš...") runs to the line's end."""
    previous = None
    while previous != text:
        previous, text = text, MARKED.sub(" ", text)
    return CUT_OFF.sub(" ", text)


@dataclass(frozen=True)
class Finding:
    """Visible text that is neither marked nor data, and why it was flagged."""

    where: str
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why} in {self.text!r}"


# Not text in a terminal: option names, metavars and choices, environment
# variables, file paths, `code`, and Click's "[default: ...]" values.
CLI_CODE = re.compile(
    r"[\w-]+(?:\|[\w-]+)+|(?<!\w)--?[\w-]+|\$\w+|\b[A-Z][A-Z_-]+\b|\[[\w|.,-]+\]|`[^`]*`|"
    r"[\w.-]*/[\w./*-]+|\b[\w-]+\.(?:md|db|toml|csv|json|xlsx|py)\b"
)


# Not text on a page either: environment variable names (META_APP_SECRET) and
# repository paths (docs/channels/x.md), shown as they must be typed.
PAGE_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|[\w.-]*/[\w./*<>-]+\.(?:md|toml)\b")


def check(
    where: str, strings: list[str], data: set[str], code: re.Pattern | None = None
) -> list[Finding]:
    """The findings among the visible ``strings`` of ``where`` (a page, a view,
    a command); ``code`` matches what is not text there (``CLI_CODE``)."""
    code = code or PAGE_CODE
    found: dict[tuple[str, str], Finding] = {}
    # A marked message can be wrapped over several lines (a terminal): the
    # marks are removed from the whole text, the rest is judged line by line.
    residues = []
    for text in strings:
        rest = ICON.sub(" ", unmarked(text))
        if code is not None:
            rest = code.sub(" ", rest)
        if "\n" in text:
            residues.extend((line, line) for line in rest.splitlines())
        else:
            residues.append((text, rest))
    for text, rest in residues:
        words = [w for w in WORD.findall(rest) if w.lower() not in data | PROPER_NAMES]
        reasons = []
        if words:
            reasons.append("unmarked words " + ", ".join(sorted(set(words))[:6]))
        if ENGLISH_DECIMAL.search(rest):
            reasons.append("a number with an English decimal point")
        if ISO_DATE.search(rest):
            reasons.append("a date that skipped format_date")
        for why in reasons:
            found.setdefault((text[:160], why), Finding(where, text[:160], why))
    return list(found.values())
