"""Facebook Page and Instagram webhook deliveries -> messages, through the
pollers' own parsers and ids, so a message seen by both is stored once.

Built from Meta's documented webhook formats (Graph API "Webhooks for
Pages" and "Instagram webhooks"; no real deliveries exist in
../shared/data): each change is rewritten into the Graph API object the
poller reads (``created_time`` as a Graph time, ``from``, ``parent``) and
handed to :func:`replywatch.collectors.facebook.comment_message`,
:func:`~replywatch.collectors.facebook.post_messages`,
:func:`replywatch.collectors.instagram.comment_messages` or
:func:`replywatch.collectors.meta.inbox_message`.

* ``object: "page"``: ``changes[]`` of field ``feed`` (comments and visitor
  posts added; edits and removals as events on the message they name;
  reactions and the page's own posts ignored), ``mention`` (ids only: the
  ``facebook:<brand>:mentions`` poll reads their text, so nothing is stored
  here), and ``messaging[]`` (Messenger: messages, echoes of the page's own
  replies, reactions).
* ``object: "instagram"``: ``changes[]`` of field ``comments`` (a comment on
  the account's media, the account's own replies included), ``mentions`` (a
  comment on someone else's media that @mentions the account: the webhook
  carries only its id, stored as a mention with a placeholder text, since no
  poll lists these), and ``messaging[]`` (direct messages).

Direct messages: the poller threads a conversation by its Graph thread id
(``t_...``), which a webhook does not carry. A webhook message joins the
thread the store already has for that customer (``thread_of``); a customer
never polled before gets the thread ``<platform>-user:<id>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from replywatch.collectors import facebook, instagram
from replywatch.collectors.base import Rejected
from replywatch.collectors.meta import InboxContext, inbox_message
from replywatch.collectors.whatsapp import ITEM_ERRORS, Lookups, Parsed
from replywatch.store.timeutil import from_ts, iso_utc, utc_now
from replywatch.store.webhooks import MessageEvent

#: The Graph API request for a comment that @mentions the account (the
#: ``mentions`` webhook names it by id only).
MENTION_FIELDS = "mentioned_comment.comment_id({id}){{id,text,timestamp,username,media{{id}}}}"
_log = logging.getLogger("replywatch.webhooks")
MENTION_TEXT = (
    "[comment that @mentions the brand under another account's media: open it in Instagram]"
)


def source_name(platform: str, brand: str | None) -> str:
    """The source a brand's webhook messages are stored under."""
    return f"{platform}:{brand}:webhook" if brand else f"{platform}:webhook"


