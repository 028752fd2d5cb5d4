"""Options and helpers every command module shares: the --db option and the
one way a command opens an existing database, --language, --actor and the
data subject's options, and the report commands' options and output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from replywatch.commands.localized import _
from replywatch.i18n import ENV_VAR as LANGUAGE_ENV_VAR
from replywatch.i18n import LANGUAGES, parse_language
from replywatch.store.db import DB_ENV_VAR, DatabaseOpenError, open_database, resolve_db_path

console = Console(stderr=True)

DEMO_DB_PATH = Path("data") / "demo.db"

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"SQLite database file. Default: ${DB_ENV_VAR}, else data/replywatch.db.",
)


def config_option(help_text: str):
    """The ``--config`` option of the commands that read replywatch.toml."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("replywatch.toml"),
        show_default=True,
        help=help_text,
    )


def _language(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    try:
        return parse_language(value) if value else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


language_option = click.option(
    "--language",
    callback=_language,
    metavar="|".join(LANGUAGES),
    help=f"Dashboard language. Default: ${LANGUAGE_ENV_VAR}, else the browser's, else en.",
)


def open_existing(db_path: Path | None, *, announce: bool = False):
    """Open the database a read-only or maintenance command works on: never
    created (a mistyped --db is an error, not an empty database reporting
    zeros). ``announce`` names it on stderr, for the commands whose counts
    would otherwise leave people wondering which file they came from."""
    path = resolve_db_path(db_path)
    try:
        db = open_database(path, create=False)
    except DatabaseOpenError as exc:
        raise click.ClickException(f"{exc}{demo_hint(path)}") from exc
    if announce:
        console.print(
            _("database: {path}").format(path=escape(str(path))), highlight=False, soft_wrap=True
        )
    return db


def demo_hint(path: Path) -> str:
    """After ``replywatch demo`` the data is in data/demo.db, not the default."""
    if path != DEMO_DB_PATH and DEMO_DB_PATH.exists():
        return " " + _("(the demo's data is in {path}: add --db {path})").format(path=DEMO_DB_PATH)
    return ""


def _default_actor() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "cli"


actor_option = click.option(
    "--actor",
    default=_default_actor,
    show_default="$USER",
    help="Who is doing this, for the audit log.",
)
_SUBJECT_OPTIONS = [
    click.option(
        "--author",
        "handle",
        required=True,
        help="The customer's handle (or author id) on the platform.",
    ),
    click.option("--platform", default=None, help="Only this platform (default: all)."),
]


def subject_options(func):
    """--author and --platform: the data subject of forget and export-subject."""
    for option in reversed(_SUBJECT_OPTIONS):
        func = option(func)
    return func


def report_options(by_help: str):
    """The options every ``replywatch report`` command shares (--by, --since,
    --until, --brand, --format, --db, as sqlite-utils' ``output_options``) and
    its one way of opening the database: the command receives ``db``, opened
    by :func:`open_existing`, so a mistyped --db is an error in every report
    instead of a new empty database reporting nothing."""

    def decorate(func):
        @functools.wraps(func)
        def command(db_path: Path | None, fmt: str, **kwargs):
            return func(db=open_existing(db_path, announce=fmt == "table"), fmt=fmt, **kwargs)

        for option in reversed(_report_option_list(by_help)):
            command = option(command)
        return command

    return decorate


def _report_option_list(by_help: str) -> list:
    period = "YYYY-MM-DD (brand-local, inclusive) or ISO datetime."
    return [
        click.option("--by", default="brand", show_default=True, help=by_help),
        click.option("--since", default=None, help=period),
        click.option("--until", default=None, help=period),
        click.option("--brand", default=None, help="Only this brand key."),
        click.option(
            "--format",
            "fmt",
            type=click.Choice(["table", "csv", "json"]),
            default="table",
            show_default=True,
        ),
        db_option,
    ]


def print_report(rows: list[dict], fmt: str, table: Callable[[], object]) -> None:
    """Print a report's rows as JSON, CSV or a terminal table (built by
    ``table`` only when asked for)."""
    from replywatch.cli_support import write_report_csv

    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        write_report_csv(rows, sys.stdout)
    else:
        # Piped output has no terminal width; do not squeeze the table into 80 columns.
        Console(width=None if sys.stdout.isatty() else 160).print(table())
