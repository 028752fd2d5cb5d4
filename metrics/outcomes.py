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
from replywatch.store import outcome_queries
from replywatch.store.db import Database
from replywatch.store.engine_queries import brand_calendar_settings, write_conversation_values
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
    conversations = outcome_queries.chunk_outcome_states(db, chunk)
    messages = outcome_queries.chunk_scored_messages(db, chunk)
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
    write_conversation_values(db, updates)
    return len(updates)


def repeat_windows(db: Database) -> dict[str, int]:
    """Repeat-contact window in seconds per brand key that sets one
    (``settings.outcomes.repeat_contact_days``, a positive number). Raises
    ``ValueError`` naming the brand for an unusable value."""
    windows = {}
    for key, (_timezone, settings) in brand_calendar_settings(db).items():
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
    outcome_queries.link_repeat_contacts(
        db,
        repeat_windows(db),
        REPEAT_CONTACT_DAYS * 86400,
        _EXCLUDED_STATUSES,
        None if conversation_ids is None else list(conversation_ids),
    )
