"""What Facebook Pages and Instagram share: Graph API times, the sweep of
posts/media and their comments, newest-first listings (inbox conversations,
tagged media) and the parsing of inbox messages.

Cursors (``collector_state``), committed with each page's messages:

* **Comment sweeps** keep, per post/media still inside the look-back window,
  ``{"count": comments seen when last read to the end, "after": the
  comments cursor after the last comment read, "resume": {"next_token":
  the after cursor of an unfinished read}}``, read through the shared
  resumable pager (``collectors/paging.py``, mark :data:`READ_TO_THE_END`:
  no position stops it); a cursor saved by an older version (``"resume":
  {"after": ...}``) is still understood. A poll lists the posts of the window
  (newest first) and reads the comments of each post whose comment count
  changed, from where the last read ended (Facebook: ``order=chronological``
  so new comments come after the saved ``after``) or from the start
  (Instagram documents no order). Every ``catch_up_hours`` a catch-up pass
  re-reads every post of the window from the start regardless of counts, for
  what the counts miss (a comment added and another deleted, hidden ones).
* **Newest-first listings** (Messenger / Instagram conversations, tagged
  posts and media) go through the shared resumable pager
  (``collectors/paging.py``) with a Graph API time as the mark: ``{"since":
  newest time stored}`` and, while a walk is under way, ``"resume":
  {"next_token": after cursor, "newest_id": newest seen}``; the walk stops at
  the first item older than ``since`` (equal times are re-read: the store
  skips duplicates, and nothing in the same second is missed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from replywatch.collectors.base import Message, PollResult, Rejected
from replywatch.collectors.graph_api import (
    GraphClient,
    GraphError,
    PermissionMissing,
    to_page,
)
from replywatch.collectors.paging import RESUME, Mark, PageRead, read_pages
from replywatch.collectors.paging import Page as PagerPage
from replywatch.store.timeutil import iso_utc, to_utc, utc_now

#: Errors a parser may raise for one bad item (it is dead-lettered, the
#: rest of the page is kept).
ITEM_ERRORS = (ValueError, TypeError, KeyError, AttributeError)


def parse_time(value: Any) -> datetime:
    """A Graph API time (``2021-08-10T18:45:03+0000``; also ``+00:00`` or
    ``Z``) as an aware UTC datetime. Raises ``ValueError`` otherwise."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a Graph API time: {value!r}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a Graph API time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"Graph API time without offset: {value!r}")
    return to_utc(moment)


def required_id(item: Any, what: str) -> str:
    """``item["id"]`` as text; ``ValueError`` when there is none."""
    if not isinstance(item, dict):
        raise TypeError(f"{what} is not an object")
    value = item.get("id")
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise ValueError(f"{what} has no id")
    return str(value)


def text_of(item: dict[str, Any], key: str) -> str:
    """The text field ``key`` ("" when absent: a sticker or photo comment
    still needs an answer); ``ValueError`` when it is not text."""
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} is not text")
    return value


@dataclass(frozen=True)
class FieldMap:
    """Where one platform's Graph objects keep a public message's parts: the
    creation time, the text and the link (Facebook: ``created_time``,
    ``message``, ``permalink_url``; Instagram: ``timestamp``, ``text`` or
    ``caption``, ``permalink``)."""

    platform: str
    time: str
    text: str
    url: str


