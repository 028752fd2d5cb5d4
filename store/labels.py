"""The team's labels: what a person said a customer message is (intent, urgent).

A label is stored for a customer message (an agent's click on the Triage page
or the conversation detail: ``source`` agent) or for a bare text (labelled
history a team brings from another tool: ``source`` import; the demo's
simulator ground truth: ``source`` demo). One label per message (the latest
click wins; the audit log keeps every click) and one per imported text (a
re-import replaces it). ``forget`` erases the labels of the erased messages
(``store.privacy``). The per-store model (``replywatch.training``) learns
from these rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from replywatch.store.audit import clean_actor, write_audit
from replywatch.store.db import transaction
from replywatch.store.timeutil import iso_utc, utc_now

#: The intents a label can name: the same four as ``sentiment.intent.INTENTS``
#: (the store cannot import sentiment; tests/test_labels.py checks they agree).
INTENTS = ("complaint", "question", "thanks", "other")
SOURCES = ("agent", "import", "demo")
#: Longest imported text kept (the scorer reads 5,000 characters at most).
MAX_TEXT = 5_000
_TRUE = {"1", "yes", "true", "y", "sim", "s"}
_FALSE = {"0", "no", "false", "n", "nao", "não"}


@dataclass
class LabelImport:
    """What :func:`import_labels` stored, or the bad rows that stopped it."""

    added: int = 0
    replaced: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class LabelImportError(ValueError):
    """Bad rows in a label file: nothing was imported. ``errors`` lists
    (line number, problem) for every bad row."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        shown = "; ".join(f"line {line}: {problem}" for line, problem in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad row(s), nothing imported: {shown}{more}")


def parse_urgent(value: object) -> int | None:
    """0/1 from a cell ("1", "yes", "0", "no"...; blank -> None). Raises ValueError."""
    text = str(value if value is not None else "").strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise ValueError(f"urgent must be 0 or 1, not {text[:20]!r}")


def _check_intent(intent: object) -> str:
    value = str(intent or "").strip().lower()
    if value not in INTENTS:
        raise ValueError(f"intent must be one of {', '.join(INTENTS)}, not {value[:20]!r}")
    return value


def set_label(
    db: Database,
    message_id: int,
    *,
    intent: str,
    urgent: bool | None,
    actor: str,
    source: str = "agent",
) -> None:
    """Store a person's label for a customer message (replacing its earlier
    label) with an audit entry, in one transaction. Refuses (ValueError) an
    unknown intent or source, a blank actor, an unknown, erased or brand
    message."""
    intent, actor = _check_intent(intent), clean_actor(actor)
    if source not in SOURCES:
        raise ValueError(f"unknown label source {source!r}")
    with transaction(db):
        row = db.execute(
            "SELECT m.direction, m.erased_at, m.conversation_id, "
            "coalesce(s.language, m.lang) FROM messages m "
            "LEFT JOIN scores s ON s.message_id = m.id WHERE m.id = ?",
            (int(message_id),),
        ).fetchone()
        if row is None:
            raise ValueError(f"no message with id {message_id}")
        direction, erased_at, conversation_id, language = row
        if direction != "inbound" or erased_at is not None:
            raise ValueError("only a customer's message that is not erased can be labelled")
        now = iso_utc(utc_now())
        flag = None if urgent is None else int(bool(urgent))
        db.conn.execute(
            """INSERT INTO labels (message_id, language, intent, urgent, source, actor,
                                   labelled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET
                   intent = excluded.intent, urgent = excluded.urgent,
                   language = excluded.language, source = excluded.source,
                   actor = excluded.actor, labelled_at = excluded.labelled_at""",
            (int(message_id), language, intent, flag, source, actor, now),
        )
        write_audit(
            db,
            actor,
            "label.set",
            {"message_id": int(message_id), "intent": intent, "urgent": flag},
            conversation_id=conversation_id,
            at=now,
        )


def read_label_csv(stream: io.TextIOBase | Iterable[str]) -> tuple[list[dict], list[tuple]]:
    """Rows of a label file (columns ``text``, ``intent``, optional
    ``urgent`` 0/1 and ``language``): (good rows, [(line, problem)]). Line
    numbers count the header as line 1 (what a spreadsheet shows)."""
    reader = csv.DictReader(stream)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("text", "intent") if c not in header]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)} (need text, intent)")]
    reader.fieldnames = header
    rows, errors = [], []
    for row in reader:
        line = reader.line_num
        try:
            rows.append(_label_row(row))
        except ValueError as exc:
            errors.append((line, str(exc)))
    return rows, errors


