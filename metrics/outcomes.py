"""Conversation outcomes: mood recovery, resolution, effort, first-contact
resolution and repeat contact, stored on ``conversations``.

Computed from stored messages and their scores whenever either changes:
:func:`metrics.engine.recompute_conversations` (new messages, a status
change, ``replywatch recompute``) and
:func:`metrics.engine.refresh_score_aggregates` (after scoring) call
:func:`refresh_outcomes`, so reports are aggregates over stored columns.
Definitions (a person can check each one by reading the thread):
``docs/metrics.md``, section "Outcomes".

Who is *the customer*: the author of the conversation's first customer
message (read from the messages, case-insensitive; the engine stores the
same as ``conversations.customer_handle``). Other people
who join a public thread are not the customer: their messages count for
response times (anyone waiting is owed a reply) but not for mood,
resolution or effort.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from replywatch.metrics.speakers import CHUNK, load_brand_accounts, speaker_is_brand
from replywatch.store.db import Database
from replywatch.store.scores import closing_messages

#: Recovery (mood after - mood before, compound scale -1..+1) at or above
#: this is "recovered", at or below its negative "worsened", else
#: "unchanged". Chosen before looking at any data: a quarter of the positive
#: half of the scale, i.e. about the distance from a neutral "my order has
#: not arrived" to a plain "ok thanks" (compound ~ +0.44) would count, a
#: single mild word (~0.1-0.2) would not.
RECOVERY_THRESHOLD = 0.25
#: Default repeat-contact window (days after the conversation's last
#: message); per brand: ``settings.outcomes.repeat_contact_days``.
REPEAT_CONTACT_DAYS = 7
#: From this many conversations at once, repeat contacts are recomputed for
#: the whole table in one statement instead of key by key.
WHOLE_TABLE_REPEAT_PASS = 20 * CHUNK
RECOVERY_LABELS = ("recovered", "unchanged", "worsened", "silent")
RESOLVED_BY = ("customer", "closed")
#: Statuses whose conversations are not outcomes of customer care.
_EXCLUDED_STATUSES = ("spam", "ignored")


@dataclass(frozen=True)
class Turn:
    """One message as the outcome rules see it, in conversation order."""

    ts: int
    is_brand: bool
    message_id: int
    is_customer: bool  # written by *the* customer (not a third party)
    compound: float | None  # sentiment score; None if not scored


@dataclass
class Outcome:
    """The stored outcome columns of one conversation."""

    mood_before: float | None = None
    mood_after: float | None = None
    mood_recovery: float | None = None
    recovery_label: str | None = None
    resolved_by: str | None = None
    resolved_at: int | None = None
    effort_customer_messages: int | None = None
    effort_brand_replies: int | None = None
    first_contact_resolved: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """Column name -> value."""
        return dict(self.__dict__)


def _mean(values: Iterable[float | None]) -> float | None:
    scored = [v for v in values if v is not None]
    return sum(scored) / len(scored) if scored else None


def recovery_label(recovery: float | None, threshold: float = RECOVERY_THRESHOLD) -> str | None:
    """``recovered`` / ``worsened`` / ``unchanged`` for a recovery value
    (None when either mood is unknown)."""
    if recovery is None:
        return None
    if recovery >= threshold:
        return "recovered"
    if recovery <= -threshold:
        return "worsened"
    return "unchanged"


def derive_outcome(
    turns: Sequence[Turn],
    *,
    status: str,
    status_changed_at: int | None,
    reopened_count: int,
    closing_message_id: int | None = None,
) -> Outcome:
    """The outcome of one conversation from its messages in conversation
    order (time, customer before brand at equal seconds, id) and its status.

    - mood before: mean compound of the customer's messages before the
      brand's first reply (the opening turn);
    - mood after: mean compound of the customer's last turn after the first
      reply (their messages after the last brand message that precedes
      their final message); ``silent`` when they wrote nothing after it;
    - resolved by ``customer`` when ``closing_message_id`` names the
      conversation's closing message (the customer's latest word, a thank-you
      or "solved" after a brand reply: ``store.scores.closing_messages``), by
      ``closed`` when an agent closed it (the earlier of the two when both;
      equal seconds: the customer);
    - effort: the customer's messages (the resolving thank-you excluded)
      and the brand's replies up to the resolution;
    - first-contact resolved: resolved after exactly one brand reply and
      never reopened."""
    out = Outcome()
    first_customer = next((i for i, t in enumerate(turns) if t.is_customer), None)
    if first_customer is None:
        return out
    first_reply = next(
        (i for i in range(first_customer + 1, len(turns)) if turns[i].is_brand), None
    )
    opening = turns[first_customer : first_reply if first_reply is not None else len(turns)]
    out.mood_before = _mean(t.compound for t in opening if t.is_customer)
    last_customer = max(i for i, t in enumerate(turns) if t.is_customer)
    if first_reply is not None:
        if last_customer < first_reply:
            out.recovery_label = "silent"
        else:
            turn_start = max(i for i in range(first_reply, last_customer) if turns[i].is_brand)
            out.mood_after = _mean(
                t.compound for t in turns[turn_start + 1 : last_customer + 1] if t.is_customer
            )
            if out.mood_before is not None and out.mood_after is not None:
                out.mood_recovery = out.mood_after - out.mood_before
            out.recovery_label = recovery_label(out.mood_recovery)
    # Resolution: the index of the message it happened at (inclusive).
    candidates: list[tuple[int, int, str, int]] = []  # (ts, rank, how, last index)
    closing = next((i for i, t in enumerate(turns) if t.message_id == closing_message_id), None)
    if closing is not None:
        candidates.append((turns[closing].ts, 0, "customer", closing - 1))
    if status == "closed":
        closed_at = status_changed_at if status_changed_at is not None else turns[-1].ts
        upto = max((i for i, t in enumerate(turns) if t.ts <= closed_at), default=-1)
        candidates.append((closed_at, 1, "closed", upto))
    if candidates:
        at, _, how, upto = min(candidates)
        out.resolved_by, out.resolved_at = how, at
        counted = turns[: upto + 1]
        out.effort_customer_messages = sum(1 for t in counted if t.is_customer)
        out.effort_brand_replies = sum(1 for t in counted[first_customer:] if t.is_brand)
        out.first_contact_resolved = int(out.effort_brand_replies == 1 and reopened_count == 0)
    else:
        out.first_contact_resolved = 0
    return out


def refresh_outcomes(db: Database, conversation_ids: Iterable[int]) -> int:
    """Recompute the outcome columns of the given conversations from their
    messages, scores and status, and the repeat-contact links of every
    conversation of the same customers with the same brands. Call inside
    the write transaction that changed them. Returns how many were updated."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return 0
    accounts = load_brand_accounts(db)
    updated = 0
    # Many conversations (a recompute of everything, a large import's
    # scoring batch): one pass over the whole table is cheaper than one per chunk.
    whole_table = len(ids) >= WHOLE_TABLE_REPEAT_PASS
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        updated += _refresh_chunk(db, chunk, accounts)
        if not whole_table:
            refresh_repeat_contacts(db, chunk)
    if whole_table:
        refresh_repeat_contacts(db, None)
    return updated


