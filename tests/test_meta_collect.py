"""Facebook and Instagram end to end: the runner drives the real Graph API
client (``requests``) through hand-made recordings (``responses``, see
tests/meta_recordings.py) into a real SQLite file; then the faults."""

from __future__ import annotations

import hashlib
import hmac
import tomllib

import pytest
import requests
import responses

from replywatch.collectors.runner import Runner, build_platforms, register_brands
from replywatch.config import parse_config
from replywatch.pipeline import ingest
from replywatch.store.db import open_database
from tests.collectors_support import CASSETTES, FakeTime
from tests.meta_recordings import (
    CONFIG,
    FAKE_META_ENV,
    G1,
    IG,
    P1,
    PAGE,
    V1,
    Reply,
    buc_header,
    build_story,
    graph_error,
)


def meta_config(**collector):
    data = tomllib.loads(CONFIG)
    data["collector"].update(collector)
    return parse_config(data)


def run(
    db, fake_time: FakeTime, story, *, config=None, env=None, only=None, ingest_fn=ingest,
    warnings=None,
):  # fmt: skip
    config = config or meta_config()
    register_brands(db, config)
    platforms, scrub = build_platforms(
        config,
        env=env if env is not None else FAKE_META_ENV,
        secrets_path=CASSETTES / "absent.toml",
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        warn=(warnings if warnings is not None else []).append,  # build-time messages
    )
    sink = warnings if warnings is not None else []
    runner = Runner(
        db,
        platforms,
        ingest_fn,
        scrub=scrub,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
        only=only,
        report=lambda event: sink.append(event.text) if event.kind == "warning" else None,
    )  # fmt: skip
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        story.fake.install(mock)
        outcomes = runner.poll_once()
    return {o.name: o for o in outcomes}


def conversation(db, platform: str, external_id: str) -> dict:
    row = db.execute(
        "SELECT c.status, c.first_response_seconds, c.inbound_count, c.outbound_count, c.channel "
        "FROM conversations c JOIN messages m ON m.conversation_id = c.id "
        "WHERE m.platform = ? AND m.external_id = ?",
        (platform, external_id),
    ).fetchone()
    assert row, f"{platform}/{external_id} not stored"
    return dict(zip(("status", "frt", "inbound", "outbound", "channel"), row, strict=True))


def stored(db) -> list[tuple]:
    return db.execute(
        "SELECT platform, external_id, direction, kind, channel, in_reply_to_id, thread_ref, "
        "created_at, text FROM messages ORDER BY platform, external_id"
    ).fetchall()


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "rw.db")
    yield database
    database.close()


def test_story_fills_store_with_brand_replies_and_response_times(db):
    story = build_story()
    outcomes = run(db, FakeTime(), story)
    assert {n: o.error for n, o in outcomes.items() if not o.ok} == {}
    assert set(outcomes) == {
        "facebook:acme:comments", "facebook:acme:mentions", "facebook:acme:messenger",
        "instagram:acme:comments", "instagram:acme:mentions", "instagram:acme:dm",
    }  # fmt: skip
    assert story.fake.unknown == []
    ids = story.ids
    counts = dict(
        db.execute(
            "SELECT platform || ':' || channel || ':' || direction, count(*) "
            "FROM messages GROUP BY 1"
        ).fetchall()
    )
    assert counts == {
        "facebook:public:inbound": 5,  # Joana's post, Carlos x2, Bia, Marta's tag
        "facebook:public:outbound": 2,
        "facebook:private:inbound": 4,  # Rui x2, Sofia, Léo
        "facebook:private:outbound": 2,
        "instagram:public:inbound": 3,  # ana, pedro, lucas's tag
        "instagram:public:outbound": 1,
        "instagram:private:inbound": 1,
        "instagram:private:outbound": 1,
    }
    # Carlos's comment thread: answered by the page 10 minutes later, and his
    # second comment (under the page's reply) waits again.
    carlos = conversation(db, "facebook", ids["c1"])
    assert carlos["frt"] == 10 * 60 and (carlos["inbound"], carlos["outbound"]) == (2, 1)
    assert carlos["status"] in ("open", "new")  # he wrote again after the reply
    assert conversation(db, "facebook", ids["c3"])["status"] == "new"  # Bia: a thread of her own
    joana = conversation(db, "facebook", V1)
    assert (joana["status"], joana["frt"]) == ("replied", 20 * 60)
    # Messenger threads are private conversations; t_1 answered 25 min after Rui's first.
    rui = conversation(db, "facebook", "m_11")
    assert (rui["channel"], rui["status"], rui["frt"]) == ("private", "replied", 25 * 60)
    assert conversation(db, "facebook", "m_21")["status"] == "new"
    assert conversation(db, "facebook", "m_31")["status"] == "replied"  # page 2 of the inbox
    # Instagram: the nested reply by @acmebr answers ana.souza's comment.
    ana = conversation(db, "instagram", ids["ig1"])
    assert (ana["status"], ana["frt"]) == ("replied", 10 * 60)
    assert conversation(db, "instagram", ids["ig2"])["status"] == "new"
    tag = db.execute(
        "SELECT kind, direction FROM messages WHERE external_id = ?", (ids["tag"],)
    ).fetchone()
    assert tuple(tag) == ("mention", "inbound")
    mari = conversation(db, "instagram", "aWdfZAmid1")
    assert (mari["channel"], mari["status"], mari["frt"]) == ("private", "replied", 15 * 60)
    # Paging across pages: the second page of P1's comments and of the inbox.
    calls = [(c.path, c.params.get("after")) for c in story.fake.calls]
    assert (f"{P1}/comments", "c-a1") in calls and (f"{PAGE}/conversations", "cv-a1") in calls
    # The post 20 days old is outside the look-back window: its comments are not read.
    assert not any(c.path.startswith(f"{PAGE}_2002") for c in story.fake.calls)
    health = dict(
        db.execute("SELECT source, consecutive_failures FROM collector_health").fetchall()
    )
    assert set(health.values()) == {0}