def _label_row(row: dict[str, Any]) -> dict[str, Any]:
    if None in row:
        raise ValueError("more cells than columns")
    text = (row.get("text") or "").strip()
    if not text:
        raise ValueError("empty text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT:,} characters")
    language = (row.get("language") or "").strip().lower()[:2] or None
    if language not in (None, "en", "pt"):
        raise ValueError(f"language must be en or pt (or blank), not {language!r}")
    return {
        "text": text,
        "intent": _check_intent(row.get("intent")),
        "urgent": parse_urgent(row.get("urgent")),
        "language": language,
    }


def import_labels(
    db: Database, rows: Sequence[dict[str, Any]], *, actor: str, source: str = "import"
) -> LabelImport:
    """Store imported labels (dicts with text, intent, urgent, language) in
    one transaction with one audit entry; the same text imported again
    replaces its label. Returns the counts."""
    actor = clean_actor(actor)
    now = iso_utc(utc_now())
    result = LabelImport()
    with transaction(db):
        for row in rows:
            existed = db.execute(
                "SELECT 1 FROM labels WHERE message_id IS NULL AND text = ?", (row["text"],)
            ).fetchone()
            db.conn.execute(
                """INSERT INTO labels (text, language, intent, urgent, source, actor,
                                       labelled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (text) WHERE message_id IS NULL DO UPDATE SET
                       intent = excluded.intent, urgent = excluded.urgent,
                       language = excluded.language, source = excluded.source,
                       actor = excluded.actor, labelled_at = excluded.labelled_at""",
                (row["text"], row["language"], row["intent"], row["urgent"], source, actor, now),
            )
            if existed:
                result.replaced += 1
            else:
                result.added += 1
        write_audit(
            db,
            actor,
            "labels.import",
            {"added": result.added, "replaced": result.replaced, "source": source},
            at=now,
        )
    return result


def export_labels(db: Database) -> Iterator[dict[str, Any]]:
    """Every label as a dict (text, intent, urgent, language, source, actor,
    labelled_at, message_id), message labels with their message's text."""
    rows = db.execute(
        """SELECT coalesce(l.text, m.text), l.intent, l.urgent, l.language, l.source,
                  l.actor, l.labelled_at, l.message_id
           FROM labels l LEFT JOIN messages m ON m.id = l.message_id
           WHERE m.erased_at IS NULL ORDER BY l.id"""
    )
    keys = ("text", "intent", "urgent", "language", "source", "actor", "labelled_at", "message_id")
    for row in rows:
        yield dict(zip(keys, row, strict=True))


def labelled_examples(db: Database) -> list[tuple[str, str | None, str, int | None]]:
    """(text, language, intent, urgent) of every label, for training."""
    return [
        (r["text"], r["language"], r["intent"], r["urgent"]) for r in export_labels(db) if r["text"]
    ]


def label_counts(db: Database) -> list[tuple[str, str, int]]:
    """(intent, language or "und", count) over all labels."""
    return [
        tuple(r)
        for r in db.execute(
            "SELECT intent, coalesce(language, 'und'), count(*) FROM labels "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        )
    ]


def label_total(db: Database) -> int:
    """How many labels the store holds."""
    return db.execute("SELECT count(*) FROM labels").fetchone()[0]


def labels_of(db: Database, message_ids: Sequence[int]) -> dict[int, tuple[str, int | None]]:
    """message id -> (intent, urgent) for those of ``message_ids`` that have a label."""
    ids = [int(i) for i in message_ids]
    if not ids:
        return {}
    out = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update(
            {
                r[0]: (r[1], r[2])
                for r in db.execute(
                    f"SELECT message_id, intent, urgent FROM labels "
                    f"WHERE message_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            }
        )
    return out


def delete_message_labels(db: Database, message_ids: Sequence[int]) -> int:
    """Delete the labels of ``message_ids`` (inside the caller's transaction:
    erasure). Returns how many were deleted."""
    deleted = 0
    ids = [int(i) for i in message_ids]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        deleted += db.conn.execute(
            f"DELETE FROM labels WHERE message_id IN ({','.join('?' * len(chunk))})", chunk
        ).rowcount
    return deleted
