"""``replywatch import <format>`` (one command per file format of the channel
registry) and ``rescore``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from replywatch.commands.localized import _, language
from replywatch.commands.options import console, db_option, open_existing
from replywatch.i18n import number
from replywatch.store.db import check_integrity, open_database, resolve_db_path, tune_for_bulk_load


@click.group(name="import")
def import_group() -> None:
    """Load messages from files."""


batch_size_option = click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=5_000,
    show_default=True,
    help="Rows per batch read from the file and staged; the whole file is then stored "
    "in one transaction (an interrupted import stores nothing, a re-run starts over).",
)


def _run_import(
    db_path: Path | None, path: Path, reader, source: str, score: bool, batch_size: int = 5_000
) -> None:
    from replywatch.cli_support import import_with_progress

    db = open_database(db_path)
    # A damaged database is refused before the first row, not part-way through.
    check_integrity(db, resolve_db_path(db_path))
    tune_for_bulk_load(db)
    try:
        totals = import_with_progress(
            db, path, reader, source=source, score=score, batch_size=batch_size, console=console
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = (
        f"{path}: {totals.inserted:,} new messages, {totals.duplicates:,} already stored, "
        f"{totals.rejected:,} rejected (see dead_letters) -> {resolve_db_path(db_path)}"
    )
    # Nothing usable read is a failure, not "0 new messages" with exit 0: an
    # empty file, or a file of another format (a CSV given to import jsonl).
    if totals.inserted + totals.duplicates == 0:
        if totals.rejected:
            raise click.ClickException(
                f"{summary}; no row was usable: is this really a {source.split(':')[-1]} file?"
            )
        if not path.read_bytes()[:65536].strip():
            raise click.ClickException(f"{path}: no rows to import (an empty file?)")
        # A header and nothing else: a warning, not a failure (scripts import
        # files that are empty on quiet days).
        console.print(
            f"warning: {escape(str(path))} has no rows after its header",
            highlight=False,
            soft_wrap=True,
        )
    click.echo(summary)


score_option = click.option(
    "--score/--no-score",
    default=True,
    show_default=True,
    help="Score sentiment and urgency after loading (skip for a faster load; "
    "`replywatch rescore` catches up later).",
)


def _import_command(channel) -> None:
    """``replywatch import <format> PATH`` for one file format of the registry."""

    def command(
        path: Path, db_path: Path | None, score: bool, batch_size: int, encoding: str | None = None
    ) -> None:
        from functools import partial

        if channel.check is not None:
            try:
                channel.check(path, encoding)
            except (ValueError, LookupError) as exc:
                raise click.ClickException(str(exc)) from exc
        reader = partial(channel.reader, encoding=encoding) if encoding else channel.reader
        _run_import(db_path, path, reader, channel.import_source, score, batch_size)

    if channel.check is not None:  # a format whose text encoding can vary
        command = click.option(
            "--encoding",
            default=None,
            help="Text encoding of the file (e.g. cp1252, latin-1). Default: UTF-8, with or "
            "without a byte-order mark; a file that is not UTF-8 is refused with the "
            "encoding it looks like.",
        )(command)
    command = batch_size_option(score_option(db_option(command)))
    command = click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))(
        command
    )
    import_group.command(name=channel.name, help=channel.description)(command)


def _register_import_commands() -> None:
    from replywatch.collectors import registry

    for channel in registry.importers():
        _import_command(channel)


_register_import_commands()


@click.command()
@db_option
@click.option(
    "--all",
    "rescore_all",
    is_flag=True,
    help="Re-score every message, not only those scored by another scorer version "
    "(use after changing a brand's urgency rules). Erased messages keep "
    "their scores.",
)
def rescore(db_path: Path | None, rescore_all: bool) -> None:
    """Score stored messages that have no score or an outdated scorer version."""
    from replywatch.pipeline import rescore as rescore_messages

    count = rescore_messages(open_existing(db_path), everything=rescore_all)
    click.echo(_("scored {count} messages").format(count=number(count, language())))
