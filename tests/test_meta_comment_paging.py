"""Issue 27 item 9: a post's comments are read through the shared resumable
pager (collectors/paging.py): the per-poll page limit leaves a cursor the next
poll resumes from, and a saved cursor Meta refuses restarts from the first
comment (nothing lost, nothing stored twice)."""

from __future__ import annotations

import json

from tests.meta_recordings import P1, Reply, build_story, graph_error
from tests.test_meta_collect import FakeTime, conversation, db, meta_config, run  # noqa: F401


def _comment_reads(story) -> list:
    return [c.params.get("after") for c in story.fake.calls if c.path == f"{P1}/comments"]


def _stored(db) -> int:  # noqa: F811 - the db fixture
    return db.execute("SELECT count(*) FROM messages WHERE platform = 'facebook'").fetchone()[0]


def test_the_page_limit_leaves_a_cursor_the_next_poll_resumes(db):  # noqa: F811
    story = build_story()
    config = meta_config(max_pages_per_poll=1)
    run(db, FakeTime(), story, config=config, only="facebook:acme:comments")
    assert _comment_reads(story) == [None]  # one page of P1's two this poll
    state = json.loads(
        db.execute(
            "SELECT cursor FROM collector_state WHERE source = 'facebook:acme:comments'"
        ).fetchone()[0]
    )
    assert state["objects"][P1]["resume"]["next_token"] == "c-a1"
    before = _stored(db)
    run(db, FakeTime(), story, config=config, only="facebook:acme:comments")
    assert _comment_reads(story)[1:] == ["c-a1"]  # resumed at page 2, not page 1
    assert _stored(db) > before
    assert conversation(db, "facebook", story.ids["c4"])  # the comment on page 2


def test_a_refused_saved_cursor_restarts_from_the_first_comment(db):  # noqa: F811
    story = build_story()
    config = meta_config(max_pages_per_poll=1)
    run(db, FakeTime(), story, config=config, only="facebook:acme:comments")
    stored = _stored(db)
    story.fake.prepend(
        f"{P1}/comments",
        Reply(graph_error(100, "Invalid cursor"), 400),
        after="c-a1",
    )
    # (The restart is a page read: it needs a page left in the poll's limit.)
    outcomes = run(db, FakeTime(), story, only="facebook:acme:comments")
    assert outcomes["facebook:acme:comments"].ok
    assert _comment_reads(story)[1:4] == ["c-a1", None, "c-a1"]  # refused, restarted
    assert _stored(db) > stored  # page 2 read after the restart
    assert conversation(db, "facebook", story.ids["c4"])
