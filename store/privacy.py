"""Data-subject rights (LGPD / GDPR) and retention: erase a customer's
personal data, export it for them, and prune raw payloads after N days.

Erasure keeps each message row as an anonymous tombstone (text ``[erased]``,
no author, no payload) so conversation counts, reply status and response
times stay exactly as they were; its ``(platform, external_id)`` is kept so
that re-importing or re-collecting the same items cannot bring the data back.
Nothing personal is written to the audit log: only a hash of the subject and
counts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from replywatch.store.audit import clean_actor, write_audit
from replywatch.store.db import transaction
from replywatch.store.labels import delete_message_labels
from replywatch.store.timeutil import iso_utc, utc_now
from replywatch.store.webhooks import customer_traces, forget_customer

ERASED = "[erased]"


@dataclass
class ForgetResult:
    """What :func:`forget_author` erased (counts only)."""

    messages: int = 0
    mentions_scrubbed: int = 0
    payloads_cleared: int = 0
    conversations: int = 0
    notes: int = 0
    dead_letters: int = 0
    tags_scrubbed: int = 0
    audit_entries_scrubbed: int = 0
    webhook_traces: int = 0
    labels: int = 0
    checkpoint_complete: bool = False


@dataclass
class PruneResult:
    """What :func:`prune_raw` removed."""

    raw_cleared: int = 0
    dead_letters_deleted: int = 0
    checkpoint_complete: bool = False


def normalise_handle(handle: str) -> str:
    """``@Maria `` -> ``Maria``. Refuses (``ValueError``) an empty handle."""
    cleaned = (handle or "").strip().lstrip("@").strip()
    if not cleaned:
        raise ValueError("a handle is required")
    return cleaned


def subject_hash(handle: str, platform: str | None) -> str:
    """A stable pseudonym of a data subject for the audit log, so the log can
    show that a request was handled without storing who made it."""
    key = f"{(platform or '*').lower()}:{normalise_handle(handle).lower()}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _platform_clause(platform: str | None, column: str = "platform") -> tuple[str, tuple]:
    return (f" AND {column} = ?", (platform,)) if platform else ("", ())


def _subject_message_ids(db: Database, handle: str, platform: str | None) -> list[int]:
    clause, params = _platform_clause(platform)
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM messages WHERE (author_handle = ? COLLATE NOCASE OR author_id = ?)"
            + clause,
            (handle, handle, *params),
        )
    ]


def _customer_conversation_ids(db: Database, handle: str, platform: str | None) -> list[int]:
    clause, params = _platform_clause(platform)
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM conversations WHERE customer_handle = ? COLLATE NOCASE" + clause,
            (handle, *params),
        )
    ]


def _marks(values: list) -> str:
    return ",".join("?" * len(values))


def _checkpoint(db: Database) -> bool:
    """Copy the WAL into the main file and truncate it, so erased content
    does not linger in the WAL. Returns False if a reader kept it busy."""
    busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return busy == 0


class _SearchIndex:
    """Keeps the triage search's full-text index (``messages_fts``, external
    content, filled when a message is threaded) in step with erasure, and
    purges the erased words from it physically.

    The index's own update trigger would also run for messages not indexed
    yet (an import interrupted before threading), which corrupts an
    external-content index; so the trigger is set aside for the erasure and
    only indexed messages are taken out and put back (with their new text).
    FTS5 only marks deleted entries; ``optimize`` merges the index so the
    erased words are gone from the file, not just from search results."""

    TRIGGER = "messages_fts_update"

    def __init__(self, db: Database, message_ids: list[int]):
        self.db = db
        self.present = (
            db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'").fetchone()
            is not None
        )
        self.ids = (
            [
                r[0]
                for r in db.execute(
                    f"SELECT id FROM messages WHERE id IN ({_marks(message_ids)}) "
                    "AND conversation_id IS NOT NULL",
                    message_ids,
                )
            ]
            if self.present
            else []
        )
        row = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (self.TRIGGER,)
        ).fetchone()
        self.trigger_sql = row[0] if row else None

    def remove(self) -> None:
        if not self.present:
            return
        if self.trigger_sql:
            self.db.conn.execute(f"DROP TRIGGER {self.TRIGGER}")
        self.db.conn.execute(
            "INSERT INTO messages_fts (messages_fts, rowid, text, author_handle, author_name) "
            "SELECT 'delete', id, text, author_handle, author_name FROM messages "
            f"WHERE id IN ({_marks(self.ids)})",
            self.ids,
        )

    def restore(self) -> None:
        if not self.present:
            return
        self.db.conn.execute(
            "INSERT INTO messages_fts (rowid, text, author_handle, author_name) "
            "SELECT id, text, author_handle, author_name FROM messages "
            f"WHERE id IN ({_marks(self.ids)})",
            self.ids,
        )
        if self.trigger_sql:
            self.db.conn.execute(self.trigger_sql)
        self.db.conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')")


class _SecureDelete:
    """``PRAGMA secure_delete`` on for the block: SQLite overwrites deleted
    and replaced content with zeros instead of leaving it in free space."""

    def __init__(self, db: Database):
        self.db = db

    def __enter__(self) -> None:
        self.previous = self.db.execute("PRAGMA secure_delete").fetchone()[0]
        self.db.execute("PRAGMA secure_delete = ON")

    def __exit__(self, *exc: object) -> None:
        self.db.execute(f"PRAGMA secure_delete = {int(self.previous)}")


def forget_author(
    db: Database, handle: str, *, platform: str | None = None, actor: str, vacuum: bool = False
) -> ForgetResult:
    """Erase the personal data of the customer ``handle`` (matched
    case-insensitively against author handles, or exactly against author
    ids; on every platform unless ``platform`` is given):

    - their messages become tombstones: text ``[erased]``; author id, handle,
      name and followers, raw payload, URL and thread reference removed;
      mentions kept only where they name a brand account; ``erased_at`` set;
      the reasons of their sentiment scores and alerts removed (scores stay,
      anonymous), their pending alerts skipped, their labels deleted;
    - other messages lose ``@handle`` in their text and mentions, and the raw
      payloads of messages in their conversations are removed;
    - their conversations lose ``customer_handle``; notes on them are erased;
    - dead letters that name them are erased;
    - webhook traces go (:func:`replywatch.store.webhooks.forget_customer`):
      events on their messages, threads named by their number, account
      alerts naming them;
    - the search index forgets the erased words (see :class:`_SearchIndex`).

    Counts, statuses and response times are unchanged. Runs in one
    transaction with ``secure_delete`` on, then checkpoints the WAL (and runs
    ``VACUUM`` if ``vacuum``). Audit-logged with a hash of the subject only.
    Refuses (``ValueError``) an empty handle, a brand account's handle or a
    blank actor."""
    handle, actor = normalise_handle(handle), clean_actor(actor)
    clause, params = _platform_clause(platform)
    if db.execute(
        "SELECT 1 FROM brand_accounts WHERE handle = ? COLLATE NOCASE" + clause, (handle, *params)
    ).fetchone():
        raise ValueError(f"{handle} is a brand account; forget erases customers' data only")
    result = ForgetResult()
    mention = re.compile(rf"(?<![\w@])@{re.escape(handle)}(?!\w)", re.IGNORECASE)
    standalone = re.compile(rf"(?<!\w){re.escape(handle)}(?!\w)", re.IGNORECASE)
    now = iso_utc(utc_now())
    with _SecureDelete(db):
        with transaction(db):
            brand_handles = {
                (p, h.lower()) for p, h in db.execute("SELECT platform, handle FROM brand_accounts")
            }
            own = _subject_message_ids(db, handle, platform)
            conversations = _customer_conversation_ids(db, handle, platform)
            # Other people's messages that name them (brand replies "@maria ...").
            own_set = set(own)
            mentioning = db.execute(
                "SELECT id, text, mentions FROM messages "
                "WHERE (text LIKE ? ESCAPE '\\' OR (' ' || mentions || ' ') LIKE ?)" + clause,
                ("%@" + _like_escape(handle) + "%", f"% {handle.lower()} %", *params),
            ).fetchall()
            updates = []
            for id_, text, mentions in mentioning:
                if id_ in own_set:
                    continue
                new_text = mention.sub("@" + ERASED, text)
                new_mentions = " ".join(m for m in mentions.split() if m != handle.lower())
                if new_text != text or new_mentions != mentions:
                    updates.append((new_text, new_mentions, id_))
            search_index = _SearchIndex(db, own + [u[2] for u in updates])
            search_index.remove()
            if own:
                rows = db.execute(
                    f"SELECT id, platform, mentions FROM messages WHERE id IN ({_marks(own)})", own
                ).fetchall()
                db.conn.executemany(
                    """UPDATE messages SET text = ?, author_id = NULL, author_handle = NULL,
                           author_name = NULL, author_followers = NULL, raw = NULL,
                           url = NULL, thread_ref = NULL, mentions = ?, erased_at = ?
                       WHERE id = ?""",
                    [
                        (
                            ERASED,
                            " ".join(
                                m for m in mentions.split() if (platform_, m) in brand_handles
                            ),
                            now,
                            id_,
                        )
                        for id_, platform_, mentions in rows
                    ],
                )
                db.conn.execute(
                    f"UPDATE scores SET reasons = '[]', reason_codes = '[]', intent_reasons = "
                    f"'[]' WHERE message_id IN ({_marks(own)})",
                    own,
                )
                # No notification should go out about erased content.
                db.conn.execute(
                    f"""UPDATE alerts SET reasons = '[]',
                            detail = CASE WHEN status = 'pending' THEN 'erased on request'
                                          ELSE detail END,
                            status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END
                        WHERE message_id IN ({_marks(own)})""",
                    own,
                )
                result.messages, result.labels = len(own), delete_message_labels(db, own)
            db.conn.executemany(
                "UPDATE messages SET text = ?, mentions = ?, raw = NULL WHERE id = ?", updates
            )
            result.mentions_scrubbed = len(updates)
            search_index.restore()
            if conversations:
                marks = _marks(conversations)
                result.payloads_cleared = db.conn.execute(
                    f"UPDATE messages SET raw = NULL WHERE raw IS NOT NULL "
                    f"AND conversation_id IN ({marks})",
                    conversations,
                ).rowcount
                # Repeat-contact links (metrics.outcomes) say "the same person
                # wrote both": they go with the handle.
                db.conn.execute(
                    f"UPDATE conversations SET customer_handle = NULL WHERE id IN ({marks})",
                    conversations,
                )
                db.conn.execute(
                    f"UPDATE conversations SET repeat_contact_id = NULL "
                    f"WHERE id IN ({marks}) OR repeat_contact_id IN ({marks})",
                    [*conversations, *conversations],
                )
                result.notes = db.conn.execute(
                    f"UPDATE notes SET text = ? WHERE conversation_id IN ({marks}) AND text != ?",
                    (ERASED, *conversations, ERASED),
                ).rowcount
                result.conversations = len(conversations)
            letters = [
                id_
                for id_, payload, error in db.execute(
                    "SELECT id, payload, error FROM dead_letters WHERE payload LIKE ? ESCAPE '\\' "
                    "OR error LIKE ? ESCAPE '\\'",
                    ("%" + _like_escape(handle) + "%",) * 2,
                )
                if standalone.search(payload) or standalone.search(error)
            ]
            if letters:
                db.conn.execute(
                    f"UPDATE dead_letters SET payload = ?, error = ? "
                    f"WHERE id IN ({_marks(letters)})",
                    (ERASED, ERASED, *letters),
                )
            result.dead_letters = len(letters)
            result.webhook_traces = forget_customer(db, handle, own, standalone, ERASED)
            result.tags_scrubbed, result.audit_entries_scrubbed = _scrub_triage_text(
                db, handle, standalone
            )
            detail = {k: v for k, v in asdict(result).items() if k != "checkpoint_complete"}
            write_audit(
                db,
                actor,
                "privacy.forget",
                {"subject_sha256": subject_hash(handle, platform), "platform": platform, **detail},
            )
        result.checkpoint_complete = _checkpoint(db)
        if vacuum:
            db.execute("VACUUM")
            result.checkpoint_complete = _checkpoint(db)
    return result


def _scrub_strings(value: Any, pattern: re.Pattern) -> Any:
    """``value`` (decoded JSON) with ``pattern`` replaced by ``[erased]`` in
    every string inside it; numbers and keys are left alone."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub_strings(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_strings(v, pattern) for k, v in value.items()}
    return value


