"""A thank-you after a brand reply closes the customer's turn (issue 22, item 5), on a
real SQLite store filled through the ingest pipeline: the conversation leaves the
waiting queue for "probably resolved" unless the thank-you keeps the case open
(1.3.1's rule `intent.still_open`) or the brand has not replied yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from replywatch.collectors.base import Message
from replywatch.pipeline import ingest
from replywatch.store import triage
from replywatch.store.db import open_database
from replywatch.store.scores import closing_messages

NOW = datetime.now(UTC)


def _m(ext, minutes_ago, text, *, author, outbound=False, parent=None):
    return Message(
        platform="x",
        external_id=ext,
        created_at=NOW - timedelta(minutes=minutes_ago),
        text=text,
        direction="outbound" if outbound else "inbound",
        kind="mention",
        channel="public",
        source="test",
        author_handle="acme" if outbound else author,
        brand="acme" if outbound else None,
        in_reply_to_id=parent,
    )


# name: (customer's first message, brand reply or None, customer's last word)
CASES = {
    "ok_obrigada": ("Meu pedido 5512 não chegou", "Oi! Reenviamos hoje.", "Ok, obrigada!"),
    "chegou_hoje": ("Cadê meu pedido 7781?", "Já saiu, chega amanhã.", "Chegou hoje, obrigado!"),
    "that_worked": ("My app keeps crashing", "Please reinstall it.", "That worked, thanks"),
    "sent_dm": ("Meu pedido não chegou", "Nos chame na DM.", "Obrigado, mandei a DM"),
    "no_reply_yet": ("Meu pedido 9001 não chegou", None, "Ok, obrigada!"),
}
CLOSING = {"ok_obrigada", "chegou_hoje", "that_worked"}


@pytest.fixture
def store(tmp_path):
    db = open_database(tmp_path / "thanks.db")
    messages = []
    for name, (first, reply, last) in CASES.items():
        messages.append(_m(f"{name}-1", 300, first, author=name))
        parent = f"{name}-1"
        if reply is not None:
            messages.append(_m(f"{name}-2", 200, reply, author=name, outbound=True, parent=parent))
            parent = f"{name}-2"
        messages.append(_m(f"{name}-3", 100, last, author=name, parent=parent))
    ingest(db, messages, source="test")
    conv = {
        name: db.execute(
            "SELECT conversation_id FROM messages WHERE external_id = ?", [f"{name}-1"]
        ).fetchone()[0]
        for name in CASES
    }
    yield db, conv
    db.close()


def _ids(db, view):
    return {row["id"] for row in triage.queue(db, triage.QueueFilter(view=view))}


def test_thanks_after_a_reply_leaves_waiting_for_probably_resolved(store):
    db, conv = store
    # each conversation stays one thread (the last word is a reply, not a new case)
    assert len(set(conv.values())) == len(CASES)
    waiting, resolved = _ids(db, "waiting"), _ids(db, "probably_resolved")
    assert resolved == {conv[n] for n in CLOSING}
    assert waiting == {conv[n] for n in CASES if n not in CLOSING}
    assert set(closing_messages(db)) == {conv[n] for n in CLOSING}


def test_the_last_words_are_stored_as_closing_thanks(store):
    db, _conv = store
    rows = dict(
        db.execute(
            """SELECT m.external_id, s.intent || ':' || s.closes FROM messages m
               JOIN scores s ON s.message_id = m.id WHERE m.external_id LIKE '%-3'"""
        ).fetchall()
    )
    assert rows == {
        "ok_obrigada-3": "thanks:1",
        "chegou_hoje-3": "thanks:1",
        "that_worked-3": "thanks:1",
        "sent_dm-3": "thanks:0",  # keeps the case open: the brand has the next move
        "no_reply_yet-3": "thanks:1",  # closes, but no brand reply came before it
    }


def _dm(ext, minutes_ago, text, *, outbound=False):
    return Message(
        platform="facebook",
        external_id=ext,
        created_at=NOW - timedelta(minutes=minutes_ago),
        text=text,
        direction="outbound" if outbound else "inbound",
        kind="dm",
        channel="private",
        source="test",
        author_handle="Acme" if outbound else "bia",
        brand="acme",
        thread_ref="facebook-dm-acme-bia",
    )


def test_thanks_in_a_dm_thread_whose_conversation_opens_with_the_brand_reply(tmp_path):
    # A DM thread is split into conversations by silence (docs/metrics.md): when the
    # brand's answer comes after the split, the new conversation opens with it and the
    # customer's "Chegou hoje, obrigado!" follows. The demo showed such conversations
    # waiting at priority 30 (issue 22): "the brand had replied before it" held, but
    # the store only looked at the brand's first reply *after* a customer message.
    db = open_database(tmp_path / "dm.db")
    ingest(
        db,
        [
            _dm("d1", 5 * 24 * 60, "Meu pedido 8812 ainda não chegou"),
            _dm("d2", 60, "Oi! Já encaminhamos para a equipe de entregas.", outbound=True),
            _dm("d3", 30, "Chegou hoje, obrigado!"),
        ],
        source="test",
    )
    conv = dict(db.execute("SELECT external_id, conversation_id FROM messages"))
    assert conv["d1"] != conv["d2"] == conv["d3"]  # split by the silence
    assert conv["d2"] not in _ids(db, "waiting")
    assert _ids(db, "probably_resolved") == {conv["d2"]}
    assert closing_messages(db) == {
        conv["d2"]: db.execute("SELECT id FROM messages WHERE external_id = 'd3'").fetchone()[0]
    }
    db.close()
