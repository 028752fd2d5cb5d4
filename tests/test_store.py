"""Store: migrations, idempotent inserts, threading and file permissions."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

from replywatch.collectors.base import Message
from replywatch.pipeline import ingest
from replywatch.store.db import open_database, resolve_db_path
from replywatch.store.schema import migrations

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def msg(
    external_id: str,
    minutes: int,
    *,
    direction: str = "inbound",
    parent: str | None = None,
    text: str = "hello",
    **extra,
) -> Message:
    return Message(
        platform="x",
        external_id=external_id,
        created_at=T0 + timedelta(minutes=minutes),
        text=text,
        direction=direction,
        kind="mention",
        channel=extra.pop("channel", "public"),
        source="test",
        author_handle=extra.pop("author", "ana" if direction == "inbound" else "acme"),
        brand=None if direction == "inbound" else "acme",
        in_reply_to_id=parent,
        **extra,
    )


def test_migrations_rerun_is_a_no_op(db_path):
    db = open_database(db_path)
    tables = set(db.table_names())
    applied = [m.name for m in migrations.applied(db)]
    db.close()
    db = open_database(db_path)
    migrations.apply(db)
    assert set(db.table_names()) == tables
    assert [m.name for m in migrations.applied(db)] == applied
    assert migrations.pending(db) == []
    assert {
        "messages",
        "conversations",
        "scores",
        "collector_state",
        "dead_letters",
        "audit_log",
        "brands",
        "brand_accounts",
        "notes",
    } <= tables


def test_wal_mode_and_owner_only_permissions(db, db_path):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    mode = stat.S_IMODE(db_path.stat().st_mode)
    assert mode == 0o600, oct(mode)


def test_db_path_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("REPLYWATCH_DB", raising=False)
    assert str(resolve_db_path()) == "data/replywatch.db"
    monkeypatch.setenv("REPLYWATCH_DB", str(tmp_path / "env.db"))
    assert resolve_db_path() == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "cli.db") == tmp_path / "cli.db"


def test_same_message_twice_changes_nothing(db):
    first = ingest(db, [msg("1", 0), msg("2", 5, direction="outbound", parent="1")], source="t")
    snapshot = db.execute("SELECT * FROM messages ORDER BY id").fetchall()
    conversations = db.execute("SELECT * FROM conversations").fetchall()
    again = ingest(
        db, [msg("1", 0, text="edited?"), msg("2", 5, direction="outbound", parent="1")], source="t"
    )
    assert (first.inserted, first.duplicates) == (2, 0)
    assert (again.inserted, again.duplicates) == (0, 2)
    assert db.execute("SELECT * FROM messages ORDER BY id").fetchall() == snapshot
    rows_after = db.execute("SELECT * FROM conversations").fetchall()
    # updated_at may be rewritten; nothing else may change
    assert [r[:-1] for r in rows_after] == [r[:-1] for r in conversations]


def test_reply_before_parent_merges_into_one_conversation(db):
    # The brand reply and a customer follow-up arrive before the message they answer.
    ingest(db, [msg("3", 20, parent="2")], source="t")
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    ingest(db, [msg("2", 10, direction="outbound", parent="1")], source="t")
    # 3 answers 2, so 3's conversation was merged into 2's
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    assert db.execute("SELECT count(DISTINCT conversation_id) FROM messages").fetchone()[0] == 1
    ingest(db, [msg("1", 0)], source="t")
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 1
    conv = db.execute(
        "SELECT first_response_seconds, status, message_count, root_message_id, brand "
        "FROM conversations"
    ).fetchone()
    root = db.execute("SELECT id FROM messages WHERE external_id = '1'").fetchone()[0]
    assert conv == (600, "open", 3, root, "acme")


def test_brand_reply_marks_replied_and_customer_reopens(db):
    ingest(db, [msg("1", 0)], source="t")
    assert db.execute("SELECT status, needs_response FROM conversations").fetchone() == ("new", 1)
    ingest(db, [msg("2", 30, direction="outbound", parent="1")], source="t")
    assert db.execute("SELECT status, first_response_seconds FROM conversations").fetchone() == (
        "replied",
        1800,
    )
    ingest(db, [msg("3", 45, parent="2")], source="t")
    row = db.execute(
        "SELECT status, awaiting_since, unanswered_count FROM conversations"
    ).fetchone()
    assert row == ("open", int((T0 + timedelta(minutes=45)).timestamp()), 1)


def test_private_messages_thread_by_reference_with_silence_split(db):
    dm = dict(channel="private", thread_ref="dm-1")
    ingest(db, [msg("d1", 0, **dm), msg("d2", 60, direction="outbound", **dm)], source="t")
    ingest(db, [msg("d3", 60 * 30, **dm)], source="t")  # 30 h later: a new conversation
    counts = db.execute(
        "SELECT conversation_id, count(*) FROM messages GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert [c for _, c in counts] == [2, 1]


def test_message_missing_required_field_is_dead_lettered(db):
    bad = msg("9", 0)
    bad.source = ""
    result = ingest(db, [bad, msg("10", 1)], source="t")
    assert result.inserted == 1 and result.rejected == 1
    error = db.execute("SELECT error FROM dead_letters").fetchone()[0]
    assert "source" in error


def test_cursor_commits_with_messages(db):
    ingest(db, [msg("1", 0)], source="x:acme", cursor={"since_id": "1"})
    assert db.execute("SELECT cursor FROM collector_state").fetchone()[0] == '{"since_id": "1"}'


def test_reply_cycle_in_corrupt_data_still_threads(db):
    # a -> b -> a: only corrupt data does this; nothing may be left unthreaded
    ingest(
        db, [msg("a", 0, parent="b"), msg("b", 1, parent="a"), msg("c", 2, parent="b")], source="t"
    )
    assert (
        db.execute("SELECT count(*) FROM messages WHERE conversation_id IS NULL").fetchone()[0] == 0
    )
    assert db.execute("SELECT count(DISTINCT conversation_id) FROM messages").fetchone()[0] == 1


def test_interrupted_bulk_import_is_threaded_by_the_next_ingest(db):
    ingest(
        db,
        [msg("1", 0), msg("2", 5, direction="outbound", parent="1")],
        source="t",
        defer_threading=True,
    )
    assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0
    ingest(db, [msg("3", 9, parent="2")], source="t")
    assert (
        db.execute("SELECT count(*) FROM messages WHERE conversation_id IS NULL").fetchone()[0] == 0
    )
    assert db.execute("SELECT status, message_count FROM conversations").fetchone() == ("open", 3)
