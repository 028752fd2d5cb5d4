"""Every WhatsApp delivery of ../shared/data/whatsapp_webhooks (74 cases, pywa's
test bodies in Meta's format) stored through the receiver's store into a real
SQLite file, with what each must store or ignore. Nothing here is
dead-lettered: account, template and call events are alerts."""

from __future__ import annotations

import copy

import pytest

from replywatch.collectors.whatsapp import API_SENT_TEXT
from tests.conftest import SHARED_DATA
from tests.webhook_support import new_store, rows, signed, whatsapp_cases

CASES = whatsapp_cases(SHARED_DATA / "whatsapp_webhooks")
THREAD = "1122334455667:972987654321"
SENT = ("out", API_SENT_TEXT, THREAD)


def _in(text: str, thread: str = THREAD) -> tuple[str, str, str]:
    return ("in", text, thread)


# What each case stores: ("in"/"out", text, thread) for a message, ("event",
# kind, target prefix, value) for an event, ("alert", field, summary) for an
# account alert.
EXPECTED: dict[tuple[str, str], list[tuple]] = {
    ("message.json", "text"): [_in("Body Text")],
    ("message.json", "image"): [_in("[image]")],
    ("message.json", "media_with_url"): [_in("[image]")],
    ("message.json", "video"): [_in("[video] caption")],
    ("message.json", "document"): [_in("[document] caption")],
    ("message.json", "audio"): [_in("[audio]")],
    ("message.json", "voice"): [_in("[voice message]")],
    ("message.json", "static_sticker"): [_in("[sticker]")],
    ("message.json", "animated_sticker"): [_in("[sticker]")],
    ("message.json", "reaction"): [("event", "reaction", "wamid.yzxyzx=", "😮")],
    ("message.json", "unreaction_empty"): [("event", "reaction", "wamid.yzxyzx=", "")],
    ("message.json", "unreaction_no_emoji"): [("event", "reaction", "wamid.yzxyzx=", "")],
    ("message.json", "current_location"): [_in("[location] (12.25089, 43.90539)")],
    ("message.json", "chosen_location"): [
        _in("[location] Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025 (37.4611978, -122.2164385)")
    ],
    ("message.json", "contacts"): [_in("[contacts] Chandler Bing, Monica, Rachel Green")],
    ("message.json", "order"): [_in("[order] 3 items: 3 x HAMBURGER, 2 x FRENCH_FRIES, 2 x SODA")],
    ("message.json", "unsupported"): [_in("[unsupported message]")],
    ("message.json", "unsupported_with_type"): [_in("[unsupported message: pool]")],
    ("message.json", "reply"): [_in("replied text")],
    ("message.json", "forwarded"): [_in("forwarded text")],
    ("message.json", "forwarded_many_times"): [_in("text forwarded many times")],
    ("message.json", "interactive_message_with_err"): [_in("[interactive reply]")],
    ("message.json", "referral"): [_in("BODY")],
    ("message_status.json", "sent"): [SENT, ("event", "status", "wamid.xyzxyz", "sent")],
    ("message_status.json", "delivered"): [SENT, ("event", "status", "wamid.xyzxyz", "delivered")],
    ("message_status.json", "read"): [SENT, ("event", "status", "wamid.xyzxyz", "read")],
    ("message_status.json", "played"): [SENT, ("event", "status", "wamid.xyzxyz", "played")],
    ("message_status.json", "with_tracker"): [SENT, ("event", "status", "wamid.xyzxyz", "sent")],
    # A failed delivery is not a reply: only its status, with the error.
    ("message_status.json", "failed"): [("event", "status", "wamid.xyzxyz", "failed")],
    # A message to a group is no customer conversation: its status only.
    ("message_status.json", "group"): [("event", "status", "<WHATSAPP_MESSAGE_ID>", "read")],
    ("outgoing_message.json", "text"): [
        ("out", "Test message", "1122334455667:<WHATSAPP_USER_PHONE_NUMBER>")
    ],
    ("outgoing_message.json", "delete"): [("event", "revoke", "wamid.zzzzzz", "")],
    ("outgoing_message.json", "edit"): [("event", "edit", "wamid.zzzzzz", "Text was edited")],
    ("callback_button.json", "button"): [_in("[reply] title")],
    ("callback_button.json", "quick_reply"): [_in("[button] title")],
    ("callback_button.json", "quick_reply_without_context"): [_in("[button] title")],
    ("callback_selection.json", "callback"): [_in("[reply] title")],
    ("callback_selection.json", "description"): [_in("[reply] title - description")],
    ("edited_message.json", "image"): [
        ("event", "edit", "wamid.HBgLMTQxMjU1NTA4MjkV", "[image] Updated image caption")
    ],
    ("deleted_message.json", "revoke"): [("event", "revoke", "<ORIGINAL_WHATSAPP_MESSAGE_ID>", "")],
    ("flow_completion.json", "completion"): [_in("[form reply] flow")],
    ("flow_completion.json", "without_flow_token"): [_in("[form reply] flow")],
    ("call_permission_update.json", "accept"): [_in("[call permission: accept]")],
    ("call_permission_update.json", "reject"): [_in("[call permission: reject]")],
    ("system.json", "phone_number_change"): [
        ("alert", "system", "User A changed from 972987654321 to 972912345678")
    ],
    ("system.json", "identity_change"): [("alert", "system", "User identity changed")],
    ("template_status_update.json", "approved"): [
        ("alert", "message_template_status_update", "APPROVED order_confirmation en_US")
    ],
    ("template_status_update.json", "rejected"): [
        ("alert", "message_template_status_update", "REJECTED abandoned_cart en INVALID_FORMAT")
    ],
    ("template_category_update.json", "marketing"): [
        ("alert", "template_category_update", "my_message_template he MARKETING")
    ],
    ("template_components_update.json", "element"): [
        ("alert", "message_template_components_update", "my_message_template he")
    ],
    ("template_quality_update.json", "yellow"): [
        ("alert", "message_template_quality_update", "welcome_template en_US YELLOW")
    ],
    ("user_marketing_preferences.json", "resume"): [("alert", "user_preferences", "resume")],
    ("user_marketing_preferences.json", "signup"): [("alert", "user_preferences", "signup")],
    ("call_connect.json", "business_initiated"): [("alert", "calls", "connect")],
    ("call_connect.json", "user_initiated"): [("alert", "calls", "connect")],
    ("call_status.json", "call_status"): [("alert", "calls", "RINGING")],
    ("call_terminate.json", "call_terminate"): [("alert", "calls", "terminate")],
}
ACCOUNT_EVENTS = {
    "account_deleted": "ACCOUNT_DELETED",
    "account_restriction": "ACCOUNT_RESTRICTION",
    "account_violation": "ACCOUNT_VIOLATION",
    "ad_account_linked": "AD_ACCOUNT_LINKED",
    "authentication_international_eligibility": "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE",
    "account_disabled": "DISABLED_UPDATE",
    "mm_api_for_wa_terms_of_service": "MM_LITE_TERMS_SIGNED",
    "partner_added": "PARTNER_ADDED",
    "partner_app_installed": "PARTNER_APP_INSTALLED",
    "partner_app_uninstalled": "PARTNER_APP_UNINSTALLED",
    "partner_led_business_verification_status": "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
    "partner_removed": "PARTNER_REMOVED",
    "partner_removed_wa_app_disconnection": "PARTNER_REMOVED",
    "primary_business_location_set": "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE",
    "pricing_tiering_update": "VOLUME_BASED_PRICING_TIER_UPDATE",
    "account_offboarded": "ACCOUNT_OFFBOARDED",
    "account_reconnected": "ACCOUNT_RECONNECTED",
}
EXPECTED.update(
    {
        ("account_update.json", case): [("alert", "account_update", event)]
        for case, event in ACCOUNT_EVENTS.items()
    }
)


