"""The ``replywatch`` command: a thin layer over the library modules."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from store.db import DB_ENV_VAR, open_database, resolve_db_path

console = Console(stderr=True)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"SQLite database file. Default: ${DB_ENV_VAR}, else data/replywatch.db.",
)


@click.group()
@click.version_option(package_name="replywatch")
def main() -> None:
    """replywatch: social-media customer-care monitor."""


@main.group(name="import")
def import_group() -> None:
    """Load messages from files."""


def _run_import(db_path: Path | None, path: Path, reader, source: str) -> None:
    from pipeline import import_batches

    db = open_database(db_path)
    total_bytes = path.stat().st_size
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
        console=console, transient=False, disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task(path.name, total=total_bytes, counts="")
        seen = {"messages": 0, "rejected": 0}

        def advance(batch) -> None:
            seen["messages"] += len(batch.messages)
            seen["rejected"] += len(batch.rejected)
            progress.update(task, completed=batch.bytes_read,
                            counts=f"{seen['messages']:,} rows, {seen['rejected']:,} rejected")

        try:
            totals = import_batches(db, reader(path), source=source, on_progress=advance)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{path}: {totals.inserted:,} new messages, {totals.duplicates:,} already stored, "
        f"{totals.rejected:,} rejected (see dead_letters) -> {resolve_db_path(db_path)}"
    )


@import_group.command(name="twcs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def import_twcs(path: Path, db_path: Path | None) -> None:
    """Import a "Customer Support on Twitter" (twcs.csv) file."""
    from collectors.imports import TWCS_SOURCE, read_twcs

    _run_import(db_path, path, read_twcs, TWCS_SOURCE)


@import_group.command(name="jsonl")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
def import_jsonl(path: Path, db_path: Path | None) -> None:
    """Import messages from a JSONL file (schema: docs/import-jsonl.md)."""
    from collectors.imports import JSONL_SOURCE, read_jsonl

    _run_import(db_path, path, read_jsonl, JSONL_SOURCE)


@main.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("data") / "demo.db", show_default=True,
              help="Demo database (recreated unless --keep).")
@click.option("--keep", is_flag=True, help="Keep an existing demo database instead of re-seeding.")
@click.option("--days", default=30, show_default=True, help="Days of history to seed.")
@click.option("--interval", default=4.0, show_default=True,
              help="Seconds between live feed ticks.")
@click.option("--ticks", type=int, default=None, help="Stop after this many ticks (default: run "
              "until Ctrl-C).")
@click.option("--port", default=8501, show_default=True, help="Dashboard port.")
@click.option("--no-dashboard", is_flag=True, help="Only seed and run the feed.")
@click.option("--seed", default=42, show_default=True, help="Random seed of the simulation.")
def demo(db_path: Path, keep: bool, days: int, interval: float, ticks: int | None, port: int,
         no_dashboard: bool, seed: int) -> None:
    """Run the live demo: seed simulated history, start the dashboard and keep
    feeding new messages. No credentials or network needed."""
    import time

    from collectors.demo import DEMO_SOURCE, DemoFeed
    from pipeline import ingest
    from store.brands import ensure_brand_accounts, upsert_brands
    from store.db import transaction
    from store.timeutil import utc_now

    feed = DemoFeed(seed=seed)
    if db_path.exists() and not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    fresh = not db_path.exists()
    db = open_database(db_path)
    if fresh:
        with transaction(db):
            upsert_brands(db, [{"key": b.key, "name": b.name, "timezone": b.timezone,
                                "settings": b.settings()} for b in feed.brands])
            ensure_brand_accounts(db, [a for b in feed.brands for a in b.accounts()])
        seeded = 0
        with console.status(f"Seeding {days} days of demo history into {db_path} ..."):
            for batch in feed.history(utc_now(), days=days):
                seeded += ingest(db, batch, source=DEMO_SOURCE).inserted
        console.print(f"[green]Seeded {seeded:,} demo messages[/] into {db_path}")
    process = None
    if not no_dashboard:
        from dashboard_launcher import run_dashboard

        process = run_dashboard(db_path, port=port)
        console.print(f"Dashboard: [bold]http://127.0.0.1:{port}[/]  (Ctrl-C stops everything)")
    done = 0
    try:
        while ticks is None or done < ticks:
            time.sleep(interval)
            result = ingest(db, feed.tick(utc_now()), source=DEMO_SOURCE)
            done += 1
            console.print(f"live: {result.inserted} new demo message(s)", highlight=False)
    except KeyboardInterrupt:
        console.print("Stopping the demo ...")
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except Exception:
                process.kill()


@main.command()
@db_option
def stats(db_path: Path | None) -> None:
    """Print message, conversation and dead-letter counts."""
    db = open_database(db_path)
    rows = {
        "messages": db.execute("SELECT count(*) FROM messages").fetchone()[0],
        "inbound": db.execute(
            "SELECT count(*) FROM messages WHERE direction = 'inbound'").fetchone()[0],
        "outbound": db.execute(
            "SELECT count(*) FROM messages WHERE direction = 'outbound'").fetchone()[0],
        "brands": db.execute("SELECT count(*) FROM brands").fetchone()[0],
        "conversations": db.execute("SELECT count(*) FROM conversations").fetchone()[0],
        "dead_letters": db.execute("SELECT count(*) FROM dead_letters").fetchone()[0],
    }
    for name, value in rows.items():
        click.echo(f"{name:14} {value:>10,}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
