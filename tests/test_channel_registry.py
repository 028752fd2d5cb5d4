"""A channel is one module: a toy channel declared here, and nowhere else,
is configured, credentialed, polled by `replywatch collect --once` through the
shared resumable pager, and its brand replies are recognised."""

from __future__ import annotations

import copy
import json
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors import paging, registry
from replywatch.collectors.base import Message, PollResult, Rejected, Source
from replywatch.collectors.registry import (
    Channel,
    ChannelContext,
    Credential,
    Hint,
    Setting,
    SourceSpec,
)
from replywatch.config import ConfigError, only, parse_config, string
from replywatch.store.db import open_database

# --- the toy channel: everything a channel declares --------------------------------

BRAND_ID = "900"
#: The toy API: newest first, two pages per listing, Graph-API-like cursors.
FEED = [
    {"id": "4", "from": {"id": BRAND_ID}, "parent": "3", "message": "Sorry! Fixed.", "t": 400},
    {"id": "3", "from": {"id": "17"}, "parent": None, "message": "@acme my order?", "t": 300},
    {"id": "2", "from": {"id": "18"}, "parent": None, "message": "love acme", "t": 200},
    {"id": "1", "from": {}, "parent": None, "message": "no author", "t": 100},
]
CALLS: list[dict[str, Any]] = []


def toy_api(after: str | None, token: str) -> dict:
    """Two items a page, ``paging.cursors.after`` / ``paging.next`` as the Graph API."""
    assert token == "toy-SECRET-token"
    CALLS.append({"after": after})
    start = int(after or 0)
    page = {"data": FEED[start : start + 2]}
    if start + 2 < len(FEED):
        page["paging"] = {"cursors": {"after": str(start + 2)}, "next": "https://toy/next"}
    return page


@dataclass(frozen=True)
class ToyWatch:
    account: str
    account_id: str


def toy_watch(table: dict, where: str, prefix: str) -> ToyWatch:
    only(table, {"account", "account_id"}, where, prefix)
    account_id = string(table.get("account_id", ""), where, f"{prefix}.account_id")
    if not account_id.isdigit():
        raise ConfigError(f"{where}: {prefix}.account_id: must be a numeric id")
    return ToyWatch(string(table.get("account", ""), where, f"{prefix}.account"), account_id)


#: Graph-API style time cursor: newest ``t`` read so far.
TOY_MARK = paging.Mark(
    "since",
    position=lambda item: item.get("t") if isinstance(item, dict) else None,
    load=lambda c: c.get("since"),
    dump=lambda m: {"since": m},
    encode=lambda m: m,
    decode=lambda v: v,
)


def toy_open(ctx: ChannelContext) -> list[Source]:
    token = ctx.credentials["token"]
    sources = []
    for brand, _watch in ctx.brands:
        name = f"toy:{brand.key}:feed"

        def fetch(_since: Any, after: str | None) -> paging.Page:
            payload = toy_api(after, token)
            return paging.Page(
                payload["data"],
                next_token=(payload.get("paging") or {}).get("cursors", {}).get("after"),
            )

        def parse(item: dict, brand_key=brand.key, source=name) -> Message:
            author = (item.get("from") or {}).get("id")
            if not author:
                raise ValueError(f"toy item {item['id']} has no author")
            mine = ctx.accounts.is_brand(author_id=author)
            return Message(
                platform="toy",
                external_id=item["id"],
                created_at=datetime.fromtimestamp(1_700_000_000 + item["t"], UTC),
                text=item["message"],
                direction="outbound" if mine else "inbound",
                kind="reply" if item.get("parent") else "comment",
                channel="public",
                source=source,
                author_id=author,
                brand=brand_key,
                in_reply_to_id=item.get("parent"),
            )

        def poll(cursor: dict, fetch=fetch, parse=parse, name=name):
            for read in paging.read_pages(
                cursor, fetch, TOY_MARK, max_pages=ctx.settings.max_pages_per_poll
            ):
                result = PollResult(name, cursor=read.cursor)
                for item in read.items:
                    try:
                        result.messages.append(parse(item))
                    except ValueError as exc:
                        result.rejected.append(Rejected(item, f"{type(exc).__name__}: {exc}"))
                yield result

        sources.append(Source(name, "toy", poll))
    return sources


TOY = Channel(
    name="toy",
    label="Toy",
    icon="🧸",
    docs="docs/collectors.md",
    description="A channel defined in a test.",
    watch=toy_watch,
    accounts=lambda w: [(w.account, w.account_id)],
    brand_match="id",
    settings=(Setting("toy_page_limit", 2, "items per toy page"),),
    credentials=(Credential("token", "TOY_TOKEN"),),
    credentials_help="Set TOY_TOKEN",
    usable=lambda found: "token" in found,
    sources=(SourceSpec("toy:<brand>:feed", "the page feed", "since (time), resumable"),),
    open=toy_open,
    hints=(Hint(r"token expired", "re-authorise the toy app"),),
)

CONFIG = """
[brands.acme]
name = "Acme"
[brands.acme.toy]
account = "acmehelp"
account_id = "900"
"""


@pytest.fixture
def toy(monkeypatch, tmp_path):
    registry.register(TOY)
    CALLS.clear()
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    (tmp_path / "replywatch.toml").write_text(CONFIG)
    yield tmp_path
    registry.unregister("toy")


