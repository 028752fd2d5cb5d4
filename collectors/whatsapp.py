"""WhatsApp Business Cloud API webhook deliveries -> messages, events, alerts.

A delivery (``object: "whatsapp_business_account"``) holds entries, each with
changes; every level is a list. What each change becomes:

* ``field: "messages"``, ``value.messages[]``: the customer's messages, one
  conversation thread per customer number and business number. Text is
  stored as text; media, locations, contacts, orders and button / list
  replies with a readable placeholder (``[image] caption``); unsupported
  types are kept with a placeholder too. Reactions, edits and revokes are
  :class:`~replywatch.store.webhooks.MessageEvent` rows applied to the
  message they name; ``system`` messages (a changed number or identity) are
  account alerts.
* ``value.statuses[]``: the delivery state of a message the brand sent
  through the API. The first sent / delivered / read status stores that
  message as a brand reply (the API sent it: its text is not in the webhook);
  every status is an event; a failed one shows on the conversation.
* ``field: "smb_message_echoes"``: replies typed in the WhatsApp Business app
  (coexistence), stored as brand replies; their edits and revokes are events.
* any other field (account, templates, calls, flows, preferences): an
  account alert, never a dead letter.

Ids: a message is ``("whatsapp", wamid)``, so a retried delivery stores it
once. The business number (``metadata.phone_number_id``) names the brand;
a number no brand configures is refused item by item (dead letters, with a
one-line reason).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from replywatch.collectors.base import Message, Rejected
from replywatch.store.timeutil import from_ts, utc_now
from replywatch.store.webhooks import AccountAlert, MessageEvent

PLATFORM = "whatsapp"
OBJECT = "whatsapp_business_account"
#: Statuses that mean the brand's message exists (it is stored as a reply).
SENT_STATUSES = ("sent", "delivered", "read", "played")
#: Errors a parser raises for one bad item (dead-lettered; the rest is kept).
ITEM_ERRORS = (ValueError, TypeError, KeyError, AttributeError)
MEDIA = ("image", "video", "document", "audio", "voice", "sticker")
#: What the API-sent message's text is (the webhook does not carry it).
API_SENT_TEXT = "[message sent through the WhatsApp API]"


@dataclass
class Parsed:
    """What one delivery (or part of one) holds. ``sources`` maps each
    message to its source name (``whatsapp:<brand>:webhook``)."""

    messages: list[Message] = field(default_factory=list)
    events: list[MessageEvent] = field(default_factory=list)
    alerts: list[AccountAlert] = field(default_factory=list)
    rejected: list[tuple[str, Rejected]] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        """Add everything ``other`` holds."""
        self.messages += other.messages
        self.events += other.events
        self.alerts += other.alerts
        self.rejected += other.rejected


@dataclass
class Lookups:
    """What a parser may look up: ``thread_of(platform, customer id)`` (the
    thread the store has for that customer's direct messages) and
    ``mentioned`` (comment id -> the Graph API's ``mentioned_comment``
    answer, fetched before storing for Instagram ``mentions``)."""

    thread_of: Callable[[str, str], str | None] | None = None
    mentioned: dict[str, Any] = field(default_factory=dict)


def source_name(brand: str | None) -> str:
    """The source a brand's WhatsApp messages are stored under."""
    return f"{PLATFORM}:{brand}:webhook" if brand else f"{PLATFORM}:webhook"


def parse_delivery(
    body: Any, numbers: Mapping[str, str], *, fetched_at: datetime | None = None
) -> Parsed:
    """Parse one WhatsApp delivery. ``numbers`` maps each configured business
    ``phone_number_id`` to its brand key. Never raises for bad content: an
    item that cannot be read is a :class:`Rejected` (with its source)."""
    parsed = Parsed()
    fetched_at = fetched_at or utc_now()
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        parsed.rejected.append((source_name(None), Rejected(body, "delivery has no entry list")))
        return parsed
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            parsed.rejected.append((source_name(None), Rejected(entry, "entry has no changes")))
            continue
        for change in changes:
            parsed.extend(_change(entry, change, numbers, fetched_at))
    return parsed


def parse_webhook(body: Any, numbers: Mapping[str, str], lookups: Lookups | None = None) -> Parsed:
    """:func:`parse_delivery` with the receiver's parser signature (WhatsApp
    threads by customer number: no ``lookups`` needed)."""
    return parse_delivery(body, numbers)


def _change(entry: dict, change: Any, numbers: Mapping[str, str], fetched_at: datetime) -> Parsed:
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return Parsed(rejected=[(source_name(None), Rejected(change, "change has no value"))])
    name, value = str(change.get("field") or ""), change["value"]
    if name not in ("messages", "smb_message_echoes"):
        return Parsed(alerts=[_alert(entry, name, value)])
    number = str((value.get("metadata") or {}).get("phone_number_id") or "")
    brand = numbers.get(number)
    where = _Where(number, brand, _profiles(value), fetched_at)
    parsed = Parsed()
    for key, parse in (
        ("messages", _inbound),
        ("statuses", _status),
        ("message_echoes", _echo),
    ):
        items = value.get(key) or []
        for item in items if isinstance(items, list) else [items]:
            parsed.extend(_one(item, parse, where))
    return parsed


@dataclass(frozen=True)
class _Where:
    number: str
    brand: str | None
    profiles: dict[str, str]
    fetched_at: datetime

    @property
    def source(self) -> str:
        return source_name(self.brand)

    def thread(self, customer: str) -> str:
        return f"{self.number}:{customer}"


def _one(item: Any, parse, where: _Where) -> Parsed:
    try:
        if not isinstance(item, dict):
            raise TypeError("item is not an object")
        return parse(item, where)
    except ITEM_ERRORS as exc:
        return Parsed(rejected=[(where.source, Rejected(item, f"{type(exc).__name__}: {exc}"))])


def _profiles(value: dict) -> dict[str, str]:
    found = {}
    for contact in value.get("contacts") or []:
        if isinstance(contact, dict) and contact.get("wa_id"):
            name = (contact.get("profile") or {}).get("name")
            if isinstance(name, str):
                found[str(contact["wa_id"])] = name
    return found


def _when(item: dict) -> datetime:
    """``timestamp``: Unix seconds, as text (or a number)."""
    value = item.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).isdigit():
        raise ValueError(f"timestamp is not Unix seconds: {value!r}")
    return from_ts(int(value))


