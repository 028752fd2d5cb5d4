"""The Facebook Pages channel: its config table, credentials, sources and how
the brand's replies are recognised (anything written by the page id). The
Graph API client and parsers are in :mod:`replywatch.collectors.graph_api`,
:mod:`replywatch.collectors.meta` and :mod:`replywatch.collectors.facebook`
(imported only when Facebook is polled: ``requests``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replywatch.collectors.channels import _meta
from replywatch.collectors.config_values import ConfigError, only
from replywatch.collectors.registry import Channel, ChannelContext, SourceSpec


@dataclass(frozen=True)
class FacebookWatch:
    """What to watch on one brand's Facebook Page."""

    page_id: str
    comments: bool = True
    messenger: bool = True
    mentions: bool = True


def parse_watch(table: dict[str, Any], where: str, prefix: str) -> FacebookWatch:
    """Validate ``[brands.<key>.facebook]``; raises ConfigError naming the key."""
    only(table, {"page_id", "comments", "messenger", "mentions"}, where, prefix)
    if "page_id" not in table:
        raise ConfigError(f"{where}: [{prefix}] needs page_id (the Facebook Page's numeric id)")
    return FacebookWatch(
        page_id=_meta.graph_id(table["page_id"], where, f"{prefix}.page_id"),
        comments=_meta.flag_of(table, "comments", where, prefix),
        messenger=_meta.flag_of(table, "messenger", where, prefix),
        mentions=_meta.flag_of(table, "mentions", where, prefix),
    )


def open_sources(ctx: ChannelContext) -> list:
    """Build the Facebook sources of every brand's page (``requests`` here)."""
    from replywatch.collectors import facebook

    settings = _meta.sweep_settings(ctx)
    found = []
    clients = _meta.brands_with_clients(
        ctx,
        lambda brand, watch: (
            f"Facebook off for brand {brand.key}: no token for page {watch.page_id} "
            "(add it to META_PAGE_TOKENS or set META_ACCESS_TOKEN)"
        ),
    )
    for brand, watch, client in clients:
        found += facebook.sources(
            brand.key,
            watch.page_id,
            client,
            settings,
            comments=watch.comments,
            messenger=watch.messenger,
            mentions=watch.mentions,
        )
    return found


CHANNEL = Channel(
    name="facebook",
    hosts=("facebook.com", "fb.com", "fb.watch"),
    label="Facebook",
    icon="📘",
    docs="docs/channels/facebook.md",
    description=(
        "Page posts and every comment and reply under them, visitor posts, posts tagging "
        "the page, and Messenger conversations; the page's own comments and messages are "
        "the brand's replies."
    ),
    order=30,
    watch=parse_watch,
    accounts=lambda w: [(w.page_id, w.page_id)],
    brand_match="id",
    settings=_meta.SETTINGS,
    credentials=_meta.CREDENTIALS,
    credentials_help=_meta.CREDENTIALS_HELP,
    usable=_meta.usable,
    sources=(
        SourceSpec(
            "facebook:<brand>:comments",
            "posts of the look-back window (+ visitor posts) and their comments and replies",
            "per post: comment count, after cursor, resume; last catch-up time",
        ),
        SourceSpec(
            "facebook:<brand>:mentions",
            "posts that tag or @mention the page, newest first",
            "created_time mark, resumable",
        ),
        SourceSpec(
            "facebook:<brand>:messenger",
            "Messenger threads, newest first, with their new messages",
            "updated_time mark, resumable",
        ),
    ),
    open=open_sources,
    hints=_meta.HINTS,
    # Also delivered in real time by `replywatch webhooks serve` (docs/channels/whatsapp.md).
    webhook=True,
)
