"""X / Twitter collector (tweepy ``Client``, API v2).

Per brand it polls the mentions of each brand handle, the handle's own posts
(so replies sent from the native app mark conversations replied), a recent
search for untagged brand talk, and, when the credentials act as a brand
account, its direct messages.

Decisions worth knowing:

* tweepy's ``wait_on_rate_limit`` is **off**: it sleeps with ``time.sleep``
  out of our sight, only for 429s. We handle 429 ourselves (sleep until
  ``x-rate-limit-reset`` through an injected ``sleep``, so the wait is recorded
  in collector health and tests never wait), pause before a call when the
  previous response said ``x-rate-limit-remaining: 0``, keep a per-second
  throttle, and back off with jitter (tenacity) on 5xx, network errors and
  unreadable bodies.
* The client returns raw ``requests.Response`` objects, so we keep the exact
  payload (provenance, dead letters) and read the rate-limit headers.
* Cursors never skip data: X returns newest first, so ``since_id`` only moves
  once every page down to the old cursor is stored. Each page is committed as
  it arrives with a *resumable* cursor ``{"since_id": old, "resume":
  {"next_token", "newest_id"}}``; a crash or a page limit resumes from the
  token instead of re-reading (reads are metered). If X refuses an old token,
  we restart from ``since_id`` (duplicates are skipped by the store).
* Items missing ``created_at`` are kept with the time encoded in the tweet's
  snowflake id (exact to the millisecond, documented by X); items missing
  ``author_id`` / ``sender_id`` are dead-lettered, because without an author we
  cannot tell a customer from the brand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from replywatch.collectors import paging
from replywatch.collectors.base import Message, PollResult, Rejected, Source
from replywatch.collectors.paging import Mark
from replywatch.collectors.ratelimit import (
    BadPayload,
    RateLimited,
    ReadBudget,
    Sleep,
    Throttle,
    Verdict,
    WaitLog,
    call_with_retries,
    real_clock,
    real_sleep,
)
from replywatch.store.timeutil import utc_now

if TYPE_CHECKING:  # types only: config imports the collectors, not the reverse
    from replywatch.config import BrandConfig, CollectorSettings

PLATFORM = "x"
USAGE_SOURCE = "x:usage"
# What each request asks for: only what the parsers read (tests/
# test_requested_fields.py removes each entry in turn and sees the stored
# messages change). A tweet's id and text, a user's id, name and username and
# a DM event's id, event_type and text are X's default fields: listed where
# the parser reads them, returned whatever the list says.
TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "referenced_tweets", "lang"]
USER_FIELDS = ["username", "name", "public_metrics"]  # public_metrics: followers
EXPANSIONS = ["author_id"]  # the author's user object (handle, name, followers)
DM_EVENT_FIELDS = ["id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id"]
DM_EXPANSIONS = ["sender_id"]
#: X's cursors: tweets are read down to ``since_id`` (X filters them), DM
#: events down to ``last_id`` (the pager filters them).
SINCE_ID, LAST_ID = Mark("since_id"), Mark("last_id")
#: X epoch of snowflake ids (ms), from X's id documentation.
SNOWFLAKE_EPOCH_MS = 1288834974657
#: First snowflake ids date from November 2010; smaller ids carry no time.
MIN_SNOWFLAKE = 1 << 32

# tweepy logs request headers (the bearer token) at DEBUG: never let it.
logging.getLogger("tweepy").setLevel(logging.INFO)


# --- parsing (pure functions, tested against recorded traffic) ---------------


def snowflake_time(tweet_id: str) -> datetime:
    """Creation time encoded in a snowflake id; ``ValueError`` for ids that
    are not snowflakes (pre-2010 or not numeric)."""
    if not str(tweet_id).isdigit() or int(tweet_id) < MIN_SNOWFLAKE:
        raise ValueError(f"id {tweet_id!r} is not a snowflake id, cannot derive created_at")
    ms = (int(tweet_id) >> 22) + SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, UTC)


def parse_time(value: str) -> datetime:
    """X's ISO time ``2022-10-07T22:42:12.000Z`` as an aware datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"created_at without a UTC offset: {value!r}")
    return moment


