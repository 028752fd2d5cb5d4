"""The ``replywatch`` command: a thin layer over the library modules.

Each command reads its options, makes one call into the library and prints
the result; the work itself (and everything a test needs to check) lives in
the library, as in sqlite-utils. Commands whose library pulls in the scorer's
lexicons, the collectors' API clients, apprise or bcrypt import it inside the
command, so ``replywatch --help`` and the light commands start without them
(docs/performance.md has the start-up figures).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from replywatch.access import hash_password
from replywatch.config import ConfigError, load_config
from replywatch.dashboard_launcher import (
    NORMAL_EXITS,
    port_problem,
    run_dashboard,
    sigterm_as_interrupt,
    stop,
    wait_dashboard,
)
from replywatch.i18n import ENV_VAR as LANGUAGE_ENV_VAR
from replywatch.i18n import LANGUAGES, parse_language
from replywatch.store.alerts import alert_counts
from replywatch.store.backup import backup_database, restore_database
from replywatch.store.db import (
    DB_ENV_VAR,
    DatabaseOpenError,
    check_integrity,
    file_error,
    open_database,
    resolve_db_path,
    tune_for_bulk_load,
)
from replywatch.store.lookups import counts
from replywatch.store.privacy import export_subject, forget_author, prune_raw

console = Console(stderr=True)

DEMO_DB_PATH = Path("data") / "demo.db"

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"SQLite database file. Default: ${DB_ENV_VAR}, else data/replywatch.db.",
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


class _Main(click.Group):
    """The command group: a database that cannot be used as asked (missing,
    not a database, corrupt, read-only) is one line of error, not a
    traceback, whichever command met it."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DatabaseOpenError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            message = file_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=_Main)
@click.version_option(package_name="replywatch")
def main() -> None:
    """replywatch: social-media customer-care monitor."""


def _open_existing(db_path: Path | None, *, announce: bool = False):
    """Open the database a read-only or maintenance command works on: never
    created (a mistyped --db is an error, not an empty database reporting
    zeros). ``announce`` names it on stderr, for the commands whose counts
    would otherwise leave people wondering which file they came from."""
    path = resolve_db_path(db_path)
    try:
        db = open_database(path, create=False)
    except DatabaseOpenError as exc:
        raise click.ClickException(f"{exc}{_demo_hint(path)}") from exc
    if announce:
        console.print(f"database: {escape(str(path))}", highlight=False, soft_wrap=True)
    return db


def _demo_hint(path: Path) -> str:
    """After ``replywatch demo`` the data is in data/demo.db, not the default."""
    if path != DEMO_DB_PATH and DEMO_DB_PATH.exists():
        return f" (the demo's data is in {DEMO_DB_PATH}: add --db {DEMO_DB_PATH})"
    return ""


@main.group(name="import")
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


@main.command()
@click.argument("text", required=False)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Score every row of this CSV file instead of TEXT.",
)
@click.option("--column", help="CSV column holding the text (with --input).")
@click.option("--language-column", help="Optional CSV column with a language tag.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scored CSV here (default: standard output).",
)
@click.option("--language", type=click.Choice(["en", "pt"]), help="Skip language detection.")
def analyze(
    text: str | None,
    input_path: Path | None,
    column: str | None,
    language_column: str | None,
    output: Path | None,
    language: str | None,
) -> None:
    """Score the sentiment and urgency of TEXT, or of a CSV column (adds columns)."""
    from replywatch.cli_support import analyze_csv, format_analysis
    from replywatch.sentiment import analyze as analyze_text

    if input_path is not None:
        if not column:
            raise click.UsageError("--input needs --column")
        try:
            rows = analyze_csv(input_path, column, output, language_column=language_column)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        console.print(f"scored {rows:,} rows" + (f" -> {output}" if output else ""))
        return
    if text is None:
        raise click.UsageError("give TEXT or --input FILE.csv --column NAME")
    click.echo(format_analysis(analyze_text(text, language=language)))


@main.command()
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

    count = rescore_messages(_open_existing(db_path), everything=rescore_all)
    click.echo(f"scored {count:,} messages")


