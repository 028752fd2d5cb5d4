"""Facebook Pages: public comments (and visitor posts) and Messenger.

Per brand with a ``[brands.<key>.facebook]`` table, three sources:

* ``facebook:<brand>:comments``: the page's posts inside the look-back window
  (``/{page-id}/feed``, with the comment count) and every comment and reply
  under them (``/{post-id}/comments?filter=stream``: replies to comments come
  too, each with its ``parent``). A visitor's post on the page is a customer
  message itself; the page's own posts are context and are not stored.
* ``facebook:<brand>:mentions``: posts that tag or @mention the page
  (``/{page-id}/tagged``), newest first.
* ``facebook:<brand>:messenger``: ``/{page-id}/conversations`` with the
  newest messages of each thread nested, newest thread first.

Threading: a top-level comment starts a conversation (or answers the
visitor post it is under); a reply names its ``parent``. Messenger messages
carry their thread id (``t_...``): a Messenger thread is a private
conversation. Anything written by the page itself (a comment or a message
``from`` the page id) is the brand's reply, whatever tool sent it.

Decisions where Meta's data is incomplete (the README of the shared
recordings lists these traps): a comment read without ``from`` (Meta hides
the author from tokens that may not see them, but always shows the page
itself to its own Page token) is a customer's comment with an unknown
author; a comment without ``id`` takes it from its ``permalink_url``
(``.../posts/{post}/?comment_id={c}[&reply_comment_id={r}]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from replywatch.collectors.base import Message, Source
from replywatch.collectors.graph_api import GraphClient
from replywatch.collectors.meta import (
    CommentSweep,
    FieldMap,
    InboxContext,
    NewestFirst,
    SweepSettings,
    author_name,
    conversation_messages,
    follow_older_messages,
    graph_time_mark,
    named_batches,
    parse_items,
    parse_time,
    public_message,
    required_id,
)
from replywatch.store.timeutil import utc_now

PLATFORM = "facebook"
LABEL, ICON = "Facebook", ":material/thumb_up:"
#: Where a post, comment or reply keeps its time, text and link.
FIELDS = FieldMap(PLATFORM, time="created_time", text="message", url="permalink_url")

# What each request asks for: only what the parsers read (tests/
# test_requested_fields.py removes each field in turn and sees the stored
# messages change; ``id`` is returned whatever the list says). The feed's
# comment count (``summary``) decides which posts' comments are read again.
FEED_FIELDS = (
    "id,message,created_time,from{id,name},permalink_url,"
    "comments.filter(stream).limit(0).summary(true)"
)
COMMENT_FIELDS = "id,message,created_time,from{id,name},parent{id},permalink_url"
TAGGED_FIELDS = "id,message,created_time,from{id,name},permalink_url"
MESSAGE_FIELDS = "id,created_time,from,message"
CONVERSATION_FIELDS = f"id,updated_time,messages.limit(25){{{MESSAGE_FIELDS}}}"


@dataclass
class PageContext:
    """What the parsers need to know about the page being read."""

    brand: str
    page_id: str
    source: str
    fetched_at: datetime = field(default_factory=utc_now)


def ids_from_permalink(url: Any) -> tuple[str, str | None]:
    """``(comment id, parent comment id or None)`` from a comment's
    ``permalink_url``; ``ValueError`` when it names no comment."""
    if not isinstance(url, str):
        raise ValueError("comment has neither id nor permalink_url")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    segments = [s for s in parts.path.split("/") if s]
    post = next(
        (segments[i + 1] for i, s in enumerate(segments[:-1]) if s in ("posts", "videos")), None
    )
    comment = (query.get("comment_id") or [None])[0]
    reply = (query.get("reply_comment_id") or [None])[0]
    if not post or not comment or not post.isdigit() or not comment.isdigit():
        raise ValueError(f"permalink_url names no comment: {url[:200]}")
    if reply and reply.isdigit():
        return f"{post}_{reply}", f"{post}_{comment}"
    return f"{post}_{comment}", None


def is_visitor_post(post: dict[str, Any], page_id: str) -> bool:
    """True for a post on the page written by someone else (it needs an
    answer itself); False for the page's own posts or when ``from`` is unknown."""
    author = post.get("from")
    return isinstance(author, dict) and bool(author.get("id")) and str(author["id"]) != page_id


def post_messages(post: dict[str, Any], ctx: PageContext) -> list[Message]:
    """A visitor's post on the page as a customer message; none for the
    page's own posts (context, not a conversation)."""
    if not is_visitor_post(post, ctx.page_id):
        return []
    post_id = required_id(post, "post")
    author = post["from"]
    return [
        public_message(
            post,
            ctx,
            FIELDS,
            external_id=post_id,
            direction="inbound",
            kind="post",
            author_id=str(author["id"]),
            author_name=author_name(author),
            thread_ref=post_id,
        )
    ]


def tagged_message(post: dict[str, Any], ctx: PageContext) -> Message:
    """A post that tags or @mentions the page (``/{page-id}/tagged``) as a
    customer's public mention (the page's own posts are the brand's)."""
    post_id = required_id(post, "post")
    author = post.get("from") if isinstance(post.get("from"), dict) else {}
    author_id = str(author["id"]) if author.get("id") else None
    return public_message(
        post,
        ctx,
        FIELDS,
        external_id=post_id,
        direction="outbound" if author_id == ctx.page_id else "inbound",
        kind="mention",
        author_id=author_id,
        author_name=author_name(author),
        thread_ref=post_id,
    )


