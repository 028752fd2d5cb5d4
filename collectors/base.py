"""What every collector shares: the unified message model and a poll result.

Collectors turn platform payloads into :class:`Message` objects; they never
write SQL themselves. Anything that cannot become a message is reported as a
:class:`Rejected` item, which the caller keeps in ``dead_letters``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from replywatch.store.messages import MESSAGE_COLUMNS
from replywatch.store.timeutil import iso_utc, to_utc, utc_now

Direction = Literal["inbound", "outbound"]
Channel = Literal["public", "private"]


@lru_cache(maxsize=16)
def _iso_cached(moment: datetime) -> str:
    # A batch shares one fetched_at: format it once, not once per message.
    return iso_utc(moment)


_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")


def extract_mentions(text: str) -> tuple[str, ...]:
    """Return the @handles in ``text``, lower-cased, without the @, in order."""
    found = _HANDLE.findall(text or "")
    if len(found) == 1:  # the usual case, e.g. a reply to one brand
        return (found[0].lower(),)
    return tuple(dict.fromkeys(m.lower() for m in found))


@dataclass(slots=True)
class Message:
    """One post, comment or direct message, inbound or outbound, on any platform."""

    platform: str
    external_id: str
    created_at: datetime
    text: str
    direction: Direction
    kind: str
    channel: Channel
    source: str
    author_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    author_followers: int | None = None
    brand: str | None = None
    in_reply_to_id: str | None = None
    thread_ref: str | None = None
    url: str | None = None
    lang: str | None = None
    raw: Any = None
    is_demo: bool = False
    fetched_at: datetime | None = None

    def to_values(self) -> tuple:
        """The row stored in ``messages`` as a tuple in
        ``store.messages.MESSAGE_COLUMNS`` order (see :func:`row_values`)."""
        return row_values(
            self.platform,
            self.external_id,
            self.kind,
            self.channel,
            self.direction,
            self.brand,
            self.author_id,
            self.author_handle,
            self.author_name,
            self.author_followers,
            self.text,
            self.lang,
            self.created_at,
            self.in_reply_to_id,
            self.thread_ref,
            self.url,
            self.source,
            self.fetched_at,
            self.raw,
            self.is_demo,
        )

    def to_row(self) -> dict[str, Any]:
        """The row stored in ``messages`` (UTC timestamps, mentions extracted)."""
        return dict(zip(MESSAGE_COLUMNS, self.to_values(), strict=True))


def row_values(
    platform: str,
    external_id: str,
    kind: str,
    channel: str,
    direction: str,
    brand: str | None,
    author_id: str | None,
    author_handle: str | None,
    author_name: str | None,
    author_followers: int | None,
    text: str | None,
    lang: str | None,
    created_at: datetime,
    in_reply_to_id: str | None,
    thread_ref: str | None,
    url: str | None,
    source: str,
    fetched_at: datetime | None,
    raw: Any,
    is_demo: bool,
) -> tuple:
    """The one mapping from message fields to a ``messages`` row, as a tuple in
    ``MESSAGE_COLUMNS`` order: UTC ISO and unix timestamps, mentions extracted,
    ids as text, ``raw`` as JSON text. :meth:`Message.to_row` and the bulk
    importers (which skip building :class:`Message` objects) both use it.
    Raises ``OverflowError``/``ValueError`` for an unrepresentable time."""
    created = to_utc(created_at)
    if raw is not None and not isinstance(raw, str):
        raw = json.dumps(raw, ensure_ascii=False, default=str)
    text = text or ""
    return (
        platform,
        str(external_id),
        kind,
        channel,
        direction,
        brand,
        author_id,
        author_handle,
        author_name,
        author_followers,
        text,
        lang,
        # Most texts have no @: skip the regex for them.
        " ".join(extract_mentions(text)) if "@" in text else "",
        created.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        int(created.timestamp()),
        str(in_reply_to_id) if in_reply_to_id else None,
        str(thread_ref) if thread_ref else None,
        url,
        source,
        _iso_cached(fetched_at or _batch_now()),
        raw,
        int(is_demo),
    )


def _batch_now() -> datetime:
    # utc_now() to the second: equal for a whole batch, so _iso_cached hits.
    return utc_now().replace(microsecond=0)


def fetched_now() -> str:
    """``fetched_at`` for a message read now, as :func:`row_values` stores it."""
    return _iso_cached(_batch_now())


@dataclass(slots=True)
class Rejected:
    """An item that could not be turned into a message, with why."""

    payload: Any
    error: str


@dataclass
class PollResult:
    """What one poll of one source produced: messages, rejects, the cursor to
    save with them, and counters. Errors are collected, not raised."""

    source: str
    messages: list[Message] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    rate_limit_wait_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    #: Cursors of other (pseudo-)sources to save in the same transaction, e.g.
    #: the X monthly read counter.
    extra_cursors: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Source:
    """One pollable stream with its own cursor (e.g. the mentions of one X
    account). ``poll(cursor)`` yields :class:`PollResult` batches; the caller
    stores each batch together with its cursor before asking for the next, so
    a crash loses nothing and repeats nothing that was committed."""

    name: str
    platform: str
    poll: Callable[[dict[str, Any]], Iterator[PollResult]]