def _time(value: Any) -> datetime:
    """Unix seconds or milliseconds (Messenger) as a datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a Unix time: {value!r}")
    number = float(value)
    return from_ts(number / 1000 if number > 1e11 else number)


def _graph_time(value: Any) -> str:
    return iso_utc(_time(value))


def _brand(accounts: Mapping[str, str], account: str, platform: str) -> str:
    brand = accounts.get(account)
    if brand is None:
        raise ValueError(
            f"{platform} account {account or '(none)'} is not configured for any brand: "
            f"add it to [brands.<key>.{platform}]"
        )
    return brand


def parse_page(body: Any, accounts: Mapping[str, str], lookups: Lookups | None = None) -> Parsed:
    """A Facebook Page delivery (``object: "page"``)."""
    return _parse(body, accounts, lookups or Lookups(), facebook.PLATFORM, _page_change)


def parse_instagram(
    body: Any, accounts: Mapping[str, str], lookups: Lookups | None = None
) -> Parsed:
    """An Instagram delivery (``object: "instagram"``)."""
    return _parse(body, accounts, lookups or Lookups(), instagram.PLATFORM, _instagram_change)


def instagram_mentions(body: Any) -> list[tuple[str, str]]:
    """``(account id, comment id)`` of every Instagram ``mentions`` change of a
    delivery (what :func:`fetch_mentions` looks up)."""
    found = []
    entries = body.get("entry") if isinstance(body, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if change.get("field") == "mentions" and isinstance(value, dict):
                if entry.get("id") and value.get("comment_id"):
                    found.append((str(entry["id"]), str(value["comment_id"])))
    return found


def fetch_mentions(client: Any, mentions: list[tuple[str, str]]) -> dict[str, Any]:
    """The Graph API's ``mentioned_comment`` answer for each ``(account id,
    comment id)``; one that cannot be read is left out (the mention is then
    stored with a placeholder text) and logged without its content."""
    from replywatch.collectors.graph_api import GraphError
    from replywatch.collectors.ratelimit import BadPayload, RateLimited

    found = {}
    for account_id, comment_id in mentions:
        try:
            found[comment_id] = client.get(
                account_id, {"fields": MENTION_FIELDS.format(id=comment_id)}
            )
        except (GraphError, RateLimited, BadPayload, OSError) as exc:
            _log.warning("mentioned comment not read (%s): placeholder kept", type(exc).__name__)
    return found


def _parse(body, accounts, lookups: Lookups, platform: str, change_parser) -> Parsed:
    parsed = Parsed()
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        parsed.rejected.append((source_name(platform, None), Rejected(body, "no entry list")))
        return parsed
    for entry in entries:
        if not isinstance(entry, dict):
            parsed.rejected.append((source_name(platform, None), Rejected(entry, "bad entry")))
            continue
        parsed.extend(_entry(entry, accounts, lookups, platform, change_parser))
    return parsed


def _entry(entry: dict, accounts, lookups: Lookups, platform: str, change_parser) -> Parsed:
    """Every change and messaging item of one entry, each parsed on its own."""
    parsed = Parsed()
    brand = accounts.get(str(entry.get("id") or ""))
    for change in entry.get("changes") or []:
        parsed.extend(
            _guarded(platform, brand, change, lambda c: change_parser(c, entry, accounts, lookups))
        )
    for item in entry.get("messaging") or []:
        parsed.extend(
            _guarded(
                platform,
                brand,
                item,
                lambda i: _messaging(i, entry, accounts, lookups.thread_of, platform),
            )
        )
    return parsed


def _guarded(platform: str, brand: str | None, item: Any, parse) -> Parsed:
    try:
        if not isinstance(item, dict):
            raise TypeError("item is not an object")
        return parse(item)
    except ITEM_ERRORS as exc:
        return Parsed(
            rejected=[
                (source_name(platform, brand), Rejected(item, f"{type(exc).__name__}: {exc}"))
            ]
        )


# --- Facebook Page feed ------------------------------------------------------------


def _page_change(change: dict, entry: dict, accounts: Mapping[str, str], _: Lookups) -> Parsed:
    field, value = change.get("field"), change.get("value")
    if field != "feed" or not isinstance(value, dict):
        return Parsed()  # mention: ids only, the poll reads it; other fields: not care
    page_id = str(entry.get("id") or "")
    brand = _brand(accounts, page_id, facebook.PLATFORM)
    ctx = facebook.PageContext(brand, page_id, source_name(facebook.PLATFORM, brand), utc_now())
    item, verb = value.get("item"), value.get("verb")
    target = str(value.get("comment_id") or value.get("post_id") or "")
    if (
        verb in ("edited", "remove", "hide")
        and target
        and item in ("comment", "post", "status", "photo", "video")
    ):
        kind = "edit" if verb == "edited" else "revoke"
        return Parsed(events=[_event(facebook.PLATFORM, kind, target, value, entry)])
    if verb != "add":
        return Parsed()
    graph = {
        "message": value.get("message"),
        "created_time": _graph_time(value.get("created_time") or entry.get("time")),
        "from": value.get("from"),
    }
    if item == "comment":
        post_id = str(value.get("post_id") or "")
        parent = value.get("parent_id")
        graph["id"] = value.get("comment_id")
        if parent and str(parent) != post_id:
            graph["parent"] = {"id": str(parent)}  # a reply: the poller's parent{id}
        return Parsed(messages=[facebook.comment_message(graph, ctx, {"id": post_id})])
    if item in ("post", "status", "photo", "video"):
        graph["id"] = value.get("post_id")
        return Parsed(messages=facebook.post_messages(graph, ctx))  # a visitor's post only
    return Parsed()  # reactions, likes, shares


def _event(platform: str, kind: str, target: str, value: dict, entry: dict) -> MessageEvent:
    at = int(_time(value.get("created_time") or entry.get("time")).timestamp())
    return MessageEvent(
        platform=platform,
        event_key=f"{kind}:{target}:{at}",
        target_id=target,
        kind=kind,
        at=at,
        value=str(value.get("message") or "") if kind == "edit" else "",
    )


# --- Instagram comments and mentions ---------------------------------------------------


def _instagram_change(
    change: dict, entry: dict, accounts: Mapping[str, str], lookups: Lookups
) -> Parsed:
    field, value = change.get("field"), change.get("value")
    if field not in ("comments", "mentions") or not isinstance(value, dict):
        return Parsed()
    account_id = str(entry.get("id") or "")
    brand = _brand(accounts, account_id, instagram.PLATFORM)
    ctx = instagram.AccountContext(
        brand, account_id, None, source_name(instagram.PLATFORM, brand), utc_now()
    )
    when = _graph_time(entry.get("time"))
    if field == "mentions":
        fetched = lookups.mentioned.get(str(value.get("comment_id") or ""))
        if fetched is not None:  # the comment itself, read through the Graph API
            return Parsed(messages=[instagram.mentioned_comment_message(fetched, ctx)])
        comment = {
            "id": value.get("comment_id") or value.get("media_id"),
            "text": MENTION_TEXT,
            "timestamp": when,
            "media": {"id": value.get("media_id")},
        }
        message = instagram.comment_messages(comment, ctx)[0]
        message.kind = "mention"
        return Parsed(messages=[message])
    comment = {
        "id": value.get("id"),
        "text": value.get("text"),
        "timestamp": when,
        "from": value.get("from"),
        "parent_id": value.get("parent_id"),
        "media": value.get("media"),
    }
    return Parsed(messages=instagram.comment_messages(comment, ctx))


# --- Messenger and Instagram direct messages --------------------------------------------


def _messaging(
    item: dict,
    entry: dict,
    accounts: Mapping[str, str],
    thread_of: Callable[[str, str], str | None] | None,
    platform: str,
) -> Parsed:
    own = str(entry.get("id") or "")
    brand = _brand(accounts, own, platform)
    sender = str((item.get("sender") or {}).get("id") or "")
    recipient = str((item.get("recipient") or {}).get("id") or "")
    customer = recipient if sender == own else sender
    if "reaction" in item:
        reaction = item["reaction"]
        return Parsed(
            events=[
                MessageEvent(
                    platform=platform,
                    event_key=f"reaction:{reaction.get('mid')}:{sender}:{item.get('timestamp')}",
                    target_id=str(reaction.get("mid") or ""),
                    kind="reaction",
                    at=int(_time(item.get("timestamp")).timestamp()),
                    value=str(reaction.get("emoji") or "")
                    if reaction.get("action") != "unreact"
                    else "",
                )
            ]
        )
    message = item.get("message")
    if not isinstance(message, dict):
        return Parsed()  # delivery and read receipts, postbacks: nothing to store
    if message.get("is_deleted"):
        return Parsed(
            events=[
                _event(
                    platform, "revoke", str(message.get("mid")), {}, {"time": item.get("timestamp")}
                )
            ]
        )
    data = {
        "id": message.get("mid"),
        "created_time": _graph_time(item.get("timestamp")),
        "from": {"id": sender},
        "message": message.get("text") or _attachments(message),
    }
    thread = (thread_of(platform, customer) if thread_of and customer else None) or (
        f"{platform}-user:{customer}"
    )
    ctx = InboxContext(
        platform=platform,
        brand=brand,
        source=source_name(platform, brand),
        own_ids={own},
        fetched_at=utc_now(),
    )
    return Parsed(messages=[inbox_message(data, thread, ctx)])


def _attachments(message: dict) -> str:
    kinds = [
        str(a.get("type") or "file")
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    ]
    return " ".join(f"[{k}]" for k in kinds)
