"""The stored message has one owner: store.message_spec. Everything that
knows the row (the Message fields, the row tuple, the bulk stage table, the
insert statement, importers' row builders) derives from it, so a new column is
one edit there plus its migration."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime

import pytest

from replywatch.collectors import imports
from replywatch.collectors.base import Message, row_values
from replywatch.store import bulk, message_spec
from replywatch.store.db import open_database
from replywatch.store.message_spec import MESSAGE_SPEC, Column
from replywatch.store.messages import MESSAGE_COLUMNS, REQUIRED_COLUMNS

WHEN = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


def _message(**extra) -> Message:
    return Message(
        platform="x",
        external_id=7,
        created_at=WHEN,
        text="hi @AcmeHelp",
        direction="inbound",
        kind="mention",
        channel="public",
        source="test",
        raw={"a": 1},
        fetched_at=WHEN,
        **extra,
    )


def test_every_copy_of_the_row_is_the_spec():
    names = tuple(c.name for c in MESSAGE_SPEC)
    assert MESSAGE_COLUMNS == names
    assert set(REQUIRED_COLUMNS) <= set(names)
    # The bulk stage table, column by column, with the spec's constraints.
    stage = sqlite3.connect(":memory:")
    stage.execute("ATTACH DATABASE ':memory:' AS stage")
    for statement in bulk.stage_schema().split(";"):
        if statement.strip():
            stage.execute(statement)
    staged = [r[1] for r in stage.execute("PRAGMA stage.table_info(rows)")][1:]
    assert tuple(staged) == names
    # Message fields are the spec's field columns; its row is in column order.
    fields = [f.name for f in dataclasses.fields(Message)]
    assert fields == [c.field_name for c in MESSAGE_SPEC if c.field_name]
    row = _message().to_row()
    assert tuple(row) == names
    assert row["mentions"] == "acmehelp" and row["created_ts"] == int(WHEN.timestamp())
    assert row["external_id"] == "7" and row["raw"] == '{"a": 1}'


def test_the_migrated_table_agrees_with_the_spec(tmp_path):
    db = open_database(tmp_path / "rw.db")
    info = {r[1]: r for r in db.execute("PRAGMA table_info(messages)").fetchall()}
    for column in MESSAGE_SPEC:
        assert column.name in info, f"migration lacks messages.{column.name}"
        declared_type, notnull = info[column.name][2], info[column.name][3]
        assert column.sql.split()[0] == declared_type, column.name
        assert ("NOT NULL" in column.sql) == bool(notnull), column.name


def test_the_twcs_fast_path_builds_the_same_row_as_a_message():
    record = {
        "tweet_id": "119237",
        "author_id": "AppleSupport",
        "inbound": "False",
        "created_at": "Tue Oct 31 22:10:47 +0000 2017",
        "text": "@115712 hi",
        "in_response_to_tweet_id": "119236",
    }
    fast = imports.parse_twcs_values(record, raw="r")
    slow = imports.parse_twcs_row(record, raw="r").to_values()
    upto = MESSAGE_COLUMNS.index("fetched_at")  # read at different moments
    assert fast[:upto] == slow[:upto] and fast[upto + 1 :] == slow[upto + 1 :]
    assert len(fast) == len(MESSAGE_COLUMNS)


def test_a_new_column_is_one_edit():
    """Add a column to a copy of the spec: the Message class, the row function,
    the stage table and an importer's row builder all carry it with no other
    change."""
    spec = (
        *MESSAGE_SPEC,
        Column("reach", "INTEGER", "int | None", expr="reach if reach is None else int(reach)"),
    )
    NewMessage = message_spec.message_class(spec)
    message = NewMessage(
        platform="x",
        external_id="1",
        created_at=WHEN,
        text="t",
        direction="inbound",
        kind="post",
        channel="public",
        source="s",
        fetched_at=WHEN,
        reach="42",
    )
    assert message.to_row()["reach"] == 42
    assert message.to_values() == message_spec.row_function(spec)(
        *[getattr(message, c.field_name) for c in spec if c.field_name]
    )
    assert message_spec.column_definitions(spec).endswith("reach INTEGER")
    build = message_spec.row_builder(
        ("external_id", "kind", "direction", "text", "created_at", "created_ts", "fetched_at"),
        {"platform": "x", "channel": "public", "source": "s"},
        spec,
    )
    row = build("1", "post", "inbound", "t", "2024-05-06T12:00:00Z", 1, "f")
    stored = dict(zip(message_spec.column_names(spec), row, strict=True))
    assert stored["reach"] is None and stored["mentions"] == "" and stored["is_demo"] == 0
    assert (stored["platform"], stored["channel"], stored["source"]) == ("x", "public", "s")


def test_row_builders_refuse_what_the_spec_does_not_allow():
    with pytest.raises(ValueError, match="not message columns: nope"):
        message_spec.row_builder(("nope",))
    with pytest.raises(ValueError, match="required column 'platform'"):
        message_spec.row_builder(("external_id",))
    with pytest.raises(TypeError):
        Message("x", "1")  # fields are keyword-only: no positional mix-ups
    # The module-level row function is the spec's.
    message = _message()
    fields = [getattr(message, c.field_name) for c in MESSAGE_SPEC if c.field_name]
    assert row_values(*fields) == message.to_values()
