"""Instagram (business / creator accounts, through the Graph API).

Per brand with a ``[brands.<key>.instagram]`` table, up to three sources:

* ``instagram:<brand>:comments``: the account's media inside the look-back
  window (``/{ig-user-id}/media`` with ``comments_count``) and every comment
  with its nested ``replies``. Comments by the account itself are the
  brand's replies.
* ``instagram:<brand>:mentions``: media the account is tagged or
  @mentioned in (``/{ig-user-id}/tags``), newest first; and
  :func:`mentioned_comment_message` for a comment that @mentions the account
  (Meta names such comments only in the ``mentions`` webhook; the Graph API
  has no listing of them, see docs/collectors.md).
* ``instagram:<brand>:dm``: Instagram direct messages through the linked
  Facebook Page's ``/{page-id}/conversations?platform=instagram``.

Instagram names fields differently from Facebook: ``timestamp`` (not
``created_time``), ``text`` (not ``message``), ``username`` (not ``from``),
and ``caption`` / ``permalink`` on media. A comment read without
``username`` or ``from`` is a customer's with an unknown author (the
account's own comments always carry its username for its own token).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from replywatch.collectors.base import Message, Source
from replywatch.collectors.facebook import inbox_source
from replywatch.collectors.graph_api import GraphClient
from replywatch.collectors.meta import (
    CommentSweep,
    FieldMap,
    InboxContext,
    NewestFirst,
    SweepSettings,
    complete_edge,
    graph_time_mark,
    named_batches,
    parse_items,
    public_message,
    required_id,
)
from replywatch.store.timeutil import utc_now

PLATFORM = "instagram"
LABEL, ICON = "Instagram", ":material/photo_camera:"
#: Where a comment and a media keep their time, text and link (a comment
#: links to its media's permalink).
COMMENT_FIELD_MAP = FieldMap(PLATFORM, time="timestamp", text="text", url="permalink")
MEDIA_FIELD_MAP = FieldMap(PLATFORM, time="timestamp", text="caption", url="permalink")

# Only what the parsers read (see facebook.py). A media's ``comments_count``
# decides whether its comments are read again; its ``timestamp`` keeps it
# inside the look-back window. A reply's parent is the comment it is nested
# in. ``username`` and ``from{username}`` name the same author twice on
# purpose: either one attributes the comment if Meta leaves the other out.
MEDIA_FIELDS = "id,timestamp,permalink,comments_count"
_COMMENT = "id,text,timestamp,username,from{id,username}"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
TAGGED_FIELDS = "id,caption,timestamp,permalink,username"


@dataclass
class AccountContext:
    """What the parsers need to know about the account being read."""

    brand: str
    account_id: str
    username: str | None
    source: str
    fetched_at: datetime = field(default_factory=utc_now)

    def is_own(self, author_id: str | None, username: str | None) -> bool:
        """True when the author is the brand's account."""
        if author_id and author_id == self.account_id:
            return True
        return bool(username and self.username and username.lower() == self.username.lower())


def comment_messages(
    data: dict[str, Any],
    ctx: AccountContext,
    media: dict[str, Any] | None = None,
    parent_id: str | None = None,
) -> list[Message]:
    """One comment and its nested ``replies`` (each reply answers the
    comment, or the ``parent_id`` it names). Raises ``ValueError`` for a
    comment without id or timestamp (a bad reply is refused with it: they
    arrive as one item)."""
    comment_id = required_id(data, "comment")
    author = data.get("from") if isinstance(data.get("from"), dict) else {}
    username = data.get("username") or author.get("username")
    username = username if isinstance(username, str) else None
    author_id = str(author["id"]) if author.get("id") else None
    parent = parent_id or (str(data["parent_id"]) if data.get("parent_id") else None)
    outbound = ctx.is_own(author_id, username)
    media_id = str(media["id"]) if media and media.get("id") else None
    if media_id is None and isinstance(data.get("media"), dict) and data["media"].get("id"):
        media_id = str(data["media"]["id"])
    message = public_message(
        data,
        ctx,
        COMMENT_FIELD_MAP,
        external_id=comment_id,
        direction="outbound" if outbound else "inbound",
        kind=("reply" if parent else "post") if outbound else "comment",
        author_id=author_id,
        author_handle=username,
        in_reply_to_id=parent,
        thread_ref=media_id,
        link_from=media or {},
        raw={k: v for k, v in data.items() if k != "replies"},
    )
    found = [message]
    replies = data.get("replies")
    items = replies.get("data") if isinstance(replies, dict) else None
    for reply in items if isinstance(items, list) else []:
        found += comment_messages(reply, ctx, media, parent_id=comment_id)
    return found


