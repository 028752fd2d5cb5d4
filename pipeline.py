"""Ingestion: the one place where collected messages become stored, threaded,
scored and measured data, in a single transaction with the cursor that
covers them; and the other joins of the store with the metrics engine
(:func:`set_status`), which the store itself must not import."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from replywatch.collectors.base import Message, Rejected
from replywatch.collectors.imports import ImportBatch
from replywatch.metrics.engine import (
    new_conversation_rows,
    recompute_conversations,
    refresh_score_aggregates,
)
from replywatch.metrics.rollup import dirty_rollup_keys, refresh_rollup
from replywatch.scoring import score_messages, score_pending
from replywatch.sentiment.core import analyze_texts, text_score_dumps, text_score_loads
from replywatch.store import triage
from replywatch.store.alerts import queue_urgent_alerts
from replywatch.store.bulk import BulkLoad
from replywatch.store.db import Database, in_short_transactions, transaction
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.messages import (
    MESSAGE_COLUMNS,
    insert_messages,
    missing_fields,
    missing_values,
    prepare_row,
    thread_pending,
)
from replywatch.store.scores import clear_scores, conversations_of
from replywatch.store.state import set_cursor


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
    leaves either all of it or none of it. ``defer_threading=True`` stores
    without threading (what an import interrupted under versions before the
    bulk loader left behind); :func:`finish_threading`, the next ingest or
    the next import threads such messages. File imports use
    :func:`import_batches`."""
    result = IngestResult()
    with transaction(db):
        rows, unstorable = validated_rows(messages)
        for payload, error in [*unstorable, *((r.payload, r.error) for r in rejected)]:
            add_dead_letter(db, source, payload, error)
            result.rejected += 1
        inserted = insert_messages(db, rows, thread=not defer_threading)
        for row, error in inserted.refused:
            add_dead_letter(db, source, row, f"refused by the store: {error}")
            result.rejected += 1
        result.inserted = inserted.inserted
        result.duplicates = inserted.duplicates
        result.new_message_ids = inserted.new_message_ids
        result.conversations = inserted.touched_conversation_ids
        # Outcomes depend on scores: refresh_score_aggregates computes them.
        recompute_conversations(db, result.conversations, outcomes=defer_threading)
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


def validated_rows(
    messages: Iterable[Message | dict[str, Any] | tuple],
    *,
    kept: list[int] | None = None,
) -> tuple[list[dict[str, Any] | tuple], list[tuple[Any, str]]]:
    """Split ``messages`` into storable rows (dicts or tuples) and
    ``(payload, error)`` pairs for the ones missing required fields or not
    convertible; the payload is the original raw text when there is one (it
    is what a person can fix and re-import). ``kept``, if given, receives the
    position in ``messages`` of each storable row."""
    rows: list[dict[str, Any] | tuple] = []
    unstorable: list[tuple[Any, str]] = []
    for position, message in enumerate(messages):
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
            payload = _payload_of(message)
            unstorable.append(
                (repr(message) if payload is None else payload, f"unstorable message: {exc}")
            )
        else:
            rows.append(row)
            if kept is not None:
                kept.append(position)
    return rows, unstorable


