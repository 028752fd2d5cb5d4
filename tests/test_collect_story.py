"""End to end: the runner drives the real tweepy Client and praw Reddit through
hand-made cassettes (documented full-field formats) into a real SQLite file."""

from __future__ import annotations

import json

import pytest

from replywatch.collectors.runner import Runner, build_platforms, register_brands
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from tests.collectors_support import CASSETTES, FakeTime, acme_config, story_cassette

FAKE_ENV = {
    "X_BEARER_TOKEN": "bearer-SECRET-123",
    "X_API_KEY": "key-SECRET",
    "X_API_SECRET": "apisecret-SECRET",
    "X_ACCESS_TOKEN": "1000-access-SECRET",
    "X_ACCESS_TOKEN_SECRET": "accesssecret-SECRET",
    "praw_client_id": "client-id",
    "praw_client_secret": "client-SECRET",
    "praw_username": "AcmeHelp",
    "praw_password": "password-SECRET",
}


@pytest.fixture
def env(monkeypatch):
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    # prawcore's own rate limiter and retries sleep with time.sleep.
    monkeypatch.setattr("time.sleep", lambda s: None)
    return FAKE_ENV


def run_story(db, fake: FakeTime, cassette: str = "collect_once.json"):
    config = acme_config()
    register_brands(db, config)
    platforms, scrub = build_platforms(
        config, secrets_path=CASSETTES / "absent.toml", clock=fake.clock, sleep=fake.sleep
    )
    runner = Runner(db, platforms, ingest, scrub=scrub, clock=fake.clock, sleep=fake.sleep)
    with story_cassette(CASSETTES / cassette) as cassette_:
        outcomes = runner.poll_once()
    return outcomes, cassette_


def conversation_of(db, platform: str, external_id: str) -> dict:
    row = db.execute(
        "SELECT c.status, c.first_response_seconds, c.needs_response, c.brand, "
        "c.inbound_count, c.outbound_count FROM conversations c "
        "JOIN messages m ON m.conversation_id = c.id WHERE m.platform = ? AND m.external_id = ?",
        (platform, external_id),
    ).fetchone()
    assert row, f"{platform}/{external_id} not stored"
    return dict(
        zip(
            ("status", "first_response_seconds", "needs_response", "brand", "inbound", "outbound"),
            row,
            strict=True,
        )
    )