def _turns(rows: Iterable[tuple], accounts: Mapping[tuple[str, str], str]) -> list[Turn]:
    """Message rows ``(id, direction, created_ts, author, platform, compound)``
    as turns in conversation order. The customer is the author of the first
    customer message, compared case-insensitively (an erased author, None,
    is still the same person as their other erased messages)."""
    ordered = sorted(
        (
            (ts, speaker_is_brand(direction, platform, author, accounts), message_id, author, c)
            for message_id, direction, ts, author, platform, c in rows
        ),
        key=lambda t: t[:3],
    )
    customer = next(((a or "").lower() for _, brand, _, a, _ in ordered if not brand), None)
    return [
        Turn(ts, brand, message_id, not brand and (author or "").lower() == customer, compound)
        for ts, brand, message_id, author, compound in ordered
    ]


def _refresh_chunk(db: Database, chunk: list[int], accounts: Mapping[tuple[str, str], str]) -> int:
    marks = ",".join("?" * len(chunk))
    conversations = {
        row[0]: row[1:]
        for row in db.execute(
            f"SELECT id, status, status_changed_at, reopened_count, closing_dismissed_id "
            f"FROM conversations WHERE id IN ({marks})",
            chunk,
        )
    }
    messages: dict[int, list[tuple]] = {}
    for row in db.execute(
        f"""SELECT m.conversation_id, m.id, m.direction, m.created_ts, m.author_handle,
                   m.platform, s.compound
            FROM messages m LEFT JOIN scores s ON s.message_id = m.id
            WHERE m.conversation_id IN ({marks})""",
        chunk,
    ):
        messages.setdefault(row[0], []).append(row[1:])
    # The one definition of "thank-you / solved after a brand reply", shared
    # with the triage queue's "probably resolved" view.
    closings = closing_messages(db, chunk)
    updates = []
    for conversation_id, (status, changed_at, reopened, dismissed) in conversations.items():
        turns = _turns(messages.get(conversation_id, ()), accounts)
        closing = closings.get(conversation_id)
        if closing is not None and closing == dismissed:
            closing = None  # a person said this thank-you did not resolve it (triage)
        if status in _EXCLUDED_STATUSES:
            outcome = Outcome()
        else:
            outcome = derive_outcome(
                turns,
                status=status,
                status_changed_at=changed_at,
                reopened_count=reopened,
                closing_message_id=closing,
            )
        updates.append({**outcome.as_dict(), "id": conversation_id})
    if updates:
        columns = [c for c in updates[0] if c != "id"]
        db.conn.executemany(
            f"UPDATE conversations SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id",
            updates,
        )
    return len(updates)


