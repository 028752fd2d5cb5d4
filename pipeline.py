"""Ingestion: the one place where collected messages become stored, threaded,
scored and measured data, in a single transaction with the cursor that
covers them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from collectors.base import Message, Rejected
from collectors.imports import ImportBatch
from metrics.engine import recompute_conversations, refresh_score_aggregates
from sentiment.store_scoring import score_messages, score_pending
from store.alerts import queue_urgent_alerts
from store.brands import ensure_brand_accounts
from store.db import transaction
from store.dead_letters import add_dead_letter
from store.messages import (
    MESSAGE_COLUMNS,
    insert_messages,
    missing_fields,
    missing_values,
    thread_pending,
)
from store.scores import conversations_of
from store.state import set_cursor


@dataclass
class IngestResult:
    """Counts of one ingested batch."""

    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    new_message_ids: list[int] = field(default_factory=list)
    urgent_message_ids: list[int] = field(default_factory=list)
    alerts_queued: int = 0
    conversations: set[int] = field(default_factory=set)


def ingest(
    db: Database,
    messages: Sequence[Message | dict[str, Any] | tuple],
    *,
    source: str,
    rejected: Iterable[Rejected] = (),
    cursor: dict[str, Any] | None = None,
    defer_threading: bool = False,
) -> IngestResult:
    """Store ``messages`` (:class:`Message` objects, row dicts, or row tuples
    from ``collectors.base.row_values``; duplicates are skipped), dead-letter ``rejected`` items and
    any message the store refuses, recompute the touched conversations and save
    ``cursor`` for ``source`` — all in one transaction, so a crash at any point
    leaves either all of it or none of it. Bulk imports pass
    ``defer_threading=True`` and finish with :func:`finish_threading`."""
    result = IngestResult()
    with transaction(db):
        rows: list[dict[str, Any] | tuple] = []
        for message in messages:
            try:
                if isinstance(message, Message):
                    row: dict[str, Any] | tuple = message.to_values()
                    missing = missing_values(row)
                elif type(message) is tuple:  # already a row (bulk imports)
                    row = message
                    missing = missing_values(row)
                else:
                    row = dict(message)
                    missing = missing_fields(row)
                if missing:
                    raise ValueError(f"missing required fields: {', '.join(missing)}")
            except (TypeError, ValueError, AttributeError, OverflowError) as exc:
                # Keep the original payload when there is one: it is what a
                # person can fix and re-import.
                payload = _payload_of(message)
                add_dead_letter(db, source, repr(message) if payload is None else payload,
                                f"unstorable message: {exc}")
                result.rejected += 1
            else:
                rows.append(row)
        for item in rejected:
            add_dead_letter(db, source, item.payload, item.error)
            result.rejected += 1
        inserted = insert_messages(db, rows, thread=not defer_threading)
        for row, error in inserted.refused:
            add_dead_letter(db, source, row, f"refused by the store: {error}")
            result.rejected += 1
        result.inserted = inserted.inserted
        result.duplicates = inserted.duplicates
        result.new_message_ids = inserted.new_message_ids
        result.conversations = inserted.touched_conversation_ids
        recompute_conversations(db, result.conversations)
        if not defer_threading:
            # Scored after threading: urgency needs the conversation context.
            result.urgent_message_ids = score_messages(db, result.new_message_ids)
            refresh_score_aggregates(db, result.conversations)
            # Queued in this transaction, sent by notify.dispatch_pending after
            # it commits: a crash never loses an alert, a slow target never
            # holds the write lock.
            result.alerts_queued = queue_urgent_alerts(db, result.new_message_ids)
        if cursor is not None:
            set_cursor(db, source, cursor)
    return result


def _payload_of(message: Any) -> Any:
    if type(message) is tuple and len(message) == len(MESSAGE_COLUMNS):
        return message[MESSAGE_COLUMNS.index("raw")]
    return getattr(message, "raw", None)


@dataclass
class ImportTotals:
    """Totals of a whole file import."""

    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0


def import_batches(
    db: Database,
    batches: Iterable[ImportBatch],
    *,
    source: str,
    on_progress: Callable[[ImportBatch], None] | None = None,
    score: bool = True,
    on_scored: Callable[[int], None] | None = None,
) -> ImportTotals:
    """Ingest every batch of a file import, each in its own transaction (so an
    interrupted import keeps what it committed and a re-run skips it), then
    thread and measure all of it at once: set-based threading of the whole
    file is much faster than per batch, and a brand account that appears late
    in the file is known by then for conversations that only mention it.
    Scoring follows as its own batched phase (``score=False`` skips it; any
    later ``rescore`` or ingest catches up)."""
    totals = ImportTotals()
    for batch in batches:
        with transaction(db):
            ensure_brand_accounts(db, batch.brand_accounts)
            result = ingest(db, batch.messages, source=source, rejected=batch.rejected,
                            defer_threading=True)
        totals.inserted += result.inserted
        totals.duplicates += result.duplicates
        totals.rejected += result.rejected
        totals.batches += 1
        if on_progress:
            on_progress(batch)
    finish_threading(db)
    if score:
        score_unscored(db, on_batch=on_scored)
    return totals


def finish_threading(db: Database) -> int:
    """Thread every message stored without a conversation (after a bulk import,
    or one that was interrupted) and recompute the conversations that changed,
    in one transaction. Returns how many conversations were recomputed."""
    with transaction(db):
        return recompute_conversations(db, thread_pending(db))


def score_unscored(db: Database, *, rescore_old_versions: bool = False,
                   on_batch: Callable[[int], None] | None = None) -> int:
    """Score every stored message that has no score yet (or, optionally, an
    old scorer version's), batch by batch, keeping conversation aggregates
    (highest urgency, latest sentiment) in step. Returns how many were scored."""
    return score_pending(
        db, rescore_old_versions=rescore_old_versions, on_batch=on_batch,
        after_batch=lambda ids: refresh_score_aggregates(db, conversations_of(db, ids)),
    )