def test_story_fills_store_and_marks_replies(tmp_path, env):
    from tests.cassettes import build_cassettes as story

    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    outcomes, cassette = run_story(db, fake)
    failed = [(o.name, o.error) for o in outcomes if not o.ok]
    assert not failed
    assert cassette.all_played, "every recorded request should have been made"

    # Ana's mention: the brand answered from its own timeline 20 minutes later.
    ana = conversation_of(db, "x", story.ANA_1["id"])
    assert ana["status"] == "replied"
    assert ana["first_response_seconds"] == 20 * 60
    assert (ana["inbound"], ana["outbound"]) == (2, 1)
    assert ana["brand"] == "acme"
    # The DM thread: answered after 30 minutes.
    dm = conversation_of(db, "x", story.DM_IN["id"])
    assert (dm["status"], dm["first_response_seconds"]) == ("replied", 30 * 60)
    # Untagged talk from search waits for an answer.
    bob = conversation_of(db, "x", story.BOB_TALK["id"])
    assert (bob["status"], bob["needs_response"]) == ("new", 1)
    # Reddit: the brand's comment answers Erin's mention (45 min), the sent
    # message answers Gus (10 min), Fay wrote after the brand (open again).
    erin = conversation_of(db, "reddit", "t1_c2")
    assert (erin["status"], erin["first_response_seconds"]) == ("replied", 45 * 60)
    gus = conversation_of(db, "reddit", "t4_m1")
    assert (gus["status"], gus["first_response_seconds"]) == ("replied", 10 * 60)
    fay = conversation_of(db, "reddit", "t1_c3")
    assert fay["needs_response"] == 1 and fay["status"] != "replied"
    assert conversation_of(db, "reddit", "t3_p1")["status"] == "new"
    assert conversation_of(db, "reddit", "t1_c1")["status"] == "new"
    # The comment scan keeps only keyword matches.
    assert not db.execute("SELECT 1 FROM messages WHERE external_id = 't1_c0'").fetchone()

    directions = dict(
        db.execute("SELECT external_id, direction FROM messages WHERE platform = 'x'").fetchall()
    )
    assert directions[story.ACME_REPLY["id"]] == "outbound"
    assert directions[story.DM_OUT["id"]] == "outbound"
    assert directions[story.ANA_2["id"]] == "inbound"
    # Ana's follow-up as X sends it for our request: her user object through
    # the author_id expansion, language, thread and parent through tweet.fields.
    row = db.execute(
        "SELECT author_handle, author_name, author_followers, lang, thread_ref, in_reply_to_id, "
        "kind, url FROM messages WHERE external_id = ?",
        (story.ANA_2["id"],),
    ).fetchone()
    assert row == (
        "ana_s", "Ana Souza", 321, "en", story.ANA_1["id"], story.ANA_1["id"], "reply",
        f"https://x.com/ana_s/status/{story.ANA_2['id']}",
    )  # fmt: skip
    row = db.execute(
        "SELECT author_handle, author_followers, kind, channel, thread_ref, url "
        "FROM messages WHERE external_id = ?",
        (story.DM_IN["id"],),
    ).fetchone()
    assert row == ("ana_s", 321, "dm", "private", f"2001-{story.BRAND_ID}", None)
    assert db.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0

    # Health per source, the read counter, cursors, and the resolved account id.
    health = {
        r[0]: r[1:]
        for r in db.execute(
            "SELECT source, last_success_at, items_fetched, last_error, details "
            "FROM collector_health"
        )
    }
    assert health["x:acme:mentions:acmehelp"][1] == 2
    assert health["reddit:acme:inbox:messages"][1] == 2  # the thread and its nested reply
    assert all(h[0] and h[2] is None for h in health.values())
    details = json.loads(health["x:acme:search"][3])
    assert details["x_reads_this_month"] == 2 + 2 + 2 + 1  # mentions, posts, DMs, search
    usage = json.loads(
        db.execute("SELECT cursor FROM collector_state WHERE source = 'x:usage'").fetchone()[0]
    )
    assert usage["reads"] == 7
    mentions_cursor = json.loads(
        db.execute(
            "SELECT cursor FROM collector_state WHERE source = 'x:acme:mentions:acmehelp'"
        ).fetchone()[0]
    )
    assert mentions_cursor == {"since_id": story.ANA_2["id"]}
    assert (
        db.execute(
            "SELECT account_id FROM brand_accounts WHERE handle = 'AcmeHelp' AND platform = 'x'"
        ).fetchone()[0]
        == story.BRAND_ID
    )
    settings = json.loads(
        db.execute("SELECT settings FROM brands WHERE key = 'acme'").fetchone()[0]
    )
    assert settings == {
        "business_hours": {"mon": ["09:00", "18:00"]},
        "sla": {"first_response_minutes": 60},
    }
    # No secret reached the database.
    dump = "\n".join(db.conn.iterdump())
    assert "SECRET" not in dump


def test_repeated_poll_adds_nothing(tmp_path, env):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    run_story(db, fake)
    before = db.execute(
        "SELECT count(*), (SELECT count(*) FROM conversations) FROM messages"
    ).fetchone()
    fake.now += 7 * 3600  # past the Reddit catch-up interval: re-reads everything
    # X is asked from the newest ids stored (since_id): only such requests match.
    outcomes, cassette = run_story(db, fake, "collect_again.json")
    assert cassette.all_played
    assert all(o.ok for o in outcomes), [(o.name, o.error) for o in outcomes]
    assert sum(o.inserted for o in outcomes) == 0
    assert sum(o.duplicates for o in outcomes) > 0
    after = db.execute(
        "SELECT count(*), (SELECT count(*) FROM conversations) FROM messages"
    ).fetchone()
    assert after == before
