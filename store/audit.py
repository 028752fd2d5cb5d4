"""The audit log: who changed what, when (one writer for every action).

Triage actions (status, assignee, tags, notes) and privacy actions (erasure,
access export, retention) all write through :func:`write_audit`, so every
entry has the same shape: a UTC time, a non-empty actor, an action name, the
conversation it concerns (or NULL) and a JSON ``detail`` with sorted keys.
The caller holds the write transaction, so an action and its audit entry are
stored together or not at all.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import iso_utc, utc_now

#: Longest actor name kept (longer names are cut, not refused).
MAX_ACTOR_LENGTH = 100


def clean_actor(actor: str | None) -> str:
    """``actor`` without surrounding whitespace, cut to :data:`MAX_ACTOR_LENGTH`
    characters. Refuses an empty or blank actor with ValueError: every entry of
    the audit log names who did it."""
    actor = (actor or "").strip()
    if not actor:
        raise ValueError("an actor is required for the audit log")
    return actor[:MAX_ACTOR_LENGTH]


def write_audit(
    db: Database,
    actor: str,
    action: str,
    detail: dict[str, Any],
    *,
    conversation_id: int | None = None,
    at: str | None = None,
) -> None:
    """Append one audit entry (inside the caller's transaction). ``at`` is the
    ISO UTC time of the action (default: now), so the several entries of one
    action share it; ``detail`` is stored as JSON with sorted keys, non-ASCII
    text kept as written. Refuses a blank actor (:func:`clean_actor`)."""
    db.conn.execute(
        "INSERT INTO audit_log (at, actor, action, conversation_id, detail) VALUES (?, ?, ?, ?, ?)",
        (
            at or iso_utc(utc_now()),
            clean_actor(actor),
            action,
            conversation_id,
            json.dumps(detail, ensure_ascii=False, sort_keys=True),
        ),
    )
