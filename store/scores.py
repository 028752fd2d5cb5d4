"""Reading what the scorer needs and writing its results (``scores`` table)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlite_utils import Database

from replywatch.store.db import transaction
from replywatch.store.timeutil import iso_utc, utc_now

#: Earlier messages from the same customer count as "unanswered" this long.
REPEAT_WINDOW_SECONDS = 7 * 86400


def unscored_message_ids(
    db: Database, *, limit: int, after_id: int = 0, version: str | None = None
) -> list[int]:
    """Ids above ``after_id`` of messages with no score, or (``version`` given)
    a score made by another scorer version, in id order. Callers page with
    ``after_id`` so each batch does not rescan what is already scored.

    Erased messages (``erased_at`` set, text ``[erased]``) are never returned:
    scoring the tombstone text would replace the score the message had with a
    neutral one and shift sentiment trends; an erased message keeps the score
    erasure left it (anonymous: its reasons are cleared), or none."""
    condition = "s.message_id IS NULL" + (" OR s.version != ?" if version else "")
    params: list[Any] = [after_id] + ([version] if version else []) + [limit]
    sql = (
        "SELECT m.id FROM messages m LEFT JOIN scores s ON s.message_id = m.id "
        f"WHERE m.id > ? AND m.erased_at IS NULL AND ({condition}) ORDER BY m.id LIMIT ?"
    )
    return [r[0] for r in db.execute(sql, params)]


def clear_scores(db: Database) -> int:
    """Delete the scores of every message that is not erased, so that a full
    re-score recomputes them; erased messages keep theirs (see
    :func:`unscored_message_ids`). Returns how many were deleted."""
    with transaction(db):
        return db.conn.execute(
            "DELETE FROM scores WHERE message_id NOT IN "
            "(SELECT id FROM messages WHERE erased_at IS NOT NULL)"
        ).rowcount


def scoring_inputs(db: Database, message_ids: Sequence[int]) -> list[dict[str, Any]]:
    """For each message: its text and the store context urgency rules use —
    channel, author reach, direction, brand, whether its conversation is spam or
    ignored, whether it is still unanswered, and how many earlier messages from
    the same customer are still unanswered."""
    if not message_ids:
        return []
    marks = ",".join("?" * len(message_ids))
    rows = db.execute(
        f"""
        SELECT m.id, m.text, m.lang, m.channel, m.direction, m.author_followers, m.brand,
               c.brand, c.status, m.created_ts, c.awaiting_since,
               -- Only inbound messages use the count: CASE evaluates the
               -- correlated walk over the author's messages for them alone (a
               -- brand's outbound message would walk every message the brand
               -- ever sent: 83 % of scoring time on a 200k-row import).
               CASE WHEN m.direction = 'inbound' THEN
               (SELECT count(*) FROM messages e
                  JOIN conversations ec ON ec.id = e.conversation_id
                 WHERE e.platform = m.platform AND e.author_handle = m.author_handle
                   AND e.direction = 'inbound' AND e.id != m.id
                   AND e.created_ts <= m.created_ts
                   AND e.created_ts >= m.created_ts - {REPEAT_WINDOW_SECONDS}
                   AND ec.awaiting_since IS NOT NULL AND e.created_ts >= ec.awaiting_since
               ) ELSE 0 END AS earlier_unanswered
        FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id IN ({marks})
        """,
        list(message_ids),
    ).fetchall()
    keys = (
        "id",
        "text",
        "lang",
        "channel",
        "direction",
        "author_followers",
        "message_brand",
        "brand",
        "status",
        "created_ts",
        "awaiting_since",
        "earlier_unanswered",
    )
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["brand"] = item["brand"] or item.pop("message_brand")
        item.pop("message_brand", None)
        item["author_handle_known"] = item["author_followers"] is not None
        if item["direction"] != "inbound":
            item["earlier_unanswered"] = 0
        out.append(item)
    return out


def brand_settings(db: Database) -> dict[str, dict[str, Any]]:
    """Map brand key -> settings dict."""
    return {
        key: json.loads(settings or "{}")
        for key, settings in db.execute("SELECT key, settings FROM brands")
    }


@lru_cache(maxsize=4096)
def _json_list(items: tuple[str, ...]) -> str:
    # Few distinct reason lists recur across many messages: encode each once.
    return json.dumps(list(items), ensure_ascii=False)


def save_scores(db: Database, scores: Iterable[dict[str, Any]]) -> int:
    """Insert or replace scores: dicts with message_id, language, compound,
    label, urgency, urgent, reasons (list of English texts), reason_codes (list,
    optional), scorer, version, and (1.3.0) intent, intent_reasons (list of
    codes) and closes (optional: a dict without them stores NULL / [] / 0).
    Returns the count."""
    now = iso_utc(utc_now())
    rows = [
        (
            s["message_id"],
            s["language"],
            s["compound"],
            s["label"],
            s["urgency"],
            int(s["urgent"]),
            _json_list(tuple(s["reasons"])),
            _json_list(tuple(s["reason_codes"])) if s.get("reason_codes") is not None else None,
            s["scorer"],
            s["version"],
            now,
            s.get("intent"),
            _json_list(tuple(s.get("intent_reasons") or ())),
            int(bool(s.get("closes"))),
        )
        for s in scores
    ]
    db.conn.executemany(
        """
        INSERT INTO scores (message_id, language, compound, label, urgency, urgent, reasons,
                            reason_codes, scorer, version, scored_at, intent,
                            intent_reasons, closes)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (message_id) DO UPDATE SET language = excluded.language,
            compound = excluded.compound, label = excluded.label, urgency = excluded.urgency,
            urgent = excluded.urgent, reasons = excluded.reasons,
            reason_codes = excluded.reason_codes, scorer = excluded.scorer,
            version = excluded.version, scored_at = excluded.scored_at,
            intent = excluded.intent, intent_reasons = excluded.intent_reasons,
            closes = excluded.closes
        """,
        rows,
    )
    return len(rows)


def conversations_of(db: Database, message_ids: Sequence[int]) -> set[int]:
    """The conversation ids of the given messages."""
    if not message_ids:
        return set()
    marks = ",".join("?" * len(message_ids))
    return {
        r[0]
        for r in db.execute(
            f"SELECT DISTINCT conversation_id FROM messages WHERE id IN ({marks}) "
            "AND conversation_id IS NOT NULL",
            list(message_ids),
        )
    }


def closing_messages(db: Database, conversation_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Conversations whose customer's latest word closes the case: map
    conversation id -> that message's id.

    The one definition of "a thank-you or 'solved' after a brand reply": the
    latest customer (inbound) message of the conversation has
    ``scores.closes = 1`` (``sentiment.intent``: intent thanks with a thanks,
    praise or solved phrase) and the brand had written in the conversation
    before it (any brand message at or before it: also when the conversation
    opens with the brand's reply, as a DM thread split by silence does, which
    ``first_response_at`` does not count). ``conversation_ids`` None means
    every conversation."""
    where = ""
    params: list[Any] = []
    if conversation_ids is not None:
        ids = sorted({int(i) for i in conversation_ids})
        if not ids:
            return {}
        where = f"AND c.id IN ({','.join('?' * len(ids))})"
        params = ids
    rows = db.execute(
        f"""
        SELECT c.id, (
            SELECT m.id FROM messages m WHERE m.conversation_id = c.id
               AND m.direction = 'inbound'
             ORDER BY m.created_ts DESC, m.id DESC LIMIT 1) AS latest
        FROM conversations c
        WHERE c.outbound_count > 0 AND c.inbound_count > 0 {where}
        """,
        params,
    ).fetchall()
    latest = {cid: mid for cid, mid in rows if mid is not None}
    if not latest:
        return {}
    out: dict[int, int] = {}
    items = list(latest.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        marks = ",".join("?" * len(chunk))
        closing = {
            r[0]
            for r in db.execute(
                f"""SELECT s.message_id FROM scores s
                    JOIN messages m ON m.id = s.message_id
                    WHERE s.message_id IN ({marks}) AND s.closes = 1
                      AND EXISTS (SELECT 1 FROM messages b
                           WHERE b.conversation_id = m.conversation_id
                             AND b.direction = 'outbound'
                             AND b.created_ts <= m.created_ts)""",
                [mid for _, mid in chunk],
            )
        }
        out.update({cid: mid for cid, mid in chunk if mid in closing})
    return out


#: A conversation whose customer's latest word is a thank-you or "solved"
#: after a brand reply, unless a person said it is not resolved: it is not
#: waiting (the triage "probably resolved" view; counted apart in metrics).
PROBABLY_RESOLVED = (
    "(closing_message_id IS NOT NULL AND closing_message_id IS NOT closing_dismissed_id)"
)


def refresh_current_turn(db: Database, conversation_ids: Sequence[int] | None) -> None:
    """Recompute the current-turn columns of conversations (all when
    ``conversation_ids`` is None): ``current_urgency`` and ``current_urgent``
    over the customer messages since the last brand reply (``awaiting_since``;
    0 when the brand had the last word) and ``closing_message_id``
    (:func:`closing_messages`). Call after scores or messages change."""
    turn = (
        "FROM messages m JOIN scores s ON s.message_id = m.id "
        "WHERE m.conversation_id = conversations.id AND m.direction = 'inbound' "
        "AND m.created_ts >= conversations.awaiting_since"
    )
    update = (
        "UPDATE conversations SET "
        f"current_urgency = CASE WHEN awaiting_since IS NULL THEN 0 "
        f"ELSE coalesce((SELECT max(s.urgency) {turn}), 0) END, "
        f"current_urgent = CASE WHEN awaiting_since IS NULL THEN 0 "
        f"ELSE EXISTS (SELECT 1 {turn} AND s.urgent = 1) END, "
        "closing_message_id = NULL"
    )
    if conversation_ids is None:
        db.conn.execute(update)
        closing = closing_messages(db)
    else:
        ids = sorted({int(i) for i in conversation_ids})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            db.conn.execute(f"{update} WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        closing = closing_messages(db, ids)
    db.conn.executemany(
        "UPDATE conversations SET closing_message_id = ? WHERE id = ?",
        [(message_id, cid) for cid, message_id in closing.items()],
    )
