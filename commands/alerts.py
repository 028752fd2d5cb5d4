"""``replywatch alerts``: test, dispatch and status of urgent-complaint alerts."""

from __future__ import annotations

from pathlib import Path

import click

from replywatch.commands.options import db_option, open_existing
from replywatch.store.alerts import alert_counts


@click.group(name="alerts")
def alerts_group() -> None:
    """Urgent-complaint alerts (targets from env vars: see docs/alerts.md)."""


@alerts_group.command(name="test")
@click.option("--brand", "brand", required=True, help="Brand key whose targets get the test.")
@db_option
def alerts_test(brand: str, db_path: Path | None) -> None:
    """Send a test notification to every alert target of a brand."""
    from replywatch.notify import AlertConfigError, send_test

    db = open_existing(db_path)
    try:
        outcomes = send_test(db, brand)
    except AlertConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    for outcome in outcomes:
        state = "ok" if outcome.error is None else f"FAILED: {outcome.error}"
        click.echo(f"{outcome.target:20} {outcome.key:40} {state}")
    if any(o.error for o in outcomes):
        raise click.ClickException("some alert targets failed")


@alerts_group.command(name="dispatch")
@db_option
def alerts_dispatch(db_path: Path | None) -> None:
    """Send the pending alerts that are due now (rate limits still apply)."""
    from replywatch.notify import dispatch_pending

    db = open_existing(db_path)
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
    counts = alert_counts(open_existing(db_path))
    for status in ("pending", "sent", "failed", "skipped"):
        click.echo(f"{status:10} {counts.get(status, 0):>8,}")
