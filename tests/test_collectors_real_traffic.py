"""The parsers against REAL recorded traffic (tweepy's and praw's own test
cassettes in ../shared/data), through the real tweepy Client and praw Reddit.

The v2 X recordings carry default fields only (id, text): our decision is to
derive a missing created_at from the snowflake id, and to dead-letter items
without an author (mentions, search, DMs), since a customer cannot then be
told from the brand. On a user's own timeline the author is the owner."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import praw
import pytest

from replywatch.collectors import x
from replywatch.collectors.channels.x import XCredentials, XWatch
from replywatch.collectors.reddit import RedditContext, item_to_message, parse_items, plain
from replywatch.config import BrandConfig, CollectorSettings
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from tests.collectors_support import FakeTime, json_vcr, x_vcr


@pytest.fixture
def data(shared_data):
    return shared_data


def x_collector(handle: str, account_id: str, fake: FakeTime, **settings) -> x.XCollector:
    brand = BrandConfig(
        key="tw",
        name="Twitter",
        channels={"x": XWatch(handles=(handle,), keywords=("Tweepy",), direct_messages=False)},
    )
    client = x.make_client(XCredentials(bearer_token="placeholder"), timeout=5)
    collector = x.XCollector(
        client,
        [brand],
        CollectorSettings(**settings),
        app_auth=True,
        user_auth=False,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    collector.account_ids[handle.lower()] = account_id
    return collector


def source(collector: x.XCollector, suffix: str):
    return next(s for s in collector.sources() if s.name.endswith(suffix))


def test_real_mentions_are_dead_lettered_for_missing_author(data, tmp_path):
    fake = FakeTime()
    collector = x_collector("Twitter", "783214", fake, max_pages_per_poll=1)
    with x_vcr().use_cassette(str(data / "x_api_cassettes/test_client_get_users_mentions.yaml")):
        [batch] = list(source(collector, ":mentions:twitter").poll({}))
    assert batch.messages == []
    assert len(batch.rejected) == 10  # meta.result_count of the recording
    assert all("no author_id" in r.error for r in batch.rejected)
    assert batch.rejected[0].payload["text"].startswith("@Twitter @TwitterSupport")
    # The envelope was read: the next page is kept to resume from, since_id unchanged.
    assert batch.cursor["since_id"] is None
    assert batch.cursor["resume"]["newest_id"] == "1578516295611748353"
    assert len(batch.cursor["resume"]["next_token"]) > 20
    db = open_database(tmp_path / "rw.db")
    result = ingest(db, batch.messages, source="x:t", rejected=batch.rejected, cursor=batch.cursor)
    assert result.rejected == 10
    assert (
        db.execute("SELECT count(*) FROM dead_letters WHERE error LIKE '%author_id%'").fetchone()[0]
        == 10
    )


def test_real_own_timeline_is_stored_with_snowflake_time(data):
    fake = FakeTime()
    collector = x_collector("Twitter", "783214", fake, max_pages_per_poll=1)
    with x_vcr().use_cassette(str(data / "x_api_cassettes/test_client_get_users_tweets.yaml")):
        [batch] = list(source(collector, ":posts:twitter").poll({"since_id": "1"}))
    assert [m.external_id for m in batch.messages] == ["1577730467436138524", "1565318587736285184"]
    first = batch.messages[0]
    assert (first.direction, first.kind, first.author_id) == ("outbound", "post", "783214")
    assert first.raw["derived"] == ["author_id: timeline owner", "created_at: snowflake id"]
    # Twitter announced mixed-media tweets on 5 October 2022.
    assert first.created_at.date().isoformat() == "2022-10-05"
    assert batch.cursor["since_id"] == "1"  # not advanced: a next page exists
    assert batch.details["x_reads_this_month"] == 2


def test_snowflake_time_matches_times_written_in_real_tweets(data):
    """A bot in the search recording posts its own clock in the text: the time
    derived from the id must agree with it."""
    import gzip

    import yaml

    cassette = yaml.load(
        (data / "x_api_cassettes/test_client_search_recent_tweets.yaml").read_text(),
        Loader=yaml.Loader,
    )
    body = cassette["interactions"][0]["response"]["body"]["string"]
    page = x.read_page(__import__("json").loads(gzip.decompress(body)))
    checked = 0
    for tweet in page.items:
        stamp = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) tweepy", tweet["text"])
        if stamp:
            written = datetime.fromisoformat(stamp.group(1)).replace(tzinfo=UTC)
            assert abs((x.snowflake_time(tweet["id"]) - written).total_seconds()) < 2
            checked += 1
    assert checked >= 5


def test_real_search_and_empty_dm_page(data):
    fake = FakeTime()
    collector = x_collector("Twitter", "783214", fake, max_pages_per_poll=1)
    with x_vcr().use_cassette(str(data / "x_api_cassettes/test_client_search_recent_tweets.yaml")):
        [batch] = list(source(collector, ":search").poll({}))
    assert len(batch.rejected) == 10 and not batch.messages
    # dm_events with no events: {"meta": {"result_count": 0}} and no "data".
    user = x.make_client(
        XCredentials(api_key="k", api_secret="s", access_token="1-t", access_token_secret="ts"),
        timeout=5,
    )
    with x_vcr().use_cassette(
        str(data / "x_api_cassettes/test_manage_and_lookup_direct_messages.yaml")
    ):
        empty = user.get_direct_message_events().json()
    page = x.read_page(empty)
    assert page.items == [] and page.meta == {"result_count": 0}


def test_real_dm_events_without_sender_are_rejected(data):
    with x_vcr().use_cassette(
        str(data / "x_api_cassettes/test_manage_and_lookup_direct_messages.yaml")
    ):
        client = x.make_client(
            XCredentials(api_key="k", api_secret="s", access_token="1-t", access_token_secret="ts"),
            timeout=5,
        )
        response = client.get_direct_message_events(
            dm_conversation_id="750362064426721281-1072250532645998596"
        )
    page = x.read_page(response.json())
    ctx = x.XContext("tw", "x:tw:dm", {"1072250532645998596": "TweepyDev"})
    for event in page.items:
        with pytest.raises(ValueError, match="no sender_id"):
            x.dm_to_message(event, page.users, ctx)
    event = dict(
        page.items[0],
        sender_id="1072250532645998596",
        dm_conversation_id="750362064426721281-1072250532645998596",
    )
    message = x.dm_to_message(event, page.users, ctx)
    assert (message.direction, message.channel, message.thread_ref) == (
        "outbound",
        "private",
        "750362064426721281-1072250532645998596",
    )


def reddit_client(username: str = "<USERNAME>") -> praw.Reddit:
    return praw.Reddit(
        client_id="placeholder",
        client_secret="placeholder",
        username=username,
        password="placeholder",
        user_agent="replywatch tests",
        check_for_updates=False,
    )


def reddit_ctx(kind: str) -> RedditContext:
    return RedditContext("acme", f"reddit:acme:{kind}", {"<username>"}, kind)


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)


def test_real_reddit_inbox_listings(data, no_sleep):
    folder = data / "reddit_api_cassettes"
    reddit = reddit_client()
    with json_vcr().use_cassette(str(folder / "TestInbox.test_mentions.json")):
        mentions = list(reddit.inbox.mentions(limit=16))
    messages, rejected = parse_items(mentions, reddit_ctx("mention"))
    assert len(messages) == 16 and not rejected
    first = messages[0]
    assert (first.external_id, first.in_reply_to_id, first.kind, first.direction) == (
        "t1_ekftbox",
        "t3_bb24k7",
        "mention",
        "inbound",
    )
    assert first.url.startswith("https://www.reddit.com/r/RemovedByBotter/comments/bb24k7/")
    assert first.created_at == datetime.fromtimestamp(1554774308, UTC)

    with json_vcr().use_cassette(str(folder / "TestInbox.test_comment_replies.json")):
        replies = list(reddit.inbox.comment_replies(limit=64))
    messages, rejected = parse_items(replies, reddit_ctx("reply"))
    assert len(messages) == 64 and not rejected
    assert all(m.in_reply_to_id.startswith("t1_") for m in messages)


def test_real_reddit_messages_thread_replies_by_fullname(data, tmp_path, no_sleep):
    """161 threads with 91 nested replies; the brand's replies (author
    <USERNAME>) must land in the customer's conversation via parent_id."""
    folder = data / "reddit_api_cassettes"
    reddit = reddit_client()
    with json_vcr().use_cassette(str(folder / "TestInbox.test_messages.json")):
        threads = list(reddit.inbox.messages(limit=161))
    messages, rejected = parse_items(threads, reddit_ctx("dm"))
    assert len(threads) == 161 and len(messages) == 252 and not rejected
    outbound = [m for m in messages if m.direction == "outbound"]
    assert outbound and all(m.channel == "private" for m in messages)
    ids = {m.external_id for m in messages}
    linked = [m for m in messages if m.in_reply_to_id]
    assert linked and all(m.in_reply_to_id.startswith("t4_") for m in linked)
    assert sum(m.in_reply_to_id in ids for m in linked) == len(linked)

    db = open_database(tmp_path / "rw.db")
    ingest(db, messages, source="reddit:acme:inbox:messages")
    # Every brand reply sits in a conversation whose first message is not the brand's.
    replied = db.execute(
        "SELECT count(*) FROM conversations WHERE status = 'replied' "
        "AND first_response_seconds >= 0"
    ).fetchone()[0]
    assert replied > 0
    orphans = db.execute(
        "SELECT count(*) FROM messages m JOIN messages p ON p.platform = m.platform "
        "AND p.external_id = m.in_reply_to_id WHERE m.conversation_id != p.conversation_id"
    ).fetchone()[0]
    assert orphans == 0