def _scrub_triage_text(db: Database, handle: str, standalone: re.Pattern) -> tuple[int, int]:
    """Erase the handle from what people typed in the dashboard and the audit
    log copied: conversation tags (any conversation: a tag can name a
    customer) and the string values of audit entries' ``detail`` (tags,
    assignee names; a note's audit entry holds only the note id). Returns
    (conversations whose tags changed, audit entries changed)."""
    like = "%" + _like_escape(handle) + "%"
    tag_updates = []
    for id_, tags in db.execute(
        "SELECT id, tags FROM conversations WHERE tags LIKE ? ESCAPE '\\'", (like,)
    ):
        decoded = _decode_json(tags)
        scrubbed = _scrub_strings(decoded, standalone)
        if scrubbed != decoded:
            tag_updates.append((json.dumps(scrubbed, ensure_ascii=False), id_))
    db.conn.executemany("UPDATE conversations SET tags = ? WHERE id = ?", tag_updates)
    audit_updates = []
    for id_, detail in db.execute(
        "SELECT id, detail FROM audit_log WHERE detail LIKE ? ESCAPE '\\'", (like,)
    ):
        decoded = _decode_json(detail)
        scrubbed = _scrub_strings(decoded, standalone)
        if scrubbed != decoded:
            audit_updates.append((json.dumps(scrubbed, ensure_ascii=False, sort_keys=True), id_))
    db.conn.executemany("UPDATE audit_log SET detail = ? WHERE id = ?", audit_updates)
    return len(tag_updates), len(audit_updates)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows(db: Database, sql: str, params: tuple | list) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _decode_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def export_subject(
    db: Database, handle: str, *, platform: str | None = None, actor: str
) -> dict[str, Any]:
    """Everything stored about the customer ``handle`` (as :func:`forget_author`
    matches it) as a JSON-able dict: their messages with raw payloads and scores,
    conversations with the brand's replies and agents' notes, dead letters and webhook
    traces naming them. Audit-logged with a hash of the subject only; no blank actor."""
    handle, actor = normalise_handle(handle), clean_actor(actor)
    own = _subject_message_ids(db, handle, platform)
    conversations = _customer_conversation_ids(db, handle, platform)
    standalone = re.compile(rf"(?<!\w){re.escape(handle)}(?!\w)", re.IGNORECASE)
    messages = _rows(
        db,
        f"""
        SELECT m.platform, m.external_id, m.kind, m.channel, m.direction, m.brand,
               m.author_id, m.author_handle, m.author_name, m.author_followers, m.text, m.lang,
               m.created_at, m.in_reply_to_id, m.thread_ref, m.url, m.source, m.fetched_at,
               m.raw, s.language AS score_language, s.compound AS sentiment_compound,
               s.label AS sentiment_label, s.urgency, s.reasons AS urgency_reasons
        FROM messages m LEFT JOIN scores s ON s.message_id = m.id
        WHERE m.id IN ({_marks(own)}) ORDER BY m.created_ts, m.id""",
        own,
    )
    for message in messages:
        message["raw"] = _decode_json(message["raw"])
        message["urgency_reasons"] = _decode_json(message["urgency_reasons"])
    marks = _marks(conversations)
    exported = {
        "subject": {"handle": handle, "platform": platform},
        "generated_at": iso_utc(utc_now()),
        "messages": messages,
        "conversations": [
            {**c, "tags": _decode_json(c["tags"])}
            for c in _rows(
                db,
                f"""
                SELECT id, platform, brand, channel, status, assignee, tags, message_count,
                       first_customer_at, first_response_at, first_response_seconds,
                       last_customer_at, last_brand_at
                FROM conversations WHERE id IN ({marks}) ORDER BY id""",
                conversations,
            )
        ],
        "replies_from_brands": _rows(
            db,
            f"""
            SELECT conversation_id, platform, external_id, brand, author_handle, text, created_at
            FROM messages WHERE direction = 'outbound' AND conversation_id IN ({marks})
            ORDER BY created_ts, id""",
            conversations,
        ),
        "notes": _rows(
            db,
            f"""
            SELECT conversation_id, at, author, text FROM notes
            WHERE conversation_id IN ({marks}) ORDER BY id""",
            conversations,
        ),
        "dead_letters": [
            row
            for row in _rows(
                db,
                "SELECT source, received_at, error, payload "
                "FROM dead_letters WHERE payload LIKE ? ESCAPE '\\'",
                ("%" + _like_escape(handle) + "%",),
            )
            if standalone.search(row["payload"])
        ],
        **customer_traces(db, handle, own, standalone),  # webhook events, alerts
    }
    with transaction(db):
        write_audit(
            db,
            actor,
            "privacy.export",
            {
                "subject_sha256": subject_hash(handle, platform),
                "platform": platform,
                "messages": len(messages),
                "conversations": len(conversations),
            },
        )
    return exported


