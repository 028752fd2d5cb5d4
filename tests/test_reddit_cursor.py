"""Reddit listing cursors: stop at the cursor, never skip a new reply nested in
an old message thread, and a periodic catch-up pass that re-reads deeper."""

from __future__ import annotations

import json

import praw
import pytest

from replywatch.collectors.reddit import RedditCollector
from tests.cassettes import build_cassettes as story
from tests.collectors_support import FakeTime, acme_config, story_cassette


@pytest.fixture
def collector(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    fake = FakeTime(start=story.epoch("2024-05-06T13:00:00Z"))
    reddit = praw.Reddit(
        client_id="id",
        client_secret="placeholder",
        username="AcmeHelp",
        password="placeholder",
        user_agent="tests",
        check_for_updates=False,
    )
    config = acme_config(reddit_catch_up_hours=6)
    return RedditCollector(
        reddit, list(config.brands), config.collector, clock=fake.clock, sleep=fake.sleep
    ), fake


def poll(tmp_path, collector, name: str, cursor: dict, listing: list[dict], *, limit: int = 100):
    """One poll of ``name`` answered by ``listing``, recorded for a request
    of ``limit`` items (500 on a catch-up pass, 100 otherwise)."""
    source = next(s for s in collector.sources() if s.name == name)
    answer = story.reddit_get("/message/messages/", story.listing(listing), limit=limit)
    path = story.write(
        f"{len(list(tmp_path.iterdir()))}.json",
        [story.reddit_token(), answer],
        tmp_path,
    )
    with story_cassette(path):
        [batch] = list(source.poll(cursor))
    return batch


def test_new_reply_in_old_thread_is_not_skipped(tmp_path, collector):
    collector, fake = collector
    name = "reddit:acme:inbox:messages"
    first = poll(tmp_path, collector, name, {}, [story.GUS], limit=500)
    assert [m.external_id for m in first.messages] == ["t4_m1"]
    assert first.cursor["newest"] == "t4_m1" and first.cursor["catch_up_at"] == fake.now
    # The thread's first message is older than the cursor, its new reply is not.
    fake.now += 600
    second = poll(tmp_path, collector, name, first.cursor, [story.GUS_THREAD])
    assert "t4_m2" in [m.external_id for m in second.messages]
    assert second.cursor["newest_ts"] == story.epoch("2024-05-06T12:10:00Z")
    # Nothing newer: the listing stops at the cursor and keeps it.
    third = poll(tmp_path, collector, name, second.cursor, [story.GUS])
    assert third.messages == [] and third.cursor["newest_ts"] == second.cursor["newest_ts"]
    assert third.details["catch_up"] is False
    # After reddit_catch_up_hours the cursor is ignored once and re-read deeper.
    fake.now += 6 * 3600
    fourth = poll(tmp_path, collector, name, third.cursor, [story.GUS], limit=500)
    assert fourth.details["catch_up"] is True and fourth.details["limit"] == 500
    assert [m.external_id for m in fourth.messages] == ["t4_m1"]
    json.dumps(fourth.cursor)  # the cursor is storable
