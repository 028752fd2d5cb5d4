"""`replywatch collect --once` against recorded traffic, and missing credentials."""

from __future__ import annotations

from click.testing import CliRunner

from replywatch.cli import main
from replywatch.store.db import open_database
from tests.collectors_support import CASSETTES, story_cassette
from tests.test_collect_story import FAKE_ENV

CONFIG = """
[collector]
x_min_request_interval_s = 0
[brands.acme]
name = "Acme"
[brands.acme.x]
handles = ["AcmeHelp"]
keywords = ["acme store"]
[brands.acme.reddit]
account = "AcmeHelp"
subreddits = ["acme"]
keywords = ["acme"]
"""


def setup(tmp_path, monkeypatch, env: dict[str, str]):
    for key in FAKE_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr("time.sleep", lambda s: None)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    (tmp_path / "replywatch.toml").write_text(CONFIG)
    return tmp_path / "rw.db"


def test_collect_once_fills_the_store(tmp_path, monkeypatch):
    db_path = setup(tmp_path, monkeypatch, FAKE_ENV)
    with story_cassette(CASSETTES / "collect_once.json"):
        result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    db = open_database(db_path)
    counts = dict(
        db.execute(
            "SELECT platform || ':' || direction, count(*) FROM messages GROUP BY 1"
        ).fetchall()
    )
    assert counts == {"x:inbound": 4, "x:outbound": 3, "reddit:inbound": 5, "reddit:outbound": 3}
    replied = db.execute(
        "SELECT count(*) FROM conversations WHERE status = 'replied' AND first_response_seconds > 0"
    ).fetchone()[0]
    assert replied == 4  # Ana (X), Ana's DM, Erin and Gus (Reddit)
    assert "SECRET" not in result.output


def test_missing_x_credentials_disable_x_only(tmp_path, monkeypatch):
    reddit_only = {k: v for k, v in FAKE_ENV.items() if k.startswith("praw_")}
    db_path = setup(tmp_path, monkeypatch, reddit_only)
    with story_cassette(CASSETTES / "reddit_story.json"):
        result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert result.output.count("X disabled") == 1
    db = open_database(db_path)
    assert db.execute("SELECT count(*) FROM messages WHERE platform = 'x'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM messages WHERE platform = 'reddit'").fetchone()[0] == 8


def test_source_filter_and_bad_config(tmp_path, monkeypatch):
    db_path = setup(tmp_path, monkeypatch, FAKE_ENV)
    with story_cassette(CASSETTES / "collect_once.json"):
        result = CliRunner().invoke(
            main, ["collect", "--once", "--source", "reddit:acme:sent", "--db", str(db_path)]
        )
    assert result.exit_code == 0, result.output
    db = open_database(db_path)
    assert [r[0] for r in db.execute("SELECT DISTINCT source FROM messages")] == [
        "reddit:acme:sent"
    ]
    (tmp_path / "replywatch.toml").write_text("[brands.acme.x]\nhandles = ['x y']\n")
    result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code != 0 and "is not an X handle" in result.output
