"""A scored file import (the default path) must give every message exactly the
score that scoring the same store afterwards gives it, batch by batch through
``score_unscored``: same language, sentiment, urgency and reasons, with the
store context (repeated unanswered messages, spam, brand rules) included."""

from __future__ import annotations

import json
import random

from replywatch.background import read_in_background
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches, ingest, score_unscored, with_text_scores
from replywatch.sentiment.core import analyze_many, analyze_texts, finish_text_scores
from replywatch.sentiment.urgency import UrgencyContext, UrgencyRules
from replywatch.store import bulk
from replywatch.store.brands import upsert_brands
from replywatch.store.db import open_database, transaction
from replywatch.store.scores import REPEAT_WINDOW_SECONDS, scoring_inputs

#: A brand with its own urgency rules, so the per-brand path is compared too.
STRICT_BRAND = {
    "key": "AmazonHelp",
    "name": "Amazon Help",
    "timezone": "UTC",
    "settings": {"urgency": {"threshold": 20, "negative_weight": 30, "extra_phrases_en": ["late"]}},
}


def scores_by_message(db) -> dict[str, tuple]:
    """Every score keyed by its message's external id (row ids aside)."""
    return {
        row[0]: row[1:]
        for row in db.execute(
            """SELECT m.external_id, s.language, s.compound, s.label, s.urgency, s.urgent,
                      s.reasons, s.scorer, s.version, s.reason_codes, s.intent,
                      s.intent_reasons, s.closes
               FROM messages m JOIN scores s ON s.message_id = m.id"""
        )
    }


def aggregates(db) -> dict[str, tuple]:
    """Conversation score aggregates keyed by the root's external id."""
    return dict(
        (row[0], row[1:])
        for row in db.execute(
            """SELECT r.external_id, c.max_urgency, c.last_compound, c.current_urgency,
                      c.current_urgent, cm.external_id, c.resolved_by,
                      c.first_contact_resolved, rc.external_id
               FROM conversations c JOIN messages r ON r.id = c.root_message_id
               LEFT JOIN messages cm ON cm.id = c.closing_message_id
               LEFT JOIN conversations rcc ON rcc.id = c.repeat_contact_id
               LEFT JOIN messages rc ON rc.id = rcc.root_message_id"""
        )
    )


def _prepare(path, early) -> object:
    db = open_database(path)
    with transaction(db):
        upsert_brands(db, [STRICT_BRAND])
    for start in range(0, len(early), 400):
        ingest(db, early[start : start + 400], source="x:mentions")
    return db


def _compare(tmp_path, twcs_slice, early, *, in_reader: bool = False) -> dict[str, tuple]:
    scored = _prepare(tmp_path / "scored.db", early)
    rows = read_twcs(twcs_slice, batch_size=700, as_rows=True)
    # What `replywatch import` does: every other batch's text part comes from
    # the reader process (computed there, beside the parsing).
    batches = read_in_background(lambda: with_text_scores(rows)) if in_reader else rows
    import_batches(scored, batches, source=TWCS_SOURCE)

    later = _prepare(tmp_path / "later.db", early)
    import_batches(
        later, read_twcs(twcs_slice, batch_size=700, as_rows=True), source=TWCS_SOURCE, score=False
    )
    assert later.execute("SELECT count(*) FROM scores").fetchone()[0] == len(early)
    score_unscored(later)

    got, expected = scores_by_message(scored), scores_by_message(later)
    assert len(expected) == 5000
    assert got.keys() == expected.keys()
    for external_id, values in expected.items():
        assert got[external_id] == values, external_id
    assert aggregates(scored) == aggregates(later)
    return got


def _reasons(scores: dict[str, tuple]) -> list[str]:
    return [reason for values in scores.values() for reason in json.loads(values[5])]