def public_message(
    item: dict[str, Any],
    ctx: Any,
    fields: FieldMap,
    *,
    external_id: str,
    direction: str,
    kind: str,
    author_id: str | None = None,
    author_name: str | None = None,
    author_handle: str | None = None,
    in_reply_to_id: str | None = None,
    thread_ref: str | None = None,
    link_from: dict[str, Any] | None = None,
    raw: Any = None,
) -> Message:
    """The one builder of a Facebook or Instagram public message (post,
    comment, reply, mention) from a Graph object, read through ``fields``.
    ``ctx`` gives ``source``, ``brand`` and ``fetched_at``; the link comes from
    ``link_from`` when given (an Instagram comment links to its media), else
    from the item; ``raw`` defaults to the item. Raises ``ValueError`` for a
    missing or malformed time or text."""
    holder = item if link_from is None else link_from
    url = holder.get(fields.url) if isinstance(holder, dict) else None
    return Message(
        platform=fields.platform,
        external_id=external_id,
        created_at=parse_time(item.get(fields.time)),
        text=text_of(item, fields.text),
        direction=direction,
        kind=kind,
        channel="public",
        source=ctx.source,
        author_id=author_id,
        author_name=author_name,
        author_handle=author_handle,
        brand=ctx.brand,
        in_reply_to_id=in_reply_to_id,
        thread_ref=thread_ref,
        url=url if isinstance(url, str) else None,
        raw=item if raw is None else raw,
        fetched_at=ctx.fetched_at,
    )


def author_name(author: Any) -> str | None:
    """``from.name`` when it is text."""
    name = author.get("name") if isinstance(author, dict) else None
    return name if isinstance(name, str) else None


def parse_items(
    items: list[Any], parse: Callable[[Any], list[Message]]
) -> tuple[list[Message], list[Rejected]]:
    """Parse every item; a bad one becomes a :class:`Rejected` with its
    payload and why, the others are kept."""
    messages: list[Message] = []
    rejected: list[Rejected] = []
    for item in items:
        try:
            messages.extend(parse(item))
        except ITEM_ERRORS as exc:
            rejected.append(Rejected(item, f"{type(exc).__name__}: {exc}"))
    return messages, rejected


def named_batches(name: str, poll: Callable[[dict[str, Any]], Iterator[PollResult]]):
    """``poll`` with every batch stamped with the source ``name``."""

    def named(cursor: dict[str, Any]) -> Iterator[PollResult]:
        for batch in poll(cursor):
            batch.source = name
            yield batch

    return named


# --- inbox (Messenger and Instagram direct messages) --------------------------------


@dataclass
class InboxContext:
    """Where inbox messages come from: ``own_ids`` are the page / account
    ids (and ``own_usernames`` the Instagram usernames) whose messages are
    the brand's replies."""

    platform: str
    brand: str
    source: str
    own_ids: set[str]
    own_usernames: set[str] = field(default_factory=set)
    fetched_at: datetime = field(default_factory=utc_now)


def inbox_message(data: dict[str, Any], thread_id: str, ctx: InboxContext) -> Message:
    """One Messenger or Instagram direct message (``id``, ``created_time``,
    ``from {id, name | username}``, ``message``) of conversation
    ``thread_id`` as a private message. A message without a sender is refused:
    the customer could not be told from the brand."""
    message_id = required_id(data, "message")
    sender = data.get("from")
    if not isinstance(sender, dict) or not sender.get("id"):
        raise ValueError(f"message {message_id} has no sender (from.id)")
    sender_id = str(sender["id"])
    username = sender.get("username") if isinstance(sender.get("username"), str) else None
    outbound = sender_id in ctx.own_ids or (
        username is not None and username.lower() in ctx.own_usernames
    )
    return Message(
        platform=ctx.platform,
        external_id=message_id,
        created_at=parse_time(data.get("created_time")),
        text=text_of(data, "message"),
        direction="outbound" if outbound else "inbound",
        kind="dm",
        channel="private",
        source=ctx.source,
        author_id=sender_id,
        author_handle=username,
        author_name=sender.get("name") if isinstance(sender.get("name"), str) else None,
        brand=ctx.brand,
        thread_ref=thread_id,
        raw=data,
        fetched_at=ctx.fetched_at,
    )


def conversation_messages(
    conversation: dict[str, Any], ctx: InboxContext
) -> tuple[list[Message], list[Rejected]]:
    """The messages nested in one ``/{page-id}/conversations`` item
    (``messages{...}``), each parsed on its own."""
    thread_id = required_id(conversation, "conversation")
    nested = conversation.get("messages")
    items = nested.get("data") if isinstance(nested, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"conversation {thread_id} has no messages list")
    return parse_items(items, lambda item: [inbox_message(item, thread_id, ctx)])


