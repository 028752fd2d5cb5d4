"""Facebook Page and Instagram deliveries through the receiver, after a poll
of the same page and account (tests/meta_recordings.py, the real Graph client
through ``responses``): what both saw is stored once, what only the webhook
carries is added, direct messages join the thread the poll stored.

No real Facebook / Instagram webhook deliveries exist in ../shared/data: the
payloads here are built from Meta's documented formats ("Webhooks for Pages":
``object: "page"``, ``entry[].changes[]`` of field ``feed`` with
``item``/``verb``/``comment_id``/``post_id``/``parent_id``/``created_time``
(Unix seconds), and ``entry[].messaging[]`` with ``sender``/``recipient``/
``timestamp`` (milliseconds)/``message.mid``/``is_echo``; "Instagram
webhooks": ``object: "instagram"``, fields ``comments`` (``id``, ``text``,
``from{id,username}``, ``media{id}``, ``parent_id``), ``mentions``
(``media_id``, ``comment_id``) and ``messaging[]``)."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from replywatch.collectors.meta_webhooks import MENTION_TEXT
from replywatch.collectors.webhooks import PATH, DeliveryStore, brand_accounts, create_app
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from tests.collectors_support import FakeTime
from tests.meta_recordings import G1, IG, P1, PAGE, build_story
from tests.test_meta_collect import meta_config, run
from tests.webhook_support import SECRETS, rows, signed


@pytest.fixture
def polled(tmp_path):
    """A store filled by one poll of the recorded Facebook page and Instagram
    account, and a receiver over it configured from the same replywatch.toml."""
    db_path = tmp_path / "rw.db"
    db = open_database(db_path)
    story = build_story()
    outcomes = run(db, FakeTime(), story)
    assert all(o.ok for o in outcomes.values())
    db.close()
    store = DeliveryStore(db_path, brand_accounts(meta_config()), ingest)
    with TestClient(create_app(store, SECRETS)) as client:
        client.db_path, client.ids = db_path, story.ids
        yield client
    store.close()


def _count(client) -> int:
    return rows(client.db_path, "SELECT count(*) FROM messages")[0][0]


def _deliver(client, body) -> None:
    raw, headers = signed(body)
    assert client.post(PATH, content=raw, headers=headers).status_code == 200


def page_feed(value: dict) -> dict:
    return {
        "object": "page",
        "entry": [
            {"id": PAGE, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}
        ],
    }


def test_brand_accounts_of_the_config():
    assert brand_accounts(meta_config()) == {"facebook": {PAGE: "acme"}, "instagram": {IG: "acme"}}


def test_a_comment_seen_by_poll_and_webhook_is_stored_once(polled):
    before = _count(polled)
    carlos = polled.ids["c1"]
    _deliver(
        polled,
        page_feed(
            {
                "from": {"id": "3000000001", "name": "Carlos Pereira"},
                "item": "comment",
                "verb": "add",
                "post_id": P1,
                "comment_id": carlos,
                "parent_id": P1,
                "created_time": int(time.time()) - 170 * 60,
                "message": "Meu pedido não chegou até hoje, péssimo atendimento",
            }
        ),
    )
    assert _count(polled) == before
    assert rows(
        polled.db_path, "SELECT count(*) FROM messages WHERE external_id = ?", (carlos,)
    ) == [(1,)]


def test_a_new_comment_and_a_reply_by_the_page_arrive_by_webhook(polled):
    before = _count(polled)
    now = int(time.time())
    new = f"{P1.split('_')[1]}_4999"
    _deliver(
        polled,
        page_feed(
            {
                "from": {"id": "3000000077", "name": "Nova Cliente"},
                "item": "comment",
                "verb": "add",
                "post_id": P1,
                "comment_id": new,
                "parent_id": P1,
                "created_time": now - 60,
                "message": "Vocês entregam em Recife?",
            }
        ),
    )
    _deliver(
        polled,
        page_feed(
            {
                "from": {"id": PAGE, "name": "Acme Brasil"},
                "item": "comment",
                "verb": "add",
                "post_id": P1,
                "comment_id": f"{new}_1",
                "parent_id": new,
                "created_time": now,
                "message": "Entregamos sim!",
            }
        ),
    )
    assert _count(polled) == before + 2
    stored = rows(
        polled.db_path,
        "SELECT external_id, direction, kind, in_reply_to_id, thread_ref, source FROM messages "
        "WHERE external_id IN (?, ?) ORDER BY created_ts",
        (new, f"{new}_1"),
    )
    assert stored == [
        (new, "inbound", "comment", None, P1, "facebook:acme:webhook"),
        (f"{new}_1", "outbound", "reply", new, P1, "facebook:acme:webhook"),
    ]
    # Same parser as the poll: the page's reply answers the comment.
    [(status, frt)] = rows(
        polled.db_path,
        "SELECT c.status, c.first_response_seconds FROM conversations c "
        "JOIN messages m ON m.conversation_id = c.id WHERE m.external_id = ?",
        (new,),
    )
    assert (status, frt) == ("replied", 60)


def test_comment_edit_and_removal_are_events_on_the_comment(polled):
    carlos = polled.ids["c1"]
    base = {
        "item": "comment",
        "post_id": P1,
        "comment_id": carlos,
        "created_time": int(time.time()),
    }
    _deliver(polled, page_feed({**base, "verb": "edited", "message": "Chegou, obrigado"}))
    _deliver(polled, page_feed({**base, "verb": "remove"}))
    assert rows(
        polled.db_path, "SELECT kind, target_id, value FROM message_events ORDER BY id"
    ) == [("edit", carlos, "Chegou, obrigado"), ("revoke", carlos, "")]


def test_page_mention_is_left_to_the_poll(polled):
    before = _count(polled)
    _deliver(
        polled,
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": int(time.time()),
                    "changes": [
                        {
                            "field": "mention",
                            "value": {"post_id": f"{PAGE}_9", "item": "post", "verb": "add"},
                        }
                    ],
                }
            ],
        },
    )
    assert _count(polled) == before
    assert rows(polled.db_path, "SELECT count(*) FROM dead_letters") == [(0,)]


def messaging(obj: str, own: str, sender: str, recipient: str, mid: str, text: str, **extra):
    return {
        "object": obj,
        "entry": [
            {
                "id": own,
                "time": int(time.time() * 1000),
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": recipient},
                        "timestamp": int(time.time() * 1000),
                        "message": {"mid": mid, "text": text, **extra},
                    }
                ],
            }
        ],
    }


def test_messenger_message_joins_the_polled_thread_and_a_known_one_is_stored_once(polled):
    before = _count(polled)
    rui = "3000000011"
    _deliver(polled, messaging("page", PAGE, rui, PAGE, "m_11", "Bom dia, cancelei o pedido 123"))
    assert _count(polled) == before  # m_11 was polled
    _deliver(polled, messaging("page", PAGE, rui, PAGE, "m_new", "Ainda não recebi o estorno"))
    _deliver(
        polled, messaging("page", PAGE, PAGE, rui, "m_echo", "Vou verificar agora", is_echo=True)
    )
    assert _count(polled) == before + 2
    stored = dict(
        (mid, (direction, thread))
        for mid, direction, thread in rows(
            polled.db_path,
            "SELECT external_id, direction, thread_ref FROM messages WHERE external_id IN "
            "('m_11', 'm_new', 'm_echo')",
        )
    )
    thread = stored["m_11"][1]
    assert stored == {
        "m_11": ("inbound", thread),
        "m_new": ("inbound", thread),
        "m_echo": ("outbound", thread),
    }
    # The same conversation, waiting after m_new and answered by the echo.
    assert rows(
        polled.db_path,
        "SELECT count(DISTINCT conversation_id) FROM messages WHERE external_id IN "
        "('m_11', 'm_new', 'm_echo')",
    ) == [(1,)]


def test_instagram_comment_dm_and_mention(polled):
    before = _count(polled)
    ana = polled.ids["ig1"]
    comments = {
        "object": "instagram",
        "entry": [
            {
                "id": IG,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": ana,
                            "text": "Quero trocar o tamanho, como faço?",
                            "from": {"id": "6100000000000001", "username": "ana.souza"},
                            "media": {"id": G1, "media_product_type": "FEED"},
                        },
                    },
                    {
                        "field": "comments",
                        "value": {
                            "id": "17950000000000099",
                            "text": "Tem no tamanho P?",
                            "from": {"id": "6100000000000009", "username": "rita"},
                            "media": {"id": G1, "media_product_type": "FEED"},
                        },
                    },
                    {
                        "field": "mentions",
                        "value": {"media_id": "17999999", "comment_id": "17988888"},
                    },
                ],
            }
        ],
    }
    _deliver(polled, comments)
    _deliver(polled, messaging("instagram", IG, "6200000000000001", IG, "aWdfZAmid1", "oi"))
    assert _count(polled) == before + 2  # ana's comment and mari's DM were polled
    assert rows(
        polled.db_path,
        "SELECT external_id, kind, thread_ref, text FROM messages WHERE external_id IN "
        "('17950000000000099', '17988888') ORDER BY external_id",
    ) == [
        ("17950000000000099", "comment", G1, "Tem no tamanho P?"),
        ("17988888", "mention", "17999999", MENTION_TEXT),
    ]


def test_unconfigured_page_is_dead_lettered(polled):
    body = page_feed({"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1"})
    body["entry"][0]["id"] = "999"
    _deliver(polled, body)
    [(source, error)] = rows(polled.db_path, "SELECT source, error FROM dead_letters")
    assert source == "facebook:webhook"
    assert "facebook account 999 is not configured" in error


MENTIONED = "17967008497439572"  # the comment of the real recorded answer


def _mentions_delivery(comment_id: str) -> dict:
    return {
        "object": "instagram",
        "entry": [
            {
                "id": IG,
                "time": int(time.time()),
                "changes": [
                    {
                        "field": "mentions",
                        "value": {"media_id": "17887498072083520", "comment_id": comment_id},
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize("answer", ["recorded", "refused"])
def test_instagram_mention_is_read_through_the_graph_api(tmp_path, shared_data, answer):
    """The mentioned comment is read with the real Graph client (``requests``)
    from a real recorded answer (../shared/data/meta_api); when Meta refuses,
    the mention is kept with the placeholder."""
    import re
    from urllib.parse import parse_qs, urlsplit

    import responses

    from replywatch.collectors.webhooks import mention_fetcher

    body = (shared_data / "meta_api/instagram/apidata/users/mentioned_comment.json").read_text()
    db_path = tmp_path / "rw.db"
    store = DeliveryStore(db_path, brand_accounts(meta_config()), ingest)
    store.mention_fetcher = mention_fetcher("EAAG-test-token-1", "app-secret-2")
    with responses.RequestsMock() as mock, TestClient(create_app(store, SECRETS)) as client:
        url = re.compile(rf"https://graph\.facebook\.com/v[\d.]+/{IG}\?.*")
        if answer == "recorded":
            mock.add(responses.GET, url, body=body, content_type="application/json")
        else:
            error = {
                "error": {
                    "message": "Unsupported get request",
                    "type": "GraphMethodException",
                    "code": 100,
                }
            }
            mock.add(responses.GET, url, json=error, status=400)
        raw, headers = signed(_mentions_delivery(MENTIONED))
        assert client.post(PATH, content=raw, headers=headers).status_code == 200
        [call] = mock.calls
        fields = parse_qs(urlsplit(call.request.url).query)["fields"]
        assert fields == [
            f"mentioned_comment.comment_id({MENTIONED}){{id,text,timestamp,username,media{{id}}}}"
        ]
        assert "EAAG-test-token-1" not in call.request.url  # sent as a header, never in the URL
    store.close()
    [row] = rows(db_path, "SELECT external_id, kind, direction, author_handle, text FROM messages")
    if answer == "recorded":
        assert row == (MENTIONED, "mention", "inbound", "ikroskun", "@ikroskun good")
    else:
        assert row == (MENTIONED, "mention", "inbound", None, MENTION_TEXT)