@dataclass
class Page:
    """One response page: items, expanded users, meta and partial errors."""

    items: list[Any]
    users: dict[str, dict[str, Any]]
    meta: dict[str, Any]
    errors: list[Any]


def read_page(payload: Any) -> Page:
    """Unpack a v2 response envelope. An empty result has no ``data`` (only
    ``meta.result_count: 0``). Raises ``ValueError`` for an envelope that is
    not a v2 response."""
    if not isinstance(payload, dict):
        raise ValueError("response is not a JSON object")
    data = payload.get("data", [])
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("'data' is neither a list nor an object")
    meta = payload.get("meta") or {}
    if not isinstance(meta, dict):
        raise ValueError("'meta' is not an object")
    if "data" not in payload and "meta" not in payload:
        raise ValueError("response has neither 'data' nor 'meta'")
    includes = payload.get("includes") or {}
    users = {
        str(u["id"]): u for u in includes.get("users", []) if isinstance(u, dict) and u.get("id")
    }
    return Page(items=data, users=users, meta=meta, errors=list(payload.get("errors") or []))


@dataclass
class XContext:
    """What a parser needs to know about where an item came from."""

    brand: str
    source: str
    #: Brand account ids -> handle, across all brands (to recognise outbound).
    brand_ids: dict[str, str]
    #: The author to assume when an item has none (a user's own timeline).
    timeline_owner: str | None = None
    fetched_at: datetime = field(default_factory=utc_now)


def _author(user: dict[str, Any] | None) -> tuple[str | None, str | None, int | None]:
    if not user:
        return None, None, None
    metrics = user.get("public_metrics") or {}
    followers = metrics.get("followers_count")
    return (
        user.get("username"),
        user.get("name"),
        followers if isinstance(followers, int) else None,
    )


def tweet_to_message(
    tweet: Any, users: dict[str, dict], ctx: XContext, *, default_kind: str
) -> Message:
    """Turn one v2 tweet object into a :class:`Message`. Raises ``ValueError``
    when it lacks an id or text, or an author (unless ``ctx.timeline_owner``)."""
    if not isinstance(tweet, dict):
        raise ValueError("tweet is not an object")
    tweet_id = str(tweet.get("id") or "")
    if not tweet_id.isdigit():
        raise ValueError("tweet has no numeric id")
    if not isinstance(tweet.get("text"), str):
        raise ValueError(f"tweet {tweet_id} has no text")
    derived = []
    author_id = str(tweet.get("author_id") or ctx.timeline_owner or "")
    if not author_id:
        raise ValueError(
            f"tweet {tweet_id} has no author_id: cannot tell customer from brand "
            "(was it requested with expansions=author_id?)"
        )
    if not tweet.get("author_id"):
        derived.append("author_id: timeline owner")
    if tweet.get("created_at"):
        created = parse_time(str(tweet["created_at"]))
    else:
        created = snowflake_time(tweet_id)
        derived.append("created_at: snowflake id")
    replied_to = next(
        (
            str(r.get("id"))
            for r in tweet.get("referenced_tweets") or []
            if isinstance(r, dict) and r.get("type") == "replied_to"
        ),
        None,
    )
    outbound = author_id in ctx.brand_ids
    handle, name, followers = _author(users.get(author_id))
    if outbound and not handle:
        handle = ctx.brand_ids[author_id]
    if outbound:
        kind = "reply" if replied_to else "post"
    else:
        kind = "reply" if replied_to and default_kind == "mention" else default_kind
    raw: dict[str, Any] = {"tweet": tweet}
    if users.get(author_id):
        raw["author"] = users[author_id]
    if derived:
        raw["derived"] = derived
    return Message(
        platform=PLATFORM,
        external_id=tweet_id,
        created_at=created,
        text=tweet["text"],
        direction="outbound" if outbound else "inbound",
        kind=kind,
        channel="public",
        source=ctx.source,
        author_id=author_id,
        author_handle=handle,
        author_name=name,
        author_followers=followers,
        brand=ctx.brand,
        in_reply_to_id=replied_to,
        thread_ref=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        url=f"https://x.com/{handle or 'i/web'}/status/{tweet_id}",
        lang=tweet.get("lang"),
        raw=raw,
        fetched_at=ctx.fetched_at,
    )


