"""The receiver over HTTP (Starlette's TestClient, a real SQLite file):
Meta's handshake, signatures checked before parsing, the 3 MB cap, batches of
entries / changes / messages in one POST, retries stored once, health, and
nothing secret in the logs."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from starlette.testclient import TestClient

from replywatch.collectors.webhooks import MAX_BODY_BYTES, PATH, create_app
from tests.conftest import SHARED_DATA
from tests.webhook_support import SECRETS, new_store, rows, signed, whatsapp_cases

CASES = whatsapp_cases(SHARED_DATA / "whatsapp_webhooks")


@pytest.fixture
def receiver(tmp_path):
    db_path = tmp_path / "wa.db"
    store = new_store(db_path)
    with TestClient(create_app(store, SECRETS)) as client:
        client.db_path = db_path
        yield client
    store.close()


def _handshake(client, **params):
    return client.get(PATH, params=params)


def test_handshake_answers_the_challenge_only_for_the_right_token(receiver):
    ok = _handshake(
        receiver,
        **{
            "hub.mode": "subscribe",
            "hub.verify_token": SECRETS.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert (ok.status_code, ok.text) == (200, "1158201444")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": SECRETS.verify_token, "hub.challenge": "1"},
        {"hub.challenge": "1"},
        {
            "hub.mode": "subscribe",
            "hub.verify_token": SECRETS.verify_token + "x",
            "hub.challenge": "1",
        },
    ):
        response = _handshake(receiver, **params)
        assert response.status_code == 403
        assert "1" not in response.text


def _post(client, raw: bytes, headers: dict[str, str]):
    return client.post(PATH, content=raw, headers=headers)


def _count(client, table: str) -> int:
    return rows(client.db_path, f"SELECT count(*) FROM {table}")[0][0]


def test_signed_delivery_is_stored_and_answered_200(receiver):
    raw, headers = signed(CASES[("message.json", "text")])
    response = _post(receiver, raw, headers)
    assert response.status_code == 200
    assert rows(receiver.db_path, "SELECT platform, text FROM messages") == [
        ("whatsapp", "Body Text")
    ]
    # The conversation is in the triage queue: waiting for the brand.
    assert rows(
        receiver.db_path, "SELECT platform, channel, needs_response, brand FROM conversations"
    ) == [("whatsapp", "private", 1, "acme")]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw, h: (raw, {}),  # no signature
        lambda raw, h: (raw, {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        lambda raw, h: (raw, {"X-Hub-Signature-256": h["X-Hub-Signature-256"][7:]}),  # no prefix
        lambda raw, h: (raw, signed(raw, secret="another-secret")[1]),
        lambda raw, h: (raw.replace(b"Body Text", b"Body Texx"), h),  # body changed
        lambda raw, h: (raw, {"X-Hub-Signature": h["X-Hub-Signature-256"]}),  # the SHA-1 header
    ],
    ids=["missing", "zeros", "no-prefix", "other-secret", "tampered-body", "sha1-header"],
)
def test_bad_signature_is_403_and_stores_nothing(receiver, mangle):
    raw, headers = signed(CASES[("message.json", "text")])
    bad_raw, bad_headers = mangle(raw, headers)
    response = _post(receiver, bad_raw, bad_headers)
    assert response.status_code == 403
    assert _count(receiver, "messages") == 0
    assert _count(receiver, "dead_letters") == 0
    assert rows(
        receiver.db_path, "SELECT channel, deliveries, signature_rejections FROM webhook_stats"
    ) == [("meta", 0, 1)]


def test_bad_signature_is_refused_before_parsing(receiver):
    # Not JSON at all, and unsigned: refused for the signature, never read.
    response = _post(receiver, b"\xff{not json", {"X-Hub-Signature-256": "sha256=00"})
    assert response.status_code == 403
    assert _count(receiver, "dead_letters") == 0


def test_body_over_3_mb_is_refused(receiver):
    big = {"object": "whatsapp_business_account", "entry": [], "pad": "x" * MAX_BODY_BYTES}
    raw, headers = signed(big)
    assert _post(receiver, raw, headers).status_code == 413
    assert _count(receiver, "dead_letters") == 0
    assert _count(receiver, "webhook_stats") == 0


def test_signed_but_unreadable_body_is_kept_as_a_dead_letter_and_answered_200(receiver):
    raw, headers = signed(b"{truncated")
    assert _post(receiver, raw, headers).status_code == 200  # a retry cannot fix it
    [(source, error)] = rows(receiver.db_path, "SELECT source, error FROM dead_letters")
    assert source == "meta:webhook" and error.startswith("not JSON")
    assert rows(receiver.db_path, "SELECT channel, failures FROM webhook_stats") == [("meta", 1)]


def _batch() -> dict:
    """One POST with two entries, the first with two changes, carrying three
    customer messages, an echo reply and two statuses."""
    text = copy.deepcopy(CASES[("message.json", "text")])
    value = text["entry"][0]["changes"][0]["value"]
    second = copy.deepcopy(value["messages"][0])
    second.update(id="wamid.second", timestamp="1697043300", text={"body": "anyone there?"})
    value["messages"].append(second)
    other = copy.deepcopy(CASES[("message.json", "image")]["entry"][0]["changes"][0])
    other["value"]["messages"][0]["id"] = "wamid.third"
    echo = copy.deepcopy(CASES[("outgoing_message.json", "text")]["entry"][0])
    echo_message = echo["changes"][0]["value"]["message_echoes"][0]
    echo_message.update(to="972987654321", id="wamid.echo", timestamp="1697043400")
    status = copy.deepcopy(CASES[("message_status.json", "delivered")]["entry"][0]["changes"][0])
    status["value"]["statuses"].append(
        {**status["value"]["statuses"][0], "status": "read", "timestamp": "1698266999"}
    )
    text["entry"][0]["changes"] += [other, status]
    text["entry"].append(echo)
    return text


def test_one_post_with_several_entries_changes_messages_and_statuses(receiver):
    raw, headers = signed(_batch())
    for _ in range(3):  # Meta's retries: the same body again
        assert _post(receiver, raw, headers).status_code == 200
    stored = rows(
        receiver.db_path, "SELECT external_id, direction FROM messages ORDER BY external_id"
    )
    assert stored == [
        ("wamid.echo", "outbound"),
        ("wamid.second", "inbound"),
        ("wamid.third", "inbound"),
        ("wamid.xyzxyz", "inbound"),
    ]
    # wamid.xyzxyz (the API-sent reply of the statuses) shares the customer
    # message's id in pywa's placeholders: stored once, as the first seen.
    assert rows(receiver.db_path, "SELECT kind, value FROM message_events ORDER BY id") == [
        ("status", "delivered"),
        ("status", "read"),
    ]
    # One conversation per customer number: all of it in one thread, answered
    # by the reply typed in the WhatsApp Business app.
    assert rows(
        receiver.db_path,
        "SELECT message_count, status, awaiting_since, first_response_at FROM conversations",
    ) == [(4, "replied", None, 1697043400)]
    assert rows(receiver.db_path, "SELECT deliveries, failures FROM webhook_stats") == [(3, 0)]


def test_health(receiver):
    response = receiver.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_nothing_secret_in_the_logs(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    _handshake(
        receiver,
        **{"hub.mode": "subscribe", "hub.verify_token": SECRETS.verify_token, "hub.challenge": "7"},
    )
    _handshake(
        receiver, **{"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "7"}
    )
    raw, headers = signed(CASES[("message.json", "text")])
    _post(receiver, raw, headers)
    _post(receiver, raw, {"X-Hub-Signature-256": "sha256=" + "1" * 64})
    # The test client's own request lines (httpx) are not the receiver's.
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "whatsapp delivery: 1 new" in text  # the logs do say what happened
    for secret in (
        SECRETS.verify_token,
        SECRETS.app_secret,
        headers["X-Hub-Signature-256"],
        "Body Text",
        "guess",
    ):
        assert secret not in text
    assert json.dumps(SECRETS.__repr__()) and SECRETS.app_secret not in repr(SECRETS)


def test_after_commit_runs_when_a_delivery_queued_alerts_on_its_own_connection(tmp_path):
    import threading
    import time

    from tests.test_webhook_dashboard import delivery, text

    calls: list = []
    done = threading.Event()

    def after(db) -> None:
        calls.append(db.execute("SELECT count(*) FROM alerts").fetchone()[0])
        done.set()

    store = new_store(tmp_path / "wa.db")
    store.after_commit = after
    now = int(time.time())
    calm = signed(
        delivery(messages=[text("5511900000001", "wamid.calm", now, "Posso pagar com Pix?")])
    )
    angry = signed(
        delivery(
            messages=[
                text(
                    "5511900000002",
                    "wamid.angry",
                    now,
                    "Vou abrir reclamação no Procon e no Reclame Aqui, quero reembolso já!",
                )
            ]
        )
    )
    with TestClient(create_app(store, SECRETS)) as client:
        assert _post(client, *calm).status_code == 200  # nothing urgent: no run
        assert not done.wait(1)
        assert _post(client, *angry).status_code == 200
        assert done.wait(30)
        done.clear()
        assert _post(client, *angry).status_code == 200  # a retry queues nothing
        assert not done.wait(1)
    store.close()
    assert calls == [1]  # it saw the committed alert