def repeat_windows(db: Database) -> dict[str, int]:
    """Repeat-contact window in seconds per brand key that sets one
    (``settings.outcomes.repeat_contact_days``, a positive number). Raises
    ``ValueError`` naming the brand for an unusable value."""
    windows = {}
    for key, settings in db.execute("SELECT key, settings FROM brands"):
        try:
            days = (json.loads(settings or "{}").get("outcomes") or {}).get("repeat_contact_days")
        except (ValueError, AttributeError):
            continue  # the engine reports unusable settings with the brand's name
        if days is None:
            continue
        if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
            raise ValueError(
                f"brand {key!r}: outcomes.repeat_contact_days must be a positive number of "
                f"days, got {days!r}"
            )
        windows[key] = int(days * 86400)
    return windows


def refresh_repeat_contacts(db: Database, conversation_ids: Sequence[int] | None = None) -> None:
    """Set ``repeat_contact_id`` (the next conversation the same customer
    opened with the same brand on the same platform, if its first customer
    message came within the window after this conversation's last message)
    for every conversation that shares a (platform, customer, brand) with
    ``conversation_ids`` or pointed at one of them; all conversations when
    None. Set-based: one statement per call."""
    windows = repeat_windows(db)
    default = REPEAT_CONTACT_DAYS * 86400
    window_sql = "CASE c.brand " + " ".join("WHEN ? THEN ?" for _ in windows) + " ELSE ? END"
    window_params: list[Any] = [v for item in windows.items() for v in item] + [default]
    if not windows:
        window_sql, window_params = "?", [default]
    key = "c.platform, lower(c.customer_handle), c.brand"
    source = "conversations c"
    if conversation_ids is not None:
        marks = ",".join("?" * len(conversation_ids))
        db.conn.execute("DROP TABLE IF EXISTS temp.outcome_keys")
        # ``customer`` has no type on purpose: compared with the untyped
        # expression ``lower(customer_handle)``, a TEXT column would apply its
        # affinity and stop SQLite from seeking idx_conversations_customer on
        # it (every call then read all of a platform's conversations: 11.7 of
        # 23 s of scoring a 100k-row import).
        db.conn.execute(
            "CREATE TEMP TABLE outcome_keys (platform TEXT, customer, brand TEXT, "
            "PRIMARY KEY (platform, customer, brand)) WITHOUT ROWID"
        )
        db.conn.execute(
            f"""INSERT OR IGNORE INTO temp.outcome_keys
                SELECT {key} FROM conversations c
                WHERE (c.id IN ({marks}) OR c.repeat_contact_id IN ({marks}))
                  AND c.customer_handle IS NOT NULL AND c.brand IS NOT NULL""",
            [*conversation_ids, *conversation_ids],
        )
        source = (
            "temp.outcome_keys k CROSS JOIN conversations c ON c.platform = k.platform "
            "AND lower(c.customer_handle) = k.customer AND c.brand = k.brand"
        )
        # Clear first: conversations that left the key (spam, a new brand) drop out.
        db.conn.execute(
            f"UPDATE conversations SET repeat_contact_id = NULL WHERE id IN ({marks}) "
            f"OR repeat_contact_id IN ({marks})",
            [*conversation_ids, *conversation_ids],
        )
    excluded = ", ".join(f"'{s}'" for s in _EXCLUDED_STATUSES)
    ordered = f"""
        SELECT c.id,
               max(c.first_customer_at, coalesce(c.last_customer_at, 0),
                   coalesce(c.last_brand_at, 0)) + {window_sql} AS deadline,
               lead(c.id) OVER w AS next_id,
               lead(c.first_customer_at) OVER w AS next_at
        FROM {source}
        WHERE c.first_customer_at IS NOT NULL AND c.customer_handle IS NOT NULL
          AND c.brand IS NOT NULL AND c.status NOT IN ({excluded})
        WINDOW w AS (PARTITION BY {key} ORDER BY c.first_customer_at, c.id)"""
    db.conn.execute(
        f"""WITH ordered AS ({ordered})
            UPDATE conversations SET repeat_contact_id =
                CASE WHEN o.next_at <= o.deadline THEN o.next_id END
            FROM ordered o
            WHERE conversations.id = o.id
              AND conversations.repeat_contact_id IS NOT
                  (CASE WHEN o.next_at <= o.deadline THEN o.next_id END)""",
        window_params,
    )
    if conversation_ids is None:
        db.conn.execute(
            f"UPDATE conversations SET repeat_contact_id = NULL WHERE repeat_contact_id IS "
            f"NOT NULL AND (status IN ({excluded}) OR brand IS NULL)"
        )