def test_every_case_has_an_expectation():
    # 74 cases in the shared folder (its README's table); none unchecked.
    assert len(CASES) == 74
    assert set(CASES) == set(EXPECTED)


def _stored(db_path) -> list[tuple]:
    found = [
        ("in" if d == "inbound" else "out", text, thread)
        for d, text, thread in rows(
            db_path, "SELECT direction, text, thread_ref FROM messages ORDER BY id"
        )
    ]
    for kind, target, value in rows(
        db_path, "SELECT kind, target_id, value FROM message_events ORDER BY id"
    ):
        found.append(("event", kind, target, value))
    found += [
        ("alert", f, s) for f, s in rows(db_path, "SELECT field, summary FROM account_alerts")
    ]
    return found


def _matches(found: tuple, expected: tuple) -> bool:
    if found[0] == "event" and expected[0] == "event":
        return (
            found[1] == expected[1] and found[2].startswith(expected[2]) and found[3] == expected[3]
        )
    return found == expected


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]}:{c[1]}")
def test_case_stores_what_it_must(case, tmp_path):
    db_path = tmp_path / "wa.db"
    store = new_store(db_path)
    try:
        raw, _ = signed(CASES[case])
        store.call(store.store, raw)
        store.call(store.store, raw)  # Meta's retry: nothing more
    finally:
        store.close()
    found = _stored(db_path)
    expected = EXPECTED[case]
    assert len(found) == len(expected), found
    assert all(_matches(f, e) for f, e in zip(found, expected, strict=True)), found
    assert rows(db_path, "SELECT count(*) FROM dead_letters") == [(0,)]
    # Messages are WhatsApp private messages of brand acme, under its source.
    for platform, kind, channel, brand, source in rows(
        db_path, "SELECT platform, kind, channel, brand, source FROM messages"
    ):
        assert (platform, kind, channel, brand, source) == (
            "whatsapp",
            "dm",
            "private",
            "acme",
            "whatsapp:acme:webhook",
        )
    deliveries = rows(db_path, "SELECT channel, deliveries, failures FROM webhook_stats")
    assert deliveries == [("whatsapp", 2, 0)]


