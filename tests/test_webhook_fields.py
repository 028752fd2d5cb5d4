"""Every field of a WhatsApp delivery the parser needs, removed one at a time
from a real shared case (../shared/data/whatsapp_webhooks), changes what is
stored (issue 28 item 1 for webhooks: there is no request to check, so the
test is on what Meta sends): a parser that stopped reading one of these would
fail here or in test_whatsapp_webhooks.py's exact expectations."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import SHARED_DATA
from tests.webhook_support import new_store, rows, signed, whatsapp_cases

CASES = whatsapp_cases(SHARED_DATA / "whatsapp_webhooks")
VALUE = ("entry", 0, "changes", 0, "value")

# (case, path inside the change's value) -> the field the parser relies on.
NEEDED = [
    (("message.json", "text"), ("metadata", "phone_number_id")),  # the brand
    (("message.json", "text"), ("contacts",)),  # the customer's name
    (("message.json", "text"), ("messages", 0, "from")),  # the customer and thread
    (("message.json", "text"), ("messages", 0, "id")),  # the wamid (de-duplication)
    (("message.json", "text"), ("messages", 0, "timestamp")),
    (("message.json", "text"), ("messages", 0, "text")),
    (("message.json", "text"), ("messages", 0, "type")),
    (("message.json", "video"), ("messages", 0, "video", "caption")),
    (("message.json", "chosen_location"), ("messages", 0, "location", "name")),
    (("message.json", "contacts"), ("messages", 0, "contacts")),
    (("message.json", "order"), ("messages", 0, "order", "product_items")),
    (("message.json", "voice"), ("messages", 0, "audio", "voice")),
    (("message.json", "reaction"), ("messages", 0, "reaction", "message_id")),
    (("message.json", "reaction"), ("messages", 0, "reaction", "emoji")),
    (("message.json", "unsupported_with_type"), ("messages", 0, "unsupported")),
    (("callback_button.json", "quick_reply"), ("messages", 0, "button", "text")),
    (("callback_selection.json", "description"), ("messages", 0, "interactive", "list_reply")),
    (("edited_message.json", "image"), ("messages", 0, "edit", "original_message_id")),
    (("edited_message.json", "image"), ("messages", 0, "edit", "message")),
    (("deleted_message.json", "revoke"), ("messages", 0, "revoke", "original_message_id")),
    (("message_status.json", "sent"), ("statuses", 0, "status")),
    (("message_status.json", "sent"), ("statuses", 0, "recipient_id")),
    (("message_status.json", "failed"), ("statuses", 0, "errors")),
    (("message_status.json", "group"), ("statuses", 0, "recipient_type")),
    (("outgoing_message.json", "text"), ("message_echoes", 0, "to")),
    (("outgoing_message.json", "text"), ("message_echoes", 0, "text")),
    (("outgoing_message.json", "edit"), ("message_echoes", 0, "edit", "original_message_id")),
    (("system.json", "phone_number_change"), ("messages", 0, "system", "body")),
    (("template_status_update.json", "approved"), ("event",)),
    (("template_status_update.json", "approved"), ("message_template_name",)),
]


def _stored(tmp_path, name: str, body: dict) -> list:
    db_path = tmp_path / f"{name}.db"
    store = new_store(db_path)
    try:
        store.call(store.store, signed(body)[0])
    finally:
        store.close()
    return [
        rows(
            db_path,
            "SELECT external_id, direction, text, author_name, thread_ref, brand, created_ts "
            "FROM messages ORDER BY id",
        ),
        rows(db_path, "SELECT kind, target_id, value, detail, thread_ref FROM message_events"),
        rows(db_path, "SELECT field, summary FROM account_alerts"),
        rows(db_path, "SELECT source, error FROM dead_letters"),
    ]


def _without(body: dict, path: tuple) -> dict:
    changed = copy.deepcopy(body)
    node = changed
    for key in (*VALUE, *path[:-1]):
        node = node[key]
    del node[path[-1]]
    return changed


@pytest.mark.parametrize(
    ("case", "path"), NEEDED, ids=[f"{c[1]}:{'.'.join(map(str, p))}" for c, p in NEEDED]
)
def test_removing_a_needed_field_changes_what_is_stored(tmp_path, case, path):
    body = CASES[case]
    whole = _stored(tmp_path, "whole", body)
    assert any(whole), "the case stores nothing to compare with"
    assert _stored(tmp_path, "without", _without(body, path)) != whole


# Facebook / Instagram deliveries, built from Meta's documented formats (no
# real ones exist in ../shared/data), with the fields the pollers' parsers need.
PAGE, IG = "1000000000001", "17841400000000001"
META_ACCOUNTS = {"facebook": {PAGE: "acme"}, "instagram": {IG: "acme"}}
FEED_REPLY = {
    "object": "page",
    "entry": [
        {
            "id": PAGE,
            "time": 1717000090,  # when Meta sent the entry, after the comment
            "changes": [
                {
                    "field": "feed",
                    "value": {
                        "from": {"id": "3000000001", "name": "Carlos"},
                        "item": "comment",
                        "verb": "add",
                        "post_id": f"{PAGE}_2001",
                        "comment_id": "2001_4002",
                        "parent_id": "2001_4001",
                        "created_time": 1717000000,
                        "message": "Ainda não chegou",
                    },
                }
            ],
        }
    ],
}
MESSENGER_ECHO = {
    "object": "page",
    "entry": [
        {
            "id": PAGE,
            "time": 1717000000000,
            "messaging": [
                {
                    "sender": {"id": PAGE},
                    "recipient": {"id": "3000000011"},
                    "timestamp": 1717000000000,
                    "message": {"mid": "m_9", "text": "Já verificamos", "is_echo": True},
                }
            ],
        }
    ],
}
IG_COMMENT = {
    "object": "instagram",
    "entry": [
        {
            "id": IG,
            "time": 1717000000,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "id": "17950000000000099",
                        "text": "Tem no tamanho P?",
                        "from": {"id": "6100000000000009", "username": "rita"},
                        "media": {"id": "17900000000000001"},
                        "parent_id": "17950000000000001",
                    },
                }
            ],
        }
    ],
}
META_NEEDED = [
    (FEED_REPLY, ("changes", 0, "value", "from")),  # author: customer or the page
    (FEED_REPLY, ("changes", 0, "value", "comment_id")),
    (FEED_REPLY, ("changes", 0, "value", "parent_id")),  # threading of a reply
    (FEED_REPLY, ("changes", 0, "value", "post_id")),
    (FEED_REPLY, ("changes", 0, "value", "created_time")),
    (FEED_REPLY, ("changes", 0, "value", "message")),
    (MESSENGER_ECHO, ("messaging", 0, "sender")),  # brand reply or customer
    (MESSENGER_ECHO, ("messaging", 0, "recipient")),  # the customer's thread
    (MESSENGER_ECHO, ("messaging", 0, "message", "mid")),
    (MESSENGER_ECHO, ("messaging", 0, "message", "text")),
    (MESSENGER_ECHO, ("messaging", 0, "timestamp")),
    (IG_COMMENT, ("changes", 0, "value", "from")),
    (IG_COMMENT, ("changes", 0, "value", "parent_id")),
    (IG_COMMENT, ("changes", 0, "value", "media")),
    (IG_COMMENT, ("changes", 0, "value", "text")),
]


def _meta_stored(tmp_path, name: str, body: dict) -> list:
    db_path = tmp_path / f"{name}.db"
    store = new_store(db_path, accounts=META_ACCOUNTS)
    try:
        store.call(store.store, signed(body)[0])
    finally:
        store.close()
    return [
        rows(
            db_path,
            "SELECT external_id, direction, kind, text, author_id, author_handle, "
            "in_reply_to_id, thread_ref, created_ts FROM messages ORDER BY id",
        ),
        rows(db_path, "SELECT source, error FROM dead_letters"),
    ]


@pytest.mark.parametrize(
    ("body", "path"),
    META_NEEDED,
    ids=[f"{b['object']}:{'.'.join(map(str, p))}" for b, p in META_NEEDED],
)
def test_removing_a_needed_meta_field_changes_what_is_stored(tmp_path, body, path):
    whole = _meta_stored(tmp_path, "whole", body)
    assert whole[0] and not whole[1]
    changed = copy.deepcopy(body)
    node = changed["entry"][0]
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    assert _meta_stored(tmp_path, "without", changed) != whole
