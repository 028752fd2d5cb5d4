"""The triage queue and the actions people take on it.

The queue is the set of conversations waiting for the brand, most urgent and
longest-waiting first. Actions (assign, tag, note, status changes) are written
at once, each with an ``audit_log`` entry, in one transaction; a status change
also recomputes the conversation's derived fields in that transaction, through
a ``recompute`` callback (the metrics engine's ``recompute_conversations``,
wired in by :func:`replywatch.pipeline.set_status`), because the store must not
import ``metrics`` (the same arrangement as ``store/bulk.py``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from replywatch.store.audit import clean_actor, write_audit
from replywatch.store.db import transaction
from replywatch.store.schema import CONVERSATION_STATUSES
from replywatch.store.scores import PROBABLY_RESOLVED
from replywatch.store.timeutil import iso_utc, utc_now
from replywatch.store.webhooks import failed_deliveries, message_annotations

#: Statuses that mean "still waiting for us" (the default queue).
WAITING_STATUSES = ("new", "open")
#: Statuses a person may set. "open" is what "reopen" sets.
SETTABLE_STATUSES = ("open", "replied", "closed", "spam", "ignored")
#: Sentinel for the assignee filter: conversations nobody has taken.
UNASSIGNED = "\x00unassigned"
MAX_TAG_LENGTH = 50
MAX_ASSIGNEE_LENGTH = 100
MAX_NOTE_LENGTH = 5000
MAX_QUEUE_PAGE = 1000
OPTIONAL_COLUMNS = ("sla_at_risk_at",)

# Current urgency of a conversation: the highest urgency of the customer's
# turn that is waiting now (messages since the last brand reply), stored by
# store.scores.refresh_current_turn; computed here for a row it has not
# reached yet (NULL). coalesce() evaluates lazily in SQLite, so the subquery
# only runs where the stored value is missing. The history stays in
# max_urgency ("peak").
_TURN = """FROM messages m JOIN scores s ON s.message_id = m.id
    WHERE m.conversation_id = c.id AND m.direction = 'inbound'
      AND m.created_ts >= c.awaiting_since"""
_URGENCY = f"""CASE WHEN c.awaiting_since IS NULL THEN 0 ELSE coalesce(c.current_urgency, (
    SELECT max(s.urgency) {_TURN}), 0) END"""
# A conversation is urgent if a customer message of its current turn is.
_URGENT = f"""CASE WHEN c.awaiting_since IS NULL THEN 0
    WHEN c.current_urgency IS NOT NULL THEN c.current_urgent
    ELSE EXISTS (SELECT 1 {_TURN} AND s.urgent = 1) END"""
_PROBABLY_RESOLVED = PROBABLY_RESOLVED.replace("closing_", "c.closing_")
#: Meta's customer-service window: a business may answer a WhatsApp, Messenger
#: or Instagram direct conversation with free text only within 24 hours of the
#: customer's last message; after that only a paid, pre-approved template.
SERVICE_WINDOW_SECONDS = 24 * 3600
WINDOW_PLATFORMS = ("whatsapp", "facebook", "instagram")
#: "Window closing": less than this left (and not closed yet).
WINDOW_CLOSING_SECONDS = 4 * 3600
_HAS_WINDOW = (
    f"c.channel = 'private' AND c.platform IN ({', '.join(repr(p) for p in WINDOW_PLATFORMS)})"
    " AND c.last_customer_at IS NOT NULL"
)
#: Queue views: conversations waiting for the brand, or those whose customer
#: said thanks / "solved" after a brand reply (not waiting; close or reopen).
VIEWS = ("waiting", "probably_resolved")


@dataclass(frozen=True)
class QueueFilter:
    """What the triage queue shows. ``None`` means "any"."""

    brand: str | None = None
    platform: str | None = None
    channel: str | None = None
    statuses: tuple[str, ...] = WAITING_STATUSES
    assignee: str | None = None  # a name, or UNASSIGNED
    urgent_only: bool = False
    language: str | None = None
    search: str | None = None
    view: str = "waiting"
    #: Only conversations whose 24-hour window closes within
    #: WINDOW_CLOSING_SECONDS of ``now`` (unix seconds; None: the clock).
    window_closing: bool = False
    now: int | None = None


def window_ends_at(row: dict[str, Any]) -> int | None:
    """When the 24-hour customer-service window of a conversation row
    (``platform``, ``channel``, ``last_customer_at``) closes, or None for a
    conversation without one (public comments, X, Reddit)."""
    if (
        row.get("channel") != "private"
        or row.get("platform") not in WINDOW_PLATFORMS
        or row.get("last_customer_at") is None
    ):
        return None
    return int(row["last_customer_at"]) + SERVICE_WINDOW_SECONDS


def fts_literal(text: str) -> str:
    """Turn free text into an FTS5 query that matches its words literally
    (every token quoted, quotes doubled), so no character is syntax."""
    tokens = [t for t in text.split() if t]
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def _where(flt: QueueFilter, search_query: str | None) -> tuple[str, list[Any]]:
    clauses: list[str] = ["c.inbound_count > 0"]
    params: list[Any] = []
    statuses = [s for s in flt.statuses if s in CONVERSATION_STATUSES]
    if not statuses:
        raise ValueError("at least one valid status is needed")
    clauses.append(f"c.status IN ({', '.join('?' * len(statuses))})")
    params += statuses
    if set(statuses) <= set(WAITING_STATUSES):
        clauses.append("c.needs_response = 1")
        if flt.view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}")
        # A thank-you or "solved" after a brand reply is not waiting: it has its own view.
        clauses.append(
            _PROBABLY_RESOLVED if flt.view == "probably_resolved" else f"NOT {_PROBABLY_RESOLVED}"
        )
    for column, value in (
        ("brand", flt.brand),
        ("platform", flt.platform),
        ("channel", flt.channel),
    ):
        if value:
            clauses.append(f"c.{column} = ?")
            params.append(value)
    if flt.assignee == UNASSIGNED:
        clauses.append("c.assignee IS NULL")
    elif flt.assignee:
        clauses.append("c.assignee = ?")
        params.append(flt.assignee)
    if flt.urgent_only:
        clauses.append(_URGENT)
    if flt.window_closing:
        now = int(time.time() if flt.now is None else flt.now)
        clauses.append(
            f"{_HAS_WINDOW} AND c.last_customer_at + {SERVICE_WINDOW_SECONDS} > ? "
            f"AND c.last_customer_at + {SERVICE_WINDOW_SECONDS} <= ?"
        )
        params += [now, now + WINDOW_CLOSING_SECONDS]
    if flt.language:
        clauses.append(
            """EXISTS (SELECT 1 FROM messages m LEFT JOIN scores s ON s.message_id = m.id
                WHERE m.conversation_id = c.id AND m.direction = 'inbound'
                  AND coalesce(s.language, m.lang) = ?)"""
        )
        params.append(flt.language)
    if search_query:
        clauses.append(
            """c.id IN (SELECT m.conversation_id FROM messages_fts
                JOIN messages m ON m.id = messages_fts.rowid
                WHERE messages_fts MATCH ?)"""
        )
        params.append(search_query)
    return " AND ".join(clauses), params


#: Wall-clock budget of one search query. The queue refreshes every 15 s and
#: runs up to three queries (count, page, urgent ids), so a search that cannot
#: answer within this is stopped and the user asked to narrow it.
SEARCH_BUDGET_SECONDS = 1.5
#: At most this many distinct terms are searched (each one costs an index scan).
MAX_SEARCH_TERMS = 12
_SEARCH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# How many SQLite VM steps pass between two looks at the clock.
_BUDGET_CHECK_STEPS = 10_000
_FTS_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


class SearchTooBroad(ValueError):
    """A triage search that would take longer than :data:`SEARCH_BUDGET_SECONDS`."""


def search_text(text: str | None) -> str | None:
    """The search box's text as it is searched: control characters (a NUL
    ends the string inside SQLite's FTS5 parser) become spaces, and a plain
    word list (no quotes, brackets or operators) keeps each word once and at
    most :data:`MAX_SEARCH_TERMS` words (``a* a* a* ...`` is ``a*``)."""
    words = _SEARCH_CONTROL.sub(" ", text or "").split()
    if words and not any(w in _FTS_OPERATORS or set(w) & set('"()^:') for w in words):
        words = list(dict.fromkeys(words))[:MAX_SEARCH_TERMS]
    return " ".join(words) or None


class _Budget:
    """Interrupts any statement on ``db`` that runs past ``seconds`` while
    active, and remembers whether it did (SQLite's message for an interrupt
    differs by where it struck: "interrupted", "vtable constructor failed").
    Two ways, since FTS5 expands a prefix term inside one VM step: the
    progress handler looks at the clock between steps, and a timer thread
    interrupts the connection at the deadline, even mid-step."""

    def __init__(self, db: Database, seconds: float):
        self.db, self.deadline, self.spent = db, time.monotonic() + seconds, False
        self._timer = threading.Timer(max(seconds, 0.0), self._interrupt)
        self._timer.daemon = True

    def _check(self) -> bool:
        self.spent = self.spent or time.monotonic() > self.deadline
        return self.spent

    def _interrupt(self) -> None:
        self.spent = True
        self.db.conn.interrupt()

    def __enter__(self) -> _Budget:
        self.db.conn.set_progress_handler(self._check, _BUDGET_CHECK_STEPS)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        self._timer.join()  # never interrupt a later statement on this connection
        self.db.conn.set_progress_handler(None, 0)


def _with_search_fallback(db: Database, flt: QueueFilter, run):
    """Run ``run(where, params)`` with the search as FTS5 syntax; if SQLite
    rejects the syntax, run it again with the words matched literally. A
    search that runs past its budget raises :class:`SearchTooBroad`."""
    search = search_text(flt.search)
    if not search:
        return run(*_where(flt, None))
    with _Budget(db, SEARCH_BUDGET_SECONDS) as budget:
        try:
            try:
                return run(*_where(flt, search))
            except sqlite3.OperationalError:
                # FTS5 reports bad syntax in several ways ("syntax error",
                # "unterminated string", "no such column" for "word:"...). Any
                # error with a search retries literally; an unrelated error
                # will simply happen again.
                if budget.spent:
                    raise
                return run(*_where(flt, fts_literal(search) or None))
        except sqlite3.OperationalError as exc:
            if budget.spent:
                raise SearchTooBroad(
                    f"The search took longer than {SEARCH_BUDGET_SECONDS:g} s and was "
                    "stopped: use longer words or fewer prefix terms (word*)."
                ) from exc
            raise


def queue_count(db: Database, flt: QueueFilter) -> int:
    """Return how many conversations match ``flt``."""

    def run(where: str, params: list[Any]) -> int:
        return db.execute(f"SELECT count(*) FROM conversations c WHERE {where}", params).fetchone()[
            0
        ]

    return _with_search_fallback(db, flt, run)


#: Priority = current urgency + time points: up to SLA_PROGRESS_POINTS as the
#: SLA runs out, SLA_BREACH_POINTS more once it is breached, then
#: OVERDUE_POINTS_PER_HOUR per hour overdue up to OVERDUE_CAP. At most
#: 10 + 10 + 10 = 30, below the urgent threshold (35): waiting time alone never
#: outranks a fresh urgent message (as tone alone never makes one urgent), an
#: urgency-100 message waiting 10 minutes (101) stays above an urgency-40 one
#: waiting a day (70), and among equal urgencies the breached SLA climbs.
SLA_PROGRESS_POINTS = 10
SLA_BREACH_POINTS = 10
OVERDUE_POINTS_PER_HOUR = 1
OVERDUE_CAP = 10


def _time_points_sql(now: int) -> str:
    now = int(now)  # inlined as a literal: an int cannot carry SQL
    return f"""(CASE WHEN c.awaiting_since IS NULL OR c.sla_due_at IS NULL THEN 0
        WHEN {now} >= c.sla_due_at THEN {SLA_PROGRESS_POINTS + SLA_BREACH_POINTS}
            + min({OVERDUE_CAP}, ({now} - c.sla_due_at) / 3600 * {OVERDUE_POINTS_PER_HOUR})
        ELSE CAST({SLA_PROGRESS_POINTS} * max(0, {now} - c.awaiting_since) AS INTEGER)
            / max(1, c.sla_due_at - c.awaiting_since) END)"""


def queue(
    db: Database,
    flt: QueueFilter,
    *,
    now: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return one page of the queue in priority order (highest first, then the
    longest-waiting). ``priority`` = the current urgency (the customer's turn
    waiting now) + time points against the SLA (see SLA_PROGRESS_POINTS...),
    worded by ``views.priority_text.priority_why``. Each row is the
    conversation plus its latest customer message (``text``, ``url``,
    ``language``, ``compound``, ``label``, ``intent``), ``urgency``/``urgent``
    of the current turn with the reasons of its most urgent message,
    ``peak_urgency`` (highest ever: the history), and ``waiting_seconds`` at
    ``now`` (unix seconds). Search text that is not valid FTS5 syntax is
    searched literally."""
    now = int(time.time()) if now is None else int(now)
    limit = max(1, min(int(limit), MAX_QUEUE_PAGE))
    # Columns later migrations may add (the metrics engine's SLA at-risk time).
    optional = [c for c in OPTIONAL_COLUMNS if c in _conversation_columns(db)]
    extra = "".join(f", c.{c}" for c in optional)
    time_points = _time_points_sql(now)

    def run(where: str, params: list[Any]) -> list[tuple]:
        return db.execute(
            f"""SELECT c.id, c.platform, c.brand, c.channel, c.customer_handle, c.status,
                       c.assignee, c.tags, c.awaiting_since, c.first_customer_at,
                       c.sla_due_at, c.unanswered_count, c.message_count,
                       c.first_response_at, c.status_changed_at,
                       {_URGENCY} AS urgency, {_URGENT} AS urgent,
                       {time_points} AS time_points, coalesce(c.max_urgency, 0),
                       c.closing_message_id, c.last_customer_at{extra}
                FROM conversations c WHERE {where}
                ORDER BY urgency + time_points DESC, c.awaiting_since IS NULL,
                         c.awaiting_since, c.id
                LIMIT ? OFFSET ?""",
            [*params, limit, max(0, int(offset))],
        ).fetchall()

    rows = _with_search_fallback(db, flt, run)
    columns = [
        "id",
        "platform",
        "brand",
        "channel",
        "customer_handle",
        "status",
        "assignee",
        "tags",
        "awaiting_since",
        "first_customer_at",
        "sla_due_at",
        "unanswered_count",
        "message_count",
        "first_response_at",
        "status_changed_at",
        "urgency",
        "urgent",
        "time_points",
        "peak_urgency",
        "closing_message_id",
        "last_customer_at",
        *optional,
    ]
    result = []
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        row["tags"] = _tags(row["tags"])
        row["urgent"] = bool(row["urgent"])
        row["urgency"] = int(row["urgency"] or 0)
        row["time_points"] = int(row["time_points"] or 0)
        row["priority"] = row["urgency"] + row["time_points"]
        row["window_ends_at"] = window_ends_at(row)
        row["waiting_seconds"] = (
            max(0, now - row["awaiting_since"]) if row["awaiting_since"] is not None else None
        )
        row.update(_focus_message(db, row["id"], row["awaiting_since"]))
        result.append(row)
    return result


