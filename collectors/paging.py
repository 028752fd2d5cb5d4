"""The one resumable pager every channel shares.

Every listing replywatch polls comes newest first (X timelines, search and
DMs, Reddit listings, Graph API edges), so one algorithm reads them all:

* read pages, newest first, until an item at or below the saved **mark** (the
  newest position stored last time) or the end of the listing;
* the mark only advances once everything down to the old mark is stored;
  until then each page is committed with a **resumable** cursor
  ``{<mark>: old, "resume": {"next_token": ..., "newest_id": ...}}`` so a
  crash, a rate-limit stop or the per-poll page limit continues from the page
  token instead of re-reading (X reads are metered);
* a page token the API refuses (expired) restarts from the mark: nothing is
  skipped and re-read items are recognised as duplicates by the store.

A channel describes its listing with a :class:`Mark` (how an item's position
is read, compared and stored in the cursor) and a ``fetch(mark, token)``
function returning a :class:`Page`. Channels whose API hides page tokens
(praw's listing generators) return one lazy page without a token: the pager
stops consuming it at the mark, so no further page is requested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

#: Cursor key of a resumable page: ``{"next_token", "newest_id"}``.
RESUME = "resume"


@dataclass
class Page:
    """One response page of a newest-first listing."""

    #: Raw items, newest first. May be a lazy iterable (consumed up to the mark).
    items: Iterable[Any]
    #: Token of the next (older) page; None at the end of the listing.
    next_token: str | None = None
    #: The listing's newest position when the API states it (X ``meta.newest_id``).
    newest: Any = None
    #: Anything else the channel's parser needs (X's expanded users, partial errors).
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Mark:
    """How a listing's positions are read, compared and stored.

    The default compares numeric ids that grow with time (X snowflakes), stored
    as text under ``key``. Channels with other positions (Reddit: newest time of
    a thread plus its fullname; Graph API: ``created_time``) pass their own
    functions."""

    #: Cursor key(s) holding the mark, e.g. ``"since_id"``.
    key: str
    #: Item -> its position, or None when it has none (the item is kept: its
    #: parser will reject it with a reason).
    position: Callable[[Any], Any] = field(default=lambda item: _numeric_id(item))
    #: True when ``position`` is already stored (at or below ``mark``).
    seen: Callable[[Any, Any], bool] = field(default=lambda pos, mark: pos <= mark)
    #: The newer of two positions (either may be None).
    newer: Callable[[Any, Any], Any] = field(default=lambda a, b: _max(a, b))
    #: Cursor -> mark (None when nothing was stored yet).
    load: Callable[[dict[str, Any]], Any] | None = None
    #: Mark -> the cursor fields holding it.
    dump: Callable[[Any], dict[str, Any]] | None = None
    #: Mark -> its JSON form in ``resume.newest_id``, and back.
    encode: Callable[[Any], Any] = field(default=lambda m: None if m is None else str(m))
    decode: Callable[[Any], Any] = field(default=lambda v: _int_or_none(v))

    def read(self, cursor: dict[str, Any]) -> Any:
        """The mark saved in ``cursor`` (None if none)."""
        if self.load is not None:
            return self.load(cursor)
        return _int_or_none(cursor.get(self.key))

    def fields(self, mark: Any) -> dict[str, Any]:
        """The cursor fields that store ``mark``."""
        if self.dump is not None:
            return self.dump(mark)
        return {self.key: None if mark is None else str(mark)}


@dataclass
class PageRead:
    """One page as the pager hands it to the channel: the items newer than the
    mark, the cursor to commit with them, and the page itself."""

    items: list[Any]
    cursor: dict[str, Any]
    page: Page
    #: Items the listing held on this page (including those at/below the mark).
    listed: int = 0


class TokenRefused(Exception):
    """Raised by a ``fetch`` when the API refuses a saved page token."""


def read_pages(
    cursor: dict[str, Any],
    fetch: Callable[[Any, str | None], Page],
    mark: Mark,
    *,
    max_pages: int,
    ignore_mark: bool = False,
    token_refused: Callable[[BaseException], bool] = lambda exc: isinstance(exc, TokenRefused),
    on_restart: Callable[[], None] | None = None,
) -> Iterator[PageRead]:
    """Read a newest-first listing from ``cursor``; see the module docstring.

    ``fetch(mark, token)`` returns one page (the mark lets APIs filter server
    side, e.g. X's ``since_id``). ``ignore_mark`` re-reads from the top (a
    catch-up pass) while still never moving the mark backwards. Fields of
    ``cursor`` the pager does not own (e.g. Reddit's ``catch_up_at``) are kept.
    Each yielded :class:`PageRead` must be committed before the next is asked
    for."""
    old = mark.read(cursor)
    stop = None if ignore_mark else old
    carry = {k: v for k, v in cursor.items() if k != RESUME and k not in mark.fields(None)}
    resume = cursor.get(RESUME) or {}
    token, newest = resume.get("next_token"), mark.decode(resume.get("newest_id"))
    for _ in range(max_pages):
        try:
            page = fetch(stop, token)
        except Exception as exc:
            if not (token and resume and token_refused(exc)):
                raise
            # An expired resume token: start again from the mark.
            token, newest, resume = None, None, {}
            if on_restart is not None:
                on_restart()
            continue
        fresh: list[Any] = []
        reached, listed, top = False, 0, None
        for item in page.items:
            listed += 1
            position = mark.position(item)
            if is_seen(mark, position, stop):
                reached = True
                break
            fresh.append(item)
            top = mark.newer(top, position)
        newest = newest if newest is not None else mark.newer(page.newest, top)
        token = page.next_token
        if token and listed and not reached:
            next_cursor = {
                **carry,
                **mark.fields(old),
                RESUME: {"next_token": token, "newest_id": mark.encode(newest)},
            }
        else:
            token = None
            next_cursor = {**carry, **mark.fields(mark.newer(newest, old))}
        yield PageRead(fresh, next_cursor, page, listed)
        if not token:
            return


def is_seen(mark: Mark, position: Any, stop: Any) -> bool:
    """True when an item at ``position`` is at or below the mark ``stop``."""
    return position is not None and stop is not None and mark.seen(position, stop)


def newer_than(items: Iterable[Any], mark: Mark, stop: Any) -> Iterator[Any]:
    """``items`` up to (not including) the first one at or below ``stop``: for
    a ``fetch`` that must read a lazy listing inside its retries."""
    for item in items:
        if is_seen(mark, mark.position(item), stop):
            return
        yield item


def _numeric_id(item: Any) -> int | None:
    value = str(item.get("id", "")) if isinstance(item, dict) else ""
    return int(value) if value.isdigit() else None


def _int_or_none(value: Any) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None


def _max(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
