"""Fault cases, through the real tweepy Client and hand-made cassettes written
to a temp folder: 429 with a reset header, 503, timeouts, truncated bodies,
bad items, and crashes between fetch and commit."""

from __future__ import annotations

import json

import pytest
import requests

from replywatch.collectors import x
from replywatch.collectors.channels.x import XCredentials
from replywatch.collectors.credentials import Scrubber
from replywatch.collectors.runner import Platform, Runner, register_brands
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from tests.cassettes import build_cassettes as story
from tests.collectors_support import FakeTime, acme_config, story_cassette

MENTIONS = f"/2/users/{story.BRAND_ID}/mentions"
PAGE_1 = story.x_page([story.ANA_2], [story.ANA], next_token="mnt-page-2")
PAGE_2 = story.x_page([story.ANA_1], [story.ANA])


class Crash(BaseException):
    """A process dying: not an Exception, so nothing may swallow it."""


def mentions_runner(db, fake: FakeTime, *, ingest_fn=ingest, **collector_settings):
    config = acme_config(**collector_settings)
    register_brands(db, config)
    creds = XCredentials(bearer_token="bearer-SECRET-xyz")
    client = x.make_client(creds, timeout=5)
    collector = x.XCollector(
        client,
        list(config.brands),
        config.collector,
        app_auth=True,
        user_auth=False,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    collector.account_ids["acmehelp"] = story.BRAND_ID
    sources = [s for s in collector.sources() if ":mentions:" in s.name]
    runner = Runner(
        db,
        [Platform("x", prepare=lambda db: sources)],
        ingest_fn,
        scrub=Scrubber(creds.values()),
        clock=fake.clock,
        sleep=fake.sleep,
    )
    return runner, client


def play(tmp_path, name: str, interactions: list[dict]):
    path = story.write(name, interactions, tmp_path)
    return story_cassette(path)


def stored_ids(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT external_id FROM messages ORDER BY external_id")]


def cursor(db, source="x:acme:mentions:acmehelp") -> dict:
    row = db.execute("SELECT cursor FROM collector_state WHERE source = ?", (source,)).fetchone()
    return json.loads(row[0]) if row else {}


def health(db, source="x:acme:mentions:acmehelp") -> dict:
    row = db.execute("SELECT * FROM collector_health WHERE source = ?", (source,)).fetchone()
    columns = [d[0] for d in db.execute("SELECT * FROM collector_health LIMIT 0").description]
    return dict(zip(columns, row, strict=True))


ALL_IDS = sorted([story.ANA_1["id"], story.ANA_2["id"]])


def test_429_sleeps_until_reset_and_loses_no_page(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime(start=1_800_000_000)
    reset = int(fake.now) + 120
    runner, _ = mentions_runner(db, fake)
    with play(
        tmp_path,
        "c.json",
        [
            story.x_get(MENTIONS, PAGE_1),
            story.x_get(
                MENTIONS,
                {"title": "Too Many Requests", "status": 429},
                status=429,
                remaining=0,
                reset=reset,
                token="mnt-page-2",
            ),
            story.x_get(MENTIONS, PAGE_2, token="mnt-page-2"),
        ],
    ) as cassette:
        [outcome] = runner.poll_once()
    assert outcome.ok and cassette.all_played
    assert stored_ids(db) == ALL_IDS
    # One wait until just after the reset; the rest are the 1 s throttle. No busy loop.
    rate_waits = [s for s in fake.sleeps if s > 1.0]
    assert rate_waits == [pytest.approx(121 - 1.0, abs=1.01)]
    assert len(fake.sleeps) <= 3
    h = health(db)
    assert h["rate_limit_wait_s"] == pytest.approx(rate_waits[0])
    assert cursor(db) == {"since_id": story.ANA_2["id"]}


def test_429_with_distant_reset_keeps_place_and_resumes_next_poll(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, _ = mentions_runner(db, fake)
    with play(
        tmp_path,
        "a.json",
        [
            story.x_get(MENTIONS, PAGE_1),
            story.x_get(
                MENTIONS,
                {"status": 429},
                status=429,
                remaining=0,
                reset=int(fake.now) + 3600,
                token="mnt-page-2",
            ),
        ],
    ):
        [outcome] = runner.poll_once()
    assert not outcome.ok and "rate limited until" in outcome.error
    assert all(s <= 1.0 for s in fake.sleeps)  # only the throttle: did not sit out an hour
    assert stored_ids(db) == [story.ANA_2["id"]]
    assert cursor(db)["resume"]["next_token"] == "mnt-page-2"
    assert cursor(db)["since_id"] is None  # never advanced past unread pages

    fake.now += 3600
    runner, _ = mentions_runner(db, fake)
    with play(tmp_path, "b.json", [story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")]) as c:
        [outcome] = runner.poll_once()
    assert outcome.ok and c.all_played  # the resumed request carried the token
    assert stored_ids(db) == ALL_IDS
    assert cursor(db) == {"since_id": story.ANA_2["id"]}


def test_503_then_success_backs_off_with_jitter(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, _ = mentions_runner(db, fake)
    with play(
        tmp_path,
        "c.json",
        [
            story.x_get(MENTIONS, {"title": "Service Unavailable"}, status=503),
            story.x_get(MENTIONS, {"title": "Service Unavailable"}, status=503),
            story.x_get(MENTIONS, PAGE_1),
            story.x_get(MENTIONS, PAGE_2, token="mnt-page-2"),
        ],
    ):
        [outcome] = runner.poll_once()
    assert outcome.ok and stored_ids(db) == ALL_IDS
    details = json.loads(health(db)["details"])
    assert details["retries"] == 2
    # Exponential: ~1 s then ~2 s, each plus up to 1 s of jitter.
    assert 3.0 <= details["backoff_wait_s"] <= 5.0


def test_timeout_is_retried(tmp_path, monkeypatch):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, client = mentions_runner(db, fake)
    real_request = requests.Session.request
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise requests.exceptions.ReadTimeout("read timed out (test)")
        return real_request(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", flaky)
    with play(
        tmp_path,
        "c.json",
        [story.x_get(MENTIONS, PAGE_1), story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")],
    ):
        [outcome] = runner.poll_once()
    assert outcome.ok and calls["n"] == 3
    assert stored_ids(db) == ALL_IDS


def test_truncated_body_is_retried_then_dead_lettered(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, _ = mentions_runner(db, fake, retry_attempts=2)
    truncated = json.dumps(PAGE_1)[:70]
    with play(
        tmp_path, "c.json", [story.x_get(MENTIONS, truncated), story.x_get(MENTIONS, truncated)]
    ):
        [outcome] = runner.poll_once()
    assert not outcome.ok and "not valid JSON" in outcome.error
    [(payload, error)] = db.execute("SELECT payload, error FROM dead_letters").fetchall()
    assert payload == truncated and "not valid JSON" in error
    assert cursor(db) == {} and stored_ids(db) == []
    assert health(db)["consecutive_failures"] == 1

    # Truncated once, then fine: everything stored, nothing dead-lettered anew.
    db2 = open_database(tmp_path / "rw2.db")
    runner, _ = mentions_runner(db2, fake)
    with play(
        tmp_path,
        "d.json",
        [
            story.x_get(MENTIONS, truncated),
            story.x_get(MENTIONS, PAGE_1),
            story.x_get(MENTIONS, PAGE_2, token="mnt-page-2"),
        ],
    ):
        [outcome] = runner.poll_once()
    assert outcome.ok and stored_ids(db2) == ALL_IDS
    assert db2.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0


def test_items_missing_fields_are_dead_lettered_rest_stored(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, _ = mentions_runner(db, fake)
    no_author = {k: v for k, v in story.ANA_2.items() if k != "author_id"}
    no_author["id"] = str(int(story.ANA_2["id"]) + 1)
    no_text = {k: v for k, v in story.ANA_1.items() if k != "text"}
    no_text["id"] = str(int(story.ANA_1["id"]) + 1)
    page = story.x_page([no_author, story.ANA_2, no_text, story.ANA_1], [story.ANA])
    with play(tmp_path, "c.json", [story.x_get(MENTIONS, page)]):
        [outcome] = runner.poll_once()
    assert outcome.ok and outcome.inserted == 2 and outcome.rejected == 2
    assert stored_ids(db) == ALL_IDS
    errors = " | ".join(r[0] for r in db.execute("SELECT error FROM dead_letters"))
    assert "no author_id" in errors and "has no text" in errors
    payloads = [json.loads(r[0])["id"] for r in db.execute("SELECT payload FROM dead_letters")]
    assert sorted(payloads) == sorted([no_author["id"], no_text["id"]])


def test_crash_between_fetch_and_commit_recovers_everything(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    calls = {"n": 0}

    def crashing_ingest(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # page 2 fetched, not yet committed
            raise Crash()
        return ingest(*args, **kwargs)

    runner, _ = mentions_runner(db, fake, ingest_fn=crashing_ingest)
    with play(
        tmp_path,
        "a.json",
        [story.x_get(MENTIONS, PAGE_1), story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")],
    ):
        with pytest.raises(Crash):
            runner.poll_once()
    assert stored_ids(db) == [story.ANA_2["id"]]
    assert cursor(db)["resume"]["next_token"] == "mnt-page-2"

    runner, _ = mentions_runner(db, fake)  # a new process
    with play(tmp_path, "b.json", [story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")]) as c:
        [outcome] = runner.poll_once()
    assert outcome.ok and c.all_played and outcome.duplicates == 0
    assert stored_ids(db) == ALL_IDS
    assert cursor(db) == {"since_id": story.ANA_2["id"]}


def test_crash_inside_commit_rolls_back_messages_and_cursor(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()

    def ingest_then_die(*args, **kwargs):
        ingest(*args, **kwargs)  # messages and cursor written, not committed
        raise Crash()

    runner, _ = mentions_runner(db, fake, ingest_fn=ingest_then_die)
    with play(tmp_path, "a.json", [story.x_get(MENTIONS, PAGE_1)]):
        with pytest.raises(Crash):
            runner.poll_once()
    assert stored_ids(db) == [] and cursor(db) == {}
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0

    runner, _ = mentions_runner(db, fake)
    with play(
        tmp_path,
        "b.json",
        [story.x_get(MENTIONS, PAGE_1), story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")],
    ):
        [outcome] = runner.poll_once()
    assert outcome.ok and stored_ids(db) == ALL_IDS


def test_failing_source_does_not_stop_others_and_secrets_are_scrubbed(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    secret = "bearer-SECRET-xyz"

    def broken(cursor):
        raise RuntimeError(f"401 Unauthorized for Authorization: Bearer {secret}")
        yield  # pragma: no cover

    from replywatch.collectors.base import PollResult, Source

    def fine(cursor):
        yield PollResult("ok", cursor={"n": 1})

    runner = Runner(
        db,
        [
            Platform(
                "x",
                prepare=lambda db: [Source("x:broken", "x", broken), Source("x:fine", "x", fine)],
            )
        ],
        ingest,
        scrub=Scrubber([secret]),
        clock=fake.clock,
        sleep=fake.sleep,
        base_backoff_s=60,
    )
    outcomes = runner.poll_once()
    assert [o.ok for o in outcomes] == [False, True]
    error = health(db, "x:broken")["last_error"]
    assert secret not in error and "***" in error
    assert cursor(db, "x:fine") == {"n": 1}
    # Backoff: the failing source is skipped on the next poll, retried later.
    outcomes = runner.poll_once()
    assert outcomes[0].skipped and outcomes[1].ok
    fake.now += 200
    outcomes = runner.poll_once()
    assert not outcomes[0].skipped and not outcomes[0].ok
    assert health(db, "x:broken")["consecutive_failures"] == 2


def test_monthly_read_cap_stops_x_before_exceeding(tmp_path):
    db = open_database(tmp_path / "rw.db")
    fake = FakeTime()
    runner, _ = mentions_runner(db, fake, x_monthly_read_cap=100, page_size=100)
    with play(
        tmp_path,
        "c.json",
        [story.x_get(MENTIONS, PAGE_1), story.x_get(MENTIONS, PAGE_2, token="mnt-page-2")],
    ) as c:
        [outcome] = runner.poll_once()
    # Page 1 (up to 100 reads) fits the cap of 100; after it 1 read is used, so
    # page 2 (up to 100 more) could pass the cap: it is not requested.
    assert not outcome.ok and "monthly read cap" in outcome.error
    assert c.play_count == 1 and stored_ids(db) == [story.ANA_2["id"]]
    usage = cursor(db, "x:usage")
    assert usage["reads"] == 1 and usage["cap"] == 100