def test_requests_carry_proof_and_never_the_token_in_the_url(db):
    story = build_story()
    run(db, FakeTime(), story)
    token, secret = FAKE_META_ENV["META_ACCESS_TOKEN"], FAKE_META_ENV["META_APP_SECRET"]
    proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    assert story.fake.calls
    for call in story.fake.calls:
        assert call.params["appsecret_proof"] == proof
        assert token not in call.url and "access_token" not in call.params
        assert call.headers["Authorization"] == f"OAuth {token}"
        assert call.url.startswith("https://graph.facebook.com/v21.0/")
    cursors = " ".join(r[0] for r in db.execute("SELECT cursor FROM collector_state").fetchall())
    assert token not in cursors and proof not in cursors


def test_no_proof_without_app_secret(db):
    story = build_story()
    run(db, FakeTime(), story, env={"META_ACCESS_TOKEN": FAKE_META_ENV["META_ACCESS_TOKEN"]})
    assert story.fake.calls and all("appsecret_proof" not in c.params for c in story.fake.calls)


def test_repeated_poll_adds_nothing_and_skips_unchanged_posts(db):
    fake_time = FakeTime()
    story = build_story()
    run(db, fake_time, story)
    before = stored(db)
    first_calls = len(story.fake.calls)
    outcomes = run(db, fake_time, story)
    assert all(o.ok and o.inserted == 0 for o in outcomes.values())
    assert stored(db) == before
    second = story.fake.paths()[first_calls:]
    # Comment counts unchanged and the catch-up pass not due: no comment reads.
    assert not any(p.endswith("/comments") for p in second)


