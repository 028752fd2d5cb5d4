"""The X (Twitter) channel: its config table, credentials, sources and how the
brand's replies are recognised. The API client and parsers are in
:mod:`replywatch.collectors.x` (imported only when X is polled: tweepy)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from replywatch.collectors.config_values import ConfigError, as_table, flag, only, string, strings
from replywatch.collectors.registry import (
    Channel,
    ChannelContext,
    Credential,
    Credentials,
    Hint,
    Setting,
    SourceSpec,
)
from replywatch.i18n import N_

_HANDLE = re.compile(r"^@?\w{1,15}$")
CREDENTIALS = (
    Credential("bearer_token", "X_BEARER_TOKEN"),
    Credential("api_key", "X_API_KEY"),
    Credential("api_secret", "X_API_SECRET"),
    Credential("access_token", "X_ACCESS_TOKEN"),
    Credential("access_token_secret", "X_ACCESS_TOKEN_SECRET"),
)


@dataclass(frozen=True)
class XWatch:
    """What to watch on X for one brand."""

    handles: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    #: A full search query (X syntax) replacing the one built from ``keywords``.
    query: str | None = None
    direct_messages: bool = True
    #: Known numeric user ids by handle (saves one lookup per handle).
    user_ids: dict[str, str] = field(default_factory=dict)

    def search_query(self) -> str | None:
        """The recent-search query for this brand, or None if there is none."""
        if self.query:
            return self.query
        if not self.keywords:
            return None
        terms = [f'"{k}"' if " " in k else k for k in self.keywords]
        joined = " OR ".join(terms)
        return f"({joined}) -is:retweet" if len(terms) > 1 else f"{joined} -is:retweet"


def parse_watch(table: dict[str, Any], where: str, prefix: str) -> XWatch:
    """Validate ``[brands.<key>.x]``; raises ConfigError naming the key."""
    only(table, {"handles", "keywords", "query", "direct_messages", "user_ids"}, where, prefix)
    handles = tuple(
        h.lstrip("@") for h in strings(table.get("handles", []), where, f"{prefix}.handles")
    )
    for handle in handles:
        if not _HANDLE.match(handle):
            raise ConfigError(
                f"{where}: {prefix}.handles: {handle!r} is not an X handle "
                "(letters, digits, '_', at most 15)"
            )
    keywords = strings(table.get("keywords", []), where, f"{prefix}.keywords")
    query = table.get("query")
    if query is not None:
        query = string(query, where, f"{prefix}.query")
    direct_messages = flag(table.get("direct_messages", True), where, f"{prefix}.direct_messages")
    ids_table = as_table(table.get("user_ids", {}), where, f"{prefix}.user_ids")
    user_ids = {}
    for handle, value in ids_table.items():
        if handle.lstrip("@") not in handles:
            raise ConfigError(f"{where}: {prefix}.user_ids: {handle!r} is not in handles")
        if not str(value).isdigit():
            raise ConfigError(f"{where}: {prefix}.user_ids.{handle}: must be a numeric id")
        user_ids[handle.lstrip("@")] = str(value)
    if not handles and not keywords and not query:
        raise ConfigError(f"{where}: [{prefix}] needs handles, keywords or query")
    return XWatch(
        handles=handles,
        keywords=keywords,
        query=query,
        direct_messages=direct_messages,
        user_ids=user_ids,
    )


@dataclass(frozen=True)
class XCredentials:
    """Credentials for tweepy. ``bearer_token`` allows app-only reads; the four
    OAuth 1.0a values act as the account (needed for direct messages)."""

    bearer_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None

    @classmethod
    def of(cls, found: Credentials) -> XCredentials:
        """From the values the registry read."""
        return cls(**{c.key: found.get(c.key) for c in CREDENTIALS})

    @property
    def has_user_context(self) -> bool:
        """True when all four OAuth 1.0a values are present."""
        return all((self.api_key, self.api_secret, self.access_token, self.access_token_secret))

    @property
    def usable(self) -> bool:
        """True when some form of authentication is possible."""
        return bool(self.bearer_token) or self.has_user_context

    def values(self) -> list[str]:
        """Every secret value (for the scrubber)."""
        return [v for v in (getattr(self, c.key) for c in CREDENTIALS) if v]

    def __repr__(self) -> str:  # never print the values
        present = [c.key for c in CREDENTIALS if getattr(self, c.key)]
        return f"XCredentials(present={present})"


def open_sources(ctx: ChannelContext) -> list:
    """Build the X sources: client, read budget, account ids, then one source
    per handle and stream (tweepy is imported here, not before)."""
    from replywatch.collectors import x
    from replywatch.collectors.ratelimit import ReadBudget
    from replywatch.store.brands import account_ids
    from replywatch.store.state import get_cursor

    creds = XCredentials.of(ctx.credentials)
    client = x.make_client(creds, timeout=ctx.settings.http_timeout_s)
    budget = ReadBudget(ctx.settings.x_monthly_read_cap, clock=ctx.clock)
    budget.load(get_cursor(ctx.db, x.USAGE_SOURCE))
    collector = x.XCollector(
        client,
        [brand for brand, _ in ctx.brands],
        ctx.settings,
        app_auth=bool(creds.bearer_token),
        user_auth=creds.has_user_context,
        budget=budget,
        clock=ctx.clock,
        sleep=ctx.sleep,
    )
    found = collector.resolve_accounts(account_ids(ctx.db, "x"))
    for handle, account_id in found.items():
        ctx.remember_account_id(handle, account_id)
    sources = collector.sources()
    for warning in collector.warnings:
        ctx.warn(warning)
    return sources


CHANNEL = Channel(
    name="x",
    hosts=("x.com", "twitter.com"),
    label="X",
    icon="𝕏",
    docs="docs/channels/x.md",
    description="Mentions, the brand's own posts and replies, recent search and DMs (API v2).",
    order=10,
    watch=parse_watch,
    accounts=lambda w: [(h, w.user_ids.get(h)) for h in w.handles],
    brand_match="id",
    settings=(
        Setting(
            "x_monthly_read_cap", 10_000, "posts X may return per month (UTC)", zero_is_off=True
        ),
        Setting(
            "x_min_request_interval_s", 1.0, "own guard for X's per-second limit", allow_zero=True
        ),
    ),
    credentials=CREDENTIALS,
    credentials_help=(
        "Set X_BEARER_TOKEN (and, for direct messages, X_API_KEY, X_API_SECRET, "
        "X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)"
    ),
    usable=lambda found: XCredentials.of(found).usable,
    sources=(
        SourceSpec("x:<brand>:mentions:<handle>", "mentions of the handle", "since_id, resumable"),
        SourceSpec(
            "x:<brand>:posts:<handle>", "the handle's own posts and replies", "since_id, resumable"
        ),
        SourceSpec(
            "x:<brand>:dm:<handle>",
            "direct messages (user tokens of the handle)",
            "last_id, resumable",
        ),
        SourceSpec("x:<brand>:search", "recent search for keywords / query", "since_id, resumable"),
        SourceSpec("x:usage", "the month's read count (not polled)", "reads, month"),
    ),
    open=open_sources,
    hints=(
        Hint(
            r"\b401\b|Unauthorized",
            N_("the token was refused: check or regenerate it in the Developer Portal"),
        ),
        Hint(r"\b403\b|Forbidden", N_("the plan or app permissions do not allow this endpoint")),
        Hint(r"read cap|monthly", N_("the monthly read cap is reached: X resumes next month")),
    ),
)
