"""The data-keeping commands: ``backup``, ``restore``, ``forget``,
``export-subject``, ``prune`` and ``hash-password``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from replywatch.access import hash_password
from replywatch.commands.options import (
    actor_option,
    console,
    db_option,
    open_existing,
    subject_options,
)
from replywatch.store.backup import backup_database, restore_database
from replywatch.store.db import resolve_db_path
from replywatch.store.privacy import export_subject, forget_author, prune_raw


@click.command(name="hash-password")
@click.password_option(help="The password (asked twice if not given).")
def hash_password_command(password: str) -> None:
    """Print a bcrypt hash for a local dashboard account in .streamlit/secrets.toml."""
    try:
        click.echo(hash_password(password))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option("--force", is_flag=True, help="Overwrite DESTINATION if it exists.")
def backup(destination: Path, db_path: Path | None, force: bool) -> None:
    """Write a consistent copy of the database to DESTINATION while collectors
    keep running (owner-only file). Restore it with `replywatch restore`."""
    try:
        result = backup_database(resolve_db_path(db_path), destination, overwrite=force)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"backup: {result.path} ({result.size_bytes / 2**20:,.1f} MiB, "
        f"{result.messages:,} messages, {result.seconds:.1f} s)"
    )


@click.command()
@click.argument(
    "backup_path", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@db_option
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing database (a copy of it is kept beside it first).",
)
def restore(backup_path: Path, db_path: Path | None, force: bool) -> None:
    """Restore the database from BACKUP (made by `replywatch backup`), then
    apply newer migrations. Stop collectors and the dashboard first."""
    try:
        result = restore_database(backup_path, resolve_db_path(db_path), force=force)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if result.previous_copy:
        click.echo(f"previous database kept as {result.previous_copy}")
    click.echo(f"restored {result.messages:,} messages into {result.path}")


@click.command()
@subject_options
@db_option
@actor_option
@click.option(
    "--vacuum",
    is_flag=True,
    help="Also rebuild the database file (VACUUM): slower, blocks writers meanwhile.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget(
    handle: str, platform: str | None, db_path: Path | None, actor: str, vacuum: bool, yes: bool
) -> None:
    """Erase a customer's personal data (LGPD/GDPR right to erasure), keeping
    anonymous counts and response times. Backups made before keep the data:
    see docs/security.md."""
    if not yes:
        click.confirm(
            f"Erase the personal data of {handle!r}"
            f"{' on ' + platform if platform else ' on every platform'}? "
            "This cannot be undone",
            abort=True,
        )
    db = open_existing(db_path)
    try:
        result = forget_author(db, handle, platform=platform, actor=actor, vacuum=vacuum)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"erased {result.messages:,} messages, scrubbed the handle from "
        f"{result.mentions_scrubbed:,} others, cleared {result.payloads_cleared:,} raw "
        f"payloads, {result.conversations:,} conversations, {result.notes:,} notes, "
        f"{result.dead_letters:,} dead letters, {result.tags_scrubbed:,} tag lists, "
        f"{result.audit_entries_scrubbed:,} audit entries"
        + (
            ""
            if result.checkpoint_complete
            else " (WAL still in use by a reader: run again later to truncate it)"
        )
    )


@click.command(name="export-subject")
@subject_options
@db_option
@actor_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON here (owner-only file); default: stdout.",
)
def export_subject_command(
    handle: str, platform: str | None, db_path: Path | None, actor: str, out_path: Path | None
) -> None:
    """Export everything stored about a customer as JSON (LGPD/GDPR right of access)."""
    from replywatch.cli_support import write_new_private_file

    db = open_existing(db_path)
    try:
        data = export_subject(db, handle, platform=platform, actor=actor)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if out_path is None:
        click.echo(text)
        return
    try:
        write_new_private_file(out_path, text)
    except FileExistsError as exc:
        raise click.ClickException(f"{out_path} exists; choose another --out") from exc
    console.print(
        f"{len(data['messages']):,} messages, {len(data['conversations']):,} "
        f"conversations -> {out_path}"
    )


@click.command()
@click.option(
    "--raw-older-than",
    "days",
    type=click.FloatRange(min=0),
    required=True,
    help="Clear raw payloads of messages older than DAYS and delete dead letters "
    "received more than DAYS ago.",
)
@db_option
@actor_option
def prune(days: float, db_path: Path | None, actor: str) -> None:
    """Retention: drop raw payloads and dead letters older than N days."""
    db = open_existing(db_path)
    result = prune_raw(db, days, actor=actor)
    click.echo(
        f"cleared {result.raw_cleared:,} raw payloads, deleted "
        f"{result.dead_letters_deleted:,} dead letters older than {days:g} days"
    )