def _conversation_columns(db: Database) -> set[str]:
    return {row[1] for row in db.execute("PRAGMA table_info(conversations)")}


def _focus_message(
    db: Database, conversation_id: int, awaiting_since: int | None = None
) -> dict[str, Any]:
    """The latest customer message (and its intent), and the reasons of the
    most urgent message of the current turn (since ``awaiting_since``; all
    messages when nobody is waiting): English texts, codes, and that
    message's language."""
    messages = db.execute(
        """SELECT m.id, m.text, m.url, m.author_name, m.author_handle, m.created_ts,
                  coalesce(s.language, m.lang), s.compound, s.label, s.urgency, s.reasons,
                  s.reason_codes, s.intent
           FROM messages m LEFT JOIN scores s ON s.message_id = m.id
           WHERE m.conversation_id = ? AND m.direction = 'inbound'
           ORDER BY m.created_ts DESC, m.id DESC LIMIT 50""",
        (conversation_id,),
    ).fetchall()
    if not messages:
        return {
            "message_id": None,
            "text": "",
            "url": None,
            "author_name": None,
            "language": None,
            "compound": None,
            "label": None,
            "intent": None,
            "reasons": [],
            "reason_codes": None,
            "reason_language": None,
        }
    latest = messages[0]
    turn = [m for m in messages if awaiting_since is None or m[5] >= awaiting_since] or messages
    most_urgent = max(turn, key=lambda m: (m[9] is not None, m[9] or 0))
    return {
        "message_id": latest[0],
        "text": latest[1],
        "url": latest[2],
        "author_name": latest[3] or latest[4],
        "message_at": latest[5],
        "language": latest[6],
        "compound": latest[7],
        "label": latest[8],
        "intent": latest[12],
        "reasons": _reasons(most_urgent[10]),
        # None for scores made before reason codes: derive them from the English
        # texts (sentiment.reasons.codes_for_texts).
        "reason_codes": _reasons(most_urgent[11]) if most_urgent[11] is not None else None,
        "reason_language": most_urgent[6],
    }