# --- sources ----------------------------------------------------------------------


@dataclass
class SweepSettings:
    """How far back and how often the comment sweeps look."""

    page_size: int = 100
    max_pages: int = 10
    lookback_days: float = 14.0
    catch_up_hours: float = 6.0


@dataclass
class CommentSweep:
    """A page's posts (or an Instagram account's media) inside the look-back
    window and the comments under them; see the module docstring.

    ``parse_object`` turns a listed post into messages (a visitor's post) or
    none (the page's own posts are context, not conversations);
    ``parse_comment(item, obj)`` turns one comment (with any nested replies)
    into messages."""

    client: GraphClient
    list_path: str
    list_params: dict[str, Any]
    comments_params: dict[str, Any]
    count_of: Callable[[dict[str, Any]], int | None]
    parse_object: Callable[[dict[str, Any]], list[Message]]
    parse_comment: Callable[[Any, dict[str, Any]], list[Message]]
    settings: SweepSettings
    #: Facebook's comments come in chronological order: a later read can
    #: start after the saved cursor. Instagram re-reads from the start.
    resume_after_last: bool = False
    now: Callable[[], datetime] = utc_now

    def poll(self, cursor: dict[str, Any]) -> Iterator[PollResult]:
        """Yield one batch per page read, each with the cursor covering it."""
        now = self.now()
        self.client.reset_peak()  # usage is reported per poll
        state: dict[str, dict[str, Any]] = dict(cursor.get("objects") or {})
        last_catch_up = cursor.get("catch_up_at")
        catch_up = not last_catch_up or (
            now - parse_time(last_catch_up) >= timedelta(hours=self.settings.catch_up_hours)
        )
        window_start = now - timedelta(days=self.settings.lookback_days)

        def snapshot(**extra: Any) -> dict[str, Any]:
            return {
                "objects": {k: dict(v) for k, v in state.items()},
                "catch_up_at": last_catch_up,
                **extra,
            }

        objects: list[dict[str, Any]] = []
        listed_pages = 0
        wait = self.client.log
        for page in self.client.pages(
            self.list_path, {**self.list_params, "limit": self.settings.page_size}
        ):
            listed_pages += 1
            inside = [o for o in page.items if _created(o) is None or _created(o) >= window_start]
            objects.extend(o for o in inside if isinstance(o, dict) and o.get("id"))
            messages, rejected = parse_items(inside, self.parse_object)
            if messages or rejected:
                yield self._batch(messages, rejected, snapshot(), wait)
            if len(inside) < len(page.items) or listed_pages >= self.settings.max_pages:
                break
        seen: set[str] = set()
        for obj in objects:
            obj_id = str(obj["id"])
            seen.add(obj_id)
            count = self.count_of(obj)
            known = state.get(obj_id, {})
            if not catch_up and count is not None and known.get("count") == count:
                continue
            yield from self._read_comments(obj, obj_id, count, catch_up, state, snapshot)
        for obj_id in list(state):
            if obj_id not in seen:  # left the look-back window
                del state[obj_id]
        if catch_up:
            last_catch_up = iso_utc(now)
        yield self._batch([], [], snapshot(), wait)

    def _read_comments(self, obj, obj_id, count, catch_up, state, snapshot):
        """Read one object's comments to the end through the shared pager
        (:func:`~replywatch.collectors.paging.read_pages`): a page limit or a
        stop leaves a resumable cursor, a cursor Meta no longer accepts
        restarts from the first comment (the store skips what it has)."""
        start = dict(state.get(obj_id, {}))
        resume = _comment_resume(start)
        if not resume and not catch_up and self.resume_after_last and start.get("after"):
            resume = {"next_token": start["after"]}
        start.pop(RESUME, None)
        if resume:
            start[RESUME] = resume
        path = f"{obj_id}/comments"
        params = {**self.comments_params, "limit": self.settings.page_size}

        def fetch(_mark: Any, after: str | None) -> PagerPage:
            page = to_page(self.client.get(path, {**params, **({"after": after} if after else {})}))
            token = page.after if page.next_params is not None else None
            return PagerPage(page.items, next_token=token, extra={"after": page.after})

        def restart() -> None:
            state[obj_id] = {}

        for read in read_pages(
            start,
            fetch,
            READ_TO_THE_END,
            max_pages=self.settings.max_pages,
            token_refused=_cursor_refused,
            on_restart=restart,
        ):
            yield self._comments_page(read, obj, obj_id, count, state, snapshot)

    def _comments_page(self, read: PageRead, obj, obj_id, count, state, snapshot):
        messages, rejected = parse_items(read.items, lambda item: self.parse_comment(item, obj))
        known = dict(read.cursor)
        if read.page.extra.get("after"):
            known["after"] = read.page.extra["after"]
        if RESUME not in known:  # read to the end: the count this read covers
            known["count"] = count
        state[obj_id] = known
        return self._batch(messages, rejected, snapshot(), self.client.log)

    def _batch(self, messages, rejected, cursor, wait) -> PollResult:
        taken = wait.take()
        return PollResult(
            source="",
            messages=messages,
            rejected=rejected,
            cursor=cursor,
            rate_limit_wait_s=taken.rate_limit_s,
            details={
                **self.client.usage_details(),
                "throttle_wait_s": taken.throttle_s,
                "backoff_wait_s": taken.backoff_s,
                "retries": taken.retries,
            },
        )


