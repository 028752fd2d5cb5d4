"""WhatsApp deliveries on the dashboard (Streamlit AppTest on a real store
filled through the receiver's store): the 24-hour customer-service window on
each waiting conversation and its "Window closing" filter, events on the
messages, a failed delivery, and the Sources page's webhook statistics."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.store.db import DB_ENV_VAR
from tests.webhook_support import new_store, signed

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
NUMBER = "1122334455667"


def delivery(*, messages=(), statuses=(), echoes=()) -> dict:
    """A WhatsApp delivery in Meta's documented shape (one entry, one change)."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "5511999990000", "phone_number_id": NUMBER},
        "contacts": [
            {"profile": {"name": f"Cliente {m['from'][-2:]}"}, "wa_id": m["from"]} for m in messages
        ],
        "messages": list(messages),
        "statuses": list(statuses),
    }
    field = "messages"
    if echoes:
        value = {**value, "message_echoes": list(echoes), "messages": []}
        field = "smb_message_echoes"
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}],
    }


def text(customer: str, wamid: str, at: int, body: str) -> dict:
    return {
        "from": customer,
        "id": wamid,
        "timestamp": str(at),
        "type": "text",
        "text": {"body": body},
    }


@pytest.fixture
def whatsapp_db(tmp_path, monkeypatch):
    """Four WhatsApp customers, seen from ``now``: one wrote 22 h ago (window
    closing), one 1 h ago, one 30 h ago (window closed), one answered by a
    reply typed in the WhatsApp Business app; plus a reaction, an edit and a
    failed delivery."""
    now = int(time.time())
    path = tmp_path / "wa.db"
    store = new_store(path)
    bodies = [
        delivery(messages=[text("5511900000001", "wamid.a", now - 22 * 3600, "cadê meu pedido?")]),
        delivery(messages=[text("5511900000002", "wamid.b", now - 3600, "quero trocar o tamanho")]),
        delivery(messages=[text("5511900000003", "wamid.c", now - 30 * 3600, "ninguém responde")]),
        delivery(messages=[text("5511900000004", "wamid.d", now - 5 * 3600, "chegou quebrado")]),
        delivery(
            echoes=[
                {
                    "from": "5511999990000",
                    "to": "5511900000004",
                    "id": "wamid.reply",
                    "timestamp": str(now - 4 * 3600),
                    "type": "text",
                    "text": {"body": "Vamos trocar, desculpe!"},
                }
            ]
        ),
        delivery(
            messages=[
                {
                    "from": "5511900000001",
                    "id": "wamid.react",
                    "timestamp": str(now - 22 * 3600 + 5),
                    "type": "reaction",
                    "reaction": {"message_id": "wamid.a", "emoji": "😡"},
                },
                {
                    "from": "5511900000001",
                    "id": "wamid.edit",
                    "timestamp": str(now - 22 * 3600 + 9),
                    "type": "edit",
                    "edit": {
                        "original_message_id": "wamid.a",
                        "message": {"type": "text", "text": {"body": "cadê meu pedido #123?"}},
                    },
                },
            ],
            statuses=[
                {
                    "id": "wamid.failed",
                    "status": "failed",
                    "timestamp": str(now - 21 * 3600),
                    "recipient_id": "5511900000001",
                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                }
            ],
        ),
    ]
    try:
        for body in bodies:
            store.call(store.store, signed(body)[0])
        store.call(store.rejection)
    finally:
        store.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def _window_column(at: AppTest) -> dict[str, str]:
    frame = at.dataframe[0].value
    return dict(zip(frame["customer"], frame["24h window"], strict=True))


def test_each_waiting_whatsapp_conversation_shows_its_window(whatsapp_db):
    at = _app()
    windows = _window_column(at)
    # The answered customer (04) is not waiting.
    assert set(windows) == {"Cliente 01", "Cliente 02", "Cliente 03"}
    assert windows["Cliente 03"] == "closed: template only"
    # 24 h after the last customer message: 2 h left when the page draws in
    # the fixture's second, a minute or two less when it draws later.
    assert windows["Cliente 01"] in {"2h left", "1h 59m left", "1h 58m left"}
    assert windows["Cliente 02"].startswith("22h") or windows["Cliente 02"].startswith("23h")


def test_window_closing_filter_keeps_only_those_closing_within_4_hours(whatsapp_db):
    at = _app()
    at.toggle(key="tri_window").set_value(True).run()
    assert not at.exception, at.exception
    assert list(_window_column(at)) == ["Cliente 01"]


def test_conversation_shows_reaction_edit_and_failed_delivery(whatsapp_db):
    at = _app()
    frame = at.dataframe[0].value
    conversation = int(frame[frame["customer"] == "Cliente 01"]["id"].iloc[0])
    at.text_input(key="tri_add").set_value(str(conversation)).run()
    assert not at.exception, at.exception
    detail = [d.value for d in at.dataframe if "events" in d.value.columns]
    assert detail, "conversation detail not shown"
    events = detail[0].set_index("text")["events"]
    assert events["cadê meu pedido?"] == "reaction 😡 · edited: cadê meu pedido #123?"
    errors = " ".join(e.value for e in at.error)
    assert "not delivered: 131047 Re-engagement message" in errors


def test_sources_page_shows_webhook_deliveries_and_signature_rejections(whatsapp_db):
    at = _app("views/sources.py")
    tables = [d.value for d in at.dataframe if "signature rejections" in d.value.columns]
    assert tables, "no webhook table"
    table = tables[0].set_index("channel")
    assert table.loc["💬 WhatsApp", "deliveries"] == 6
    assert table.loc["💬 WhatsApp", "failures"] == 0
    assert table.loc["Meta endpoint (unsigned or unreadable POSTs)", "signature rejections"] == 1


@pytest.mark.parametrize(
    ("platform", "channel", "has_window"),
    [
        ("whatsapp", "private", True),
        ("facebook", "private", True),  # Messenger
        ("instagram", "private", True),  # Instagram Direct
        ("facebook", "public", False),  # comments have no window
        ("instagram", "public", False),
        ("x", "private", False),
        ("reddit", "private", False),
    ],
)
def test_which_conversations_have_a_24_hour_window(platform, channel, has_window):
    from replywatch.store.triage import SERVICE_WINDOW_SECONDS, window_ends_at

    row = {"platform": platform, "channel": channel, "last_customer_at": 1_700_000_000}
    expected = 1_700_000_000 + SERVICE_WINDOW_SECONDS if has_window else None
    assert window_ends_at(row) == expected
    assert window_ends_at({**row, "last_customer_at": None}) is None
