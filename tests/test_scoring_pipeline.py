"""Scoring inside ingestion, store context for urgency, and the CLI commands."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from replywatch.cli import main
from replywatch.pipeline import ingest
from replywatch.store.timeutil import utc_now
from tests.test_store import msg


def test_ingest_scores_new_messages_and_updates_conversation(db):
    result = ingest(db, [msg("1", 0, text="Worst service ever, I want a refund now")], source="t")
    row = db.execute("SELECT language, label, urgent, reasons FROM scores").fetchone()
    assert row[0] == "en" and row[1] == "negative" and row[2] == 1
    assert "asks for a refund" in json.loads(row[3])
    assert result.urgent_message_ids == result.new_message_ids
    max_urgency, compound = db.execute(
        "SELECT max_urgency, last_compound FROM conversations"
    ).fetchone()
    assert max_urgency >= 50 and compound < 0


def test_repeated_unanswered_messages_raise_urgency(db):
    now = utc_now()
    texts = ["hello? my order", "anyone there? my order", "still nothing about my order"]
    for i, text in enumerate(texts):
        m = msg(f"r{i}", 0, text=text)
        m.created_at = now - timedelta(minutes=30 - i * 10)
        ingest(db, [m], source="t")
    reasons = [
        json.loads(r[0])
        for r in db.execute(
            "SELECT s.reasons FROM scores s JOIN messages m ON m.id = s.message_id "
            "ORDER BY m.created_ts"
        )
    ]
    assert not any("unanswered" in r for r in reasons[0])
    assert "3rd unanswered message from this customer" in reasons[2]


def test_brand_messages_are_never_urgent(db):
    ingest(
        db,
        [msg("b1", 0, direction="outbound", text="Refund? Procon? chargeback! awful")],
        source="t",
    )
    assert db.execute("SELECT urgent, urgency FROM scores").fetchone() == (0, 0)


def test_import_scores_everything_and_rescore_is_versioned(tmp_path: Path, twcs_slice):
    db_file = tmp_path / "s.db"
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["import", "twcs", str(twcs_slice), "--db", str(db_file), "--no-score"]
        ).exit_code
        == 0
    )
    from replywatch.store.db import open_database

    db = open_database(db_file)
    assert db.execute("SELECT count(*) FROM scores").fetchone()[0] == 0
    result = runner.invoke(main, ["rescore", "--db", str(db_file)])
    assert result.exit_code == 0 and "scored 5,000 messages" in result.output
    # nothing is outdated now: a second run scores nothing
    assert "scored 0 messages" in runner.invoke(main, ["rescore", "--db", str(db_file)]).output
    db.execute("UPDATE scores SET version = 'old' WHERE message_id <= 10")
    db.conn.commit()
    assert "scored 10 messages" in runner.invoke(main, ["rescore", "--db", str(db_file)]).output


def test_analyze_command_text_and_csv(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["analyze", "Eu não estou feliz"])
    assert result.exit_code == 0 and "negative" in result.output and "pt" in result.output
    source = tmp_path / "in.csv"
    source.write_text(
        'id,comment\n1,adorei o produto\n2,=HYPERLINK("x") péssimo\n', encoding="utf-8"
    )
    out = tmp_path / "out.csv"
    result = runner.invoke(
        main, ["analyze", "--input", str(source), "--column", "comment", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "sentiment_label" in text and "positive" in text
    assert "'=HYPERLINK" in text  # formula neutralised for spreadsheets
