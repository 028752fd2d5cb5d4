"""Labels from the team and the store's model (issue 22): labels import/export,
one label per click (audited, erased by forget), training against the rules,
every scoring path using the model, versioned scores, restore, and a store
without labels scoring exactly as before."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.pipeline import ingest
from replywatch.scoring import scorer_version
from replywatch.sentiment import SCORER_VERSION, analyze
from replywatch.sentiment.intent import INTENTS
from replywatch.sentiment.learned import MIN_LABELS, LearnedModel
from replywatch.store import labels as store_labels
from replywatch.store.db import open_database
from replywatch.store.models import active_model_id, model_weights
from replywatch.store.privacy import forget_author
from replywatch.training import train_store_model
from tests.learning_support import labelled, write_label_csv
from tests.test_store import msg

UNSEEN = "my router battery drains from 88% to 3% in minutes"


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A store with 300 imported labels and a trained, active model."""
    folder = tmp_path_factory.mktemp("trained")
    path = folder / "store.db"
    open_database(path).close()
    labels_csv = write_label_csv(folder / "labels.csv", labelled(300))
    result = _run("labels", "import", str(labels_csv), "--db", str(path), "--actor", "tester")
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def trained_copy(trained: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    # The SQLite backup API: a file copy would miss what is still in the WAL.
    with sqlite3.connect(trained) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def test_store_intents_are_the_scorer_intents():
    assert store_labels.INTENTS == INTENTS


def test_label_import_reports_bad_rows_by_line_and_imports_nothing(db_path: Path, tmp_path):
    open_database(db_path).close()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "text,intent,urgent,language\n"
        "order never came,complaint,1,en\n"
        "where is it,kvetch,0,en\n"
        ",question,0,en\n"
        "thanks!,thanks,maybe,en\n"
        "obrigado,thanks,0,fr\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["labels", "import", str(bad), "--db", str(db_path)])
    assert result.exit_code == 1
    for line in ("line 3", "line 4", "line 5", "line 6"):
        assert line in result.output
    assert "line 2" not in result.output
    assert "nothing imported" in result.output
    db = open_database(db_path)
    assert store_labels.label_total(db) == 0


def test_label_import_is_idempotent_and_export_round_trips(db_path: Path, tmp_path):
    open_database(db_path).close()
    rows = labelled(20)
    source = write_label_csv(tmp_path / "in.csv", rows)
    assert (
        "imported 20 labels (0 replaced)"
        in _run("labels", "import", str(source), "--db", str(db_path)).output
    )
    assert (
        "imported 0 labels (20 replaced)"
        in _run("labels", "import", str(source), "--db", str(db_path)).output
    )
    out = tmp_path / "out.csv"
    assert _run("labels", "export", "--db", str(db_path), "--output", str(out)).exit_code == 0
    with open(out, encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(f))
    assert [(r["text"], r["intent"], r["urgent"]) for r in exported] == [
        (r["text"], r["intent"], str(r["urgent"])) for r in rows
    ]
    assert {r["source"] for r in exported} == {"import"}


def test_a_click_is_a_label_with_who_and_when_and_forget_erases_it(db):
    ingest(db, [msg("1", 0, text="my phone battery drains fast", author="zoe")], source="t")
    ingest(db, [msg("2", 1, direction="outbound", text="sorry to hear")], source="t")
    mid = db.execute("SELECT id FROM messages WHERE external_id = '1'").fetchone()[0]
    brand_mid = db.execute("SELECT id FROM messages WHERE external_id = '2'").fetchone()[0]
    store_labels.set_label(db, mid, intent="question", urgent=False, actor="ana")
    store_labels.set_label(db, mid, intent="complaint", urgent=True, actor="bea")
    assert store_labels.labels_of(db, [mid]) == {mid: ("complaint", 1)}
    who = db.execute("SELECT actor, source, labelled_at FROM labels").fetchall()
    assert len(who) == 1 and who[0][:2] == ("bea", "agent") and who[0][2]
    audit = db.execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'label.set' ORDER BY id"
    ).fetchall()
    assert [(a, json.loads(d)["intent"]) for a, d in audit] == [
        ("ana", "question"),
        ("bea", "complaint"),
    ]
    with pytest.raises(ValueError):
        store_labels.set_label(db, brand_mid, intent="other", urgent=False, actor="ana")
    with pytest.raises(ValueError):
        store_labels.set_label(db, mid, intent="rant", urgent=False, actor="ana")
    result = forget_author(db, "zoe", actor="dpo")
    assert result.labels == 1
    assert store_labels.label_total(db) == 0


