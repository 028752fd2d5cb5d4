"""The replay filters of tests/api_filters.py: checked against the REAL X
answers of ../shared/data (tweepy's recordings, made with X's default
fields: the filter must leave each of them exactly as X sent it), and on
readable Graph API cases."""

from __future__ import annotations

import gzip
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from tests.api_filters import field_mutations, graph_filter, parse_fields, render, x_filter


def real_x_answers(folder):
    """(cassette, path, query, payload) of every v2 GET with a JSON body."""
    for path in sorted(folder.glob("*.yaml")):
        for exchange in yaml.safe_load(path.read_text())["interactions"]:
            request, response = exchange["request"], exchange["response"]
            url = urlsplit(request["uri"])
            if request["method"] != "GET" or not url.path.startswith("/2/"):
                continue
            body = response["body"]["string"]
            if isinstance(body, bytes):
                body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
                body = body.decode()
            try:
                payload = json.loads(body)
            except ValueError:
                continue
            yield path.name, url.path, dict(parse_qsl(url.query)), payload


def test_x_filter_leaves_real_x_answers_as_x_sent_them(shared_data):
    answers = list(real_x_answers(shared_data / "x_api_cassettes"))
    kinds = {p.split("/")[2] for _, p, _, _ in answers}
    assert len(answers) >= 15 and {"users", "tweets", "dm_events"} <= kinds
    for name, path, query, payload in answers:
        assert x_filter(payload, query, path) == payload, f"{name} {path}"
    # The DM events X sent with default fields: id, event_type, text only (no
    # sender, no conversation id: those must be asked for).
    dm_fields = {
        key
        for _, path, _, payload in answers
        if path.endswith("/dm_events")
        for event in payload.get("data", [])
        for key in event
    }
    assert dm_fields == {"id", "event_type", "text"}


def test_x_filter_keeps_requested_fields_and_expanded_users_only():
    ana = {"id": "2001", "name": "Ana", "username": "ana_s", "public_metrics": {"f": 1}}
    bob = {"id": "2002", "name": "Bob", "username": "bob", "verified": True}
    tweet = {"id": "1", "text": "hi", "author_id": "2001", "lang": "en"}
    tweet["edit_history_tweet_ids"] = ["1"]
    body = {"data": [tweet], "includes": {"users": [ana, bob]}, "meta": {"result_count": 1}}
    asked = {"tweet.fields": "author_id", "expansions": "author_id", "user.fields": "username"}
    assert x_filter(body, asked, "/2/users/9/mentions") == {
        "data": [{"id": "1", "text": "hi", "author_id": "2001", "edit_history_tweet_ids": ["1"]}],
        "includes": {"users": [{"id": "2001", "name": "Ana", "username": "ana_s"}]},
        "meta": {"result_count": 1},
    }
    plain = x_filter(body, {"tweet.fields": "lang"}, "/2/users/9/mentions")
    assert "includes" not in plain and plain["data"][0].keys() == {
        "id", "text", "lang", "edit_history_tweet_ids"
    }  # fmt: skip


def test_graph_filter_follows_the_fields_syntax():
    comment = {
        "id": "1_2",
        "message": "oi",
        "created_time": "2021-08-10T18:45:03+0000",
        "from": {"id": "9", "name": "Ana"},
        "parent": {"id": "1_1", "message": "..."},
        "permalink_url": "https://www.facebook.com/1/posts/1/?comment_id=2",
    }
    post = {
        "id": "1",
        "message": "promo",
        "comments": {"data": [comment], "summary": {"total_count": 1}},
    }
    listing = {"data": [post], "paging": {"cursors": {"after": "a"}}}
    spec = "message,comments.filter(stream).limit(0).summary(true)"
    counted = {"data": [], "summary": {"total_count": 1}}
    assert graph_filter(listing, spec) == {
        "data": [{"id": "1", "message": "promo", "comments": counted}],
        "paging": {"cursors": {"after": "a"}},
    }
    nested = graph_filter(post, "comments{message,from{name},parent{id}}")
    assert nested == {
        "id": "1",
        "comments": {"data": [{"id": "1_2", "message": "oi", "from": {"id": "9", "name": "Ana"},
                               "parent": {"id": "1_1"}}]},
    }  # fmt: skip
    # Without summary(true) the count is not sent; without a list, an object as recorded.
    assert graph_filter(post, "comments.limit(5)")["comments"] == {"data": [comment]}
    assert graph_filter({"error": {"code": 4}}, "id") == {"error": {"code": 4}}


def test_field_specs_round_trip_and_mutate_one_field_at_a_time():
    spec = "id,messages.limit(25){id,from{id,name}},comments.filter(stream).summary(true)"
    assert render(parse_fields(spec)) == spec
    assert dict(field_mutations("a,b{c,d},e{f}")) == {
        "a": "b{c,d},e{f}",
        "b": "a,e{f}",
        "b.c": "a,b{d},e{f}",
        "b.d": "a,b{c},e{f}",
        "e": "a,b{c,d}",  # e.f alone would leave e{}: not a request
    }
    with pytest.raises(ValueError):
        parse_fields("a{b")


def test_hand_made_reddit_search_asks_with_the_keys_praw_really_sends(shared_data):
    """Our search recording is matched on its whole query: it names the same
    parameters as praw's real recorded search (values are ours)."""
    from tests.cassettes.build_cassettes import reddit_get

    real = json.loads(
        (shared_data / "reddit_api_cassettes/TestSubreddit.test_search.json").read_text()
    )
    [search] = [i for i in real["interactions"] if "/search/" in i["request"]["uri"]]
    real_keys = {k for k, _ in parse_qsl(urlsplit(search["request"]["uri"]).query)}
    ours = reddit_get("/r/acme/search/", {})["request"]["uri"]
    assert {k for k, _ in parse_qsl(urlsplit(ours).query)} == real_keys
