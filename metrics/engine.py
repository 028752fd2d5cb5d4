"""Conversation engine: derives reply status and response times from messages.

Runs whenever messages arrive (and on demand), over the conversations they
touched, and stores its results on ``conversations`` so that every report is
an aggregate query over indexed columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlite_utils import Database

from store.timeutil import iso_utc, utc_now

CHUNK = 500
TERMINAL_STATUSES = ("spam", "ignored")


@dataclass
class _Derived:
    message_count: int = 0
    inbound_count: int = 0
    outbound_count: int = 0
    first_message_at: int | None = None
    first_customer_at: int | None = None
    first_customer_message_id: int | None = None
    first_response_at: int | None = None
    first_response_message_id: int | None = None
    last_customer_at: int | None = None
    last_brand_at: int | None = None
    awaiting_since: int | None = None
    unanswered_count: int = 0
    brand_reply_count: int = 0
    brand: str | None = None
    mention_brand: str | None = None
    customer_handle: str | None = None


def _derive(rows: list[tuple], brand_by_handle: dict[tuple[str, str], str]) -> _Derived:
    """Rows: (id, direction, created_ts, brand, author_handle, mentions, platform),
    in time order."""
    d = _Derived()
    for message_id, direction, ts, brand, author, mentions, platform in rows:
        d.message_count += 1
        if d.first_message_at is None:
            d.first_message_at = ts
        if direction == "inbound":
            d.inbound_count += 1
            if d.first_customer_at is None:
                d.first_customer_at, d.first_customer_message_id = ts, message_id
                d.customer_handle = author
            d.last_customer_at = ts
            if d.awaiting_since is None:
                d.awaiting_since = ts
            d.unanswered_count += 1
            if d.mention_brand is None:
                d.mention_brand = brand or next(
                    (brand_by_handle[(platform, h)] for h in mentions.split()
                     if (platform, h) in brand_by_handle),
                    None,
                )
        else:
            d.outbound_count += 1
            d.brand = d.brand or brand
            d.last_brand_at = ts
            # A brand message answers every customer message before it (same
            # second included: timestamps have one-second resolution).
            d.awaiting_since = None
            d.unanswered_count = 0
            if d.first_customer_at is not None:
                d.brand_reply_count += 1
                if d.first_response_at is None:
                    d.first_response_at, d.first_response_message_id = ts, message_id
    d.brand = d.brand or d.mention_brand
    return d


def _next_status(status: str, changed_at: int | None, d: _Derived) -> tuple[str, bool]:
    """Return (status, reopened) after new messages: brand replies mark a
    conversation replied; a customer writing after it was replied or closed
    reopens it. Spam and ignored stay as a person set them."""
    if status in TERMINAL_STATUSES or d.inbound_count == 0:
        return status, False
    if d.awaiting_since is None:  # the brand had the last word
        return ("replied" if status in ("new", "open") else status), False
    customer_wrote_since = changed_at is None or (
        d.last_customer_at is not None and d.last_customer_at > changed_at
    )
    if status in ("replied", "closed") and customer_wrote_since:
        return "open", status == "closed"
    if status == "new" and d.brand_reply_count > 0:
        return "open", False
    return status, False


def recompute_conversations(db: Database, conversation_ids: Iterable[int]) -> int:
    """Recompute the derived fields of the given conversations from their
    messages. Returns how many conversations were updated. Call it inside the
    same transaction as the message writes that made it necessary."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    brand_by_handle = {
        (platform, handle.lower()): brand
        for platform, handle, brand in db.execute(
            "SELECT platform, handle, brand FROM brand_accounts")
    }
    now = iso_utc(utc_now())
    updated = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        messages: dict[int, list[tuple]] = {}
        for row in db.execute(
            f"""SELECT conversation_id, id, direction, created_ts, brand, author_handle,
                       mentions, platform
                FROM messages WHERE conversation_id IN ({marks})
                ORDER BY conversation_id, created_ts, id""",
            chunk,
        ):
            messages.setdefault(row[0], []).append(row[1:])
        current = {
            row[0]: row[1:]
            for row in db.execute(
                f"SELECT id, status, status_changed_at, reopened_count, brand "
                f"FROM conversations WHERE id IN ({marks})",
                chunk,
            )
        }
        updates = []
        for conversation_id, rows in messages.items():
            if conversation_id not in current:
                continue
            status, changed_at, reopened_count, stored_brand = current[conversation_id]
            d = _derive(rows, brand_by_handle)
            new_status, reopened = _next_status(status, changed_at, d)
            if new_status != status:
                changed_at = d.last_customer_at if reopened or new_status == "open" else (
                    d.last_brand_at)
            first_response_seconds = (
                d.first_response_at - d.first_customer_at
                if d.first_response_at is not None else None
            )
            updates.append({
                "id": conversation_id,
                "brand": d.brand or stored_brand,
                "customer_handle": d.customer_handle,
                "status": new_status,
                "status_changed_at": changed_at,
                "reopened_count": reopened_count + (1 if reopened else 0),
                "needs_response": int(d.inbound_count > 0 and new_status not in TERMINAL_STATUSES),
                "message_count": d.message_count,
                "inbound_count": d.inbound_count,
                "outbound_count": d.outbound_count,
                "first_message_at": d.first_message_at,
                "first_customer_at": d.first_customer_at,
                "first_customer_message_id": d.first_customer_message_id,
                "first_response_at": d.first_response_at,
                "first_response_message_id": d.first_response_message_id,
                "first_response_seconds": first_response_seconds,
                "last_customer_at": d.last_customer_at,
                "last_brand_at": d.last_brand_at,
                "awaiting_since": d.awaiting_since,
                "unanswered_count": d.unanswered_count,
                "brand_reply_count": d.brand_reply_count,
                "updated_at": now,
            })
        if updates:
            columns = [c for c in updates[0] if c != "id"]
            db.conn.executemany(
                f"UPDATE conversations SET {', '.join(f'{c} = :{c}' for c in columns)} "
                "WHERE id = :id",
                updates,
            )
            updated += len(updates)
    return updated


def refresh_score_aggregates(db: Database, conversation_ids: Iterable[int]) -> None:
    """Copy message scores up to their conversations: ``max_urgency`` (highest
    urgency of any customer message) and ``last_compound`` (sentiment of the
    latest customer message), for sorting the queue and for exports."""
    ids = sorted(set(conversation_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        marks = ",".join("?" * len(chunk))
        db.conn.execute(
            f"""
            UPDATE conversations SET
                max_urgency = (
                    SELECT max(s.urgency) FROM messages m JOIN scores s ON s.message_id = m.id
                    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound'),
                last_compound = (
                    SELECT s.compound FROM messages m JOIN scores s ON s.message_id = m.id
                    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound'
                    ORDER BY m.created_ts DESC, m.id DESC LIMIT 1)
            WHERE id IN ({marks})
            """,
            chunk,
        )