def test_real_reddit_sent_and_search(data, no_sleep):
    folder = data / "reddit_api_cassettes"
    reddit = reddit_client()
    with json_vcr().use_cassette(str(folder / "TestInbox.test_sent.json")):
        sent = list(reddit.inbox.sent(limit=64))
    messages, _ = parse_items(sent, reddit_ctx("dm"))
    assert len(messages) == 64
    assert all(m.direction == "outbound" for m in messages)
    with json_vcr().use_cassette(str(folder / "TestSubreddit.test_search.json")):
        found = list(
            reddit.subreddit("all").search("praw oauth search", syntax="cloudsearch", limit=None)
        )
    messages, rejected = parse_items(found, reddit_ctx("post"))
    assert messages and not rejected
    assert all(m.external_id.startswith("t3_") and m.in_reply_to_id is None for m in messages)


def test_reddit_item_missing_created_is_rejected(data, no_sleep):
    reddit = reddit_client()
    with json_vcr().use_cassette(str(data / "reddit_api_cassettes/TestInbox.test_mentions.json")):
        item = next(iter(reddit.inbox.mentions(limit=16)))
    broken = plain(item)
    del broken["created_utc"]
    with pytest.raises(ValueError, match="created_utc"):
        item_to_message(broken, reddit_ctx("mention"))
