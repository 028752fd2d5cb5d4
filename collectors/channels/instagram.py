"""The Instagram channel (business / creator accounts through the Graph
API): its config table, credentials, sources and how the brand's replies are
recognised (anything written by the account id or username). The client and
parsers are in :mod:`replywatch.collectors.instagram` and its neighbours
(imported only when Instagram is polled: ``requests``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replywatch.collectors.channels import _meta
from replywatch.collectors.config_values import ConfigError, only, string
from replywatch.collectors.registry import Channel, ChannelContext, SourceSpec


@dataclass(frozen=True)
class InstagramWatch:
    """What to watch on one brand's Instagram business account."""

    account_id: str
    username: str | None = None
    #: The Facebook Page the account is linked to: Instagram DMs are read
    #: through its conversations.
    page_id: str | None = None
    comments: bool = True
    mentions: bool = True
    direct_messages: bool = True


def parse_watch(table: dict[str, Any], where: str, prefix: str) -> InstagramWatch:
    """Validate ``[brands.<key>.instagram]``; raises ConfigError naming the key."""
    allowed = {"account_id", "username", "page_id", "comments", "mentions", "direct_messages"}
    only(table, allowed, where, prefix)
    if "account_id" not in table:
        raise ConfigError(
            f"{where}: [{prefix}] needs account_id (the Instagram business account's numeric id)"
        )
    username = table.get("username")
    if username is not None:
        username = string(username, where, f"{prefix}.username").lstrip("@")
    page_id = table.get("page_id")
    if page_id is not None:
        page_id = _meta.graph_id(page_id, where, f"{prefix}.page_id")
    return InstagramWatch(
        account_id=_meta.graph_id(table["account_id"], where, f"{prefix}.account_id"),
        username=username,
        page_id=page_id,
        comments=_meta.flag_of(table, "comments", where, prefix),
        mentions=_meta.flag_of(table, "mentions", where, prefix),
        direct_messages=_meta.flag_of(table, "direct_messages", where, prefix),
    )


def open_sources(ctx: ChannelContext) -> list:
    """Build the Instagram sources of every brand's account (``requests`` here)."""
    from replywatch.collectors import instagram

    settings = _meta.sweep_settings(ctx)
    found = []
    clients = _meta.brands_with_clients(
        ctx,
        lambda brand, watch: (
            f"Instagram off for brand {brand.key}: no token for its page "
            f"{watch.page_id or '(page_id not set)'} (add it to META_PAGE_TOKENS or set "
            "META_ACCESS_TOKEN)"
        ),
    )
    for brand, watch, client in clients:
        if watch.direct_messages and not watch.page_id:
            ctx.warn(
                f"Instagram direct messages off for brand {brand.key}: set "
                f"brands.{brand.key}.instagram.page_id (the linked Facebook Page)"
            )
        found += instagram.sources(
            brand.key,
            watch.account_id,
            watch.username,
            client,
            settings,
            page_id=watch.page_id,
            comments=watch.comments,
            mentions=watch.mentions,
            direct_messages=watch.direct_messages,
        )
    return found


CHANNEL = Channel(
    name="instagram",
    hosts=("instagram.com",),
    label="Instagram",
    icon="📸",
    docs="docs/channels/instagram.md",
    description=(
        "Comments and replies on the account's media, media it is tagged or @mentioned in, "
        "and Instagram direct messages; the account's own comments and messages are the "
        "brand's replies."
    ),
    order=40,
    watch=parse_watch,
    accounts=lambda w: [(w.username or w.account_id, w.account_id)],
    brand_match="id",
    settings=_meta.SETTINGS,
    credentials=_meta.CREDENTIALS,
    credentials_help=_meta.CREDENTIALS_HELP,
    usable=_meta.usable,
    sources=(
        SourceSpec(
            "instagram:<brand>:comments",
            "media of the look-back window and their comments with nested replies",
            "per media: comment count, resume; last catch-up time",
        ),
        SourceSpec(
            "instagram:<brand>:mentions",
            "media the account is tagged or @mentioned in, newest first",
            "timestamp mark, resumable",
        ),
        SourceSpec(
            "instagram:<brand>:dm",
            "Instagram direct messages (the linked Page's conversations, platform=instagram)",
            "updated_time mark, resumable",
        ),
    ),
    open=open_sources,
    hints=_meta.HINTS,
    # Also delivered in real time by `replywatch webhooks serve` (docs/channels/whatsapp.md).
    webhook=True,
)