def dm_to_message(event: Any, users: dict[str, dict], ctx: XContext) -> Message | None:
    """Turn one v2 DM event into a private :class:`Message` (None for events
    that are not messages, e.g. someone joining). Raises ``ValueError`` for a
    message without id, sender or conversation id."""
    if not isinstance(event, dict):
        raise ValueError("DM event is not an object")
    event_id = str(event.get("id") or "")
    if not event_id.isdigit():
        raise ValueError("DM event has no numeric id")
    if event.get("event_type", "MessageCreate") != "MessageCreate":
        return None
    sender = str(event.get("sender_id") or "")
    if not sender:
        raise ValueError(
            f"DM event {event_id} has no sender_id: cannot tell customer from "
            "brand (was it requested with dm_event.fields=sender_id?)"
        )
    conversation = str(event.get("dm_conversation_id") or "")
    if not conversation:
        raise ValueError(f"DM event {event_id} has no dm_conversation_id")
    derived = []
    if event.get("created_at"):
        created = parse_time(str(event["created_at"]))
    else:
        created = snowflake_time(event_id)
        derived.append("created_at: snowflake id")
    outbound = sender in ctx.brand_ids
    handle, name, followers = _author(users.get(sender))
    if outbound and not handle:
        handle = ctx.brand_ids[sender]
    raw: dict[str, Any] = {"dm_event": event}
    if users.get(sender):
        raw["sender"] = users[sender]
    if derived:
        raw["derived"] = derived
    return Message(
        platform=PLATFORM,
        external_id=event_id,
        created_at=created,
        text=str(event.get("text") or ""),
        direction="outbound" if outbound else "inbound",
        kind="dm",
        channel="private",
        source=ctx.source,
        author_id=sender,
        author_handle=handle,
        author_name=name,
        author_followers=followers,
        brand=ctx.brand,
        thread_ref=conversation,
        url=None,
        raw=raw,
        fetched_at=ctx.fetched_at,
    )


# --- errors ---------------------------------------------------------------------