def graph_time_mark(key: str, field_name: str) -> Mark:
    """The shared pager's :class:`~replywatch.collectors.paging.Mark` for a
    listing ordered by the Graph API time ``field_name`` (``updated_time``,
    ``created_time``, ``timestamp``), stored as ISO text under ``key``. An item
    in the same second as the mark is read again (the store skips it), so
    nothing written in that second is missed."""
    return Mark(
        key,
        position=lambda item: _time_or_none(item, field_name),
        seen=lambda position, mark: position < mark,
        load=lambda cursor: parse_time(cursor[key]) if cursor.get(key) else None,
        dump=lambda mark: {key: _iso(mark)},
        encode=_iso,
        decode=lambda value: parse_time(value) if value else None,
    )


@dataclass
class NewestFirst:
    """An edge listed newest first (inbox conversations, tagged media), read
    through the shared resumable pager (:func:`replywatch.collectors.paging.
    read_pages`) down to the newest time already stored. ``parse(item,
    since)`` returns the item's messages and rejects (it may fetch more, e.g.
    older messages of a long conversation)."""

    client: GraphClient
    path: str
    params: dict[str, Any]
    mark: Mark
    parse: Callable[[dict[str, Any], datetime | None], tuple[list[Message], list[Rejected]]]
    settings: SweepSettings

    def poll(self, cursor: dict[str, Any]) -> Iterator[PollResult]:
        """Yield one batch per listing page with the cursor covering it."""
        self.client.reset_peak()  # usage is reported per poll
        since = self.mark.read(cursor)
        params = {**self.params, "limit": self.settings.page_size}

        def fetch(_mark: Any, after: str | None) -> PagerPage:
            page = to_page(
                self.client.get(self.path, {**params, **({"after": after} if after else {})})
            )
            token = page.after if page.next_params is not None else None
            return PagerPage(page.items, next_token=token)

        for read in read_pages(
            cursor,
            fetch,
            self.mark,
            max_pages=self.settings.max_pages,
            token_refused=_cursor_refused,
        ):
            messages: list[Message] = []
            rejected: list[Rejected] = []
            for item in read.items:
                try:
                    found, bad = self.parse(item, since)
                except ITEM_ERRORS as exc:
                    found, bad = [], [Rejected(item, f"{type(exc).__name__}: {exc}")]
                messages += found
                rejected += bad
            taken = self.client.log.take()
            yield PollResult(
                source="",
                messages=messages,
                rejected=rejected,
                cursor=read.cursor,
                rate_limit_wait_s=taken.rate_limit_s,
                details={
                    **self.client.usage_details(),
                    "throttle_wait_s": taken.throttle_s,
                    "backoff_wait_s": taken.backoff_s,
                    "retries": taken.retries,
                },
            )