def prune_raw(
    db: Database, older_than_days: float, *, actor: str, now_ts: int | None = None
) -> PruneResult:
    """Retention: clear the raw payload of messages created more than
    ``older_than_days`` days ago and delete dead letters received before then.
    The messages themselves (text, author, times) are kept. Runs with
    ``secure_delete`` on and checkpoints the WAL; audit-logged (counts only).
    Refuses (``ValueError``) a negative age or a blank actor."""
    actor = clean_actor(actor)
    if older_than_days < 0:
        raise ValueError("older_than_days must be zero or more")
    now_ts = int(utc_now().timestamp()) if now_ts is None else now_ts
    cutoff = now_ts - int(older_than_days * 86400)
    cutoff_iso = iso_utc(datetime.fromtimestamp(cutoff, UTC))
    result = PruneResult()
    with _SecureDelete(db):
        with transaction(db):
            result.raw_cleared = db.conn.execute(
                "UPDATE messages SET raw = NULL WHERE created_ts < ? AND raw IS NOT NULL", (cutoff,)
            ).rowcount
            result.dead_letters_deleted = db.conn.execute(
                "DELETE FROM dead_letters WHERE received_at < ?", (cutoff_iso,)
            ).rowcount
            write_audit(
                db,
                actor,
                "privacy.prune",
                {
                    "older_than_days": older_than_days,
                    "cutoff": cutoff_iso,
                    "raw_cleared": result.raw_cleared,
                    "dead_letters_deleted": result.dead_letters_deleted,
                },
            )
        result.checkpoint_complete = _checkpoint(db)
    return result
