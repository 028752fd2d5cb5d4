"""File imports against the real twcs slice and hand-made broken files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.imports import JSONL_SOURCE, TWCS_SOURCE, read_jsonl, read_twcs
from replywatch.pipeline import import_batches


def counts(db) -> dict[str, int]:
    q = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    return {
        "messages": q("SELECT count(*) FROM messages"),
        "inbound": q("SELECT count(*) FROM messages WHERE direction = 'inbound'"),
        "outbound": q("SELECT count(*) FROM messages WHERE direction = 'outbound'"),
        "brands": q("SELECT count(*) FROM brands"),
        "conversations": q("SELECT count(*) FROM conversations"),
        "dead_letters": q("SELECT count(*) FROM dead_letters"),
    }


def test_twcs_slice_imports_exactly_and_idempotently(db, twcs_slice):
    totals = import_batches(db, read_twcs(twcs_slice, batch_size=700), source=TWCS_SOURCE)
    first = counts(db)
    assert (totals.inserted, totals.rejected) == (5000, 0)
    assert first["messages"] == 5000
    assert (first["inbound"], first["outbound"], first["brands"]) == (2778, 2222, 76)
    assert first["dead_letters"] == 0
    again = import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    assert (again.inserted, again.duplicates) == (0, 5000)
    assert counts(db) == first


def test_twcs_bare_carriage_returns_are_kept(db, twcs_slice):
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    text = db.execute("SELECT text FROM messages WHERE external_id = '3399'").fetchone()[0]
    assert text.startswith("@AskPayPal \r\rI just love the start of email")
    # bulk-imported rows are in the full-text index once the import finishes
    found = db.execute(
        "SELECT m.external_id FROM messages_fts f JOIN messages m "
        "ON m.id = f.rowid WHERE messages_fts MATCH '\"start of email\"'"
    ).fetchall()
    assert found == [("3399",)]
    # its neighbours are intact rows, not fragments of it
    assert db.execute(
        "SELECT direction, in_reply_to_id FROM messages WHERE external_id = '3398'"
    ).fetchone() == ("outbound", "3399")


def test_twcs_reply_links_and_multi_id_responses(db, twcs_slice):
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    # tweet 1 (sprintcare) answers 3, which answers 4 ... all in one conversation
    ids = db.execute(
        "SELECT external_id, conversation_id FROM messages WHERE external_id IN ('1','2','3','4')"
    ).fetchall()
    assert len({c for _, c in ids}) == 1
    # a conversation belongs to the first brand account that replies in it (a few
    # real threads, like the Oct 2017 mince-pie thread, involve several brands)
    assert (
        db.execute(
            """SELECT count(*) FROM conversations c
           WHERE c.outbound_count > 0 AND c.brand != (
               SELECT m.brand FROM messages m WHERE m.conversation_id = c.id
               AND m.direction = 'outbound' ORDER BY m.created_ts, m.id LIMIT 1)"""
        ).fetchone()[0]
        == 0
    )
    assert db.execute("SELECT count(*) FROM conversations WHERE brand IS NULL").fetchone()[0] == 0


def test_corrupt_rows_are_dead_lettered_and_the_rest_imports(db, tmp_path: Path):
    path = tmp_path / "broken.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "10,cust1,True,Tue Oct 31 22:10:47 +0000 2017,@acme help,11,\n"
        "11,acme,False,Tue Oct 31 22:20:47 +0000 2017,@cust1 on it,,10\n"
        "12,cust2,maybe,Tue Oct 31 22:10:47 +0000 2017,bad flag,,\n"
        "13,cust3,True,yesterday,bad date,,\n"
        "14,cust4,True\n"
        "x15,cust5,True,Tue Oct 31 22:10:47 +0000 2017,bad id,,\n"
        '16,cust6,True,Tue Oct 31 23:10:47 +0000 2017,"@acme fine, ""quoted""",,\n',
        encoding="utf-8",
    )
    totals = import_batches(db, read_twcs(path), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (3, 4)
    errors = [r[0] for r in db.execute("SELECT error FROM dead_letters ORDER BY id")]
    assert any("inbound must be True or False" in e for e in errors)
    assert any("bad created_at" in e for e in errors)
    assert any("expected 7 fields, got 3" in e for e in errors)
    assert any("not a tweet id" in e for e in errors)
    payloads = [r[0] for r in db.execute("SELECT payload FROM dead_letters")]
    assert any(p.startswith("13,cust3,True,yesterday") for p in payloads)
    assert db.execute("SELECT text FROM messages WHERE external_id = '16'").fetchone()[0] == (
        '@acme fine, "quoted"'
    )
    # re-import: nothing new, no duplicate dead letters
    again = import_batches(db, read_twcs(path), source=TWCS_SOURCE)
    assert again.inserted == 0
    assert db.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 4


def test_jsonl_import_with_a_bad_line(db, tmp_path: Path):
    good = {
        "platform": "facebook",
        "id": "fb-1",
        "created_at": "2024-05-01T10:00:00Z",
        "text": "Meu pedido não chegou",
        "direction": "inbound",
        "author_handle": "maria",
        "channel": "private",
        "thread_id": "t-1",
        "brand": "loja",
    }
    reply = {
        "platform": "facebook",
        "id": "fb-2",
        "created_at": "2024-05-01T10:30:00+00:00",
        "text": "Olá Maria, vamos verificar",
        "direction": "outbound",
        "author_handle": "lojaoficial",
        "brand": "loja",
        "in_reply_to_id": "fb-1",
        "channel": "private",
        "thread_id": "t-1",
    }
    path = tmp_path / "messages.jsonl"
    path.write_text(
        json.dumps(good)
        + "\n"
        + "{not json\n"
        + "\n"
        + json.dumps({"platform": "x", "id": "3", "text": "no time", "direction": "inbound"})
        + "\n"
        + json.dumps(reply, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    totals = import_batches(db, read_jsonl(path), source=JSONL_SOURCE)
    assert (totals.inserted, totals.rejected) == (2, 2)
    errors = [r[0] for r in db.execute("SELECT error FROM dead_letters ORDER BY id")]
    assert errors[0].startswith("line 2:")
    assert "missing required fields: created_at" in errors[1]
    conv = db.execute(
        "SELECT brand, status, first_response_seconds, channel FROM conversations"
    ).fetchone()
    assert conv == ("loja", "replied", 1800, "private")
    assert db.execute("SELECT text FROM messages WHERE external_id = 'fb-1'").fetchone()[0] == (
        "Meu pedido não chegou"
    )


def test_cli_import_twcs_and_stats(tmp_path: Path, twcs_slice):
    db_file = tmp_path / "cli.db"
    runner = CliRunner()
    result = runner.invoke(main, ["import", "twcs", str(twcs_slice), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    assert "5,000 new messages" in result.output
    result = runner.invoke(main, ["stats", "--db", str(db_file)])
    assert "2,778" in result.output and "2,222" in result.output


def test_cli_rejects_a_file_that_is_not_twcs(tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "twcs", str(path), "--db", str(tmp_path / "d.db")])
    assert result.exit_code != 0
    assert "not a twcs file" in result.output


def test_twcs_row_path_matches_the_message_path_for_any_timestamp():
    """The bulk row path computes times without datetimes for UTC stamps; it
    must store exactly what the Message path stores, and refuse the same
    impossible times."""
    import pytest

    from replywatch.collectors.imports import parse_twcs_row, parse_twcs_values

    stamps = [
        "Tue Oct 31 22:10:47 +0000 2017",
        "Wed Mar 01 00:00:00 +0000 2017",
        "Sun Dec 31 23:59:59 +0000 2017",
        "Tue Oct 31 22:10:47 -0300 2017",
        "Tue Oct 31 02:10:47 +0545 2017",
        "Thu Feb 29 12:00:00 +0000 2024",
        # a date seen before (the cached fast path) with other clocks
        "Tue Oct 31 00:00:00 +0000 2017",
        "Tue Oct 31 09:05:01 +0000 2017",
        # \\d matches any decimal digit: stored as the same ASCII time
        "Tue Oct 31 22:1\u0663:47 +0000 2017",
        "Tue Oct \u06631 22:10:47 +0000 2017",
    ]
    for stamp in stamps:
        record = {
            "tweet_id": "7",
            "author_id": "ana",
            "inbound": "True",
            "created_at": stamp,
            "text": "hi @Brand",
            "in_response_to_tweet_id": "6.0",
        }
        fast = parse_twcs_values(record, "raw")
        slow = parse_twcs_row(record, "raw").to_values()
        fetched = 19  # fetched_at: the moment of reading, not part of the record
        assert fast[:fetched] + fast[fetched + 1 :] == slow[:fetched] + slow[fetched + 1 :], stamp
    for bad in [
        "Wed Feb 29 12:00:00 +0000 2017",
        "Tue Oct 31 24:00:00 +0000 2017",
        "Tue Oct 31 23:59:60 +0000 2017",
        "Tue Foo 31 23:59:59 +0000 2017",
        # the date is cached by now; the rest must still be checked
        "Tue Oct 31 2x:10:47 +0000 2017",
        "Tue Oct 31 22:10:4\u00b2 +0000 2017",
        "Tue Oct 31 22-10-47 +0000 2017",
        "tue Oct 31 22:10:47 +0000 2017",
        "Tue Oct 31 22:10:47 +0000 2017x",
        "Tue Oct 31 22:10:47  +000 2017",
    ]:
        record = {"tweet_id": "7", "author_id": "ana", "inbound": "True", "created_at": bad}
        with pytest.raises(ValueError):
            parse_twcs_row(record)
        with pytest.raises(ValueError, match="bad created_at"):
            parse_twcs_values(record)
