"""The team's labels and the store's model: ``labels import|export`` and
``model train|status|restore`` (docs/sentiment.md, "Learning from the team")."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
from rich.markup import escape

from replywatch.commands.options import actor_option, console, db_option, open_existing
from replywatch.untrusted import neutralise_formula


@click.group(name="labels")
def labels_group() -> None:
    """The team's labels (intent, urgent) the store's model learns from."""


@labels_group.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@actor_option
def labels_import(file: Path, db_path: Path | None, actor: str) -> None:
    """Add labelled history from FILE.csv (columns text, intent: complaint,
    question, thanks or other; optional urgent 0/1 and language en/pt). Bad
    rows are reported by line and nothing is imported; the same text imported
    again replaces its label."""
    from replywatch.store.labels import LabelImportError, import_labels, read_label_csv

    db = open_existing(db_path)
    with open(file, encoding="utf-8-sig", errors="replace", newline="") as stream:
        rows, errors = read_label_csv(stream)
    if not errors and not rows:
        errors = [(2, "no rows")]
    if errors:
        for line, problem in errors[:20]:
            console.print(f"line {line}: {escape(problem)}", highlight=False)
        raise click.ClickException(str(LabelImportError(errors)))
    result = import_labels(db, rows, actor=actor)
    click.echo(f"imported {result.added:,} labels ({result.replaced:,} replaced)")
    _retrain_if_due(db, actor)


@labels_group.command(name="export")
@db_option
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV here (default: standard output).",
)
def labels_export(db_path: Path | None, output: Path | None) -> None:
    """Write every label as CSV (text, intent, urgent, language, source, actor,
    labelled_at): `labels import` reads it back."""
    from replywatch.store.labels import export_labels

    db = open_existing(db_path)
    columns = ("text", "intent", "urgent", "language", "source", "actor", "labelled_at")
    target = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        writer = csv.writer(target)
        writer.writerow(columns)
        count = 0
        for row in export_labels(db):
            writer.writerow([neutralise_formula("" if row[c] is None else row[c]) for c in columns])
            count += 1
    finally:
        if output:
            target.close()
    console.print(f"exported {count:,} labels" + (f" -> {escape(str(output))}" if output else ""))


@click.group(name="model")
def model_group() -> None:
    """The store's model learned from its labels (train, status, restore)."""


@model_group.command(name="train")
@db_option
@actor_option
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
def model_train(db_path: Path | None, actor: str, as_json: bool) -> None:
    """Train on the store's labels, cross-validate against the rules, and make
    the model active where it beats them. `replywatch rescore` then applies it
    to stored messages."""
    from replywatch.training import train_store_model

    db = open_existing(db_path)
    with console.status("Training on the store's labels ..."):
        report = train_store_model(db, actor=actor)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(format_report(report))


@model_group.command(name="status")
@db_option
def model_status(db_path: Path | None) -> None:
    """The labels, the active model and its figures against the rules."""
    from replywatch.training import status

    info = status(open_existing(db_path))
    click.echo(
        f"labels: {info['labels']:,} ({info['new_labels']:,} since the newest model; "
        f"a model needs {info['min_labels']}, retrains after {info['retrain_after']} new)"
    )
    if not info["models"]:
        click.echo("no model: the rules decide")
        return
    for item in info["models"]:
        flag = "active" if item["active"] else "inactive"
        click.echo(
            f"model {item['id']} ({flag}): trained {item['trained_at']} by "
            f"{item['trained_by']} on {item['label_count']:,} labels"
        )
    active = next((m for m in info["models"] if m["active"]), None)
    if active:
        click.echo(format_report({**active["report"], "model_id": active["id"]}))
    else:
        click.echo("no active model: the rules decide")


@model_group.command(name="restore")
@db_option
@actor_option
def model_restore(db_path: Path | None, actor: str) -> None:
    """Make the previous model active again (none left: the rules decide).
    `replywatch rescore` then applies it to stored messages."""
    from replywatch.training import restore_previous

    restored = restore_previous(open_existing(db_path), actor=actor)
    click.echo(
        f"model {restored} is active again" if restored else "no earlier model: the rules decide"
    )


def format_report(report: dict) -> str:
    """A training report as plain text: per language, P/R/F1 of each intent
    (model vs rules, cross-validated on the store's labels) and where the
    model is used."""
    if report.get("reason") == "too_few_labels":
        return (
            f"{report['labels']:,} labels: a model needs at least {report['min_labels']} "
            "(and two intents); the rules decide"
        )
    lines = [
        f"model {report.get('model_id')}: {report['labels']:,} labels, "
        f"{report['folds']}-fold cross-validation on them"
    ]
    for lang, figures in report["metrics"].items():
        used = report["used"].get(lang, {})
        where = ", ".join(k for k, v in used.items() if v) or "nothing (the rules decide)"
        note = "" if lang == "all" else f"; model used for: {where}"
        lines.append(f"[{lang}] {figures['labels']:,} labels{note}")
        lines.append("  intent      model P/R/F1        rules P/R/F1")
        for intent, m in figures["model"]["intents"].items():
            r = figures["rules"]["intents"][intent]
            lines.append(f"  {intent:<10}  {_prf(m)}  {_prf(r)}  ({m['support']})")
        lines.append(
            f"  macro F1    {figures['model']['macro_f1']:.3f}"
            f"               {figures['rules']['macro_f1']:.3f}"
        )
        if "urgent" in figures["model"]:
            m, r = figures["model"]["urgent"], figures["rules"]["urgent"]
            lines.append(f"  urgent      {_prf(m)}  {_prf(r)}  ({m['support']})")
    return "\n".join(lines)


def _prf(m: dict) -> str:
    return f"{m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f}"


def _retrain_if_due(db, actor: str) -> None:
    """Enough new labels: retrain now (the import is done; nothing waits on it)."""
    from replywatch.training import retrain_due, train_store_model

    if retrain_due(db):
        with console.status("Enough new labels: retraining the store's model ..."):
            report = train_store_model(db, actor=actor)
        click.echo(format_report(report))
        if report.get("model_id"):
            click.echo("`replywatch rescore` applies it to the stored messages")
