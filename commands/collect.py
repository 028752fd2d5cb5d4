"""``replywatch collect`` (the poll loop, its printed events and the alerts
sent after each poll) and ``replywatch channels``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from replywatch.commands.options import config_option, console, db_option
from replywatch.config import ConfigError, load_config
from replywatch.store.db import open_database


@click.command()
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
@config_option("Brands and sources to watch (see replywatch.example.toml).")
@db_option
def collect(
    once: bool, every: float | None, only: str | None, config_path: Path, db_path: Path | None
) -> None:
    """Poll every configured channel (X, Reddit, Facebook, Instagram: see `replywatch
    channels`) for mentions, DMs and brand replies into the database."""
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
        after_poll=lambda: dispatch_alerts(db),
    )
    try:
        runner.run(every or config.collector.every_seconds, polls=1 if once else None)
    except KeyboardInterrupt:
        console.print("stopped; everything fetched so far is stored")


@click.command(name="channels")
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


def dispatch_alerts(db) -> None:
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
