"""Training the store's model from the team's labels (``replywatch model train``,
the Admin page's Train button, and the automatic retraining).

Reads the labels (``store.labels``), scores each labelled text with the rules
(no store context: the rules' outputs are features and the baseline), trains and
cross-validates ``sentiment.learned`` against the rules, and stores the model
(``store.models``), active only where it beats the rules. Stored scores made
before keep their version until ``replywatch rescore`` applies the new model.

Retraining on its own: after :data:`RETRAIN_AFTER` new labels,
:func:`retrain_in_background` trains in a background thread with its own
database connection (the dashboard after a label click, ``labels import``);
training reads outside any write transaction and stores the model in one short
transaction, so ingest is never held up.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from replywatch.sentiment.core import analyze_many
from replywatch.sentiment.learned import MIN_LABELS, Example, is_used, train
from replywatch.store.db import Database
from replywatch.store.labels import label_total, labelled_examples
from replywatch.store.models import (
    activate_model,
    active_model_id,
    labels_since_model,
    models,
    previous_model_id,
    save_model,
)

#: New labels (made or changed since the newest model) that make a retrain due.
RETRAIN_AFTER = 50
_LOCK = threading.Lock()


def examples_with_rules(db: Database) -> tuple[list[Example], list]:
    """Every label as an :class:`Example`, with the rules' analysis of its text."""
    rows = labelled_examples(db)
    analyses = analyze_many([r[0] for r in rows], languages=[r[1] for r in rows])
    examples = [
        Example(text, a.language if a.language in ("en", "pt") else "und", intent, urgent)
        for (text, _lang, intent, urgent), a in zip(rows, analyses, strict=True)
    ]
    return examples, analyses


def train_store_model(db: Database, *, actor: str) -> dict[str, Any]:
    """Train on the store's labels and store the model (active if it beats
    the rules somewhere). Returns the report, with ``model_id`` (None when
    there were too few labels: nothing is stored, the rules stay)."""
    examples, analyses = examples_with_rules(db)
    model, report = train(examples, analyses)
    if model is None:
        report["model_id"] = None
        return report
    report["model_id"] = save_model(
        db,
        model.to_weights(),
        report,
        label_count=len(examples),
        actor=actor,
        activate=is_used(report),
    )
    return report


def retrain_due(db: Database) -> bool:
    """Enough labels, and :data:`RETRAIN_AFTER` new ones since the newest model."""
    return label_total(db) >= MIN_LABELS and labels_since_model(db) >= RETRAIN_AFTER


def retrain_in_background(db_path: str | Path, *, actor: str) -> bool:
    """Start a retrain in a daemon thread if one is due and none is running
    in this process. Returns whether one was started."""
    from replywatch.store.db import open_database

    if _LOCK.locked():
        return False
    db = open_database(db_path)
    try:
        if not retrain_due(db):
            return False
    finally:
        db.close()

    def run() -> None:
        with _LOCK:
            own = open_database(db_path)
            try:
                if retrain_due(own):
                    train_store_model(own, actor=actor)
            finally:
                own.close()

    threading.Thread(target=run, name="replywatch-retrain", daemon=True).start()
    return True


def training_running() -> bool:
    """Whether a background retrain of this process is running."""
    return _LOCK.locked()


def restore_previous(db: Database, *, actor: str) -> int | None:
    """Make the previous usable model active again (None if there is none:
    then no model is active and the rules decide). Returns its id."""
    previous = previous_model_id(db)
    activate_model(db, previous, actor=actor)
    return previous


def status(db: Database) -> dict[str, Any]:
    """The labels, the active model and every stored model, for the CLI and the Admin page."""
    return {
        "labels": label_total(db),
        "new_labels": labels_since_model(db),
        "min_labels": MIN_LABELS,
        "retrain_after": RETRAIN_AFTER,
        "active": active_model_id(db),
        "models": models(db),
    }