def _id(item: dict, key: str = "id") -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"item has no {key}")
    return value


def _needs_brand(where: _Where) -> str:
    if where.brand is None:
        raise ValueError(
            f"phone_number_id {where.number or '(none)'} is not configured for any brand: "
            "add it as [brands.<key>.whatsapp] phone_number_id"
        )
    return where.brand


def _event(item: dict, where: _Where, kind: str, target: str, value: str = "") -> Parsed:
    return Parsed(
        events=[
            MessageEvent(
                platform=PLATFORM,
                event_key=f"{kind}:{_id(item)}",
                target_id=target,
                kind=kind,
                at=int(_when(item).timestamp()),
                value=value,
                thread_ref=None,
            )
        ]
    )


def _inbound(item: dict, where: _Where) -> Parsed:
    """One message the customer sent."""
    kind = item.get("type")
    if kind == "reaction":
        reaction = item.get("reaction") or {}
        return _event(
            item, where, "reaction", _id(reaction, "message_id"), reaction.get("emoji") or ""
        )
    if kind in ("edit", "revoke"):
        return _edit_or_revoke(item, where, kind)
    if kind == "system":
        system = item.get("system") or {}
        text = system.get("body") or system.get("type") or "system message"
        return Parsed(
            alerts=[
                AccountAlert(
                    PLATFORM, "system", str(text), int(_when(item).timestamp()), where.number, item
                )
            ]
        )
    brand = _needs_brand(where)
    customer = _id(item, "from")
    return Parsed(
        messages=[
            Message(
                platform=PLATFORM,
                external_id=_id(item),
                created_at=_when(item),
                text=render(item),
                direction="inbound",
                kind="dm",
                channel="private",
                source=where.source,
                author_id=customer,
                author_handle=customer,
                author_name=where.profiles.get(customer),
                brand=brand,
                thread_ref=where.thread(customer),
                raw=item,
                fetched_at=where.fetched_at,
            )
        ]
    )


def _edit_or_revoke(item: dict, where: _Where, kind: str) -> Parsed:
    detail = item.get(kind) or {}
    target = _id(detail, "original_message_id")
    value = (
        render(detail["message"])
        if kind == "edit" and isinstance(detail.get("message"), dict)
        else ""
    )
    return _event(item, where, kind, target, value)


def _status(item: dict, where: _Where) -> Parsed:
    """The delivery state of a message the brand sent through the API."""
    state = str(item.get("status") or "").lower()
    message_id, customer = _id(item), _id(item, "recipient_id")
    at = _when(item)
    group = item.get("recipient_type") == "group"
    errors = [e for e in item.get("errors") or [] if isinstance(e, dict)]
    detail = "; ".join(
        f"{e.get('code', '')} {e.get('title') or e.get('message') or ''}".strip() for e in errors
    )
    parsed = Parsed(
        events=[
            MessageEvent(
                platform=PLATFORM,
                event_key=f"status:{message_id}:{state}",
                target_id=message_id,
                kind="status",
                at=int(at.timestamp()),
                value=state,
                detail=detail or None,
                thread_ref=None if group else where.thread(customer),
            )
        ]
    )
    if state in SENT_STATUSES and not group:
        parsed.messages.append(_brand_message(message_id, at, API_SENT_TEXT, customer, where, item))
    return parsed


