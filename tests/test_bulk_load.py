"""The bulk import path (``store.bulk``, one staged transaction) must store
exactly what ingesting the same messages one batch at a time stores: the
same messages, the same conversations with the same derived values, the
same threading, whatever was already in the store."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from replywatch.collectors.base import Message
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches, ingest
from replywatch.store.db import open_database

#: Derived conversation columns that do not depend on arrival order.
COLUMNS = (
    "status",
    "brand",
    "channel",
    "customer_handle",
    "needs_response",
    "message_count",
    "inbound_count",
    "outbound_count",
    "first_customer_at",
    "first_response_at",
    "first_response_seconds",
    "first_response_business_seconds",
    "last_customer_at",
    "last_brand_at",
    "awaiting_since",
    "unanswered_count",
    "brand_reply_count",
    "sla_due_at",
    "sla_at_risk_at",
    "local_date",
    "local_hour_of_week",
    "next_response_count",
    "next_response_seconds_total",
)


def picture(db) -> dict:
    """Conversations keyed by their root's external id, and every message's
    conversation root, independent of row ids."""
    conversations = {
        row[0]: row[1:]
        for row in db.execute(
            f"""SELECT r.external_id, {", ".join(f"c.{c}" for c in COLUMNS)},
                       f.external_id, fr.external_id
                FROM conversations c JOIN messages r ON r.id = c.root_message_id
                LEFT JOIN messages f ON f.id = c.first_customer_message_id
                LEFT JOIN messages fr ON fr.id = c.first_response_message_id"""
        )
    }
    membership = dict(
        db.execute(
            """SELECT m.external_id, r.external_id FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           JOIN messages r ON r.id = c.root_message_id"""
        )
    )
    rollup = db.execute(
        "SELECT brand, platform, channel, local_date, conversations, answered, "
        "first_response_values FROM response_rollup ORDER BY 1, 2, 3, 4"
    ).fetchall()
    fts = db.execute("SELECT count(*) FROM messages_fts").fetchone()[0]
    unthreaded = db.execute(
        "SELECT count(*) FROM messages WHERE conversation_id IS NULL"
    ).fetchone()[0]
    return {
        "conversations": conversations,
        "membership": membership,
        "rollup": rollup,
        "fts_rows": fts,
        "unthreaded": unthreaded,
    }


def slice_messages(twcs_slice) -> list[Message]:
    return [m for batch in read_twcs(twcs_slice) for m in batch.messages]


def test_bulk_import_equals_chronological_ingest(tmp_path, twcs_slice):
    bulk = open_database(tmp_path / "bulk.db")
    totals = import_batches(
        bulk, read_twcs(twcs_slice, batch_size=700, as_rows=True), source=TWCS_SOURCE, score=False
    )
    assert (totals.inserted, totals.duplicates, totals.rejected) == (5000, 0, 0)

    incremental = open_database(tmp_path / "incremental.db")
    messages = sorted(slice_messages(twcs_slice), key=lambda m: (m.created_at, m.external_id))
    from replywatch.store.brands import ensure_brand_accounts
    from replywatch.store.db import transaction

    with transaction(incremental):  # brand accounts are known up front in a file import
        ensure_brand_accounts(
            incremental,
            {("x", m.author_handle, m.brand) for m in messages if m.direction == "outbound"},
        )
    for start in range(0, len(messages), 250):
        ingest(incremental, messages[start : start + 250], source=TWCS_SOURCE)
    expected, got = picture(incremental), picture(bulk)
    assert got["unthreaded"] == 0 and got["fts_rows"] == 5000
    assert got["membership"] == expected["membership"]
    assert got["conversations"] == expected["conversations"]
    assert got["rollup"] == expected["rollup"]


def test_bulk_import_into_a_store_that_has_part_of_the_file(tmp_path, twcs_slice):
    """Messages collected earlier (a random 40 %, shuffled, so some stored
    replies wait for parents that only the file brings) are skipped as
    duplicates; their conversations merge with the file's; the result is the
    store a plain import of the file makes."""
    reference = open_database(tmp_path / "reference.db")
    import_batches(reference, read_twcs(twcs_slice), source=TWCS_SOURCE, score=False)

    db = open_database(tmp_path / "mixed.db")
    messages = slice_messages(twcs_slice)
    rng = random.Random(7)
    early = rng.sample(messages, 2000)
    for start in range(0, len(early), 400):
        ingest(db, early[start : start + 400], source="x:mentions")
    stored_convs = db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    totals = import_batches(
        db, read_twcs(twcs_slice, batch_size=900), source=TWCS_SOURCE, score=False
    )
    assert (totals.inserted, totals.duplicates) == (3000, 2000)
    expected, got = picture(reference), picture(db)
    assert got["membership"] == expected["membership"]
    assert got["unthreaded"] == 0 and got["fts_rows"] == 5000
    # same threads; counts and response times follow from the messages alone
    assert set(got["conversations"]) == set(expected["conversations"])
    assert stored_convs > 0
    index = {c: i for i, c in enumerate(COLUMNS)}
    for root, values in expected["conversations"].items():
        for column in (
            "message_count",
            "inbound_count",
            "first_response_seconds",
            "brand",
            "awaiting_since",
        ):
            assert got["conversations"][root][index[column]] == values[index[column]], (
                root,
                column,
            )


def _dm(external_id: str, when: int, direction: str = "inbound", **fields) -> Message:
    return Message(
        platform="x",
        external_id=external_id,
        created_at=datetime.fromtimestamp(when, UTC),
        text=f"dm {external_id}",
        direction=direction,
        kind="dm",
        channel="private",
        source="test",
        author_handle="brandx" if direction == "outbound" else "ana",
        brand="brandx" if direction == "outbound" else None,
        **fields,
    )


def test_bulk_rows_the_set_based_pass_leaves_are_threaded_and_bad_rows_kept(db):
    """Private messages that join a thread by reference, a reply cycle, an
    in-file duplicate (the first one wins) and rows the store refuses: threaded
    by the general path, skipped, dead-lettered; nothing lost."""
    from replywatch.collectors.imports import ImportBatch

    t0 = 1_700_000_000
    first = _dm("d1", t0, thread_ref="thread-9")
    reply = _dm("d2", t0 + 60, "outbound", thread_ref="thread-9")
    later = _dm("d3", t0 + 3 * 86400, thread_ref="thread-9")  # after 24 h of silence
    duplicate = _dm("d1", t0 + 5, thread_ref="thread-9")
    # corrupt data: two public posts that answer each other
    cycle = [
        Message(
            platform="x",
            external_id=a,
            created_at=datetime.fromtimestamp(t0 + i, UTC),
            text=f"loop {a}",
            direction="inbound",
            kind="reply",
            channel="public",
            source="test",
            author_handle="bob",
            in_reply_to_id=b,
        )
        for i, (a, b) in enumerate((("c1", "c2"), ("c2", "c1")))
    ]
    batch = ImportBatch(
        messages=[
            first.to_values(),
            reply.to_values(),
            duplicate.to_values(),
            later.to_values(),
            *(m.to_values() for m in cycle),
            ("x", "bad", "dm", "nowhere", "inbound", *([None] * 17)),
        ],
        brand_accounts={("x", "brandx", "brandx")},
    )
    totals = import_batches(db, [batch], source="import:jsonl", score=False)
    assert (totals.inserted, totals.duplicates, totals.rejected) == (5, 1, 1)
    rows = dict(db.execute("SELECT external_id, conversation_id FROM messages"))
    assert None not in rows.values()
    assert rows["d1"] == rows["d2"] != rows["d3"]
    assert rows["c1"] == rows["c2"] not in (rows["d1"], rows["d3"])
    assert db.execute(
        "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'loop'"
    ).fetchone() == (2,)
    assert db.execute("SELECT text FROM messages WHERE external_id = 'd1'").fetchone() == ("dm d1",)
    error = db.execute("SELECT error FROM dead_letters").fetchone()[0]
    assert "missing required fields" in error or "refused" in error
    assert db.execute(
        "SELECT status FROM conversations WHERE id = ?", (rows["d1"],)
    ).fetchone() == ("replied",)


def test_interrupted_bulk_load_leaves_the_store_untouched(db, twcs_slice):
    """Everything is written in the final transaction: a reader that fails
    half-way (a killed import behaves the same) stores nothing."""

    def failing():
        for number, batch in enumerate(read_twcs(twcs_slice, batch_size=1000, as_rows=True)):
            if number == 3:
                raise OSError("disk went away")
            yield batch

    try:
        import_batches(db, failing(), source=TWCS_SOURCE, score=False)
    except OSError:
        pass
    else:
        raise AssertionError("the reader's error must reach the caller")
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM brand_accounts").fetchone()[0] == 0
    assert "stage" not in {row[1] for row in db.execute("PRAGMA database_list")}
    totals = import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE, score=False)
    assert totals.inserted == 5000