@main.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEMO_DB_PATH,
    show_default=True,
    help="Demo database (recreated unless --keep).",
)
@click.option("--keep", is_flag=True, help="Keep an existing demo database instead of re-seeding.")
@click.option("--days", default=30, show_default=True, help="Days of history to seed.")
@click.option("--interval", default=4.0, show_default=True, help="Seconds between live feed ticks.")
@click.option(
    "--ticks",
    type=int,
    default=None,
    help="Stop after this many ticks (default: run until Ctrl-C).",
)
@click.option("--port", default=8501, show_default=True, help="Dashboard port.")
@click.option("--no-dashboard", is_flag=True, help="Only seed and run the feed.")
@click.option("--seed", default=42, show_default=True, help="Random seed of the simulation.")
@language_option
def demo(
    db_path: Path,
    keep: bool,
    days: int,
    interval: float,
    ticks: int | None,
    port: int,
    no_dashboard: bool,
    seed: int,
    language: str | None,
) -> None:
    """Run the live demo: seed simulated history, start the dashboard and keep
    feeding new messages. No credentials or network needed. In Portuguese
    (--language or $REPLYWATCH_LANGUAGE) the dashboard opens on the demo brand
    of that language, in its time zone (pt-BR: Loja Aurora, America/Sao_Paulo;
    pt-PT: Mercado Luz, Europe/Lisbon)."""
    import time

    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import feed_tick, remove_database, seed_demo, start_demo_dashboard

    if not no_dashboard:
        problem = port_problem("127.0.0.1", port)
        if problem:
            raise click.ClickException(problem)
    feed = DemoFeed(seed=seed, platforms=ALL_PLATFORMS)
    if not keep:
        remove_database(db_path)
    fresh = not db_path.exists()
    db = open_database(db_path)
    if fresh:
        with console.status(f"Seeding {days} days of demo history into {db_path} ..."):
            seeded = seed_demo(db, feed, days=days, seed=seed)
        console.print(f"[green]Seeded {seeded:,} demo messages[/] into {db_path}")
    process = None
    demo_db = escape(f"--db {db_path}")
    console.print(
        f"Demo database: {escape(str(db_path))} (the other commands use "
        f"{escape(str(resolve_db_path()))} unless given --db). Next, in another terminal: "
        f"replywatch stats {demo_db} · replywatch report response-times {demo_db}",
        highlight=False,
    )
    done = 0
    stopped = None
    # SIGTERM (kill, systemd stop) ends the demo like Ctrl-C: the Streamlit
    # child is stopped instead of being left holding the port.
    with sigterm_as_interrupt():
        try:
            if not no_dashboard:
                process = start_demo_dashboard(db_path, port=port, language=language)
                console.print(
                    f"Dashboard: [bold]http://127.0.0.1:{port}[/]  (Ctrl-C stops everything)",
                    highlight=False,
                )
            while ticks is None or done < ticks:
                time.sleep(interval)
                if process is not None and process.poll() is not None:
                    stopped = f"the dashboard stopped (streamlit exit status {process.returncode})"
                    break
                inserted = feed_tick(db, feed)
                done += 1
                console.print(f"live: {inserted} new demo message(s)", highlight=False)
        except KeyboardInterrupt:
            console.print("Stopping the demo ...")
        finally:
            if process is not None and process.poll() is None:
                stop(process)
    if stopped:
        raise click.ClickException(stopped)


@main.command()
@click.option("--once", is_flag=True, help="Poll every source once and exit.")
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds between polls (default: collector.every_seconds in the config).",
)
@click.option(
    "--source",
    "only",
    default=None,
    help="Poll only this source, or every source under a prefix (x, reddit:acme).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("replywatch.toml"),
    show_default=True,
    help="Brands and sources to watch (see replywatch.example.toml).",
)
@db_option
def collect(
    once: bool, every: float | None, only: str | None, config_path: Path, db_path: Path | None
) -> None:
    """Poll X and Reddit for mentions, DMs and brand replies into the database."""
    from replywatch.collectors.runner import Runner, build_platforms, register_brands
    from replywatch.pipeline import ingest

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    db = open_database(db_path)
    register_brands(db, config)
    platforms, scrubber = build_platforms(config, warn=_print_warning)
    if not platforms:
        raise click.ClickException("no source can run: configure credentials (docs/collectors.md)")
    runner = Runner(
        db,
        platforms,
        ingest,
        only=only,
        scrub=scrubber,
        report=_print_collect_event,
        on_poll=_print_poll_summary,
        max_backoff_s=config.collector.max_source_backoff_s,
        after_poll=lambda: _dispatch_alerts(db),
    )
    try:
        runner.run(every or config.collector.every_seconds, polls=1 if once else None)
    except KeyboardInterrupt:
        console.print("stopped; everything fetched so far is stored")


