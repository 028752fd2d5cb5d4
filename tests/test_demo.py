"""The live demo generator and command."""

from __future__ import annotations

import re
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


def test_demo_command_seeds_and_feeds(tmp_path: Path, monkeypatch):
    from replywatch import live_demo
    from replywatch.collectors.demo import ALL_PLATFORMS

    # The demo's clock fixed, so its history is known exactly: the command must store
    # every generated message once (the same feed, seed 42, all platforms, 2 days).
    monkeypatch.setattr(live_demo, "utc_now", lambda: ANCHOR)
    generated = [
        m
        for batch in DemoFeed(seed=42, platforms=ALL_PLATFORMS).history(ANCHOR, days=2)
        for m in batch
    ]
    keys = {(m.platform, m.external_id) for m in generated}
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
    assert f"Seeded {len(keys):,} demo messages" in " ".join(result.output.split())
    live = sum(int(n) for n in re.findall(r"live: (\d+) new demo message", result.output))
    assert total == len(keys) + live
    stored = set(db.execute("SELECT platform, external_id FROM messages").fetchall())
    assert keys <= stored
    assert db.execute("SELECT count(*) FROM messages WHERE is_demo = 0").fetchone()[0] == 0
    statuses = dict(db.execute("SELECT status, count(*) FROM conversations GROUP BY 1"))
    assert statuses.get("replied", 0) > 0 and statuses.get("new", 0) > 0


def test_demo_with_facebook_and_instagram_is_portuguese_heavy_with_realistic_delays():
    from replywatch.collectors.demo import ALL_PLATFORMS

    messages = [
        m for batch in DemoFeed(platforms=ALL_PLATFORMS).history(ANCHOR, days=14) for m in batch
    ]
    inbound = [m for m in messages if m.direction == "inbound"]
    assert {m.platform for m in messages} == set(ALL_PLATFORMS)
    meta = [m for m in inbound if m.platform in ("facebook", "instagram")]
    # Portuguese-heavy: most Facebook/Instagram talk is in Portuguese.
    assert sum(m.lang == "pt" for m in meta) / len(meta) > 0.7
    kinds = {(m.platform, m.channel, m.kind) for m in inbound}
    assert {("facebook", "public", "comment"), ("facebook", "private", "dm")} <= kinds
    assert {("instagram", "public", "comment"), ("instagram", "public", "mention")} <= kinds
    assert ("instagram", "private", "dm") in kinds
    # Brand replies come from the brand's own accounts, after the customer.
    by_id = {m.external_id: m for m in messages}
    delays: dict[str, list[float]] = {"messenger": [], "instagram": []}
    for m in messages:
        if m.direction != "outbound" or m.platform not in ("facebook", "instagram"):
            continue
        parent = by_id.get(m.in_reply_to_id or "")
        if parent is not None and parent.direction == "inbound":
            assert m.created_at > parent.created_at
            if m.platform == "instagram" and m.channel == "public":
                delays["instagram"].append((m.created_at - parent.created_at).total_seconds())
    private = [m for m in messages if m.platform == "facebook" and m.channel == "private"]
    threads: dict[str, list] = {}
    for m in sorted(private, key=lambda m: m.created_at):
        threads.setdefault(m.thread_ref, []).append(m)
    for thread in threads.values():
        if thread[0].direction == "inbound":
            reply = next((m for m in thread if m.direction == "outbound"), None)
            if reply is not None:
                delays["messenger"].append(
                    (reply.created_at - thread[0].created_at).total_seconds()
                )
    assert delays["messenger"] and delays["instagram"]
    median = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    # Messenger answered faster than public Instagram comments (median).
    assert median(delays["messenger"]) < median(delays["instagram"])


def test_demo_whatsapp_is_brazils_largest_share_private_per_customer_number():
    from collections import Counter

    from replywatch.collectors.demo import ALL_PLATFORMS

    messages = [
        m for batch in DemoFeed(platforms=ALL_PLATFORMS).history(ANCHOR, days=14) for m in batch
    ]
    inbound = [m for m in messages if m.direction == "inbound"]
    brazil = Counter(m.platform for m in inbound if m.brand == "aurora")
    assert brazil.most_common(1)[0][0] == "whatsapp"
    assert brazil["whatsapp"] > sum(brazil.values()) * 0.4
    whatsapp = [m for m in messages if m.platform == "whatsapp"]
    assert {(m.channel, m.kind) for m in whatsapp} == {("private", "dm")}
    # One thread per customer number and brand; the brand answers in it.
    for m in whatsapp:
        if m.direction == "inbound":
            assert m.thread_ref == f"whatsapp-dm-{m.brand}-{m.author_handle}"
    assert any(m.direction == "outbound" for m in whatsapp)


