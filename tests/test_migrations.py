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


def test_m018_fills_the_current_turn_as_the_live_code_does(tmp_path):
    # Issue 27 item 8: m018 no longer calls store.scores.refresh_current_turn
    # (a migration must not run live code); its frozen copy gives the same
    # columns on a demo store.
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import seed_demo
    from replywatch.store.db import open_database, transaction
    from replywatch.store.schema import _m018_fill_current_turn
    from replywatch.store.scores import refresh_current_turn

    db = open_database(tmp_path / "demo.db")
    seed_demo(db, DemoFeed(seed=7, platforms=ALL_PLATFORMS), days=4, seed=7)
    columns = "id, current_urgency, current_urgent, closing_message_id"
    reset = (
        "UPDATE conversations SET current_urgency = NULL, current_urgent = 0, "
        "closing_message_id = NULL"
    )
    with transaction(db):
        db.conn.execute(reset)
        refresh_current_turn(db, None)
    live = db.execute(f"SELECT {columns} FROM conversations ORDER BY id").fetchall()
    assert any(row[1] for row in live) and any(row[2] for row in live)
    assert any(row[3] for row in live)  # the comparison covers every column
    with transaction(db):
        db.conn.execute(reset)
        _m018_fill_current_turn(db)
    assert db.execute(f"SELECT {columns} FROM conversations ORDER BY id").fetchall() == live
    db.close()