def _echo(item: dict, where: _Where) -> Parsed:
    """A message typed in the WhatsApp Business app (or its edit / revoke)."""
    kind = item.get("type")
    if kind in ("edit", "revoke"):
        return _edit_or_revoke(item, where, kind)
    return Parsed(
        messages=[
            _brand_message(_id(item), _when(item), render(item), _id(item, "to"), where, item)
        ]
    )


def _brand_message(
    message_id: str, at: datetime, text: str, customer: str, where: _Where, raw: dict
) -> Message:
    return Message(
        platform=PLATFORM,
        external_id=message_id,
        created_at=at,
        text=text,
        direction="outbound",
        kind="dm",
        channel="private",
        source=where.source,
        author_id=where.number,
        author_handle=where.number,
        brand=_needs_brand(where),
        thread_ref=where.thread(customer),
        raw=raw,
        fetched_at=where.fetched_at,
    )


def _alert(entry: dict, name: str, value: dict) -> AccountAlert:
    """An event of another field, as an account alert with a short summary."""
    at = entry.get("time") if isinstance(entry.get("time"), int) else None
    parts = [
        str(value[k])
        for k in (
            "event",
            "message_template_name",
            "message_template_language",
            "reason",
            "new_category",
            "new_quality_score",
        )
        if value.get(k) not in (None, "", "NONE")
    ]
    for key in ("calls", "statuses", "user_preferences"):
        for item in value.get(key) or []:
            if isinstance(item, dict):
                parts.append(
                    str(item.get("event") or item.get("status") or item.get("value") or "")
                )
                at = at or _int(item.get("timestamp"))
    summary = " ".join(p for p in parts if p) or name
    account = entry.get("id")
    return AccountAlert(
        PLATFORM,
        name or "(none)",
        summary,
        at or int(utc_now().timestamp()),
        str(account) if account else None,
        {"entry": account, "field": name, "value": value},
    )


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


# --- readable text of a message of any type ----------------------------------------


def render(message: dict) -> str:
    """A message's text: the text itself, or a readable placeholder for other
    types (``[image] caption``, ``[location] name``, ``[order] 3 items``)."""
    kind = str(message.get("type") or "")
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str(body.get("body") or "")
    if kind == "audio" and body.get("voice"):
        kind = "voice message"
    if kind in (*MEDIA, "voice message"):
        extra = body.get("caption") or body.get("filename") or ""
        return f"[{kind}] {extra}".strip()
    renderer = _RENDERERS.get(kind)
    if renderer is not None:
        return renderer(message, body)
    if kind == "unsupported":
        detail = body.get("type") or ""
        return f"[unsupported message{': ' + str(detail) if detail else ''}]"
    return f"[{kind or 'unknown'} message]"


def _location(message: dict, body: dict) -> str:
    place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
    point = f"({body.get('latitude')}, {body.get('longitude')})"
    return f"[location] {place} {point}".replace("  ", " ").strip()


def _contacts(message: dict, body: dict) -> str:
    names = [
        str((c.get("name") or {}).get("formatted_name") or "")
        for c in message.get("contacts") or []
        if isinstance(c, dict)
    ]
    return f"[contacts] {', '.join(n for n in names if n)}".strip()


def _order(message: dict, body: dict) -> str:
    items = [i for i in body.get("product_items") or [] if isinstance(i, dict)]
    listed = ", ".join(
        f"{i.get('quantity', 1)} x {i.get('product_retailer_id', '?')}" for i in items
    )
    text = f" {body['text']}" if body.get("text") else ""
    return f"[order] {len(items)} items: {listed}{text}"


def _interactive(message: dict, body: dict) -> str:
    kind = body.get("type")
    reply = body.get(kind) if isinstance(body.get(kind), dict) else {}
    if kind == "nfm_reply":
        return f"[form reply] {reply.get('name') or ''}".strip()
    if kind == "call_permission_reply":
        return f"[call permission: {reply.get('response') or '?'}]"
    title = " - ".join(str(reply[k]) for k in ("title", "description") if reply.get(k))
    return f"[reply] {title}".strip() if title else "[interactive reply]"


def _button(message: dict, body: dict) -> str:
    return f"[button] {body.get('text') or body.get('payload') or ''}".strip()


_RENDERERS = {
    "location": _location,
    "contacts": _contacts,
    "order": _order,
    "interactive": _interactive,
    "button": _button,
}