def test_demo_store_shows_whatsapp_conversations_with_their_window(tmp_path: Path):
    from replywatch.collectors.demo import ALL_PLATFORMS
    from replywatch.live_demo import seed_demo
    from replywatch.store import triage
    from replywatch.store.db import open_database

    db = open_database(tmp_path / "demo.db")
    now = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)
    seed_demo(db, DemoFeed(platforms=ALL_PLATFORMS), days=3, seed=42, now=now)
    flt = triage.QueueFilter(platform="whatsapp", brand="aurora", now=int(now.timestamp()))
    waiting = triage.queue(db, flt, now=int(now.timestamp()), limit=500)
    assert waiting, "no waiting WhatsApp conversation in the demo"
    for row in waiting:
        # 24 h after the customer's last message, whether open or closed now.
        assert row["window_ends_at"] == row["last_customer_at"] + triage.SERVICE_WINDOW_SECONDS
    closing = triage.queue(
        db, triage.QueueFilter(platform="whatsapp", window_closing=True, now=int(now.timestamp())),
        now=int(now.timestamp()), limit=500,
    )  # fmt: skip
    left = [r["window_ends_at"] - int(now.timestamp()) for r in closing]
    assert left  # this seed leaves one conversation in its last 4 hours
    assert all(0 < s <= triage.WINDOW_CLOSING_SECONDS for s in left)
    db.close()


def test_portuguese_demo_texts_agree_in_gender():
    # Issue 23 point 16: "Amei o mochila", "O cafeteira veio com defeito".
    import re

    from replywatch.collectors.demo import _TEXTS, ALL_PLATFORMS

    feminine, masculine = ("cafeteira", "mochila"), ("fone", "tênis", "relógio")
    wrong = re.compile(rf"\b[oO] (?:{'|'.join(feminine)})\b|\b[aA] (?:{'|'.join(masculine)})\b")
    texts = _TEXTS["pt"]
    shown = [
        template.format(brand="Loja", product=p, Product=p[:1].upper() + p[1:], order="#1")
        for kind in ("praise", "question", "complaint", "angry")
        for template in texts[kind]
        for p in texts["products"]
    ]
    assert "Amei a mochila, chegou antes do prazo. Obrigada!" in shown
    assert "A cafeteira veio com defeito e ninguém responde meus e-mails" in shown
    assert not [t for t in shown if wrong.search(t)]
    messages = [m.text for batch in DemoFeed(platforms=ALL_PLATFORMS).history(ANCHOR, days=7)
                for m in batch]  # fmt: skip
    assert not [t for t in messages if wrong.search(t)]


def test_demo_speaks_the_language_it_was_started_in(tmp_path: Path, monkeypatch):
    """`replywatch demo --language pt-BR` (the README's first command for a
    Brazilian user) reports seeding and the live feed in Portuguese, with the
    locale's thousands separator, and no English line of its own."""
    monkeypatch.delenv("REPLYWATCH_LANGUAGE", raising=False)
    db_file = tmp_path / "demo.db"
    args = ["demo", "--db", str(db_file), "--days", "8", "--no-dashboard", "--ticks", "2"]
    result = CliRunner().invoke(main, [*args, "--interval", "0", "--language", "pt-BR"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    seeded = re.search(r"([\d.]+) mensagens de demonstração criadas em ", text)
    # Eight days seed over a thousand messages: pt-BR groups thousands with ".".
    assert seeded and "." in seeded.group(1), text
    assert len(re.findall(r"ao vivo: \d+ nova", text)) == 2, text
    assert "Banco de dados da demonstração" in text and "em outro terminal" in text
    for english in ("Seeded", "live:", "Demo database", "Next, in another terminal"):
        assert english not in text, english
