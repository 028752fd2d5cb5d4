"""The per-store models learned from the team's labels (``models`` table).

A model is stored as its weights in compressed JSON (vocabularies, IDF
values, coefficients: ``sentiment.learned``), never as a pickle: reading a
model back runs no code, so a database from elsewhere cannot make this one
execute anything. Every trained model is kept (versioned by its id); at most
one is active, and the previous one can be made active again.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from sqlite_utils import Database

from replywatch.store.audit import clean_actor, write_audit
from replywatch.store.db import transaction
from replywatch.store.timeutil import iso_utc, utc_now


def save_model(
    db: Database,
    weights: dict[str, Any],
    report: dict[str, Any],
    *,
    label_count: int,
    actor: str,
    activate: bool,
) -> int:
    """Store a trained model (and make it the active one if ``activate``)
    with an audit entry. Returns its id."""
    actor = clean_actor(actor)
    blob = zlib.compress(json.dumps(weights, separators=(",", ":")).encode(), 6)
    now = iso_utc(utc_now())
    with transaction(db):
        if activate:
            db.conn.execute("UPDATE models SET active = 0 WHERE active = 1")
        model_id = db.conn.execute(
            "INSERT INTO models (trained_at, trained_by, label_count, report, weights, active) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (now, actor, label_count, json.dumps(report), blob, int(activate)),
        ).lastrowid
        write_audit(db, actor, "model.train", {"model_id": model_id, "active": activate}, at=now)
    return int(model_id)


def active_model_id(db: Database) -> int | None:
    """The id of the active model, or None (the rules decide alone)."""
    try:
        row = db.execute("SELECT id FROM models WHERE active = 1").fetchone()
    except Exception as exc:  # a database older than the models table
        if "no such table" in str(exc):
            return None
        raise
    return row[0] if row else None


def model_trained_at(db: Database, model_id: int) -> str | None:
    """When model ``model_id`` was trained (ISO text), or None if no such model."""
    row = db.execute("SELECT trained_at FROM models WHERE id = ?", (model_id,)).fetchone()
    return row[0] if row else None


def model_weights(db: Database, model_id: int) -> dict[str, Any]:
    """The stored weights of model ``model_id`` (KeyError if there is none)."""
    row = db.execute("SELECT weights FROM models WHERE id = ?", (model_id,)).fetchone()
    if row is None:
        raise KeyError(f"no model {model_id}")
    return json.loads(zlib.decompress(row[0]))


def models(db: Database) -> list[dict[str, Any]]:
    """Every stored model, newest first: id, trained_at, trained_by,
    label_count, active, report (decoded)."""
    rows = db.execute(
        "SELECT id, trained_at, trained_by, label_count, active, report FROM models "
        "ORDER BY id DESC"
    ).fetchall()
    keys = ("id", "trained_at", "trained_by", "label_count", "active", "report")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["report"] = json.loads(item["report"])
        item["active"] = bool(item["active"])
        out.append(item)
    return out


def activate_model(db: Database, model_id: int | None, *, actor: str) -> None:
    """Make ``model_id`` the active model (None: no model, the rules decide),
    with an audit entry. Refuses (ValueError) an unknown id."""
    actor = clean_actor(actor)
    with transaction(db):
        if (
            model_id is not None
            and not db.execute("SELECT 1 FROM models WHERE id = ?", (model_id,)).fetchone()
        ):
            raise ValueError(f"no model {model_id}")
        db.conn.execute("UPDATE models SET active = 0 WHERE active = 1")
        if model_id is not None:
            db.conn.execute("UPDATE models SET active = 1 WHERE id = ?", (model_id,))
        write_audit(db, actor, "model.activate", {"model_id": model_id})


def previous_model_id(db: Database) -> int | None:
    """The newest model older than the active one that was itself usable
    (it beat the rules somewhere), or None."""
    current = active_model_id(db)
    for item in models(db):
        if current is not None and item["id"] >= current:
            continue
        used = item["report"].get("used") or {}
        if any(any(flags.values()) for flags in used.values()):
            return item["id"]
    return None


def labels_since_model(db: Database) -> int:
    """How many labels were made or changed after the newest model was
    trained (all of them when there is no model)."""
    row = db.execute("SELECT max(trained_at) FROM models").fetchone()
    if row[0] is None:
        return db.execute("SELECT count(*) FROM labels").fetchone()[0]
    return db.execute("SELECT count(*) FROM labels WHERE labelled_at > ?", (row[0],)).fetchone()[0]