def test_toy_channel_is_collected_with_brand_replies_recognised(toy, monkeypatch):
    monkeypatch.setenv("TOY_TOKEN", "toy-SECRET-token")
    db_path = toy / "rw.db"
    result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "SECRET" not in result.output
    db = open_database(db_path)
    rows = db.execute(
        "SELECT external_id, direction, kind, source FROM messages ORDER BY external_id"
    ).fetchall()
    assert rows == [
        ("2", "inbound", "comment", "toy:acme:feed"),
        ("3", "inbound", "comment", "toy:acme:feed"),
        ("4", "outbound", "reply", "toy:acme:feed"),
    ]
    # The brand's reply marks the customer's conversation replied.
    status = db.execute(
        "SELECT c.status, c.first_response_seconds FROM conversations c "
        "JOIN messages m ON m.conversation_id = c.id WHERE m.external_id = '3'"
    ).fetchone()
    assert tuple(status) == ("replied", 100)
    # The item without an author is a dead letter, with the reason.
    [(error,)] = db.execute("SELECT error FROM dead_letters").fetchall()
    assert "has no author" in error
    # Two pages, one resumable cursor; the mark is the newest item's time.
    assert CALLS == [{"after": None}, {"after": "2"}]
    cursor = db.execute("SELECT cursor FROM collector_state WHERE source = 'toy:acme:feed'")
    assert json.loads(cursor.fetchone()[0]) == {"since": 400}

    # The next poll reads the first page, stops at the mark, stores nothing new.
    CALLS.clear()
    result = CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert CALLS == [{"after": None}]
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 3


def test_toy_page_limit_resumes_from_the_page_token(toy, monkeypatch):
    monkeypatch.setenv("TOY_TOKEN", "toy-SECRET-token")
    (toy / "replywatch.toml").write_text("[collector]\nmax_pages_per_poll = 1\n" + CONFIG)
    db_path = toy / "rw.db"
    assert CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)]).exit_code == 0
    db = open_database(db_path)
    cursor = db.execute("SELECT cursor FROM collector_state WHERE source = 'toy:acme:feed'")
    # Not advanced past the unread page: the mark waits, the page token resumes.
    assert json.loads(cursor.fetchone()[0]) == {
        "since": None,
        "resume": {"next_token": "2", "newest_id": 400},
    }
    assert CliRunner().invoke(main, ["collect", "--once", "--db", str(db_path)]).exit_code == 0
    assert CALLS == [{"after": None}, {"after": "2"}]
    cursor = db.execute("SELECT cursor FROM collector_state WHERE source = 'toy:acme:feed'")
    assert json.loads(cursor.fetchone()[0]) == {"since": 400}


def test_toy_without_credentials_is_disabled_with_one_message(toy, monkeypatch):
    monkeypatch.delenv("TOY_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["collect", "--once", "--db", str(toy / "rw.db")])
    assert result.exit_code != 0
    assert result.output.count("Toy disabled: no credentials. Set TOY_TOKEN") == 1
    assert CALLS == []


def test_toy_config_table_settings_and_hints_come_from_its_module(toy):
    config = parse_config(
        {
            "collector": {"toy_page_limit": 5},
            "brands": {"acme": {"toy": {"account": "acmehelp", "account_id": "900"}}},
        }
    )
    acme = config.brand("acme")
    assert acme.watch("toy") == ToyWatch("acmehelp", "900") == acme.toy
    assert acme.accounts() == [("toy", "acmehelp", "900")]
    assert config.collector.toy_page_limit == 5
    # Settings and brands survive copying (channel values included).
    assert pickle.loads(pickle.dumps(config)) == config == copy.deepcopy(config)
    with pytest.raises(ConfigError, match="account_id: must be a numeric id"):
        parse_config({"brands": {"a": {"toy": {"account": "a", "account_id": "x"}}}})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_config({"brands": {"a": {"toy": {"account": "a", "account_id": "1", "b": 1}}}})
    assert registry.for_source("toy:acme:feed") is TOY
    assert TOY.advice("OAuthException: Error validating access token: token expired") == (
        "re-authorise the toy app"
    )
    registry.unregister("toy")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) toy"):
        parse_config({"brands": {"a": {"toy": {"account": "a", "account_id": "1"}}}})


def test_channels_command_lists_the_registry(toy):
    result = CliRunner().invoke(main, ["channels"])
    assert result.exit_code == 0, result.output
    for expected in ("[brands.<key>.toy]", "TOY_TOKEN", "toy:<brand>:feed", "X_BEARER_TOKEN"):
        assert expected in result.output
    assert "import twcs PATH" in result.output


def test_registered_channels_name_their_tables_credentials_and_docs():
    from tests.collectors_support import REPO_ROOT

    names = [c.name for c in registry.channels()]
    assert names[:2] == ["x", "reddit"] and {"twcs", "jsonl"} <= set(names)
    for channel in registry.channels():
        page = (REPO_ROOT / channel.docs).read_text(encoding="utf-8")
        for cred in channel.credentials:
            assert (cred.env or cred.key) in page, f"{channel.docs} lacks {cred.env}"
        for setting in channel.settings:
            assert setting.name in page, f"{channel.docs} lacks {setting.name}"
        for spec in channel.sources:
            assert spec.pattern in page, f"{channel.docs} lacks {spec.pattern}"