def test_new_comment_read_from_saved_cursor_and_catch_up_rereads_window(db):
    fake_time = FakeTime()
    story = build_story()
    run(db, fake_time, story)
    # A new comment on P1: the count goes 4 -> 5, the next comments page
    # (after the saved cursor) holds it.
    feed = story.fake.routes[(f"{PAGE}/feed", None, None)][0].body
    feed["data"][1]["comments"]["summary"]["total_count"] = 5
    new = {
        "id": "2001_4005",
        "created_time": story.at(5),
        "from": {"id": "3000000002", "name": "Bia Santos"},
        "message": "Alguém responde?",
    }
    story.fake.add(
        f"{P1}/comments",
        Reply({"data": [new], "paging": {"cursors": {"after": "c-a3"}}}),
        after="c-a2",
    )
    mark = len(story.fake.calls)
    outcomes = run(db, fake_time, story, only="facebook:acme:comments")
    assert outcomes["facebook:acme:comments"].inserted == 1
    reads = [
        (c.path, c.params.get("after"))
        for c in story.fake.calls[mark:]
        if c.path.endswith("/comments")
    ]
    assert reads == [(f"{P1}/comments", "c-a2")]  # from the saved cursor, only that post
    # When the last catch-up pass is older than meta_catch_up_hours (6 h), the
    # next poll re-reads every post of the window from its first comment.
    state = db.execute(
        "SELECT cursor FROM collector_state WHERE source = 'facebook:acme:comments'"
    ).fetchone()[0]
    assert '"catch_up_at"' in state
    db.execute(
        "UPDATE collector_state SET cursor = json_set(cursor, '$.catch_up_at', "
        "'2000-01-01T00:00:00Z') WHERE source = 'facebook:acme:comments'"
    )
    db.conn.commit()
    mark = len(story.fake.calls)
    outcomes = run(db, fake_time, story, only="facebook:acme:comments")
    assert outcomes["facebook:acme:comments"].inserted == 0
    reads = {
        (c.path, c.params.get("after"))
        for c in story.fake.calls[mark:]
        if c.path.endswith("/comments")
    }
    assert {(f"{P1}/comments", None), (f"{V1}/comments", None)} <= reads


class Crash(BaseException):
    """Stands for the process dying (not an Exception: nothing catches it)."""


