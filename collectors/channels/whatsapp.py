"""The WhatsApp Business channel: real-time only (the Cloud API keeps no
history to poll). ``[brands.<key>.whatsapp] phone_number_id = "..."`` names
the business number whose deliveries belong to the brand; the receiver
(``replywatch webhooks serve``, :mod:`replywatch.collectors.webhooks`) stores
what Meta pushes, parsed by :mod:`replywatch.collectors.whatsapp`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replywatch.collectors.channels import _meta
from replywatch.collectors.config_values import ConfigError, only
from replywatch.collectors.registry import Channel, SourceSpec


@dataclass(frozen=True)
class WhatsAppWatch:
    """One brand's WhatsApp Business number (its Cloud API phone number id)."""

    phone_number_id: str


def parse_watch(table: dict[str, Any], where: str, prefix: str) -> WhatsAppWatch:
    """Validate ``[brands.<key>.whatsapp]``; raises ConfigError naming the key."""
    only(table, {"phone_number_id"}, where, prefix)
    if "phone_number_id" not in table:
        raise ConfigError(
            f"{where}: [{prefix}] needs phone_number_id (WhatsApp Manager > API setup: "
            "the number's Phone number ID, not the phone number)"
        )
    return WhatsAppWatch(
        _meta.graph_id(table["phone_number_id"], where, f"{prefix}.phone_number_id")
    )


CHANNEL = Channel(
    name="whatsapp",
    label="WhatsApp",
    icon="💬",
    docs="docs/channels/whatsapp.md",
    description=(
        "Customer messages to the brand's WhatsApp Business number, replies sent through "
        "the API (by their delivery statuses) or typed in the WhatsApp Business app, "
        "reactions, edits and deletions, delivered by Meta's webhooks."
    ),
    order=35,
    watch=parse_watch,
    accounts=lambda w: [(w.phone_number_id, w.phone_number_id)],
    brand_match="id",
    credentials=_meta.WEBHOOK_CREDENTIALS,
    credentials_help=_meta.WEBHOOK_CREDENTIALS_HELP,
    usable=lambda found: "app_secret" in found and "verify_token" in found,
    sources=(
        SourceSpec(
            "whatsapp:<brand>:webhook",
            "webhook deliveries of the brand's number (fields messages, smb_message_echoes)",
            "none: Meta pushes each message; a delivery not answered 200 is retried",
        ),
    ),
    webhook=True,
)
