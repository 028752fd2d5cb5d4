"""The Reddit channel: its config table, credentials, sources and how the
brand's replies are recognised. The praw code is in
:mod:`replywatch.collectors.reddit` (imported only when Reddit is polled)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from replywatch.collectors.config_values import ConfigError, flag, only, string, strings
from replywatch.collectors.registry import (
    Channel,
    ChannelContext,
    Credential,
    Hint,
    Setting,
    SourceSpec,
)
from replywatch.i18n import N_

_NAME = re.compile(r"^(?:u/|/u/)?[\w-]{3,20}$")
_SUBREDDIT = re.compile(r"^(?:r/|/r/)?\w{2,21}$")


@dataclass(frozen=True)
class RedditWatch:
    """What to watch on Reddit for one brand."""

    account: str | None = None
    subreddits: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    inbox: bool = True


def parse_watch(table: dict[str, Any], where: str, prefix: str) -> RedditWatch:
    """Validate ``[brands.<key>.reddit]``; raises ConfigError naming the key."""
    only(table, {"account", "subreddits", "keywords", "inbox"}, where, prefix)
    account = table.get("account")
    if account is not None:
        account = string(account, where, f"{prefix}.account").split("/")[-1]
        if not _NAME.match(account):
            raise ConfigError(f"{where}: {prefix}.account: {account!r} is not a Reddit username")
    subreddits = strings(table.get("subreddits", []), where, f"{prefix}.subreddits")
    for name in subreddits:
        if not _SUBREDDIT.match(name):
            raise ConfigError(f"{where}: {prefix}.subreddits: {name!r} is not a subreddit name")
    subreddits = tuple(s.split("/")[-1] for s in subreddits)
    keywords = strings(table.get("keywords", []), where, f"{prefix}.keywords")
    if subreddits and not keywords:
        raise ConfigError(f"{where}: {prefix}: subreddits are searched for keywords; add keywords")
    inbox = flag(table.get("inbox", True), where, f"{prefix}.inbox")
    if not account and not subreddits:
        raise ConfigError(f"{where}: [{prefix}] needs an account or subreddits")
    return RedditWatch(account=account, subreddits=subreddits, keywords=keywords, inbox=inbox)


def open_sources(ctx: ChannelContext) -> list:
    """Build the Reddit sources (praw is imported here, not before). Without
    usable praw credentials Reddit is switched off with one warning."""
    from replywatch.collectors import reddit

    try:
        client = reddit.make_reddit(
            dict(ctx.credentials), user_agent=ctx.settings.reddit_user_agent
        )
    except Exception as exc:  # praw's MissingRequiredAttributeException and friends
        ctx.warn(
            "Reddit disabled: no usable praw credentials (set praw_client_id and "
            "praw_client_secret, plus praw_username/praw_password or praw_refresh_token, "
            f"or a [reddit] table in .streamlit/secrets.toml): {type(exc).__name__}"
        )
        return []
    collector = reddit.RedditCollector(
        client, [brand for brand, _ in ctx.brands], ctx.settings, clock=ctx.clock, sleep=ctx.sleep
    )
    sources = collector.sources()
    for warning in collector.warnings:
        ctx.warn(warning)
    return sources


CHANNEL = Channel(
    name="reddit",
    hosts=("reddit.com", "redd.it"),
    label="Reddit",
    icon="👽",
    docs="docs/channels/reddit.md",
    description=(
        "Subreddit search and comments, the brand account's inbox, own comments and sent messages."
    ),
    order=20,
    watch=parse_watch,
    accounts=lambda w: [(w.account, None)] if w.account else [],
    brand_match="handle",
    settings=(
        Setting("reddit_listing_limit", 100, "newest items read per listing per poll"),
        Setting("reddit_catch_up_hours", 6.0, "how often the catch-up pass re-reads"),
        Setting("reddit_catch_up_limit", 500, "how deep the catch-up pass re-reads"),
        Setting(
            "reddit_user_agent", "replywatch/0.1 (customer-care monitor)", "Reddit requires one"
        ),
    ),
    # praw also reads praw_* environment variables and praw.ini itself.
    credentials=(
        Credential("client_id", "praw_client_id", secret=False),
        Credential("client_secret", "praw_client_secret"),
        Credential("username", "praw_username", secret=False),
        Credential("password", "praw_password"),
        Credential("refresh_token", "praw_refresh_token"),
        Credential("user_agent", None, secret=False),
    ),
    credentials_help=(
        "Set praw_client_id and praw_client_secret (plus praw_username/praw_password "
        "or praw_refresh_token)"
    ),
    sources=(
        SourceSpec(
            "reddit:<brand>:search:<sub>",
            "posts matching the keywords, newest first",
            "newest fullname + time",
        ),
        SourceSpec(
            "reddit:<brand>:comments:<sub>",
            "new comments, kept when they match a keyword",
            "newest fullname + time",
        ),
        SourceSpec(
            "reddit:<brand>:inbox:{mentions,comment_replies,submission_replies,messages}",
            "the brand account's inbox",
            "newest fullname + time (a thread counts with its newest reply)",
        ),
        SourceSpec("reddit:<brand>:sent", "messages the brand sent", "newest fullname + time"),
        SourceSpec(
            "reddit:<brand>:own_comments", "the brand's own comments", "newest fullname + time"
        ),
    ),
    open=open_sources,
    hints=(
        Hint(
            r"invalid_grant|OAuthException|401",
            N_("the credentials were refused: check the password or refresh token"),
        ),
        Hint(
            r"\b403\b|Forbidden",
            N_("the account may not read this listing (private subreddit or suspended app)"),
        ),
    ),
)