def _cursor_refused(exc: BaseException) -> bool:
    """A saved ``after`` cursor Meta no longer accepts (code 100, not a
    permission problem): the pager starts again from the mark."""
    return (
        isinstance(exc, GraphError) and exc.code == 100 and not isinstance(exc, PermissionMissing)
    )


#: The shared pager's mark for a listing read to its end every time (an
#: object's comments): no position stops the read, only the resume token is
#: kept in the cursor.
READ_TO_THE_END = Mark(
    key="comments",
    position=lambda item: None,
    seen=lambda position, mark: False,
    newer=lambda a, b: None,
    load=lambda cursor: None,
    dump=lambda mark: {},
)


def _comment_resume(known: dict[str, Any]) -> dict[str, Any] | None:
    """The saved resume of an object's comments, also in the form stored
    before the shared pager read them (``{"after": cursor}``)."""
    resume = known.get(RESUME)
    if isinstance(resume, dict) and "next_token" not in resume and resume.get("after"):
        return {"next_token": resume["after"]}
    return resume if isinstance(resume, dict) and resume.get("next_token") else None


def _time_or_none(item: Any, field_name: str) -> datetime | None:
    try:
        return parse_time(item.get(field_name)) if isinstance(item, dict) else None
    except ValueError:
        return None


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def _created(obj: Any) -> datetime | None:
    if not isinstance(obj, dict):
        return None
    for key in ("created_time", "timestamp"):
        if obj.get(key):
            try:
                return parse_time(obj[key])
            except ValueError:
                return None
    return None


def complete_edge(
    client: GraphClient,
    edge: Any,
    max_pages: int,
    enough: Callable[[list[Any]], bool] = lambda items: False,
) -> dict[str, Any] | Any:
    """A nested edge (``{"data": [...], "paging": {...}}``, e.g. a thread's
    ``messages`` or a comment's ``replies``) with its further pages fetched
    through ``paging.next`` (at most ``max_pages`` more) until ``enough(items)``
    says the rest is already stored. Anything else is returned unchanged."""
    if not isinstance(edge, dict) or not isinstance(edge.get("data"), list):
        return edge
    items = list(edge["data"])
    next_url = _next_url(edge)
    pages = 0
    while next_url and pages < max_pages and not enough(items):
        body = client.follow(next_url)
        pages += 1
        data = body.get("data")
        if not isinstance(data, list) or not data:
            break
        items.extend(data)
        next_url = _next_url(body)
    return {"data": items}


def _next_url(edge: dict[str, Any]) -> str | None:
    paging = edge.get("paging") if isinstance(edge.get("paging"), dict) else {}
    return paging.get("next") if isinstance(paging.get("next"), str) else None


def follow_older_messages(
    client: GraphClient,
    conversation: dict[str, Any],
    since: datetime | None,
    max_pages: int,
) -> dict[str, Any]:
    """``conversation`` with its nested ``messages`` completed down to
    ``since``: Meta nests only the newest messages of each thread, so a
    thread with more new messages than that is followed through
    ``messages.paging.next`` (at most ``max_pages`` more pages)."""
    nested = conversation.get("messages")
    if not isinstance(nested, dict) or not isinstance(nested.get("data"), list):
        return conversation
    full = complete_edge(client, nested, max_pages, lambda items: _reached(items, since))
    return {**conversation, "messages": full}


def _reached(items: list[Any], since: datetime | None) -> bool:
    if since is None or not items:
        return since is not None
    last = items[-1]
    try:
        return parse_time(last.get("created_time")) < since
    except (ValueError, AttributeError):
        return True
