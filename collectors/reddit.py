"""Reddit collector (praw).

Per brand: keyword search of submissions and a keyword scan of new comments
in each configured subreddit; and, with the brand account's credentials, its
inbox (username mentions, comment and post replies, private messages) plus its
own comments and sent messages as outbound replies.

Decisions worth knowing:

* ``external_id`` is the Reddit **fullname** (``t1_abc``, ``t3_xyz``,
  ``t4_123``) and ``in_reply_to_id`` is ``parent_id`` unchanged, which is also
  a fullname, so links match without stripping anything, and a comment and a
  submission that happen to share a base-36 id can never collide.
* Listings come newest first. Each poll reads down to the cursor (newest
  fullname and its time) and stores the whole batch with the new cursor in one
  transaction. Unlike X, Reddit reads are not metered and a listing holds at
  most ~1,000 items, so a failed poll simply re-reads; no page-level resume.
* A private-message thread is listed by its first message with the replies
  nested; a thread's position is its latest reply, so the cursor compares the
  newest time inside the thread, not the first message's.
* Catch-up pass: praw documents that busy listings/streams can miss items,
  so every ``reddit_catch_up_hours`` a source ignores its cursor and re-reads
  ``reddit_catch_up_limit`` items; the store skips what it already has.
* praw/prawcore sleep for Reddit's rate-limit headers and retry 5xx three
  times themselves; on top of that we retry with jittered backoff (injected
  sleep) and treat a 429 as a wait until ``x-ratelimit-reset``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import praw
import prawcore
from praw.models import Comment, Message, Submission

from replywatch.collectors import paging
from replywatch.collectors.base import Message as StoredMessage
from replywatch.collectors.base import PollResult, Rejected, Source
from replywatch.collectors.ratelimit import (
    BadPayload,
    Sleep,
    Verdict,
    WaitLog,
    call_with_retries,
    real_clock,
    real_sleep,
)
from replywatch.store.timeutil import utc_now

if TYPE_CHECKING:  # types only: config imports the collectors, not the reverse
    from replywatch.config import BrandConfig, CollectorSettings

PLATFORM = "reddit"
REDDIT = "https://www.reddit.com"
_KIND_OF = {Comment: "t1", Submission: "t3", Message: "t4"}
#: How a subreddit search asks. ``sort="new"``: the cursor reads a listing
#: down to the newest item already stored, so it must come newest first
#: (praw's default is relevance). ``syntax`` and ``time_filter`` are praw's
#: defaults, stated so a change of praw's defaults cannot change the query.
#: Reddit has no field selection: every listing returns whole objects.
SEARCH_PARAMS = {"sort": "new", "syntax": "lucene", "time_filter": "all"}

logging.getLogger("prawcore").setLevel(logging.INFO)


# --- parsing (pure functions on plain dicts) ----------------------------------


def plain(item: Any) -> dict[str, Any]:
    """The data praw received for ``item`` as a JSON-able dict, without
    triggering a fetch: related objects become their names, nested replies are
    left out (they are parsed separately)."""
    data: dict[str, Any] = {}
    for key, value in vars(item).items():
        if key.startswith("_") or key == "replies":
            continue
        if isinstance(value, praw.models.Redditor):
            value = value.name
        elif isinstance(value, praw.models.Subreddit):
            value = value.display_name
        elif not isinstance(value, str | int | float | bool | type(None) | list | dict):
            value = str(value)
        data[key] = value
    kind = next((k for cls, k in _KIND_OF.items() if isinstance(item, cls)), None)
    if kind:
        data["kind"] = kind
    return data


@dataclass
class RedditContext:
    """What a parser needs to know about where an item came from."""

    brand: str
    source: str
    #: Lower-case usernames of every brand account (to recognise outbound).
    brand_accounts: set[str]
    default_kind: str
    fetched_at: datetime = field(default_factory=utc_now)


def fullname(kind: str, item_id: str) -> str:
    """``t1_abc`` from kind ``t1`` and id ``abc`` (an id already prefixed is kept)."""
    return item_id if item_id.startswith(f"{kind}_") else f"{kind}_{item_id}"


def item_to_message(data: dict[str, Any], ctx: RedditContext) -> StoredMessage:
    """Turn one comment (t1), submission (t3) or private message (t4), as a
    plain dict, into a :class:`Message`. Raises ``ValueError`` for an unknown
    kind or a missing id or creation time. A deleted author is kept (author
    None): the text can still need an answer."""
    kind = data.get("kind") or str(data.get("name", ""))[:2]
    if kind not in ("t1", "t3", "t4"):
        raise ValueError(f"unsupported Reddit kind {kind!r}")
    item_id = str(data.get("id") or "")
    if not item_id:
        raise ValueError("Reddit item has no id")
    created = data.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, int | float):
        raise ValueError(f"Reddit item {item_id} has no created_utc")
    name = fullname(kind, item_id)
    author = data.get("author") or None
    if author in ("[deleted]", "[removed]"):
        author = None
    outbound = bool(author) and author.lower() in ctx.brand_accounts
    if kind == "t3":
        text = "\n\n".join(p for p in (data.get("title"), data.get("selftext")) if p)
    else:
        text = data.get("body")
        if not isinstance(text, str):
            raise ValueError(f"Reddit item {name} has no body")
    parent = data.get("parent_id") or None
    if parent and "_" not in str(parent):
        raise ValueError(f"Reddit item {name}: parent_id {parent!r} is not a fullname")
    if kind == "t4":
        thread = data.get("first_message_name") or name
        channel, message_kind = "private", "dm"
    else:
        thread = data.get("link_id") if kind == "t1" else name
        channel = "public"
        if outbound:
            message_kind = "reply" if parent else "post"
        else:
            message_kind = ctx.default_kind
    link = data.get("permalink") or data.get("context")
    return StoredMessage(
        platform=PLATFORM,
        external_id=name,
        created_at=datetime.fromtimestamp(float(created), UTC),
        text=text,
        direction="outbound" if outbound else "inbound",
        kind=message_kind,
        channel=channel,
        source=ctx.source,
        author_id=data.get("author_fullname") or None,
        author_handle=author,
        brand=ctx.brand,
        in_reply_to_id=str(parent) if parent else None,
        thread_ref=str(thread) if thread else None,
        url=f"{REDDIT}{link}" if isinstance(link, str) and link.startswith("/") else None,
        raw=data,
        fetched_at=ctx.fetched_at,
    )


def flatten(item: Any) -> list[Any]:
    """``item`` followed by its nested replies (private-message threads)."""
    found = [item]
    replies = vars(item).get("replies")
    if isinstance(replies, list | tuple) or (
        replies and hasattr(replies, "__iter__") and not isinstance(replies, str)
    ):
        for reply in replies:
            found.extend(flatten(reply))
    return found


def newest_time(item: Any) -> float:
    """Latest ``created_utc`` within ``item`` and its nested replies (0 if none)."""
    stamps = [vars(i).get("created_utc") for i in flatten(item)]
    return max((float(s) for s in stamps if isinstance(s, int | float)), default=0.0)


def parse_items(
    items: Iterable[Any], ctx: RedditContext
) -> tuple[list[StoredMessage], list[Rejected]]:
    """Parse listing items (and nested replies); bad ones are rejected with
    their data, the rest kept."""
    messages: list[StoredMessage] = []
    rejected: list[Rejected] = []
    for item in items:
        for each in flatten(item):
            data = plain(each)
            try:
                messages.append(item_to_message(data, ctx))
            except (ValueError, TypeError, KeyError) as exc:
                rejected.append(Rejected(data, f"{type(exc).__name__}: {exc}"))
    return messages, rejected


# --- errors ---------------------------------------------------------------------


def classify_reddit_error(exc: BaseException, clock: Callable[[], float] = real_clock) -> Verdict:
    """Rate limit (reset from Reddit's relative ``x-ratelimit-reset``),
    transient (5xx, network, unreadable body) or fatal."""
    if isinstance(exc, prawcore.TooManyRequests):
        reset = exc.response.headers.get("x-ratelimit-reset") if exc.response is not None else None
        try:
            return "rate_limit", clock() + float(reset) if reset is not None else None
        except ValueError:
            return "rate_limit", None
    if isinstance(exc, prawcore.ServerError | prawcore.RequestException | BadPayload):
        return "transient", None
    return "fatal", None


# --- the collector -------------------------------------------------------------


def make_reddit(settings: dict[str, str], *, user_agent: str) -> praw.Reddit:
    """A praw Reddit instance from secrets.toml values (praw adds ``praw_*`` env
    vars and praw.ini). Raises praw's ``MissingRequiredAttributeException``
    when no client id/secret is configured anywhere."""
    kwargs = {"user_agent": user_agent, **settings}
    return praw.Reddit(check_for_updates=False, **kwargs)


class RedditCollector:
    """Builds the Reddit sources of the configured brands."""

    def __init__(
        self,
        reddit: praw.Reddit,
        brands: list[BrandConfig],
        settings: CollectorSettings,
        *,
        clock: Callable[[], float] = real_clock,
        sleep: Sleep = real_sleep,
    ):
        self.reddit = reddit
        self.brands = [b for b in brands if b.reddit]
        self.settings = settings
        self.clock, self.sleep = clock, sleep
        self.waits = WaitLog()
        self.warnings: list[str] = []
        self.brand_accounts = {b.reddit.account.lower() for b in self.brands if b.reddit.account}
        self._authenticated_as: str | None = None

    @property
    def authenticated_as(self) -> str | None:
        """The username the credentials act as: praw's configured username, else
        one ``/api/v1/me`` call (refresh-token logins). None when read-only."""
        if self.reddit.read_only:
            return None
        if self._authenticated_as is None:
            configured = self.reddit.config.username
            if isinstance(configured, str) and configured:
                self._authenticated_as = configured
            else:
                me = call_with_retries(
                    self.reddit.user.me,
                    classify=lambda e: classify_reddit_error(e, self.clock),
                    attempts=self.settings.retry_attempts,
                    max_rate_limit_wait=self.settings.max_rate_limit_wait_s,
                    clock=self.clock,
                    sleep=self.sleep,
                    log=self.waits,
                )
                self._authenticated_as = me.name if me else ""
        return self._authenticated_as

    def sources(self) -> list[Source]:
        """One :class:`Source` per brand and listing."""
        result: list[Source] = []
        for brand in self.brands:
            watch = brand.reddit
            if watch.keywords:
                query = " OR ".join(f'"{k}"' if " " in k else k for k in watch.keywords)
                for sub in watch.subreddits:
                    result.append(
                        self._source(
                            f"reddit:{brand.key}:search:{sub.lower()}",
                            brand,
                            "post",
                            lambda limit, sub=sub, query=query: self.reddit.subreddit(sub).search(
                                query, limit=limit, **SEARCH_PARAMS
                            ),
                        )
                    )
                    result.append(
                        self._source(
                            f"reddit:{brand.key}:comments:{sub.lower()}",
                            brand,
                            "comment",
                            lambda limit, sub=sub: self.reddit.subreddit(sub).comments(limit=limit),
                            keep=_keyword_filter(watch.keywords),
                        )
                    )
            if not watch.account:
                continue
            account = watch.account
            # A user's comment listing is public: brand replies are seen even
            # without the account's own credentials.
            result.append(
                self._source(
                    f"reddit:{brand.key}:own_comments",
                    brand,
                    "reply",
                    lambda limit, account=account: self.reddit.redditor(account).comments.new(
                        limit=limit
                    ),
                )
            )
            if self.reddit.read_only:
                self.warnings.append(
                    f"reddit: brands.{brand.key}: the inbox needs the account's "
                    "username/password or refresh_token (praw_username + praw_password, or "
                    "praw_refresh_token); only public listings run"
                )
                continue
            if (self.authenticated_as or "").lower() != account.lower():
                self.warnings.append(
                    f"reddit: brands.{brand.key}: credentials act as "
                    f"u/{self.authenticated_as}, not u/{account}; its inbox is skipped"
                )
                continue
            if watch.inbox:
                for listing, kind in (
                    ("mentions", "mention"),
                    ("comment_replies", "reply"),
                    ("submission_replies", "reply"),
                    ("messages", "dm"),
                ):
                    result.append(
                        self._source(
                            f"reddit:{brand.key}:inbox:{listing}",
                            brand,
                            kind,
                            lambda limit, listing=listing: getattr(self.reddit.inbox, listing)(
                                limit=limit
                            ),
                        )
                    )
            result.append(
                self._source(
                    f"reddit:{brand.key}:sent",
                    brand,
                    "dm",
                    lambda limit: self.reddit.inbox.sent(limit=limit),
                )
            )
        return result

    def _source(
        self,
        name: str,
        brand: BrandConfig,
        default_kind: str,
        listing: Callable[[int], Iterable[Any]],
        keep: Callable[[Any], bool] | None = None,
    ) -> Source:
        def poll(cursor: dict) -> Iterator[PollResult]:
            now = self.clock()
            catch_up = now - float(cursor.get("catch_up_at") or 0) >= (
                self.settings.reddit_catch_up_hours * 3600
            )
            limit = (
                self.settings.reddit_catch_up_limit
                if catch_up
                else self.settings.reddit_listing_limit
            )

            def fetch(stop: Any, _token: str | None) -> paging.Page:
                # praw pages by itself: one page holding the listing read down
                # to the mark, inside the retries (praw fetches lazily).
                def read() -> list[Any]:
                    try:
                        return list(paging.newer_than(listing(limit), NEWEST, stop))
                    except prawcore.BadJSON as exc:
                        body = exc.response.text if exc.response is not None else ""
                        raise BadPayload(body, f"{name}: response body is not valid JSON") from None

                return paging.Page(
                    call_with_retries(
                        read,
                        classify=lambda e: classify_reddit_error(e, self.clock),
                        attempts=self.settings.retry_attempts,
                        max_rate_limit_wait=self.settings.max_rate_limit_wait_s,
                        clock=self.clock,
                        sleep=self.sleep,
                        log=self.waits,
                    )
                )

            carried = {**cursor, "catch_up_at": now} if catch_up else cursor
            for read in paging.read_pages(
                carried, fetch, NEWEST, max_pages=1, ignore_mark=catch_up
            ):
                # The cursor follows everything listed, kept or not: a comment
                # scan with no keyword match must still move on.
                items = [i for i in read.items if keep(i)] if keep else read.items
                ctx = RedditContext(brand.key, name, self.brand_accounts, default_kind)
                messages, rejected = parse_items(items, ctx)
                waits = self.waits.take()
                yield PollResult(
                    source=name,
                    messages=messages,
                    rejected=rejected,
                    cursor=read.cursor,
                    rate_limit_wait_s=waits.rate_limit_s,
                    details={
                        "listed": len(read.items),
                        "catch_up": catch_up,
                        "limit": limit,
                        "backoff_wait_s": round(waits.backoff_s, 3),
                        "retries": waits.retries,
                        "reddit_limits": _limits(self.reddit),
                    },
                )

        return Source(name, PLATFORM, poll)


def _position(item: Any) -> tuple[float, str | None]:
    return newest_time(item), _name(item)


def _seen(position: tuple[float, str | None], mark: tuple[float, str | None]) -> bool:
    # Older than the mark, or the very item of the mark (a tie in time with
    # another item is not "seen": both are kept).
    (stamp, name), (stop_ts, stop_name) = position, mark
    return stamp < stop_ts or (name == stop_name and stamp <= stop_ts)


def _newer(a: Any, b: Any) -> Any:
    # Listing order breaks ties: the first (newest listed) of equal times wins.
    if a is None or (b is not None and b[0] > a[0]):
        return b
    return a


#: Reddit's cursor: the newest thread time and fullname read so far.
NEWEST = paging.Mark(
    "newest",
    position=_position,
    seen=_seen,
    newer=_newer,
    load=lambda c: (
        (float(c["newest_ts"]), c.get("newest")) if c.get("newest_ts") is not None else None
    ),
    dump=lambda m: {} if m is None else {"newest": m[1], "newest_ts": m[0]},
)


def _name(item: Any) -> str | None:
    data = vars(item)
    kind = next((k for cls, k in _KIND_OF.items() if isinstance(item, cls)), None)
    if data.get("name"):
        return str(data["name"])
    return fullname(kind, str(data["id"])) if kind and data.get("id") else None


def _keyword_filter(keywords: tuple[str, ...]) -> Callable[[Any], bool]:
    lowered = [k.lower() for k in keywords]

    def keep(item: Any) -> bool:
        data = vars(item)
        text = " ".join(str(data.get(k) or "") for k in ("body", "title", "selftext")).lower()
        return any(k in text for k in lowered)

    return keep


def _limits(reddit: praw.Reddit) -> dict[str, Any]:
    try:
        limits = dict(reddit.auth.limits)
    except Exception:  # noqa: BLE001 - diagnostics only
        return {}
    return {k: v for k, v in limits.items() if isinstance(v, int | float | type(None))}