@main.command(name="channels")
def channels_command() -> None:
    """List the registered channels: config table, credentials, sources, docs page."""
    from replywatch.collectors import registry

    for channel in registry.channels():
        described = channel.describe()
        click.echo(f"{described.pop('channel')}")
        for key, value in described.items():
            click.echo(f"  {key + ':':<13}{value or '-'}")


def _print_warning(text: str) -> None:
    console.print(f"[yellow]warning[/]: {escape(text)}")


def _print_collect_event(event) -> None:
    """Print one line the runner reported (API text is untrusted: escaped)."""
    if event.kind == "page":
        console.log(escape(event.text))
    elif event.kind == "error":
        name, _, error = event.text.partition(": ")
        console.print(f"[red]{escape(name)}[/]: {escape(error)}")
    else:
        _print_warning(event.text)


def _print_poll_summary(outcomes) -> None:
    """The table of one poll's outcomes, one row per source."""
    table = Table(title="poll summary", show_lines=False)
    for column in ("source", "status", "new", "known", "rejected", "rate-limit wait"):
        table.add_column(column, justify="left" if column in ("source", "status") else "right")
    for o in outcomes:
        status = "[dim]backing off[/]" if o.skipped else "[green]ok[/]" if o.ok else "[red]error[/]"
        table.add_row(
            escape(o.name),
            status,
            str(o.inserted),
            str(o.duplicates),
            str(o.rejected),
            f"{o.rate_limit_wait_s:.0f}s",
        )
    console.print(table)


@main.command(name="hash-password")
@click.password_option(help="The password (asked twice if not given).")
def hash_password_command(password: str) -> None:
    """Print a bcrypt hash for a local dashboard account in .streamlit/secrets.toml."""
    try:
        click.echo(hash_password(password))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@db_option
@click.option("--port", default=8501, show_default=True, help="Port to serve on.")
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (localhost only by default).",
)
@language_option
def dashboard(db_path: Path | None, port: int, address: str, language: str | None) -> None:
    """Open the Streamlit dashboard on the database (Ctrl-C stops it)."""
    path = resolve_db_path(db_path)
    problem = port_problem(address, port)
    if problem:
        raise click.ClickException(problem)
    open_database(path).close()  # create and migrate before the server starts
    with sigterm_as_interrupt():  # SIGTERM stops the Streamlit child, like Ctrl-C
        process = run_dashboard(path, port=port, address=address, language=language)
        console.print(
            f"Dashboard: [bold]http://{address}:{port}[/]  (database {escape(str(path))}; "
            "Ctrl-C stops it)",
            highlight=False,
        )
        code = wait_dashboard(process)
    if code not in NORMAL_EXITS:
        raise click.ClickException(f"streamlit exited with status {code}")


@main.command()
@db_option
def stats(db_path: Path | None) -> None:
    """Print message, conversation and dead-letter counts."""
    figures = counts(_open_existing(db_path, announce=True))
    for name, value in figures.items():
        click.echo(f"{name:14} {value:>10,}")
    if not figures["messages"]:
        console.print(f"no messages yet{_demo_hint(resolve_db_path(db_path))}", highlight=False)


# --- metrics: reports, exports, recompute ---------------------------------------


@main.group()
def report() -> None:
    """Response-time and outcome reports (definitions: docs/metrics.md)."""


