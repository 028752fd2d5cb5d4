"""Privacy commands (LGPD/GDPR): forget, export-subject, prune."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.base import Message
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.metrics.engine import recompute_conversations
from replywatch.pipeline import finish_threading, import_batches, ingest
from replywatch.store.db import transaction
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.privacy import ERASED, export_subject, forget_author, prune_raw, subject_hash
from tests.crash_harness import store_signature

SUBJECT = "115712"  # a real customer of the slice (the sprintcare thread)
THEIR_TEXT = "and how do you propose we do that"  # one of their tweets


@pytest.fixture
def imported(db, twcs_slice):
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    conversation = db.execute(
        "SELECT id FROM conversations WHERE customer_handle = ?", (SUBJECT,)
    ).fetchone()[0]
    with transaction(db):
        db.conn.execute(
            "INSERT INTO notes (conversation_id, at, author, text) VALUES "
            "(?, '2024-01-01T00:00:00Z', 'agent1', 'called 115712, lives in Recife')",
            (conversation,),
        )
        add_dead_letter(db, TWCS_SOURCE, "99,x,115712,True,garbled row", "bad row")
        add_dead_letter(db, TWCS_SOURCE, "98,x,1157120,True,someone else", "bad row")
        first = db.execute(
            "SELECT id FROM messages WHERE author_handle = ? LIMIT 1", (SUBJECT,)
        ).fetchone()[0]
        db.conn.execute(
            "UPDATE scores SET label = 'negative', reasons = ? WHERE message_id = ?",
            (json.dumps(["quoted: how do you propose"]), first),
        )
        db.conn.execute(
            "INSERT INTO alerts (conversation_id, message_id, urgency, reasons, "
            "created_at, created_ts) VALUES (?, ?, 80, ?, '2024-01-01T00:00:00Z', 0)",
            (conversation, first, json.dumps(["quoted: how do you propose"])),
        )
    # an API-style message with a large raw payload (stored in overflow pages)
    dm = Message(
        platform="x",
        external_id="dm-1",
        created_at=datetime(2017, 11, 1, tzinfo=UTC),
        text="my address is Rua das Flores 12 qzvxkeyword",
        direction="inbound",
        kind="dm",
        channel="private",
        source="test",
        author_handle=SUBJECT,
        thread_ref="dm-115712",
        raw={"user": SUBJECT, "bio": "PAYLOAD-MARK " * 2000},
    )
    ingest(db, [dm], source="test")
    # and one left unthreaded (and so not yet in the search index) by an
    # interrupted import
    late = Message(
        platform="x",
        external_id="late-1",
        text="unthreaded qzvxlateword",
        created_at=datetime(2017, 11, 2, tzinfo=UTC),
        direction="inbound",
        kind="mention",
        channel="public",
        source="test",
        author_handle=SUBJECT,
    )
    ingest(db, [late], source="test", defer_threading=True)
    return db


def test_forget_erases_the_subject_and_keeps_every_aggregate(imported, db_path, twcs_slice):
    db = imported
    own = db.execute(
        "SELECT count(*) FROM messages WHERE author_handle = ?", (SUBJECT,)
    ).fetchone()[0]
    assert own > 0
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # their text now sits in the main file
    assert THEIR_TEXT.encode() in db_path.read_bytes()
    before = store_signature(db_path)

    result = forget_author(db, SUBJECT, platform="x", actor="dpo")

    assert result.messages == own and result.conversations >= 1
    assert result.notes == 1 and result.dead_letters == 1 and result.checkpoint_complete
    # counts, statuses, response times and threading are untouched...
    assert store_signature(db_path) == before
    # ... and stay so when the engine recomputes everything from the tombstones
    with transaction(db):
        recompute_conversations(db, [r[0] for r in db.execute("SELECT id FROM conversations")])
    assert store_signature(db_path) == before

    q = lambda sql, *p: db.execute(sql, p).fetchall()  # noqa: E731
    assert q(
        "SELECT count(*) FROM messages WHERE author_handle = ? OR author_id = ?", SUBJECT, SUBJECT
    ) == [(0,)]
    assert q("SELECT count(*) FROM messages WHERE erased_at IS NOT NULL") == [(own,)]
    assert q(
        "SELECT DISTINCT text, raw, url, author_name FROM messages WHERE erased_at IS NOT NULL"
    ) == [(ERASED, None, None, None)]
    assert q(
        "SELECT count(*) FROM messages WHERE text LIKE '%@115712%' "
        "OR ' ' || mentions || ' ' LIKE '% 115712 %'"
    ) == [(0,)]
    assert q("SELECT count(*) FROM conversations WHERE customer_handle = ?", SUBJECT) == [(0,)]
    assert q("SELECT text FROM notes") == [(ERASED,)]
    assert q(
        "SELECT DISTINCT s.reasons FROM scores s JOIN messages m ON m.id = s.message_id "
        "WHERE m.erased_at IS NOT NULL"
    ) == [("[]",)]
    assert q("SELECT count(*) FROM scores") == [(5001,)]  # scores stay: trends unchanged
    assert q("SELECT reasons, status, detail FROM alerts") == [
        ("[]", "skipped", "erased on request")
    ]
    assert b"quoted: how do you propose" not in b"".join(
        p.read_bytes() for p in db_path.parent.glob(f"{db_path.name}*")
    )
    assert sorted(q("SELECT payload FROM dead_letters")) == [
        ("98,x,1157120,True,someone else",),
        (ERASED,),
    ]
    # the brand's mention in their tweets is kept (it attributes the conversation)
    kept = set(q("SELECT DISTINCT mentions FROM messages WHERE erased_at IS NOT NULL"))
    assert ("sprintcare",) in kept and kept <= {("sprintcare",), ("",)}
    # the audit log says what happened without saying about whom
    actor, detail = q("SELECT actor, detail FROM audit_log WHERE action = 'privacy.forget'")[0]
    assert actor == "dpo" and SUBJECT not in detail and THEIR_TEXT not in detail
    assert json.loads(detail)["subject_sha256"] == subject_hash(SUBJECT, "x")
    # secure_delete + checkpoint: the erased text is gone from the files' bytes
    files = b"".join(p.read_bytes() for p in db_path.parent.glob(f"{db_path.name}*"))
    assert THEIR_TEXT.encode() not in files
    assert b"lives in Recife" not in files
    assert b"PAYLOAD-MARK" not in files and b"Rua das Flores" not in files

    # the triage search forgets them too, in results and in the index's bytes
    def fts(term):
        return q("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", term)[0][0]

    assert fts("qzvxkeyword") == 0 and fts("flores") == 0 and fts("115712") == 0
    assert fts("erased") > 0
    assert b"vxkeyword" not in files
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    finish_threading(db)  # the interrupted import finishes: indexed as erased
    db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    assert fts("qzvxlateword") == 0

    # re-importing the same file cannot bring the data back
    again = import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    assert again.inserted == 0
    assert q("SELECT count(*) FROM messages WHERE author_handle = ?", SUBJECT) == [(0,)]


def test_forget_refuses_brands_and_empty_handles(imported):
    with pytest.raises(ValueError, match="brand account"):
        forget_author(imported, "@SprintCare", actor="dpo")
    with pytest.raises(ValueError, match="handle is required"):
        forget_author(imported, " @ ", actor="dpo")


def test_export_subject_gives_their_data_and_is_audited(imported, db_path, tmp_path):
    data = export_subject(imported, "@115712", actor="dpo")
    own = imported.execute(
        "SELECT count(*) FROM messages WHERE author_handle = ?", (SUBJECT,)
    ).fetchone()[0]
    assert len(data["messages"]) == own
    assert any(m["text"] == "@sprintcare " + THEIR_TEXT for m in data["messages"])
    assert all(m["author_handle"] == SUBJECT for m in data["messages"])
    assert any(m["sentiment_label"] == "negative" for m in data["messages"])
    assert data["conversations"] and data["replies_from_brands"]
    assert data["notes"][0]["text"] == "called 115712, lives in Recife"
    assert [d["payload"] for d in data["dead_letters"]] == ["99,x,115712,True,garbled row"]
    detail = imported.execute(
        "SELECT detail FROM audit_log WHERE action = 'privacy.export'"
    ).fetchone()[0]
    assert SUBJECT not in detail

    out = tmp_path / "subject.json"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "export-subject",
            "--author",
            SUBJECT,
            "--db",
            str(db_path),
            "--out",
            str(out),
            "--actor",
            "dpo",
        ],
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(json.loads(out.read_text(encoding="utf-8"))["messages"]) == own
    result = runner.invoke(
        main, ["export-subject", "--author", SUBJECT, "--db", str(db_path), "--out", str(out)]
    )
    assert result.exit_code != 0 and "exists" in result.output

    result = runner.invoke(main, ["forget", "--author", SUBJECT, "--db", str(db_path), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"erased {own} messages" in result.output
    after = export_subject(imported, SUBJECT, actor="dpo")
    assert after["messages"] == [] and after["conversations"] == []


def test_prune_clears_old_raw_payloads_and_dead_letters(db, db_path):
    now = datetime(2024, 6, 1, tzinfo=UTC)

    def message(ext: str, age_days: int) -> Message:
        return Message(
            platform="x",
            external_id=ext,
            created_at=now - timedelta(days=age_days),
            text="hi",
            direction="inbound",
            kind="mention",
            channel="public",
            source="test",
            author_handle="c",
            raw={"id": ext, "user": "c"},
        )

    ingest(db, [message("old", 40), message("edge", 29), message("new", 1)], source="test")
    with transaction(db):
        add_dead_letter(db, "test", "old junk", "bad")
        add_dead_letter(db, "test", "new junk", "bad")
        db.conn.execute(
            "UPDATE dead_letters SET received_at = ? WHERE payload = 'old junk'",
            ((now - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ"),),
        )
        db.conn.execute(
            "UPDATE dead_letters SET received_at = ? WHERE payload = 'new junk'",
            ((now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),),
        )

    result = prune_raw(db, 30, actor="cron", now_ts=int(now.timestamp()))

    assert (result.raw_cleared, result.dead_letters_deleted) == (1, 1)
    raws = dict(db.execute("SELECT external_id, raw IS NOT NULL FROM messages").fetchall())
    assert raws == {"old": 0, "edge": 1, "new": 1}
    assert db.execute("SELECT payload FROM dead_letters").fetchall() == [("new junk",)]
    assert db.execute("SELECT count(*) FROM messages").fetchone()[0] == 3  # messages stay
    assert db.execute("SELECT actor FROM audit_log WHERE action = 'privacy.prune'").fetchone() == (
        "cron",
    )
    result = CliRunner().invoke(main, ["prune", "--raw-older-than", "0", "--db", str(db_path)])
    assert result.exit_code == 0 and "cleared 2 raw payloads" in result.output
    with pytest.raises(ValueError):
        prune_raw(db, -1, actor="cron")


def test_database_backups_and_exports_are_owner_only(imported, db_path, tmp_path):
    runner = CliRunner()
    written = []
    for fmt in ("csv", "xlsx", "parquet", "json"):
        out = tmp_path / f"conversations.{fmt}"
        result = runner.invoke(
            main,
            ["export", "conversations", "--format", fmt, "--out", str(out), "--db", str(db_path)],
        )
        assert result.exit_code == 0, result.output
        written.append(out)
    result = runner.invoke(main, ["backup", str(tmp_path / "b.db"), "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    written.append(tmp_path / "b.db")
    written += [p for p in db_path.parent.glob(f"{db_path.name}*")]  # db, -wal, -shm
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in written} == {
        p.name: 0o600 for p in written
    }


def test_rescore_leaves_erased_tombstones_alone(imported, db_path):
    """``rescore --all`` (and a scorer-version catch-up) must not score the
    "[erased]" text: erased messages keep the scores erasure left them, so
    sentiment trends do not shift, and an erased message that was never
    scored stays unscored rather than getting an invented neutral score."""
    db = imported
    forget_author(db, SUBJECT, platform="x", actor="dpo")
    q = lambda sql, *p: db.execute(sql, p).fetchall()  # noqa: E731
    erased_scores = """SELECT m.external_id, s.label, s.compound, s.urgency, s.reasons
                       FROM messages m JOIN scores s ON s.message_id = m.id
                       WHERE m.erased_at IS NOT NULL ORDER BY m.external_id"""
    before = q(erased_scores)
    labels = "SELECT label, count(*) FROM scores GROUP BY label ORDER BY label"
    labels_before = q(labels)
    assert before and any(label != "neutral" for _, label, *_ in before)
    # late-1 was erased before it was ever scored
    assert q(
        "SELECT count(*) FROM messages m WHERE m.erased_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM scores s WHERE s.message_id = m.id)"
    ) == [(1,)]

    result = CliRunner().invoke(main, ["rescore", "--all", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    scored = int(result.output.split()[1].replace(",", ""))
    assert scored == q("SELECT count(*) FROM messages WHERE erased_at IS NULL")[0][0]
    assert q(erased_scores) == before
    assert q(labels) == labels_before
    assert q(
        "SELECT count(*) FROM messages m WHERE NOT EXISTS "
        "(SELECT 1 FROM scores s WHERE s.message_id = m.id)"
    ) == [(1,)]

    # an outdated scorer version does not pull tombstones back in either
    with transaction(db):
        db.conn.execute(
            "UPDATE scores SET version = 'old' WHERE message_id IN "
            "(SELECT id FROM messages WHERE erased_at IS NOT NULL)"
        )
    result = CliRunner().invoke(main, ["rescore", "--db", str(db_path)])
    assert result.exit_code == 0 and "scored 0 messages" in result.output, result.output
    assert [row[:4] for row in q(erased_scores)] == [row[:4] for row in before]


def test_dashboard_actions_keep_note_text_out_of_the_audit_and_forget_scrubs_tags(imported):
    """Triage actions audit-log what changed: a note's entry holds only the
    note id (never its text); tags and assignee names are recorded as typed,
    so ``forget`` erases the subject's handle from tags and audit details."""
    from replywatch.store.triage import add_note, add_tag, assign, remove_tag

    db = imported
    theirs = db.execute(
        "SELECT id FROM conversations WHERE customer_handle = ?", (SUBJECT,)
    ).fetchone()[0]
    other = db.execute(
        "SELECT id FROM conversations WHERE customer_handle != ? LIMIT 1", (SUBJECT,)
    ).fetchone()[0]
    note = "customer 115712 gave phone 5551234 qzvxnoteword"
    add_note(db, [theirs], note, actor="agent1")
    add_tag(db, [theirs], "vip 115712", actor="agent1")
    add_tag(db, [other], "same issue as 115712", actor="agent1")
    add_tag(db, [other], "billing", actor="agent1")
    remove_tag(db, [theirs], "vip 115712", actor="agent1")
    add_tag(db, [theirs], "vip 115712", actor="agent1")
    assign(db, [theirs], "Bea", actor="agent1")
    q = lambda sql, *p: db.execute(sql, p).fetchall()  # noqa: E731
    details = [d for (d,) in q("SELECT detail FROM audit_log")]
    assert not any("qzvxnoteword" in d or "5551234" in d for d in details)
    assert sum(SUBJECT in d for d in details) == 4  # tag, tag, untag, tag

    result = forget_author(db, SUBJECT, platform="x", actor="dpo")

    assert (result.tags_scrubbed, result.audit_entries_scrubbed) == (2, 4)
    assert not any(SUBJECT in d for (d,) in q("SELECT detail FROM audit_log"))
    assert q("SELECT tags FROM conversations WHERE id = ?", theirs) == [
        (json.dumps(["vip [erased]"]),)
    ]
    assert json.loads(q("SELECT tags FROM conversations WHERE id = ?", other)[0][0]) == [
        "same issue as [erased]",
        "billing",
    ]
    actions = q(
        "SELECT action, detail FROM audit_log WHERE conversation_id = ? "
        "AND action IN ('note', 'assign') ORDER BY id",
        theirs,
    )
    assert [a for a, _ in actions] == ["note", "assign"]
    assert set(json.loads(actions[0][1])) == {"note_id"}
    assert json.loads(actions[1][1]) == {"from": None, "to": "Bea"}
    assert q("SELECT text FROM notes WHERE conversation_id = ?", theirs) == [(ERASED,), (ERASED,)]