def test_scored_import_equals_scoring_afterwards(tmp_path, twcs_slice):
    scores = _compare(tmp_path, twcs_slice, early=[])
    reasons = _reasons(scores)
    # The comparison covers the store context, not just the text.
    assert any("unanswered message from this customer" in r for r in reasons)
    assert any("posted by the brand itself" in r for r in reasons)
    assert any(r == 'mentions "late"' for r in reasons)  # the strict brand's own phrase


def test_scored_import_into_a_store_that_has_part_of_the_file(tmp_path, twcs_slice):
    messages = [m for batch in read_twcs(twcs_slice) for m in batch.messages]
    early = random.Random(11).sample(messages, 1500)
    scores = _compare(tmp_path, twcs_slice, early=early)
    assert any("unanswered message from this customer" in r for r in _reasons(scores))


def test_scores_from_the_reader_and_small_chunks_equal_scoring_afterwards(
    tmp_path, twcs_slice, monkeypatch
):
    """Text parts computed in the reader process for half the batches, and
    the load stored and scored in many small chunks (so conversations of the
    same customer land in different chunks): still exactly the scores and
    aggregates of scoring the store afterwards."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 250)
    messages = [m for batch in read_twcs(twcs_slice) for m in batch.messages]
    early = random.Random(12).sample(messages, 800)
    scores = _compare(tmp_path, twcs_slice, early=early, in_reader=True)
    assert any("unanswered message from this customer" in r for r in _reasons(scores))


def test_earlier_unanswered_counts_only_what_the_rule_says(tmp_path, twcs_slice):
    """The count the urgency rule uses, recomputed here from its definition
    for every message: earlier inbound messages of the same customer within
    the window, in conversations still awaiting a reply since before them;
    zero for the brand's own messages."""
    db = open_database(tmp_path / "count.db")
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE, score=False)
    rows = db.execute(
        """SELECT m.id, m.platform, m.author_handle, m.direction, m.created_ts,
                  c.awaiting_since
           FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id"""
    ).fetchall()
    by_author: dict[tuple, list] = {}
    for row in rows:
        if row[3] == "inbound":
            by_author.setdefault((row[1], row[2]), []).append(row)
    expected = {}
    for id_, platform, handle, direction, ts, _awaiting in rows:
        expected[id_] = (
            0
            if direction != "inbound"
            else sum(
                1
                for e in by_author[platform, handle]
                if e[0] != id_
                and ts - REPEAT_WINDOW_SECONDS <= e[4] <= ts
                and e[5] is not None
                and e[4] >= e[5]
            )
        )
    got = {item["id"]: item["earlier_unanswered"] for item in scoring_inputs(db, list(expected))}
    assert got == expected
    assert any(expected.values())


def test_text_scores_plus_context_equal_analyze_many(shared_data):
    """The split analysis (text part first, context and rules later) gives the
    Analysis `analyze_many` gives, on real English and Portuguese texts, with
    varied contexts, under the default rules and a brand's own rules."""
    from tests.test_sentiment_fast_paths import real_sample

    texts = [*real_sample(shared_data / "sentiment", 400), "", None]
    languages = [None, "en", "pt", "pt-BR", "fr"] * (len(texts) // 5) + [None] * (len(texts) % 5)
    contexts = [
        UrgencyContext(
            channel="public" if i % 3 else "private",
            author_followers=(0, 20_000, 200_000)[i % 3],
            unanswered_from_author=i % 4,
            waiting_seconds=(None, 10.0, 7200.0)[i % 3],
            sla_seconds=3600.0,
            is_spam=i % 17 == 0,
            is_brand_author=i % 13 == 0,
        )
        for i in range(len(texts))
    ]
    text_scores = analyze_texts(texts, languages=languages)
    for rules in (None, UrgencyRules.from_mapping(STRICT_BRAND["settings"]["urgency"])):
        expected = analyze_many(texts, languages=languages, contexts=contexts, rules=rules)
        got = finish_text_scores(text_scores, texts, contexts=contexts, rules=rules)
        assert got == expected
    assert any(a.urgent for a in expected) and any(a.reasons for a in expected)
    assert {a.intent for a in expected} >= {"complaint", "question"}