@report.command(name="response-times")
@click.option(
    "--by",
    default="brand",
    show_default=True,
    help="Group by brand, platform, channel, agent, day, week or hour (hour of week); "
    "combine with commas, e.g. brand,day.",
)
@click.option("--since", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime.")
@click.option("--until", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime.")
@click.option("--brand", default=None, help="Only this brand key.")
@click.option("--business-hours", is_flag=True, help="Show business-time figures in the table.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@db_option
def report_response_times(
    by: str,
    since: str | None,
    until: str | None,
    brand: str | None,
    business_hours: bool,
    fmt: str,
    db_path: Path | None,
) -> None:
    """First-response times, response rate and within-threshold shares per group.
    JSON is a list of rows with times in seconds (keys: docs/metrics.md)."""
    from replywatch.cli_support import response_time_table, write_report_csv
    from replywatch.metrics.reports import response_time_report

    try:
        rows = response_time_report(
            _open_existing(db_path, announce=fmt == "table"),
            by=by,
            since=since,
            until=until,
            brand=brand,
            business_hours=business_hours,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        write_report_csv(rows, sys.stdout)
    else:
        # Piped output has no terminal width; do not squeeze the table into 80 columns.
        Console(width=None if sys.stdout.isatty() else 160).print(
            response_time_table(rows, by, business_hours=business_hours)
        )


@report.command(name="outcomes")
@click.option(
    "--by",
    default="brand",
    show_default=True,
    help="Group by brand, platform, channel, agent, day, week or month; combine with commas.",
)
@click.option("--since", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime.")
@click.option("--until", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime.")
@click.option("--brand", default=None, help="Only this brand key.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@db_option
def report_outcomes(
    by: str,
    since: str | None,
    until: str | None,
    brand: str | None,
    fmt: str,
    db_path: Path | None,
) -> None:
    """Outcomes per group: mood recovery, resolution, first-contact resolution,
    customer effort and repeat contact, next to the median first response
    (definitions: docs/metrics.md, Outcomes)."""
    from replywatch.cli_support import outcome_table, write_report_csv
    from replywatch.metrics.outcome_reports import outcome_report

    try:
        rows = outcome_report(open_database(db_path), by=by, since=since, until=until, brand=brand)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        write_report_csv(rows, sys.stdout)
    else:
        Console(width=None if sys.stdout.isatty() else 160).print(outcome_table(rows, by))


@main.group(name="export")
def export_group() -> None:
    """Write conversations or benchmarks to CSV, XLSX, Parquet or JSON."""


def _export_options(command):
    command = click.option("--brand", default=None, help="Only this brand key.")(command)
    command = click.option(
        "--until", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime."
    )(command)
    command = click.option(
        "--since", default=None, help="YYYY-MM-DD (brand-local, inclusive) or ISO datetime."
    )(command)
    command = click.option(
        "--out",
        "out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write (replaced atomically).",
    )(command)
    command = click.option(
        "--format", "fmt", required=True, type=click.Choice(["csv", "xlsx", "parquet", "json"])
    )(command)
    command = click.option(
        "--headers",
        "headers",
        default="machine",
        show_default=True,
        type=click.Choice(["machine", *LANGUAGES]),
        help="Header row: stable machine names, or names for people in a language (csv, xlsx).",
    )(command)
    return db_option(command)


@export_group.command(name="conversations")
@_export_options
def export_conversations_command(
    fmt: str,
    out: Path,
    since: str | None,
    until: str | None,
    brand: str | None,
    db_path: Path | None,
    headers: str,
) -> None:
    """One row per conversation: ids, brand, platform, channel, customer, first
    message and first response times (calendar and business), status, assignee,
    sentiment, urgency."""
    from replywatch.metrics.exports import export_conversations

    try:
        export_conversations(
            _open_existing(db_path),
            fmt,
            out,
            since=since,
            until=until,
            brand=brand,
            header_language=None if headers == "machine" else headers,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {out}")


@export_group.command(name="benchmarks")
@_export_options
@click.option(
    "--period",
    type=click.Choice(["day", "week", "month"]),
    default="week",
    show_default=True,
    help="Brand-local period of each row.",
)
def export_benchmarks_command(
    fmt: str,
    out: Path,
    since: str | None,
    until: str | None,
    brand: str | None,
    db_path: Path | None,
    period: str,
    headers: str,
) -> None:
    """Response-time benchmark table: one row per brand and period."""
    from replywatch.metrics.exports import export_benchmarks

    try:
        export_benchmarks(
            _open_existing(db_path),
            fmt,
            out,
            since=since,
            until=until,
            brand=brand,
            period=period,
            header_language=None if headers == "machine" else headers,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {out}")


@main.command()
@click.option("--brand", default=None, help="Only this brand (after changing its settings).")
@db_option
def recompute(brand: str | None, db_path: Path | None) -> None:
    """Recompute response times, SLA deadlines and the rollup (after business
    hours, holidays, SLA or timezone changes)."""
    from replywatch.metrics.engine import recompute_all, recompute_brand

    db = _open_existing(db_path)
    try:
        count = recompute_brand(db, brand) if brand else recompute_all(db)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"recomputed {count:,} conversations")


@main.group(name="alerts")
def alerts_group() -> None:
    """Urgent-complaint alerts (targets from env vars: see docs/alerts.md)."""


@alerts_group.command(name="test")
@click.option("--brand", "brand", required=True, help="Brand key whose targets get the test.")
@db_option
def alerts_test(brand: str, db_path: Path | None) -> None:
    """Send a test notification to every alert target of a brand."""
    from replywatch.notify import AlertConfigError, send_test

    db = _open_existing(db_path)
    try:
        outcomes = send_test(db, brand)
    except AlertConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for outcome in outcomes:
        state = "ok" if outcome.error is None else f"FAILED: {outcome.error}"
        click.echo(f"{outcome.target:20} {outcome.key:40} {state}")
    if any(o.error for o in outcomes):
        raise click.ClickException("some alert targets failed")


def _dispatch_alerts(db) -> None:
    """Send due alerts after a collector poll; a problem is reported, never raised,
    so alerting can not stop collection (the alerts stay pending)."""
    from replywatch.notify import dispatch_pending, redact

    try:
        result = dispatch_pending(db)
    except Exception as exc:  # noqa: BLE001 - collection must go on
        console.print(f"[yellow]alerts[/]: not sent this time ({redact(str(exc))[:300]})")
        return
    if result.notifications or result.failures:
        console.print(
            f"alerts: {result.notifications} notification(s) sent, "
            f"{result.failures} failed (retried later)",
            highlight=False,
        )


@alerts_group.command(name="dispatch")
@db_option
def alerts_dispatch(db_path: Path | None) -> None:
    """Send the pending alerts that are due now (rate limits still apply)."""
    from replywatch.notify import dispatch_pending

    db = _open_existing(db_path)
    result = dispatch_pending(db)
    click.echo(
        f"{result.notifications} notification(s) sent, {result.alerts_sent} alert(s) done, "
        f"{result.deferred} waiting for the rate limit or a retry, {result.failures} failed "
        f"send(s), {result.skipped} skipped, {result.unrouted} without a target "
        f"({result.seconds:.1f} s)"
    )
    for error in result.errors:
        click.echo(f"error: {error}", err=True)


@alerts_group.command(name="status")
@db_option
def alerts_status(db_path: Path | None) -> None:
    """Print alert counts per status (pending, sent, failed, skipped)."""
    counts = alert_counts(_open_existing(db_path))
    for status in ("pending", "sent", "failed", "skipped"):
        click.echo(f"{status:10} {counts.get(status, 0):>8,}")


@main.command()
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


@main.command()
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


def _default_actor() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "cli"


actor_option = click.option(
    "--actor",
    default=_default_actor,
    show_default="$USER",
    help="Who is doing this, for the audit log.",
)
subject_options = [
    click.option(
        "--author",
        "handle",
        required=True,
        help="The customer's handle (or author id) on the platform.",
    ),
    click.option("--platform", default=None, help="Only this platform (default: all)."),
]


def _subject(func):
    for option in reversed(subject_options):
        func = option(func)
    return func


@main.command()
@_subject
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
    db = _open_existing(db_path)
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


@main.command(name="export-subject")
@_subject
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

    db = _open_existing(db_path)
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


@main.command()
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
    db = _open_existing(db_path)
    result = prune_raw(db, days, actor=actor)
    click.echo(
        f"cleared {result.raw_cleared:,} raw payloads, deleted "
        f"{result.dead_letters_deleted:,} dead letters older than {days:g} days"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