def mention_message(media: dict[str, Any], ctx: AccountContext) -> Message:
    """A media the account is tagged or @mentioned in (``/tags``), as a
    customer's public mention."""
    media_id = required_id(media, "media")
    username = media.get("username") if isinstance(media.get("username"), str) else None
    return public_message(
        media,
        ctx,
        MEDIA_FIELD_MAP,
        external_id=media_id,
        direction="outbound" if ctx.is_own(None, username) else "inbound",
        kind="mention",
        author_handle=username,
        thread_ref=media_id,
    )


def mentioned_comment_message(body: dict[str, Any], ctx: AccountContext) -> Message:
    """The answer of ``/{ig-user-id}?fields=mentioned_comment.comment_id(ID)
    {...}`` (a comment on someone else's media that @mentions the account)
    as a customer's mention."""
    comment = body.get("mentioned_comment") if isinstance(body, dict) else None
    if not isinstance(comment, dict):
        raise ValueError("answer has no mentioned_comment")
    message = comment_messages(comment, ctx)[0]
    message.kind = "mention" if message.direction == "inbound" else message.kind
    return message


def _with_all_replies(client: GraphClient, comment: Any, max_pages: int) -> Any:
    """``comment`` with every page of its nested ``replies`` (Meta nests the
    first page only)."""
    if isinstance(comment, dict) and isinstance(comment.get("replies"), dict):
        return {**comment, "replies": complete_edge(client, comment["replies"], max_pages)}
    return comment


def media_comment_count(media: dict[str, Any]) -> int | None:
    """``comments_count`` of a listed media (None when not given)."""
    count = media.get("comments_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def sources(
    brand: str,
    account_id: str,
    username: str | None,
    client: GraphClient,
    settings: SweepSettings,
    *,
    page_id: str | None = None,
    comments: bool = True,
    mentions: bool = True,
    direct_messages: bool = True,
    now: Callable[[], datetime] = utc_now,
) -> list[Source]:
    """The Instagram sources of one brand's account (DMs need ``page_id``,
    the Facebook Page the account is linked to)."""
    found: list[Source] = []
    if comments:
        name = f"{PLATFORM}:{brand}:comments"
        ctx = AccountContext(brand, account_id, username, name)
        sweep = CommentSweep(
            client=client,
            list_path=f"{account_id}/media",
            list_params={"fields": MEDIA_FIELDS},
            comments_params={"fields": COMMENT_FIELDS},
            count_of=media_comment_count,
            parse_object=lambda media: [],
            parse_comment=lambda item, media: comment_messages(
                _with_all_replies(client, item, settings.max_pages), ctx, media
            ),
            settings=settings,
            resume_after_last=False,
            now=now,
        )
        found.append(Source(name=name, platform=PLATFORM, poll=named_batches(name, sweep.poll)))
    if mentions:
        name = f"{PLATFORM}:{brand}:mentions"
        mctx = AccountContext(brand, account_id, username, name)
        listing = NewestFirst(
            client=client,
            path=f"{account_id}/tags",
            params={"fields": TAGGED_FIELDS},
            mark=graph_time_mark("since", "timestamp"),
            parse=lambda media, since: parse_items([media], lambda m: [mention_message(m, mctx)]),
            settings=settings,
        )
        found.append(Source(name=name, platform=PLATFORM, poll=named_batches(name, listing.poll)))
    if direct_messages and page_id:
        name = f"{PLATFORM}:{brand}:dm"
        ctx_dm = InboxContext(
            platform=PLATFORM,
            brand=brand,
            source=name,
            own_ids={account_id, page_id},
            own_usernames={username.lower()} if username else set(),
        )
        found.append(
            inbox_source(name, client, page_id, ctx_dm, settings, platform_param="instagram")
        )
    return found
