"""Removing any field a channel asks for, one at a time, changes what is
stored: the request lists are what the parsers need, and the tests see it.

Each channel's story (the hand-made recordings of tests/cassettes and
tests/meta_recordings.py) runs through the real clients with the replay
answering as the API would: only the fields and expansions the request
asked for (:mod:`tests.api_filters`), and only for the filters, limits,
``since_id`` and page tokens it was recorded for. The story is run once as
the collector asks (the baseline, checked field by field by
test_collect_story.py and test_meta_collect.py), then once per mutation: a
module constant (``x.EXPANSIONS``, ``facebook.COMMENT_FIELDS``, ...) with one
entry removed. What is compared: every stored message's columns (author,
direction, kind, threading, time and whether it was derived, text, language,
URL), each message's conversation status and first response time, the dead
letters, the failed sources and, for Meta, the requests of a second poll
(which posts' comments are read again).

A removal that changes nothing is allowed only with a reason in
:data:`UNCHANGED`: X's default fields and the Graph API's ``id`` come back
whatever the list says, two of praw's search parameters restate praw's
defaults, and Instagram names a comment's author twice on purpose. Those
removals must leave the store unchanged (so the list stays true). WhatsApp
is a webhook receiver with no request to mutate (docs/collectors.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses

from replywatch.collectors import facebook, instagram, reddit, x
from replywatch.collectors.runner import Runner, build_platforms, register_brands
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from replywatch.store.timeutil import utc_now
from tests.api_filters import field_mutations
from tests.collectors_support import CASSETTES, FakeTime, acme_config, story_cassette
from tests.meta_recordings import FAKE_META_ENV, build_story
from tests.test_collect_story import FAKE_ENV
from tests.test_meta_collect import meta_config

X_ENV = {k: v for k, v in FAKE_ENV.items() if k.startswith("X_")}
REDDIT_ENV = {k: v for k, v in FAKE_ENV.items() if k.startswith("praw_")}
X_LISTS = ("TWEET_FIELDS", "USER_FIELDS", "EXPANSIONS", "DM_EVENT_FIELDS", "DM_EXPANSIONS")
GRAPH_SPECS = {
    facebook: ("FEED_FIELDS", "COMMENT_FIELDS", "TAGGED_FIELDS", "CONVERSATION_FIELDS"),
    instagram: ("MEDIA_FIELDS", "COMMENT_FIELDS", "TAGGED_FIELDS"),
}
X_DEFAULT = "an X default field: returned whatever the field list says"
GRAPH_ID = "the Graph API returns an object's id whatever the field list says"
IG_AUTHOR = (
    "Instagram comments name their author twice (username and from{username}); "
    "either attributes the comment"
)
#: (constant, removed entry) -> why the store may stay the same without it.
UNCHANGED = {
    ("x.USER_FIELDS", "username"): X_DEFAULT,
    ("x.USER_FIELDS", "name"): X_DEFAULT,
    ("x.DM_EVENT_FIELDS", "id"): X_DEFAULT,
    ("x.DM_EVENT_FIELDS", "text"): X_DEFAULT,
    ("x.DM_EVENT_FIELDS", "event_type"): X_DEFAULT,
    ("reddit.SEARCH_PARAMS", "syntax"): "praw's default (lucene): the same query is sent",
    ("reddit.SEARCH_PARAMS", "time_filter"): "praw's default (all): the same query is sent",
    ("instagram.COMMENT_FIELDS", "username"): IG_AUTHOR,
    ("instagram.COMMENT_FIELDS", "from.username"): IG_AUTHOR,
    ("instagram.COMMENT_FIELDS", "replies.username"): IG_AUTHOR,
    ("instagram.COMMENT_FIELDS", "replies.from.username"): IG_AUTHOR,
}

MESSAGE_COLUMNS = (
    "m.platform, m.external_id, m.direction, m.kind, m.channel, m.author_id, m.author_handle, "
    "m.author_name, m.author_followers, m.text, m.lang, m.created_at, "
    "json_extract(m.raw, '$.derived'), m.in_reply_to_id, m.thread_ref, m.url, "
    "c.status, c.first_response_seconds"
)
COLUMN_NAMES = ("platform", "external_id", "direction", "kind", "channel", "author_id",
                "author_handle", "author_name", "author_followers", "text", "lang", "created_at",
                "derived", "in_reply_to_id", "thread_ref", "url", "status",
                "first_response_seconds")  # fmt: skip


def outcome(db_path: Path, failed: list[str], extra: Any = None) -> dict[str, Any]:
    """What a run left: messages (with their conversation), dead letters,
    failed sources, and ``extra`` (Meta: the second poll's requests)."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m "
            "JOIN conversations c ON c.id = m.conversation_id ORDER BY m.platform, m.external_id"
        ).fetchall()
        dead = conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
    return {"messages": rows, "dead_letters": dead, "failed": sorted(failed), "extra": extra}


def run_x_or_reddit(db_path: Path, env: dict[str, str], cassette: str) -> dict[str, Any]:
    config = acme_config()
    db = open_database(db_path)
    register_brands(db, config)
    fake = FakeTime()
    platforms, scrub = build_platforms(
        config,
        env=env,
        secrets_path=CASSETTES / "absent.toml",
        clock=fake.clock,
        sleep=fake.sleep,
        warn=lambda text: None,
    )
    runner = Runner(db, platforms, ingest, scrub=scrub, clock=fake.clock, sleep=fake.sleep)
    with story_cassette(CASSETTES / cassette):
        outcomes = runner.poll_once()
    db.close()
    return outcome(db_path, [o.name for o in outcomes if not o.ok])