def _payload_of(message: Any) -> Any:
    if type(message) is tuple and len(message) == len(MESSAGE_COLUMNS):
        return dict(zip(MESSAGE_COLUMNS, message, strict=True))["raw"]
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
    on_storing: Callable[[int], None] | None = None,
    score: bool = True,
    on_scored: Callable[[int], None] | None = None,
    on_stored: Callable[[int], None] | None = None,
) -> ImportTotals:
    """Import a whole file: every batch is staged (see ``store.bulk``), then
    stored, threaded and measured in short transactions of whole
    conversations, each message and conversation written once. An
    interrupted import keeps the conversations it stored and a re-run stores
    the rest (duplicates are skipped, so nothing is ever stored twice).
    ``on_storing`` is told how many rows were staged when storing starts, and
    ``on_stored`` how many messages each stored chunk held, once committed.

    Scoring (``score=False`` skips it; any later ``rescore`` or ingest catches
    up): the text part of each message's analysis (language, sentiment,
    phrases, intent) is staged with it, computed by the reader process for
    the batches :func:`with_text_scores` marked and here for the others, so
    both cores analyse while the file is read. Once everything is stored, the
    store context (earlier unanswered messages, spam, brand rules) is added
    chunk by chunk, in short transactions (:func:`score_unscored` then
    catches up anything else left unscored). The scores are exactly those
    scoring the store afterwards gives."""
    totals = ImportTotals()
    with BulkLoad(db) as load:
        for batch in batches:
            kept: list[int] = []
            rows, unstorable = validated_rows(batch.messages, kept=kept)
            # Row dicts (JSONL) become tuples through the store's own mapping.
            rows = [row if type(row) is tuple else prepare_row(row) for row in rows]
            text_scores = None
            if score:
                if batch.text_scores is not None:
                    text_scores = [batch.text_scores[i] for i in kept]
                else:
                    text_scores = text_scores_of(rows)
            load.add(
                rows,
                [*unstorable, *((r.payload, r.error) for r in batch.rejected)],
                batch.brand_accounts,
                text_scores,
            )
            totals.batches += 1
            if on_progress:
                on_progress(batch)
        if on_storing:
            on_storing(load.staged)
        result = load.commit(
            source,
            partial(new_conversation_rows, db),
            # The rollup rows are rebuilt once below, not once per chunk (a
            # key's conversations can be in every chunk).
            partial(recompute_conversations, db, rollup=False),
            on_chunk=on_stored,
        )
        # The rollup rows the load changed, a few hundred per short transaction.
        keys = dirty_rollup_keys(db)
        in_short_transactions(
            db,
            -(-keys // ROLLUP_KEYS_PER_STEP),
            lambda _: refresh_rollup(db, limit=ROLLUP_KEYS_PER_STEP),
        )
        if score:
            _score_loaded(db, load, result.chunks, on_scored)
    totals.inserted, totals.duplicates = result.inserted, result.duplicates
    totals.rejected = result.rejected
    if score:
        score_unscored(db, on_batch=on_scored)
    return totals


_TEXT, _LANG = MESSAGE_COLUMNS.index("text"), MESSAGE_COLUMNS.index("lang")
#: Rollup rows rebuilt per step after a load (~0.2 s at 1M stored rows).
ROLLUP_KEYS_PER_STEP = 500
#: Messages analysed at a time when a stored chunk is scored (memory bound).
SCORE_BATCH = 5_000


def _score_loaded(
    db: Database, load: BulkLoad, chunks: int, on_scored: Callable[[int], None] | None
) -> None:
    """Score what a bulk load stored from the text parts staged with it,
    chunk by chunk (whole conversations, so each conversation's score
    aggregates and outcomes are refreshed once), in short transactions. A
    crash in between leaves the rest unscored, which :func:`score_unscored`
    (this import's last step, the next import, ``rescore``) catches up."""

    def score(chunk: int) -> int:
        items = load.stored_messages(chunk)
        conversations: set[int] = set()
        # Sub-batches keep memory flat; the aggregates are refreshed once.
        for start in range(0, len(items), SCORE_BATCH):
            batch = items[start : start + SCORE_BATCH]
            ids = [message_id for message_id, _ in batch]
            known = {message_id: text_score_loads(text) for message_id, text in batch if text}
            score_messages(db, ids, text_scores=known)
            conversations |= conversations_of(db, ids)
        refresh_score_aggregates(db, conversations)
        return len(items)

    in_short_transactions(db, chunks, score, after=on_scored)


def text_scores_of(messages: Sequence[Message | dict[str, Any] | tuple]) -> list[str]:
    """The text part of the sentiment analysis of each message of an import
    batch (Message objects, row dicts or row tuples), serialised for staging."""
    texts, languages = [], []
    for message in messages:
        if type(message) is tuple:
            texts.append(message[_TEXT] if len(message) > _TEXT else None)
            languages.append(message[_LANG] if len(message) > _LANG else None)
        elif isinstance(message, dict):
            texts.append(message.get("text"))
            languages.append(message.get("lang"))
        else:
            texts.append(getattr(message, "text", None))
            languages.append(getattr(message, "lang", None))
    return [text_score_dumps(t) for t in analyze_texts(texts, languages=languages)]


def with_text_scores(batches: Iterable[ImportBatch], *, every: int = 2) -> Iterator[ImportBatch]:
    """Yield ``batches``, attaching their messages' text scores to one batch
    in ``every``. Run in the reader process: the analysis costs several times
    the parsing, so the reader does part of it and the importer, whose
    staging is cheap, does the batches left without (see
    :func:`import_batches`): both cores analyse while the file is read."""
    for number, batch in enumerate(batches):
        if number % every == 0:
            batch.text_scores = text_scores_of(batch.messages)
        yield batch


def finish_threading(db: Database) -> int:
    """Thread every message stored without a conversation (left by an
    import interrupted under an earlier version, or a private message whose
    thread was unknown) and recompute the conversations that changed, in one
    transaction. Returns how many conversations were recomputed."""
    with transaction(db):
        return recompute_conversations(db, thread_pending(db))


def score_unscored(
    db: Database,
    *,
    rescore_old_versions: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Score every stored message that has no score yet (or, optionally, an
    old scorer version's), batch by batch, keeping conversation aggregates
    (highest urgency, latest sentiment) in step. Returns how many were scored."""
    return score_pending(
        db,
        rescore_old_versions=rescore_old_versions,
        on_batch=on_batch,
        after_batch=lambda ids: refresh_score_aggregates(db, conversations_of(db, ids)),
    )


def rescore(db: Database, *, everything: bool = False) -> int:
    """``replywatch rescore``: score the messages with no score or an older
    scorer version's; with ``everything``, first drop every score so all are
    scored again (after changing a brand's urgency rules; erased messages keep
    the scores erasure left them). Returns how many were scored."""
    if everything:
        clear_scores(db)
    return score_unscored(db, rescore_old_versions=True)


def set_status(
    db: Database,
    conversation_ids: Iterable[int],
    status: str,
    *,
    actor: str,
    now: int | None = None,
) -> int:
    """A person's status change (triage queue, demo agents): the store's
    :func:`replywatch.store.triage.set_status` with the metrics engine's
    recompute, in one transaction. Returns how many conversations now have
    ``status``; refuses unknown statuses, unknown ids and a blank actor."""
    return triage.set_status(
        db, conversation_ids, status, actor=actor, now=now, recompute=recompute_conversations
    )