def test_too_few_labels_keep_the_rules(db, tmp_path):
    store_labels.import_labels(db, labelled(MIN_LABELS - 1), actor="t")
    report = train_store_model(db, actor="t")
    assert report["model_id"] is None and report["reason"] == "too_few_labels"
    assert active_model_id(db) is None


def test_the_model_beats_the_rules_on_the_teams_labels_and_is_used(trained: Path):
    db = open_database(trained)
    model_id = active_model_id(db)
    assert model_id is not None
    report = json.loads(db.execute("SELECT report FROM models").fetchone()[0])
    figures = report["metrics"]["en"]
    assert figures["labels"] == 300
    assert figures["model"]["macro_f1"] > figures["rules"]["macro_f1"]
    assert report["used"]["en"]["intent"] is True
    # The weights are plain JSON (no pickle) and rebuild the same model.
    weights = model_weights(db, model_id)
    assert set(weights) >= {"word", "char", "intent", "urgent", "used"}
    rebuilt = LearnedModel.from_weights(json.loads(json.dumps(weights)))
    rules = analyze(UNSEEN)
    assert rules.intent != "complaint"  # the rules miss this implicit complaint
    learned = rebuilt.apply([rules], [UNSEEN], threshold=35)[0]
    assert learned.intent == "complaint"
    # Explained by the words that weighed most: words of this message that the
    # team's labels only ever used in complaints.
    (reason,) = [r for r in learned.intent_reasons if r.startswith("learned:")]
    terms = re.findall(r"'([^']+)'", reason)
    assert terms
    for term in terms:
        assert term in UNSEEN
        holding = [r["intent"] for r in labelled(300) if re.search(rf"\b{term}\b", r["text"])]
        assert holding and set(holding) == {"complaint"}, (term, holding)


def test_ingest_uses_the_model_and_scores_record_it(trained_copy: Path):
    db = open_database(trained_copy)
    model_id = active_model_id(db)
    assert model_id is not None
    ingest(db, [msg("u1", 0, text=UNSEEN)], source="t")
    ingest(db, [msg("u2", 1, direction="outbound", text=UNSEEN)], source="t")
    rows = dict(
        db.execute(
            "SELECT m.direction, s.intent || '|' || s.version || '|' || s.intent_reasons "
            "FROM scores s JOIN messages m ON m.id = s.message_id"
        ).fetchall()
    )
    intent, version, reasons = rows["inbound"].split("|", 2)
    assert intent == "complaint" and version == scorer_version(model_id)
    assert "learned:" in reasons
    # The brand's own message is never decided by the model.
    assert "learned:" not in rows["outbound"]
    # A learned reason quotes the customer's words: erasure removes it.
    forget_author(db, "ana", actor="dpo")
    stored = db.execute("SELECT intent_reasons, reasons, reason_codes FROM scores").fetchall()
    assert "learned" not in str(stored) and "router" not in str(stored)


def test_rescore_applies_a_new_model_and_restore_brings_back_the_previous(trained_copy: Path):
    db_arg = ["--db", str(trained_copy)]
    db = open_database(trained_copy)
    first = active_model_id(db)
    ingest(db, [msg("u1", 0, text=UNSEEN)], source="t")
    assert "model" in _run("model", "train", *db_arg).output
    second = active_model_id(db)
    assert second != first
    assert db.execute("SELECT version FROM scores").fetchone()[0] == scorer_version(first)
    assert "scored 1 messages" in _run("rescore", *db_arg).output
    assert db.execute("SELECT version FROM scores").fetchone()[0] == scorer_version(second)
    assert f"model {first} is active again" in _run("model", "restore", *db_arg).output
    assert active_model_id(db) == first
    status = _run("model", "status", *db_arg).output
    assert f"model {first} (active)" in status and "macro F1" in status