def _tags(value: str | None) -> list[str]:
    try:
        tags = json.loads(value or "[]")
    except ValueError:
        return []
    return [str(t) for t in tags] if isinstance(tags, list) else []


def _reasons(value: str | None) -> list[str]:
    try:
        reasons = json.loads(value or "[]")
    except ValueError:
        return [str(value)]
    return [str(r) for r in reasons] if isinstance(reasons, list) else [str(reasons)]


def urgent_waiting_ids(db: Database, flt: QueueFilter, *, limit: int = 500) -> list[int]:
    """Ids of urgent conversations in the queue (newest first), for the
    "new urgent item" announcement."""
    urgent = QueueFilter(**{**flt.__dict__, "urgent_only": True})

    def run(where: str, params: list[Any]) -> list[int]:
        return [
            r[0]
            for r in db.execute(
                f"SELECT c.id FROM conversations c WHERE {where} "
                "ORDER BY c.awaiting_since DESC LIMIT ?",
                [*params, limit],
            )
        ]

    return _with_search_fallback(db, urgent, run)


# --- actions ----------------------------------------------------------------


def _ids(conversation_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in conversation_ids})
    if not ids:
        raise ValueError("no conversation selected")
    return ids


def conversation_status(db: Database, conversation_id: int) -> str | None:
    """The status of conversation ``conversation_id`` ("replied" ...), or None
    when there is none: a search by id finds it whatever the filters."""
    row = db.execute("SELECT status FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    return row[0] if row else None


def _existing(db: Database, ids: Sequence[int]) -> dict[int, tuple]:
    marks = ", ".join("?" * len(ids))
    rows = db.execute(
        f"SELECT id, status, assignee, tags FROM conversations WHERE id IN ({marks})", ids
    )
    found = {r[0]: r[1:] for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValueError(f"unknown conversation ids: {missing}")
    return found


def set_status(
    db: Database,
    conversation_ids: Iterable[int],
    status: str,
    *,
    actor: str,
    recompute: Callable[[Database, list[int]], object],
    now: int | None = None,
) -> int:
    """Set the status of the given conversations (one of
    :data:`SETTABLE_STATUSES`; "open" reopens), stamp ``status_changed_at`` with
    ``now`` so that only customer messages after it reopen them, audit each
    change and recompute the conversations (``recompute(db, ids)``: the
    engine's derived fields), all in one transaction. Returns
    how many now have ``status`` (the audit entry records the resulting
    status). Refuses unknown statuses and unknown ids."""
    if status not in SETTABLE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(SETTABLE_STATUSES)}")
    ids, actor = _ids(conversation_ids), clean_actor(actor)
    now = int(time.time()) if now is None else int(now)
    at = iso_utc(utc_now())
    with transaction(db):
        current = _existing(db, ids)
        changed = [i for i in ids if current[i][0] != status]
        if status == "open":
            # Reopening a "probably resolved" conversation (already new/open) means
            # "not resolved": its closing message stops counting, and it is waiting.
            dismissed = _dismiss_closing(db, [i for i in ids if i not in changed])
            for i in dismissed:
                write_audit(
                    db,
                    actor,
                    "status",
                    {"from": "probably resolved", "to": "open", "result": "open"},
                    conversation_id=i,
                    at=at,
                )
        db.conn.executemany(
            "UPDATE conversations SET status = ?, status_changed_at = ?, updated_at = ? "
            "WHERE id = ?",
            [(status, now, at, i) for i in changed],
        )
        if status == "open":
            _dismiss_closing(db, changed)
        # A dismissed thank-you also stops resolving it (metrics.outcomes).
        recompute(db, [*changed, *(dismissed if status == "open" else [])])
        # The audit records the status the engine left, which is the one set.
        final = _existing(db, changed) if changed else {}
        for i in changed:
            write_audit(
                db,
                actor,
                "status",
                {"from": current[i][0], "to": status, "result": final[i][0]},
                conversation_id=i,
                at=at,
            )
    return sum(1 for i in changed if final[i][0] == status) + (
        len(dismissed) if status == "open" else 0
    )


def _dismiss_closing(db: Database, ids: Sequence[int]) -> list[int]:
    """Mark the closing message of these conversations as dismissed (a person
    said it is not resolved). Returns the ids that had an active one."""
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    active = [
        r[0]
        for r in db.execute(
            f"SELECT id FROM conversations c WHERE id IN ({marks}) AND {_PROBABLY_RESOLVED}",
            list(ids),
        )
    ]
    db.conn.executemany(
        "UPDATE conversations SET closing_dismissed_id = closing_message_id WHERE id = ?",
        [(i,) for i in active],
    )
    return active


def assign(
    db: Database, conversation_ids: Iterable[int], assignee: str | None, *, actor: str
) -> int:
    """Assign the conversations to ``assignee`` (empty or None unassigns).
    Returns how many changed."""
    ids, actor = _ids(conversation_ids), clean_actor(actor)
    assignee = (assignee or "").strip()[:MAX_ASSIGNEE_LENGTH] or None
    at = iso_utc(utc_now())
    with transaction(db):
        current = _existing(db, ids)
        changed = [i for i in ids if current[i][1] != assignee]
        db.conn.executemany(
            "UPDATE conversations SET assignee = ?, updated_at = ? WHERE id = ?",
            [(assignee, at, i) for i in changed],
        )
        for i in changed:
            write_audit(
                db,
                actor,
                "assign",
                {"from": current[i][1], "to": assignee},
                conversation_id=i,
                at=at,
            )
    return len(changed)


def _clean_tag(tag: str) -> str:
    tag = " ".join((tag or "").split())
    if not tag:
        raise ValueError("a tag cannot be empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"a tag is at most {MAX_TAG_LENGTH} characters")
    return tag


def add_tag(db: Database, conversation_ids: Iterable[int], tag: str, *, actor: str) -> int:
    """Add ``tag`` to the conversations (kept once). Returns how many changed."""
    return _change_tags(db, conversation_ids, _clean_tag(tag), actor=actor, add=True)


def remove_tag(db: Database, conversation_ids: Iterable[int], tag: str, *, actor: str) -> int:
    """Remove ``tag`` from the conversations. Returns how many changed."""
    return _change_tags(db, conversation_ids, _clean_tag(tag), actor=actor, add=False)


def _change_tags(
    db: Database, conversation_ids: Iterable[int], tag: str, *, actor: str, add: bool
) -> int:
    ids, actor = _ids(conversation_ids), clean_actor(actor)
    at = iso_utc(utc_now())
    changed = 0
    with transaction(db):
        current = _existing(db, ids)
        for i in ids:
            tags = _tags(current[i][2])
            if add == (tag in tags):
                continue
            tags = [*tags, tag] if add else [t for t in tags if t != tag]
            db.conn.execute(
                "UPDATE conversations SET tags = ?, updated_at = ? WHERE id = ?",
                (json.dumps(tags, ensure_ascii=False), at, i),
            )
            write_audit(
                db, actor, "tag" if add else "untag", {"tag": tag}, conversation_id=i, at=at
            )
            changed += 1
    return changed


def add_note(db: Database, conversation_ids: Iterable[int], text: str, *, actor: str) -> int:
    """Attach a note to each conversation. Refuses empty notes and notes over
    :data:`MAX_NOTE_LENGTH` characters. Returns how many notes were written."""
    ids, actor = _ids(conversation_ids), clean_actor(actor)
    text = (text or "").strip()
    if not text:
        raise ValueError("a note cannot be empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"a note is at most {MAX_NOTE_LENGTH} characters")
    at = iso_utc(utc_now())
    with transaction(db):
        _existing(db, ids)
        for i in ids:
            note_id = db.conn.execute(
                "INSERT INTO notes (conversation_id, at, author, text) VALUES (?, ?, ?, ?)",
                (i, at, actor, text),
            ).lastrowid
            write_audit(db, actor, "note", {"note_id": note_id}, conversation_id=i, at=at)
    return len(ids)


# --- detail -----------------------------------------------------------------


def conversation_detail(db: Database, conversation_id: int, *, limit: int = 100) -> dict[str, Any]:
    """The messages (oldest first, at most ``limit``), notes and audit trail of
    one conversation. Raises ``ValueError`` for an unknown id."""
    _existing(db, [conversation_id])
    columns = ("id", "created_ts", "direction", "author", "text", "url", "label", "urgency")
    found = db.execute(
        """SELECT m.id, m.created_ts, m.direction, coalesce(m.author_name, m.author_handle),
                  m.text, m.url, s.label, s.urgency, m.platform, m.external_id, m.thread_ref
           FROM messages m LEFT JOIN scores s ON s.message_id = m.id
           WHERE m.conversation_id = ? ORDER BY m.created_ts, m.id LIMIT ?""",
        (conversation_id, limit),
    ).fetchall()
    messages = [dict(zip(columns, r[:8], strict=True)) for r in found]
    events, failed = _events_of(db, found)
    for message, row in zip(messages, found, strict=True):
        message["events"] = events.get(row[9], {})
    notes = [
        dict(zip(("at", "author", "text"), r, strict=True))
        for r in db.execute(
            "SELECT at, author, text FROM notes "
            "WHERE conversation_id = ? ORDER BY id DESC LIMIT 50",
            (conversation_id,),
        )
    ]
    audit = [
        dict(zip(("at", "actor", "action", "detail"), r, strict=True))
        for r in db.execute(
            "SELECT at, actor, action, detail FROM audit_log WHERE conversation_id = ? "
            "ORDER BY id DESC LIMIT 50",
            (conversation_id,),
        )
    ]
    return {"messages": messages, "notes": notes, "audit": audit, "failed_delivery": failed}


def _events_of(db: Database, found: list[tuple]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Reactions, edits, revokes and delivery states of a conversation's
    messages (webhook events), and the error of a failed delivery in its
    thread (a brand message that never reached the customer), if any."""
    if not found:
        return {}, None
    platform = found[0][8]
    events = message_annotations(db, platform, [r[9] for r in found])
    failures = failed_deliveries(db, platform, {r[10] for r in found if r[10]})
    failed = next(iter(failures.values()), None) if failures else None
    return events, failed


def assignees(db: Database) -> list[str]:
    """Everyone who has been assigned a conversation, sorted."""
    return [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT assignee FROM conversations WHERE assignee IS NOT NULL ORDER BY 1"
        )
    ]


def stale_waiting_ids(db: Database, *, waiting_since_before: int) -> list[int]:
    """Ids of conversations still waiting (new or open) whose customer has
    been waiting since before ``waiting_since_before`` (unix seconds)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM conversations WHERE status IN ('new', 'open') AND needs_response = 1 "
            "AND awaiting_since < ? ORDER BY id",
            (waiting_since_before,),
        )
    ]