def classify_x_error(exc: BaseException) -> Verdict:
    """Rate limit (with reset time), transient (retry with backoff) or fatal."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.response.headers.get("x-rate-limit-reset") if exc.response is not None else None
        return "rate_limit", float(reset) if reset and str(reset).isdigit() else None
    if isinstance(exc, tweepy.TwitterServerError | BadPayload):
        return "transient", None
    if isinstance(
        exc,
        requests.exceptions.ConnectionError
        | requests.exceptions.Timeout
        | requests.exceptions.ChunkedEncodingError,
    ):
        return "transient", None
    return "fatal", None


class _TimeoutAdapter(HTTPAdapter):
    """tweepy sets no timeout; a hung connection would stall every source."""

    def __init__(self, timeout: float):
        super().__init__()
        self._timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def make_client(credentials, *, timeout: float) -> tweepy.Client:
    """A tweepy Client returning raw responses, 429s raised (not slept on),
    with a request timeout."""
    client = tweepy.Client(
        bearer_token=credentials.bearer_token,
        consumer_key=credentials.api_key,
        consumer_secret=credentials.api_secret,
        access_token=credentials.access_token,
        access_token_secret=credentials.access_token_secret,
        return_type=requests.Response,
        wait_on_rate_limit=False,
    )
    client.session.mount("https://", _TimeoutAdapter(timeout))
    return client


# --- the collector ---------------------------------------------------------------


class XCollector:
    """Builds the X sources for the configured brands and performs their calls
    (throttled, retried, budgeted)."""

    def __init__(
        self,
        client: tweepy.Client,
        brands: list[BrandConfig],
        settings: CollectorSettings,
        *,
        app_auth: bool,
        user_auth: bool,
        budget: ReadBudget | None = None,
        clock: Callable[[], float] = real_clock,
        sleep: Sleep = real_sleep,
    ):
        self.client = client
        self.brands = [b for b in brands if b.x]
        self.settings = settings
        self.app_auth, self.user_auth = app_auth, user_auth
        self.budget = budget or ReadBudget(settings.x_monthly_read_cap, clock=clock)
        self.clock, self.sleep = clock, sleep
        self.waits = WaitLog()
        self.throttle = Throttle(
            settings.x_min_request_interval_s, clock=clock, sleep=sleep, log=self.waits
        )
        self._limits: dict[str, tuple[int, float]] = {}
        self.account_ids: dict[str, str] = {}  # lower-case handle -> id
        self.me: str | None = None
        self.warnings: list[str] = []

    # -- calls --

    def _call(self, method: str, *, count_reads: int | None = None, **params: Any) -> dict:
        """Call ``client.<method>`` and return its JSON payload, with throttle,
        rate-limit waits, retries and the read budget applied."""
        # Only DMs and get_me need user context; everything else prefers the app
        # token (its limits are separate and usually larger).
        user_auth = method in ("get_direct_message_events", "get_me") or not self.app_auth
        if count_reads:
            self.budget.check(count_reads)

        def attempt() -> dict:
            self._respect_known_limit(method)
            self.throttle.wait()
            response = getattr(self.client, method)(user_auth=user_auth, **params)
            self._note_limit(method, response.headers)
            try:
                payload = response.json()
            except ValueError as exc:
                raise BadPayload(
                    response.text,
                    f"{method}: response body is not valid JSON ({type(exc).__name__}: {exc})",
                ) from None
            if not isinstance(payload, dict):
                raise BadPayload(response.text, f"{method}: response is not a JSON object")
            return payload

        return call_with_retries(
            attempt,
            classify=classify_x_error,
            attempts=self.settings.retry_attempts,
            max_rate_limit_wait=self.settings.max_rate_limit_wait_s,
            clock=self.clock,
            sleep=self.sleep,
            log=self.waits,
        )

    def _note_limit(self, method: str, headers: Any) -> None:
        remaining, reset = headers.get("x-rate-limit-remaining"), headers.get("x-rate-limit-reset")
        if remaining is not None and reset is not None:
            try:
                self._limits[method] = (int(remaining), float(reset))
            except ValueError:
                pass

    def _respect_known_limit(self, method: str) -> None:
        """The last response said the window is used up: wait for its reset
        instead of provoking a 429."""
        remaining, reset = self._limits.get(method, (1, 0.0))
        wait = reset + 1 - self.clock()
        if remaining > 0 or wait <= 0:
            return
        if wait > self.settings.max_rate_limit_wait_s:
            raise RateLimited(
                reset,
                f"{method}: rate-limit window used up; resets in "
                f"{wait:.0f}s, not waiting that long now",
            )
        self.sleep(wait)
        self.waits.rate_limit_s += wait
        self._limits.pop(method, None)

    # -- setup --

    def resolve_accounts(self, known: dict[str, str]) -> dict[str, str]:
        """Find the numeric id of every brand handle: from the config, from
        ``known`` (lower-case handle -> id, e.g. stored earlier), else by one
        lookup each. Returns the ids looked up now (handle -> id) so the caller
        can store them. Handles that do not exist are reported in ``warnings``."""
        found: dict[str, str] = {}
        for brand in self.brands:
            for handle in brand.x.handles:
                account_id = brand.x.user_ids.get(handle) or known.get(handle.lower())
                if not account_id:
                    try:
                        payload = self._call("get_user", username=handle)
                    except tweepy.NotFound:
                        payload = {}
                    account_id = str((payload.get("data") or {}).get("id") or "")
                    if not account_id:
                        self.warnings.append(f"x: handle @{handle} ({brand.key}) was not found")
                        continue
                    found[handle] = account_id
                self.account_ids[handle.lower()] = account_id
        if self.user_auth and any(b.x.direct_messages for b in self.brands):
            data = self._call("get_me").get("data") or {}
            self.me = str(data.get("id") or "") or None
        return found

    def sources(self) -> list[Source]:
        """One :class:`Source` per brand handle and stream, plus searches."""
        result = []
        for brand in self.brands:
            for handle in brand.x.handles:
                account_id = self.account_ids.get(handle.lower())
                if not account_id:
                    continue
                tag = f"x:{brand.key}:{{}}:{handle.lower()}"
                result.append(
                    self._timeline_source(
                        tag.format("mentions"),
                        brand,
                        "get_users_mentions",
                        account_id,
                        default_kind="mention",
                        timeline_owner=None,
                    )
                )
                result.append(
                    self._timeline_source(
                        tag.format("posts"),
                        brand,
                        "get_users_tweets",
                        account_id,
                        default_kind="post",
                        timeline_owner=account_id,
                        exclude=["retweets"],
                    )
                )
                if brand.x.direct_messages and account_id == self.me:
                    result.append(
                        Source(tag.format("dm"), PLATFORM, self._dm_poller(tag.format("dm"), brand))
                    )
            query = brand.x.search_query()
            if query:
                result.append(self._search_source(f"x:{brand.key}:search", brand, query))
        if any(b.x.direct_messages for b in self.brands) and not self.me:
            self.warnings.append(
                "x: direct messages need OAuth 1.0a user tokens of a brand account "
                "(X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET); DMs skipped"
            )
        elif self.me and not any(
            self.me == self.account_ids.get(h.lower()) for b in self.brands for h in b.x.handles
        ):
            self.warnings.append(
                "x: the user tokens belong to an account that is not a "
                "configured brand handle; DMs skipped"
            )
        return result

    def _brand_ids(self) -> dict[str, str]:
        return {account_id: handle for handle, account_id in self.account_ids.items()}

    def _timeline_source(
        self,
        name: str,
        brand: BrandConfig,
        method: str,
        account_id: str,
        *,
        default_kind: str,
        timeline_owner: str | None,
        exclude: list[str] | None = None,
    ) -> Source:
        def fetch(since_id: str | None, token: str | None) -> dict:
            extra = {"exclude": exclude} if exclude else {}
            return self._call(
                method,
                count_reads=self.settings.page_size,
                id=account_id,
                since_id=since_id,
                pagination_token=token,
                max_results=max(5, self.settings.page_size),
                tweet_fields=TWEET_FIELDS,
                expansions=EXPANSIONS,
                user_fields=USER_FIELDS,
                **extra,
            )

        def parse(page: Page, items: list[Any]) -> tuple[list[Message], list[Rejected]]:
            ctx = XContext(brand.key, name, self._brand_ids(), timeline_owner=timeline_owner)
            return _parse_items(
                items,
                lambda t: tweet_to_message(t, page.users, ctx, default_kind=default_kind),
            )

        return Source(
            name, PLATFORM, lambda cursor: self._since_id_pages(name, cursor, fetch, parse)
        )

    def _search_source(self, name: str, brand: BrandConfig, query: str) -> Source:
        def fetch(since_id: str | None, token: str | None) -> dict:
            return self._call(
                "search_recent_tweets",
                count_reads=self.settings.page_size,
                query=query,
                since_id=since_id,
                next_token=token,
                max_results=max(10, self.settings.page_size),
                tweet_fields=TWEET_FIELDS,
                expansions=EXPANSIONS,
                user_fields=USER_FIELDS,
            )

        def parse(page: Page, items: list[Any]) -> tuple[list[Message], list[Rejected]]:
            ctx = XContext(brand.key, name, self._brand_ids())
            return _parse_items(
                items, lambda t: tweet_to_message(t, page.users, ctx, default_kind="keyword")
            )

        return Source(
            name, PLATFORM, lambda cursor: self._since_id_pages(name, cursor, fetch, parse)
        )

    # -- paging (the shared pager: replywatch.collectors.paging) --

    def _since_id_pages(self, name: str, cursor: dict, fetch, parse) -> Iterator[PollResult]:
        """Newest-first pages down to ``since_id`` (X filters server side)."""
        yield from self._pages(name, cursor, SINCE_ID, fetch, parse)

    def _pages(self, name: str, cursor: dict, mark: Mark, fetch, parse) -> Iterator[PollResult]:
        def fetch_page(since: int | None, token: str | None) -> paging.Page:
            payload = fetch(None if since is None else str(since), token)
            page = _checked_page(payload, name)
            self.budget.add(len(page.items))
            return paging.Page(
                page.items,
                next_token=page.meta.get("next_token"),
                newest=_int(page.meta.get("newest_id")),
                extra={"page": page},
            )

        def restarted() -> None:
            self.warnings.append(f"{name}: saved page token refused, restarting from since_id")

        for read in paging.read_pages(
            cursor,
            fetch_page,
            mark,
            max_pages=self.settings.max_pages_per_poll,
            token_refused=lambda exc: isinstance(exc, tweepy.BadRequest),
            on_restart=restarted,
        ):
            page = read.page.extra["page"]
            messages, rejected = parse(page, read.items)
            yield self._result(name, messages, rejected, read.cursor, page)

    def _dm_poller(self, name: str, brand: BrandConfig):
        def fetch(_since: str | None, token: str | None) -> dict:
            # dm_events has no since_id: the pager reads until an id we have.
            return self._call(
                "get_direct_message_events",
                count_reads=self.settings.page_size,
                event_types=["MessageCreate"],
                dm_event_fields=DM_EVENT_FIELDS,
                expansions=DM_EXPANSIONS,
                user_fields=USER_FIELDS,
                max_results=self.settings.page_size,
                pagination_token=token,
            )

        def parse(page: Page, items: list[Any]) -> tuple[list[Message], list[Rejected]]:
            ctx = XContext(brand.key, name, self._brand_ids())
            return _parse_items(items, lambda e: dm_to_message(e, page.users, ctx))

        return lambda cursor: self._pages(name, cursor, LAST_ID, fetch, parse)

    def _result(
        self, name: str, messages: list[Message], rejected: list[Rejected], cursor: dict, page: Page
    ) -> PollResult:
        waits = self.waits.take()
        result = PollResult(
            source=name,
            messages=messages,
            rejected=rejected,
            cursor=cursor,
            rate_limit_wait_s=waits.rate_limit_s,
            details={
                "x_reads_this_month": self.budget.reads,
                "x_monthly_read_cap": self.budget.cap,
                "x_month": self.budget.month,
                "throttle_wait_s": round(waits.throttle_s, 3),
                "backoff_wait_s": round(waits.backoff_s, 3),
                "retries": waits.retries,
            },
            extra_cursors={USAGE_SOURCE: self.budget.state()},
        )
        result.warnings += [f"{name}: API partial error: {e}" for e in page.errors]
        return result


def _checked_page(payload: dict, where: str) -> Page:
    try:
        return read_page(payload)
    except ValueError as exc:
        import json

        raise BadPayload(
            json.dumps(payload, ensure_ascii=False)[:100_000],
            f"{where}: unexpected response: {exc}",
        ) from None


def _parse_items(items: list[Any], parse_one) -> tuple[list[Message], list[Rejected]]:
    """Parse each item; a bad item is rejected with its payload, the rest kept."""
    messages: list[Message] = []
    rejected: list[Rejected] = []
    for item in items:
        try:
            message = parse_one(item)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            rejected.append(Rejected(item, f"{type(exc).__name__}: {exc}"))
        else:
            if message is not None:
                messages.append(message)
    return messages, rejected


def _int(value: Any) -> int | None:
    return int(value) if value is not None and str(value).isdigit() else None