def test_analyze_with_db_uses_the_model_and_writes_the_named_columns(trained: Path, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f"id,body\n1,{UNSEEN}\n2,do you sell gift cards?\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    args = ["analyze", "--input", str(source), "--column", "body", "--output", str(out)]
    assert _run(*args, "--db", str(trained)).exit_code == 0
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for column in ("intent", "urgent", "urgency", "sentiment", "compound"):
        assert column in rows[0]
    assert rows[0]["intent"] == "complaint" and "learned:" in rows[0]["intent_reasons_local"]
    assert _run(*args).exit_code == 0  # without --db: the rules
    with open(out, encoding="utf-8", newline="") as f:
        assert next(csv.DictReader(f))["intent"] != "complaint"


def test_a_store_without_labels_scores_exactly_as_the_rules(db, db_path: Path):
    texts = ["Worst service, refund now", "Can I pay with PayPal?", "thanks!", UNSEEN]
    ingest(db, [msg(str(i), i, text=t) for i, t in enumerate(texts)], source="t")
    stored = db.execute(
        "SELECT s.intent, s.urgency, s.compound, s.version FROM scores s "
        "JOIN messages m ON m.id = s.message_id ORDER BY m.created_ts"
    ).fetchall()
    for (intent, urgency, compound, version), text in zip(stored, texts, strict=True):
        assert (intent, compound, version) == (
            analyze(text).intent,
            analyze(text).compound,
            SCORER_VERSION,
        )
        assert "learned" not in str(urgency)
    # `analyze --db` on such a store never imports scikit-learn.
    code = (
        "import sys; from click.testing import CliRunner; from replywatch.cli import main; "
        f"r = CliRunner().invoke(main, ['analyze', '--db', {str(db_path)!r}, 'late again']); "
        "assert r.exit_code == 0, r.output; print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _code(term: str) -> int:
    code = len(term)
    for byte in term.encode("ascii"):
        code = (code << 8) | byte
    return code


def test_the_tf_idf_is_scikit_learns():
    """The model's own TF-IDF (numpy only at scoring time) gives scikit-learn's
    TfidfVectorizer(sublinear_tf=True) matrix for the same n-grams."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from replywatch.sentiment.learned import CharVocabulary, Vocabulary, word_grams

    docs = [r["text"] for r in labelled(40)] + ["", "ok ok ok", "a"]

    def chars(doc: str) -> list[str]:
        padded = f" {' '.join(doc.split())} "
        return [padded[i : i + n] for n in range(2, 6) for i in range(len(padded) - n + 1)]

    for ours, grams, column in (
        (Vocabulary.fit(docs, min_df=1, max_terms=10**6), word_grams, None),
        (CharVocabulary.fit(docs, min_df=1, max_terms=10**6), chars, _code),
    ):
        theirs = TfidfVectorizer(analyzer=grams, sublinear_tf=True).fit(docs)
        expected = theirs.transform(docs).toarray()
        got = ours.transform(docs).toarray()
        names = theirs.get_feature_names_out()
        if column is None:
            order = [ours.index[t] for t in names]
        else:
            order = list(np.searchsorted(ours.codes, [column(t) for t in names]))
        assert got.shape == expected.shape
        assert np.allclose(got[:, order], expected, atol=1e-6)


def test_restore_skips_a_model_that_never_beat_the_rules(db):
    from replywatch.store.models import previous_model_id, save_model

    def save(used: dict, active: bool) -> int:
        return save_model(db, {}, {"used": used}, label_count=1, actor="t", activate=active)

    good = save({"en": {"intent": True, "urgent": False}}, False)
    save({"en": {"intent": False, "urgent": False}}, False)
    save({"pt": {"intent": True, "urgent": True}}, True)
    assert previous_model_id(db) == good


def test_training_runs_through_the_installed_command(trained_copy: Path):
    """``replywatch model train`` as a user runs it (``python -m replywatch``,
    the console script's entry): __main__ loads sqlite-utils without pandas,
    and scikit-learn must still train (a ``None`` left in sys.modules for
    pandas crashed its fit, and with it the demo's first start)."""
    result = subprocess.run(
        [sys.executable, "-m", "replywatch", "model", "train", "--db", str(trained_copy)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
