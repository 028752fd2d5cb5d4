"""Schema upgrades keep existing data: a database made by the first version of
the schema, full of data, opened by today's code."""

from __future__ import annotations

import os

from sqlite_utils import Database

from benchmarks.workload import synthetic_batch
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches, ingest
from replywatch.store.db import configure_connection, open_database, transaction
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.schema import migrations
from replywatch.store.state import set_cursor
from tests.crash_harness import store_signature


def _table_contents(db: Database, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    return {
        table: db.execute(f"SELECT {', '.join(cols)} FROM [{table}] ORDER BY rowid").fetchall()
        for table, cols in columns.items()
    }


def test_database_from_the_first_migration_upgrades_without_losing_data(tmp_path, twcs_slice):
    # Today's code fills a reference database with every kind of row ...
    reference_path = tmp_path / "reference.db"
    reference = open_database(reference_path)
    import_batches(reference, read_twcs(twcs_slice), source=TWCS_SOURCE)
    with transaction(reference):
        conversation = reference.execute("SELECT min(id) FROM conversations").fetchone()[0]
        reference.conn.execute(
            "INSERT INTO notes (conversation_id, at, author, text) "
            "VALUES (?, '2024-01-01T00:00:00Z', 'ana', 'call back')",
            (conversation,),
        )
        reference.conn.execute(
            "INSERT INTO audit_log (at, actor, action, conversation_id) "
            "VALUES ('2024-01-01T00:00:00Z', 'ana', 'status', ?)",
            (conversation,),
        )
        add_dead_letter(reference, TWCS_SOURCE, "1,2,broken", "bad row")
        set_cursor(reference, "x:mentions", {"since_id": "123"})
    reference.close()

    # ... and an old-version database gets the same data in the first schema.
    old_path = tmp_path / "old.db"
    fd = os.open(old_path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    old = Database(old_path)
    configure_connection(old)
    names = [m.name for m in migrations.pending(old)]
    assert names[0] == "m001_initial" and len(names) > 1, "needs a migration after the first"
    migrations.apply(old, stop_before=names[1:])
    assert [m.name for m in migrations.applied(old)] == ["m001_initial"]
    columns = {
        table: [c[1] for c in old.execute(f"PRAGMA table_info([{table}])")]
        for (table,) in old.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE '\\_%' ESCAPE '\\'"
        )
    }
    old.execute("ATTACH DATABASE ? AS ref", (str(reference_path),))
    with old.conn:
        for table, cols in columns.items():
            listed = ", ".join(cols)
            old.execute(f"INSERT INTO main.[{table}] ({listed}) SELECT {listed} FROM ref.[{table}]")
    old.execute("DETACH DATABASE ref")
    before = _table_contents(old, columns)
    assert len(before["messages"]) == 5000 and before["notes"] and before["dead_letters"]
    old.close()

    upgraded = open_database(old_path)

    assert migrations.pending(upgraded) == []
    assert [m.name for m in migrations.applied(upgraded)] == names
    assert _table_contents(upgraded, columns) == before
    assert store_signature(old_path) == store_signature(reference_path)
    # and today's code keeps working on it
    assert import_batches(upgraded, read_twcs(twcs_slice), source=TWCS_SOURCE).inserted == 0
    assert ingest(upgraded, synthetic_batch(0, 0, 10), source="test").inserted == 10
    upgraded.close()


def test_m018_fills_the_current_turn_from_its_own_frozen_rule(tmp_path):
    # Issue 27 item 8: m018 no longer calls store.scores.refresh_current_turn
    # (a migration must not run live code, which changes: the closing rule did
    # since). Its frozen copy: the waiting turn's highest urgency and whether
    # one of its messages is urgent; the closing message is the latest
    # customer message when scored closing after the brand's first response.
    import inspect
    from datetime import UTC, datetime, timedelta

    from replywatch.collectors.base import Message
    from replywatch.store import schema
    from replywatch.store.schema import _m018_fill_current_turn

    assert "import" not in inspect.getsource(_m018_fill_current_turn)
    assert "refresh_current_turn(" not in inspect.getsource(schema.m018_current_turn)
    start = datetime(2024, 5, 1, 10, tzinfo=UTC)

    def message(ext, minutes, direction="inbound", parent=None):
        return Message(
            platform="x", external_id=ext, created_at=start + timedelta(minutes=minutes),
            text=ext, direction=direction, kind="mention", channel="public", source="t",
            author_handle="acme" if direction == "outbound" else "ana",
            brand="acme" if direction == "outbound" else None, in_reply_to_id=parent,
        )  # fmt: skip

    db = open_database(tmp_path / "turn.db")
    ingest(
        db,
        [
            message("w1", 0),  # waiting: two customer messages, urgency 20 and 70
            message("w2", 5, parent="w1"),
            message("r1", 0 + 60),  # answered, then a thank-you: closing
            message("r2", 70, "outbound", parent="r1"),
            message("r3", 80, parent="r2"),
        ],
        source="t",
    )
    scores = {"w1": (20, 0, 0), "w2": (70, 1, 0), "r1": (50, 1, 0), "r3": (0, 0, 1)}
    with transaction(db):
        for ext, (urgency, urgent, closes) in scores.items():
            db.conn.execute(
                "UPDATE scores SET urgency = ?, urgent = ?, closes = ? WHERE message_id = "
                "(SELECT id FROM messages WHERE external_id = ?)",
                (urgency, urgent, closes, ext),
            )
        db.conn.execute(
            "UPDATE conversations SET current_urgency = NULL, current_urgent = 0, "
            "closing_message_id = NULL"
        )
        _m018_fill_current_turn(db)
    rows = db.execute(
        "SELECT m.external_id, c.current_urgency, c.current_urgent, cm.external_id "
        "FROM conversations c JOIN messages m ON m.id = c.root_message_id "
        "LEFT JOIN messages cm ON cm.id = c.closing_message_id ORDER BY m.external_id"
    ).fetchall()
    assert rows == [("r1", 0, 0, "r3"), ("w1", 70, 1, None)]
    db.close()
