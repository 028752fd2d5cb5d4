"""``replywatch report``, ``export``, ``recompute`` and ``stats``: the metrics
read from an existing database."""

from __future__ import annotations

from pathlib import Path

import click

from replywatch.commands.localized import _, language
from replywatch.commands.options import (
    console,
    db_option,
    demo_hint,
    open_existing,
    print_report,
    report_options,
)
from replywatch.i18n import LANGUAGES, N_, number
from replywatch.store.db import resolve_db_path
from replywatch.store.lookups import counts


@click.command()
@db_option
def stats(db_path: Path | None) -> None:
    """Print message, conversation and dead-letter counts."""
    figures = counts(open_existing(db_path, announce=True))
    names = {name: _(STAT_NAMES.get(name, name)) for name in figures}
    width = max(len(n) for n in names.values()) + 2
    for name, value in figures.items():
        click.echo(f"{names[name]:{width}} {number(value, language()):>10}")
    if not figures["messages"]:
        console.print(_("no messages yet") + demo_hint(resolve_db_path(db_path)), highlight=False)


# The rows of `replywatch stats` (store.lookups.counts), as people read them.
STAT_NAMES = {
    "messages": N_("messages"),
    "inbound": N_("inbound"),
    "outbound": N_("outbound"),
    "brands": N_("brands"),
    "conversations": N_("conversations"),
    "dead_letters": N_("dead letters"),
}


# --- metrics: reports, exports, recompute ---------------------------------------


@click.group()
def report() -> None:
    """Response-time and outcome reports (definitions: docs/metrics.md)."""


@report.command(name="response-times")
@report_options(
    "Group by brand, platform, channel, agent, day, week or hour (hour of week); "
    "combine with commas, e.g. brand,day."
)
@click.option("--business-hours", is_flag=True, help="Show business-time figures in the table.")
def report_response_times(
    db,
    by: str,
    since: str | None,
    until: str | None,
    brand: str | None,
    business_hours: bool,
    fmt: str,
) -> None:
    """First-response times, response rate and within-threshold shares per group.
    JSON is a list of rows with times in seconds (keys: docs/metrics.md)."""
    from replywatch.cli_support import response_time_table
    from replywatch.metrics.reports import response_time_report

    try:
        rows = response_time_report(
            db, by=by, since=since, until=until, brand=brand, business_hours=business_hours
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    print_report(rows, fmt, lambda: response_time_table(rows, by, business_hours=business_hours))


@report.command(name="outcomes")
@report_options(
    "Group by brand, platform, channel, agent, day, week or month; combine with commas."
)
def report_outcomes(
    db, by: str, since: str | None, until: str | None, brand: str | None, fmt: str
) -> None:
    """Outcomes per group: mood recovery, resolution, first-contact resolution,
    customer effort and repeat contact, next to the median first response
    (definitions: docs/metrics.md, Outcomes)."""
    from replywatch.cli_support import outcome_table
    from replywatch.metrics.outcome_reports import outcome_report

    try:
        rows = outcome_report(db, by=by, since=since, until=until, brand=brand)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    print_report(rows, fmt, lambda: outcome_table(rows, by))


@click.group(name="export")
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
            open_existing(db_path),
            fmt,
            out,
            since=since,
            until=until,
            brand=brand,
            header_language=None if headers == "machine" else headers,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("wrote {path}").format(path=out))


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
            open_existing(db_path),
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
    click.echo(_("wrote {path}").format(path=out))


@click.command()
@click.option("--brand", default=None, help="Only this brand (after changing its settings).")
@db_option
def recompute(brand: str | None, db_path: Path | None) -> None:
    """Recompute response times, SLA deadlines and the rollup (after business
    hours, holidays, SLA or timezone changes)."""
    from replywatch.metrics.engine import recompute_all, recompute_brand

    db = open_existing(db_path)
    try:
        count = recompute_brand(db, brand) if brand else recompute_all(db)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(_("recomputed {count} conversations").format(count=number(count, language())))