def comment_message(
    data: dict[str, Any], ctx: PageContext, post: dict[str, Any] | None = None
) -> Message:
    """One comment or reply under a page post. ``post`` is the listed post
    it is under (a top-level comment on a visitor post answers that post).
    Raises ``ValueError`` without an id (or permalink) or creation time."""
    if not isinstance(data, dict):
        raise TypeError("comment is not an object")
    if data.get("id"):
        comment_id, link_parent = str(data["id"]), None
    else:
        comment_id, link_parent = ids_from_permalink(data.get("permalink_url"))
    parent = data.get("parent")
    parent_id = str(parent["id"]) if isinstance(parent, dict) and parent.get("id") else link_parent
    author = data.get("from") if isinstance(data.get("from"), dict) else None
    author_id = str(author["id"]) if author and author.get("id") else None
    outbound = author_id == ctx.page_id
    post_id = str(post["id"]) if post and post.get("id") else None
    if parent_id is None and post is not None and is_visitor_post(post, ctx.page_id):
        parent_id = post_id
    if outbound:
        kind = "reply" if parent_id else "post"
    else:
        kind = "comment"
    return public_message(
        data,
        ctx,
        FIELDS,
        external_id=comment_id,
        direction="outbound" if outbound else "inbound",
        kind=kind,
        author_id=author_id,
        author_name=author_name(author),
        in_reply_to_id=parent_id,
        thread_ref=post_id,
    )


def comment_count(post: dict[str, Any]) -> int | None:
    """``comments.summary.total_count`` of a listed post (replies included
    with ``filter(stream)``), or None when the listing did not say."""
    comments = post.get("comments")
    summary = comments.get("summary") if isinstance(comments, dict) else None
    total = summary.get("total_count") if isinstance(summary, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def messenger_context(brand: str, page_id: str, source: str) -> InboxContext:
    """Messages ``from`` the page are the brand's replies."""
    return InboxContext(platform=PLATFORM, brand=brand, source=source, own_ids={page_id})


def conversation_time(conversation: dict[str, Any]) -> datetime:
    """When a conversation last changed (the inbox is ordered by it)."""
    return parse_time(conversation.get("updated_time"))


def inbox_source(
    name: str,
    client: GraphClient,
    page_id: str,
    ctx: InboxContext,
    settings: SweepSettings,
    *,
    platform_param: str,
) -> Source:
    """A ``/{page-id}/conversations`` source (``platform=messenger`` or
    ``instagram``), newest thread first, each thread completed down to the
    last stored time."""

    def parse(conversation: dict[str, Any], since: datetime | None):
        full = follow_older_messages(client, conversation, since, settings.max_pages)
        return conversation_messages(full, ctx)

    listing = NewestFirst(
        client=client,
        path=f"{page_id}/conversations",
        params={"platform": platform_param, "fields": CONVERSATION_FIELDS},
        mark=graph_time_mark("since", "updated_time"),
        parse=parse,
        settings=settings,
    )
    return Source(name=name, platform=ctx.platform, poll=named_batches(name, listing.poll))


def sources(
    brand: str,
    page_id: str,
    client: GraphClient,
    settings: SweepSettings,
    *,
    comments: bool = True,
    messenger: bool = True,
    mentions: bool = True,
    now: Callable[[], datetime] = utc_now,
) -> list[Source]:
    """The Facebook sources of one brand's page."""
    found: list[Source] = []
    if comments:
        name = f"{PLATFORM}:{brand}:comments"
        ctx = PageContext(brand=brand, page_id=page_id, source=name)
        sweep = CommentSweep(
            client=client,
            list_path=f"{page_id}/feed",
            list_params={"fields": FEED_FIELDS},
            comments_params={
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "chronological",
            },
            count_of=comment_count,
            parse_object=lambda post: post_messages(post, ctx),
            parse_comment=lambda item, post: [comment_message(item, ctx, post)],
            settings=settings,
            resume_after_last=True,
            now=now,
        )
        found.append(Source(name=name, platform=PLATFORM, poll=named_batches(name, sweep.poll)))
    if mentions:
        name = f"{PLATFORM}:{brand}:mentions"
        mctx = PageContext(brand=brand, page_id=page_id, source=name)
        listing = NewestFirst(
            client=client,
            path=f"{page_id}/tagged",
            params={"fields": TAGGED_FIELDS},
            mark=graph_time_mark("since", "created_time"),
            parse=lambda post, since: parse_items([post], lambda p: [tagged_message(p, mctx)]),
            settings=settings,
        )
        found.append(Source(name=name, platform=PLATFORM, poll=named_batches(name, listing.poll)))
    if messenger:
        name = f"{PLATFORM}:{brand}:messenger"
        found.append(
            inbox_source(
                name,
                client,
                page_id,
                messenger_context(brand, page_id, name),
                settings,
                platform_param="messenger",
            )
        )
    return found
