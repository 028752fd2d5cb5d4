"""The live demo generator and command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.demo import DemoFeed

ANCHOR = datetime(2026, 3, 2, 12, tzinfo=UTC)


def rows(feed: DemoFeed, days: int = 3) -> list[dict]:
    return [
        {k: v for k, v in m.to_row().items() if k != "fetched_at"}
        for batch in feed.history(ANCHOR, days=days)
        for m in batch
    ]


def test_demo_history_is_deterministic_and_marked():
    first, second = rows(DemoFeed(seed=7)), rows(DemoFeed(seed=7))
    assert first == second
    assert rows(DemoFeed(seed=8)) != first
    assert all(r["is_demo"] and r["external_id"].startswith("demo-") for r in first)
    assert all(r["source"] == "demo" for r in first)


def test_demo_history_is_realistic():
    messages = [m for batch in DemoFeed().history(ANCHOR, days=14) for m in batch]
    inbound = [m for m in messages if m.direction == "inbound"]
    outbound = [m for m in messages if m.direction == "outbound"]
    assert {m.platform for m in messages} == {"x", "reddit"}
    assert {m.channel for m in messages} == {"public", "private"}
    assert {m.lang for m in inbound} == {"en", "pt"}
    assert 0.5 < len(outbound) / len(inbound) < 1.0  # some never answered
    assert all(m.created_at <= ANCHOR for m in messages)
    texts = " ".join(m.text for m in inbound)
    assert "Procon" in texts and "refund" in texts
    # replies wait for business hours: some answer the next day
    by_id = {m.external_id: m for m in messages}
    delays = [
        m.created_at - by_id[m.in_reply_to_id].created_at
        for m in outbound
        if m.in_reply_to_id in by_id and by_id[m.in_reply_to_id].direction == "inbound"
    ]
    assert max(delays) > timedelta(hours=8)
    assert min(delays) < timedelta(minutes=10)


def test_demo_command_seeds_and_feeds(tmp_path: Path):
    db_file = tmp_path / "demo.db"
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "--db",
            str(db_file),
            "--days",
            "2",
            "--no-dashboard",
            "--ticks",
            "3",
            "--interval",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    from replywatch.store.db import open_database

    db = open_database(db_file)
    assert db.execute("SELECT count(*) FROM brands").fetchone()[0] == 3
    total = db.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert total > 100
    assert db.execute("SELECT count(*) FROM messages WHERE is_demo = 0").fetchone()[0] == 0
    statuses = dict(db.execute("SELECT status, count(*) FROM conversations GROUP BY 1"))
    assert statuses.get("replied", 0) > 0 and statuses.get("new", 0) > 0