def test_inbound_message_keeps_customer_name_number_and_time(tmp_path):
    db_path = tmp_path / "wa.db"
    store = new_store(db_path)
    try:
        store.call(store.store, signed(CASES[("message.json", "text")])[0])
    finally:
        store.close()
    [row] = rows(
        db_path,
        "SELECT external_id, author_id, author_handle, author_name, created_ts FROM messages",
    )
    assert row == ("wamid.xyzxyz", "972987654321", "972987654321", "Test Name", 1697043223)


def test_unknown_business_number_is_dead_lettered_with_a_clear_reason(tmp_path):
    db_path = tmp_path / "wa.db"
    store = new_store(db_path, accounts={"whatsapp": {"999": "other"}})
    try:
        store.call(store.store, signed(CASES[("message.json", "text")])[0])
    finally:
        store.close()
    assert rows(db_path, "SELECT count(*) FROM messages") == [(0,)]
    [(source, error)] = rows(db_path, "SELECT source, error FROM dead_letters")
    assert source == "whatsapp:webhook"
    assert "phone_number_id 1122334455667 is not configured" in error
    assert rows(db_path, "SELECT failures, last_error FROM webhook_stats") == [(1, error)]


def _with(case, path, value) -> dict:
    body = copy.deepcopy(CASES[case])
    node = body["entry"][0]["changes"][0]["value"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


def test_forget_erases_the_customers_number_from_webhook_traces(tmp_path):
    from replywatch.store.db import open_database
    from replywatch.store.privacy import export_subject, forget_author

    db_path = tmp_path / "wa.db"
    store = new_store(db_path)
    bodies = [
        CASES[("message.json", "text")],
        _with(("message_status.json", "sent"), ("statuses", 0, "id"), "wamid.reply1"),
        _with(("message_status.json", "failed"), ("statuses", 0, "id"), "wamid.reply2"),
        CASES[("system.json", "phone_number_change")],
        # The customer reacts to and edits their own message.
        _with(
            ("message.json", "reaction"), ("messages", 0, "reaction", "message_id"), "wamid.xyzxyz"
        ),
        _with(
            ("edited_message.json", "image"),
            ("messages", 0, "edit", "original_message_id"),
            "wamid.xyzxyz",
        ),
    ]
    try:
        for body in bodies:
            store.call(store.store, signed(body)[0])
    finally:
        store.close()
    number = "972987654321"

    def traces() -> list:
        found = []
        for table in ("messages", "message_events", "account_alerts"):
            found += [
                (table, r) for r in rows(db_path, f"SELECT * FROM {table}") if number in repr(r)
            ]
        return found

    assert {t for t, _ in traces()} == {"messages", "message_events", "account_alerts"}
    assert rows(db_path, "SELECT kind FROM message_events ORDER BY id") == [
        ("status",),
        ("status",),
        ("reaction",),
        ("edit",),
    ]
    db = open_database(db_path)
    try:
        access = export_subject(db, number, platform="whatsapp", actor="dpo")
        result = forget_author(db, number, platform="whatsapp", actor="dpo")
    finally:
        db.close()
    # The access request shows what forget then erases.
    assert [e["kind"] for e in access["message_events"]] == ["status", "status", "reaction", "edit"]
    assert [a["field"] for a in access["account_alerts"]] == ["system"]
    assert result.messages == 1
    assert traces() == []
    # The edit (its text) and the reaction went with the message; the brand's
    # reply stays, anonymous, with the conversation's counts.
    assert rows(
        db_path, "SELECT count(*) FROM message_events WHERE kind IN ('edit', 'reaction')"
    ) == [(0,)]
    assert rows(db_path, "SELECT direction, text FROM messages ORDER BY id") == [
        ("inbound", "[erased]"),
        ("outbound", "[message sent through the WhatsApp API]"),
    ]