def test_crash_between_fetch_and_commit_loses_and_repeats_nothing(tmp_path):
    first = build_story()
    clean = open_database(tmp_path / "clean.db")
    run(clean, FakeTime(), first)
    expected = [row[:8] for row in stored(clean)]

    crashed = open_database(tmp_path / "crashed.db")
    batches = {"n": 0}

    def dying_ingest(db, messages, **kwargs):
        batches["n"] += 1
        if batches["n"] == 3:
            raise Crash  # fetched, not committed
        return ingest(db, messages, **kwargs)

    story = build_story(first.now)
    with pytest.raises(Crash):
        run(crashed, FakeTime(), story, ingest_fn=dying_ingest)
    partial_rows = len(stored(crashed))
    assert 0 < partial_rows < len(expected)
    run(crashed, FakeTime(), build_story(first.now))
    assert [row[:8] for row in stored(crashed)] == expected
    dupes = crashed.execute(
        "SELECT count(*) FROM (SELECT platform, external_id FROM messages "
        "GROUP BY 1, 2 HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0


# --- faults ---------------------------------------------------------------------------


def test_rate_limit_code_waits_and_keeps_the_page(db):
    story = build_story()
    usage = '{"call_count": 100, "total_time": 40, "total_cputime": 30}'
    story.fake.prepend(
        f"{P1}/comments",
        Reply(
            graph_error(4, "(#4) Application request limit reached"), 403, {"X-App-Usage": usage}
        ),
        after="c-a1",
    )
    fake_time = FakeTime()
    outcomes = run(db, fake_time, story)
    comments = outcomes["facebook:acme:comments"]
    assert comments.ok and comments.rate_limit_wait_s >= 60
    assert conversation(db, "facebook", story.ids["c4"])  # page 2 stored after the wait
    reads = [c.params.get("after") for c in story.fake.calls if c.path == f"{P1}/comments"]
    assert reads == [None, "c-a1", "c-a1"]


@pytest.mark.parametrize("code", [17, 32, 613, 80001])
def test_every_throttling_code_is_a_wait(db, code):
    story = build_story()
    limited = graph_error(code, "Calls to this api have exceeded the rate limit.")
    story.fake.prepend(f"{IG}/media", Reply(limited, 400, buc_header(100, 3)))
    fake_time = FakeTime()
    outcomes = run(db, fake_time, story, only="instagram:acme:comments")
    assert outcomes["instagram:acme:comments"].ok
    # Waited exactly until Meta said access returns (3 minutes, +1 s margin).
    assert 3 * 60 + 1 in fake_time.sleeps


def test_slows_down_before_the_wall(db):
    story = build_story()
    story.fake.routes[(f"{PAGE}/feed", None, None)][0].headers["X-App-Usage"] = (
        '{"call_count": 90, "total_time": 20, "total_cputime": 20}'
    )
    fake_time = FakeTime()
    run(db, fake_time, story, only="facebook:acme:comments")
    # 90 % is past the default 75 %: the next call waited (0-30 s, linear).
    assert any(abs(s - 18.0) < 0.01 for s in fake_time.sleeps), fake_time.sleeps
    health = db.execute(
        "SELECT details FROM collector_health WHERE source = 'facebook:acme:comments'"
    ).fetchone()[0]
    assert '"api_usage_percent"' in health


def test_locked_out_longer_than_allowed_stops_and_resumes_at_the_page(db):
    story = build_story()
    # The first inbox page says the budget is gone for 2 hours.
    first_page = story.fake.routes[(f"{PAGE}/conversations", "messenger", None)][0]
    first_page.headers.update(buc_header(100, 120))
    fake_time = FakeTime()
    outcomes = run(db, fake_time, story, only="facebook:acme:messenger")
    messenger = outcomes["facebook:acme:messenger"]
    assert not messenger.ok and "access returns in 120 min" in messenger.error
    assert conversation(db, "facebook", "m_11")  # page 1 was committed before the stop
    state = db.execute(
        "SELECT cursor FROM collector_state WHERE source = 'facebook:acme:messenger'"
    ).fetchone()[0]
    assert "cv-a1" in state  # the place to resume
    story.fake.routes[(f"{PAGE}/conversations", "messenger", None)][0].headers.clear()
    mark = len(story.fake.calls)
    fake_time.now += 3 * 3600
    run(db, fake_time, story, only="facebook:acme:messenger")
    resumed = [c.params.get("after") for c in story.fake.calls[mark:]]
    assert resumed[0] == "cv-a1"
    assert conversation(db, "facebook", "m_31")["status"] == "replied"


def test_expired_token_marks_source_reauthorise_and_others_go_on(db):
    story = build_story()
    story.fake.prepend(
        f"{PAGE}/feed",
        Reply(graph_error(190, "Error validating access token: Session has expired.", 463), 400),
    )
    outcomes = run(db, FakeTime(), story)
    comments = outcomes["facebook:acme:comments"]
    assert not comments.ok and comments.error.startswith("TokenInvalid: re-authorise")
    assert outcomes["instagram:acme:comments"].ok and outcomes["facebook:acme:messenger"].ok
    error = db.execute(
        "SELECT last_error FROM collector_health WHERE source = 'facebook:acme:comments'"
    ).fetchone()[0]
    assert "re-authorise" in error and "SECRET" not in error


def test_missing_messaging_permission_disables_that_part_only(db):
    story = build_story()
    story.fake.routes[(f"{PAGE}/conversations", "messenger", None)] = [
        Reply(
            graph_error(200, "(#200) Requires pages_messaging permission to manage the object"), 403
        )
    ]
    outcomes = run(db, FakeTime(), story)
    messenger = outcomes["facebook:acme:messenger"]
    assert not messenger.ok and "PermissionMissing" in messenger.error
    assert "pages_messaging" in messenger.error
    assert outcomes["facebook:acme:comments"].ok


def test_server_errors_timeouts_and_truncated_json_are_retried(db):
    story = build_story()
    unexpected = graph_error(2, "An unexpected error has occurred.", is_transient=True)
    story.fake.prepend(f"{PAGE}/feed", Reply(unexpected, 500))
    story.fake.prepend(f"{IG}/media", Reply(None, raises=requests.ConnectTimeout("timed out")))
    story.fake.prepend(f"{IG}/tags", Reply('{"data": [{"id": "1790', 200))
    story.fake.prepend(f"{P1}/comments", Reply("<html>502 Bad Gateway</html>", 502), after="c-a1")
    fake_time = FakeTime()
    outcomes = run(db, fake_time, story)
    assert {n: o.error for n, o in outcomes.items() if not o.ok} == {}
    assert db.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
    assert conversation(db, "facebook", story.ids["c4"])
    assert conversation(db, "instagram", story.ids["tag"])
    assert fake_time.sleeps  # backed off between tries


def test_body_unreadable_after_retries_is_dead_lettered_and_cursor_stays(db):
    story = build_story()
    story.fake.routes[(f"{IG}/tags", None, None)] = [Reply('{"data": [{"id": "1790', 200)]
    outcomes = run(db, FakeTime(), story, only="instagram:acme:mentions")
    mentions = outcomes["instagram:acme:mentions"]
    assert not mentions.ok and mentions.rejected == 1
    payload = db.execute("SELECT payload FROM dead_letters").fetchone()[0]
    assert '{"data": [{"id": "1790' in payload
    assert (
        db.execute(
            "SELECT count(*) FROM collector_state WHERE source = 'instagram:acme:mentions'"
        ).fetchone()[0]
        == 0
    )


def test_item_missing_fields_is_dead_lettered_rest_kept(db):
    story = build_story()
    page = story.fake.routes[(f"{G1}/comments", None, None)][0].body
    del page["data"][1]["timestamp"]
    messenger = story.fake.routes[(f"{PAGE}/conversations", "messenger", None)][0].body
    del messenger["data"][1]["messages"]["data"][0]["from"]
    outcomes = run(db, FakeTime(), story)
    assert outcomes["instagram:acme:comments"].rejected == 1
    assert outcomes["facebook:acme:messenger"].rejected == 1
    errors = [r[0] for r in db.execute("SELECT error FROM dead_letters ORDER BY id")]
    assert any("Graph API time" in e for e in errors) and any("no sender" in e for e in errors)
    assert conversation(db, "instagram", story.ids["ig1"])["status"] == "replied"


def test_no_token_disables_meta_with_one_message_each(db):
    story = build_story()
    warnings: list[str] = []
    outcomes = run(db, FakeTime(), story, env={}, warnings=warnings)
    assert outcomes == {} and story.fake.calls == []
    from replywatch.collectors.channels._meta import CREDENTIALS_HELP

    assert "META_ACCESS_TOKEN" in CREDENTIALS_HELP and "META_PAGE_TOKENS" in CREDENTIALS_HELP
    assert warnings == [
        f"{label} disabled: no credentials. {CREDENTIALS_HELP} or a [{name}] table in "
        f".streamlit/secrets.toml; see docs/channels/{name}.md"
        for label, name in (("Facebook", "facebook"), ("Instagram", "instagram"))
    ]


def test_collect_once_command_fills_the_store(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from replywatch.cli import main
    from tests.test_collect_cli import setup

    db_path = setup(tmp_path, monkeypatch, FAKE_META_ENV)
    (tmp_path / "replywatch.toml").write_text(CONFIG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        build_story().fake.install(mock)
        result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = open_database(db_path)
    kinds = dict(
        db.execute(
            "SELECT platform || ':' || kind, count(*) FROM messages "
            "WHERE direction = 'inbound' GROUP BY 1"
        ).fetchall()
    )
    assert kinds == {
        "facebook:comment": 3,
        "facebook:mention": 1,
        "facebook:post": 1,
        "facebook:dm": 4,
        "instagram:comment": 2,
        "instagram:mention": 1,
        "instagram:dm": 1,
    }
    replied = db.execute(
        "SELECT platform, channel, count(*) FROM conversations "
        "WHERE first_response_seconds > 0 GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert [tuple(r) for r in replied] == [
        ("facebook", "private", 2),  # Rui, Léo
        ("facebook", "public", 2),  # Carlos, Joana
        ("instagram", "private", 1),  # mari.r
        ("instagram", "public", 1),  # ana.souza
    ]
    db.close()


def test_instagram_replies_beyond_the_nested_page_are_followed(db):
    story = build_story()
    ig1 = story.ids["ig1"]
    comments = story.fake.routes[(f"{G1}/comments", None, None)][0].body
    comments["data"][0]["replies"]["paging"] = {
        "cursors": {"after": "r-a1"},
        "next": f"https://graph.facebook.com/v21.0/{ig1}/replies?access_token=x&limit=25&after=r-a1",
    }
    later = {
        "id": "17950000000000009",
        "text": "@acmebr obrigada, resolvido!",
        "timestamp": story.at(200),
        "username": "ana.souza",
        "from": {"id": "17841400000000101", "username": "ana.souza"},
    }
    story.fake.add(f"{ig1}/replies", Reply({"data": [later]}), after="r-a1")
    outcomes = run(db, FakeTime(), story, only="instagram:acme:comments")
    assert outcomes["instagram:acme:comments"].ok
    row = db.execute(
        "SELECT in_reply_to_id FROM messages WHERE external_id = '17950000000000009'"
    ).fetchone()
    assert row and row[0] == ig1
    followed = [c for c in story.fake.calls if c.path == f"{ig1}/replies"]
    assert followed and "access_token" not in followed[0].params


def test_paging_link_to_another_host_is_refused(db):
    story = build_story()
    thread = story.fake.routes[(f"{PAGE}/conversations", "messenger", None)][0].body["data"][1]
    thread["messages"]["paging"]["next"] = "https://evil.example/v21.0/t_2/messages?after=x"
    outcomes = run(db, FakeTime(), story, only="facebook:acme:messenger")
    # The thread is dead-lettered with the reason (its data kept), the token
    # never goes to the other host, the rest of the inbox is stored.
    assert outcomes["facebook:acme:messenger"].rejected == 1
    error = db.execute("SELECT error FROM dead_letters").fetchone()[0]
    assert "refusing to follow a paging link to 'evil.example'" in error
    assert all("evil" not in c.url for c in story.fake.calls)
    assert conversation(db, "facebook", "m_11")["status"] == "replied"


def test_meta_credentials_from_env_or_secrets_toml():
    from replywatch.collectors import registry

    secrets = {"facebook": {"access_token": "file-token-SECRET", "app_secret": "file-app-SECRET"}}
    facebook = registry.get("facebook")
    found = facebook.read_credentials({"META_ACCESS_TOKEN": "env-token-SECRET"}, secrets)
    assert found["access_token"] == "env-token-SECRET"  # env wins
    assert found["app_secret"] == "file-app-SECRET"
    assert sorted(found.secrets()) == ["env-token-SECRET", "file-app-SECRET"]
    assert "SECRET" not in repr(found)
    # Each channel reads its own secrets.toml table; the environment is shared.
    instagram = registry.get("instagram").read_credentials({}, secrets)
    assert not registry.get("instagram").usable(instagram)
    assert facebook.usable(facebook.read_credentials({}, secrets))


def test_meta_config_tables_are_validated():
    from replywatch.config import ConfigError

    with pytest.raises(ConfigError, match=r"brands.acme.facebook.page_id must be a numeric"):
        parse_config({"brands": {"acme": {"facebook": {"page_id": "acme-page"}}}})
    with pytest.raises(ConfigError, match=r"\[brands.acme.instagram\] needs account_id"):
        parse_config({"brands": {"acme": {"instagram": {"username": "acme"}}}})
    with pytest.raises(ConfigError, match="credentials are not read from this file"):
        parse_config({"brands": {"acme": {"facebook": {"page_id": "1", "token": "x"}}}})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"brands": {"acme": {"facebook": {"page_id": "1", "pages": "x"}}}})
    config = meta_config(meta_lookback_days=3)
    assert config.collector.meta_lookback_days == 3
    assert config.brands[0].instagram.username == "acmebr"


def test_per_page_tokens_and_a_page_without_one(db):
    """Each page reads with its own token from META_PAGE_TOKENS; a brand whose
    page has none is left out with one message, the others run."""
    data = tomllib.loads(CONFIG)
    data["brands"]["other"] = {"name": "Other", "facebook": {"page_id": "999000"}}
    config = parse_config(data)
    page_token = "EAAGown-SECRET-page"
    env = {
        "META_PAGE_TOKENS": f"{PAGE}={page_token}, bad-entry",
        "META_APP_SECRET": FAKE_META_ENV["META_APP_SECRET"],
    }
    story = build_story()
    warnings: list[str] = []
    outcomes = run(db, FakeTime(), story, config=config, env=env, warnings=warnings)
    assert {n: o.error for n, o in outcomes.items() if not o.ok} == {}
    assert not any(name.startswith("facebook:other") for name in outcomes)
    assert story.fake.calls
    assert {c.headers["Authorization"] for c in story.fake.calls} == {f"OAuth {page_token}"}
    text = " ".join(warnings)
    assert "no token for page 999000" in text
    assert "META_PAGE_TOKENS: entry 2 is not PAGE_ID=TOKEN" in text
    assert "bad-entry" not in text and page_token not in text
    # A page's own token is scrubbed like the others: an error quoting it is stored without it.
    story.fake.routes[(f"{PAGE}/tagged", None, None)] = [
        Reply(graph_error(190, f"Malformed access token {page_token}"), 400)
    ]
    outcomes = run(db, FakeTime(), story, config=config, env=env, only="facebook:acme:mentions")
    error = db.execute(
        "SELECT last_error FROM collector_health WHERE source = 'facebook:acme:mentions'"
    ).fetchone()[0]
    assert "re-authorise" in error and page_token not in error and "***" in error