NOW = utc_now()


def run_meta(db_path: Path) -> dict[str, Any]:
    config = meta_config()
    db = open_database(db_path)
    register_brands(db, config)
    story, fake = build_story(NOW), FakeTime()
    platforms, scrub = build_platforms(
        config,
        env=FAKE_META_ENV,
        secrets_path=CASSETTES / "absent.toml",
        clock=fake.clock,
        sleep=fake.sleep,
        warn=lambda text: None,
    )
    runner = Runner(db, platforms, ingest, scrub=scrub, clock=fake.clock, sleep=fake.sleep)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        story.fake.install(mock)
        first = runner.poll_once()
        mark = len(story.fake.calls)
        second = runner.poll_once()  # nothing changed: what is read again
    db.close()
    again = sorted((c.path, c.params.get("after") or "") for c in story.fake.calls[mark:])
    failed = [
        f"{o.name} ({poll})" for poll, run in ((1, first), (2, second)) for o in run if not o.ok
    ]
    return outcome(db_path, failed, {"second poll": again, "unknown": story.fake.unknown})


def mutations() -> Iterator[tuple[str, str, str, Any, Callable[[Path], dict[str, Any]]]]:
    """(constant, removed entry, module attribute, mutated value, run)."""
    for name in X_LISTS:
        for entry in getattr(x, name):
            value = [e for e in getattr(x, name) if e != entry]
            yield f"x.{name}", entry, name, value, _x_run
    for entry in reddit.SEARCH_PARAMS:
        value = {k: v for k, v in reddit.SEARCH_PARAMS.items() if k != entry}
        yield "reddit.SEARCH_PARAMS", entry, "SEARCH_PARAMS", value, _reddit_run
    for module, names in GRAPH_SPECS.items():
        short = module.__name__.rsplit(".", 1)[1]
        for name in names:
            for entry, value in field_mutations(getattr(module, name)):
                yield f"{short}.{name}", entry, name, value, run_meta


def _x_run(path: Path) -> dict[str, Any]:
    return run_x_or_reddit(path, X_ENV, "x_story.json")


def _reddit_run(path: Path) -> dict[str, Any]:
    return run_x_or_reddit(path, REDDIT_ENV, "reddit_story.json")


MODULES = {"x": x, "reddit": reddit, "facebook": facebook, "instagram": instagram}
CASES = list(mutations())


@pytest.fixture(scope="module")
def baselines(tmp_path_factory, monkeypatch_module) -> dict[Callable, dict[str, Any]]:
    found = {}
    for run in (_x_run, _reddit_run, run_meta):
        found[run] = run(tmp_path_factory.mktemp("baseline") / "rw.db")
        assert found[run]["messages"] and not found[run]["failed"], found[run]["failed"]
        assert not found[run]["dead_letters"]
    return found


@pytest.fixture(scope="module")
def monkeypatch_module():
    patcher = pytest.MonkeyPatch()
    patcher.setattr("time.sleep", lambda seconds: None)  # prawcore's rate limiter
    yield patcher
    patcher.undo()


def describe(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What changed, in a line: the columns that differ and how many messages."""
    parts = []
    if after["failed"] != before["failed"]:
        parts.append(f"failed sources {after['failed']}")
    if after["dead_letters"] != before["dead_letters"]:
        parts.append(f"dead letters {before['dead_letters']} -> {after['dead_letters']}")
    old = {r[:2]: r for r in before["messages"]}
    new = {r[:2]: r for r in after["messages"]}
    if set(old) != set(new):
        parts.append(f"messages stored {len(old)} -> {len(new)}")
    changed: dict[str, int] = {}
    for key in set(old) & set(new):
        for name, a, b in zip(COLUMN_NAMES, old[key], new[key], strict=True):
            if a != b:
                changed[name] = changed.get(name, 0) + 1
    parts += [f"{name} of {count} messages" for name, count in sorted(changed.items())]
    if after["extra"] != before["extra"]:
        parts.append(f"Meta requests differ: {after['extra']}")
    return "; ".join(parts) or "nothing"


@pytest.mark.parametrize(
    ("constant", "entry", "attribute", "value", "run"),
    CASES,
    ids=[f"{c}-{e}" for c, e, *_ in CASES],
)
def test_removing_a_requested_field_changes_what_is_stored(
    constant, entry, attribute, value, run, baselines, tmp_path, monkeypatch
):
    monkeypatch.setattr(MODULES[constant.split(".")[0]], attribute, value)
    mutated = run(tmp_path / "rw.db")
    change = describe(baselines[run], mutated)
    print(f"\n{constant} without {entry}: {change}")
    if (constant, entry) in UNCHANGED or entry == "id" or entry.endswith(".id"):
        reason = UNCHANGED.get((constant, entry), GRAPH_ID if constant[0] != "x" else "")
        assert reason, f"{constant} without {entry}: no documented reason"
        assert mutated == baselines[run], f"documented as unchanged ({reason}), but: {change}"
    else:
        assert mutated != baselines[run], f"{constant} without {entry}: no test-visible change"


def test_every_removal_is_covered():
    """The documented exceptions name entries that exist (no stale reasons)."""
    cases = {(c, e) for c, e, *_ in CASES}
    assert set(UNCHANGED) <= cases, set(UNCHANGED) - cases
    assert len({c for c, *_ in CASES}) == len(X_LISTS) + 1 + sum(map(len, GRAPH_SPECS.values()))
