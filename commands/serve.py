"""``replywatch demo`` and ``replywatch dashboard``: the commands that run the
Streamlit dashboard."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from replywatch import i18n
from replywatch.commands.localized import N_
from replywatch.commands.localized import language as cli_language
from replywatch.commands.options import DEMO_DB_PATH, console, db_option, language_option
from replywatch.dashboard_launcher import (
    NORMAL_EXITS,
    port_problem,
    run_dashboard,
    sigterm_as_interrupt,
    wait_dashboard,
)
from replywatch.store.db import open_database, resolve_db_path


@click.command()
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
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import remove_database, run_live

    if not no_dashboard:
        problem = port_problem("127.0.0.1", port)
        if problem:
            raise click.ClickException(problem)
    feed = DemoFeed(seed=seed, platforms=ALL_PLATFORMS)
    if not keep:
        remove_database(db_path)
    fresh = not db_path.exists()
    db = open_database(db_path)
    # The demo speaks the language it was started in (--language), else the CLI's.
    lang = language or cli_language()
    if fresh:
        _seed_demo_history(db, feed, db_path, days=days, seed=seed, lang=lang)
    _say_next_steps(db_path, lang)
    stopped = run_live(
        db,
        feed,
        db_path,
        interval=interval,
        ticks=ticks,
        port=None if no_dashboard else port,
        language=language,
        say=lambda text: console.print(text, highlight=False),
    )
    if stopped:
        raise click.ClickException(stopped)


def _seed_demo_history(db, feed, db_path: Path, *, days: int, seed: int, lang: str) -> None:
    """Seed ``days`` of simulated history (with the team's labels and model),
    saying so in ``lang``."""
    from replywatch.live_demo import seed_demo

    status = i18n.gettext_for(lang, N_("Seeding {days} days of demo history into {path} ..."))
    with console.status(status.format(days=days, path=db_path)):
        seeded = seed_demo(db, feed, days=days, seed=seed, labels=True)
    seeded_text = i18n.gettext_for(lang, N_("Seeded {count} demo messages into {path}"))
    console.print(
        "[green]"
        + escape(seeded_text.format(count=i18n.number(seeded, lang), path=db_path))
        + "[/]"
    )


def _say_next_steps(db_path: Path, lang: str) -> None:
    """Where the demo's data is and what to run next, in ``lang``."""
    demo_db = f"--db {db_path}"
    next_steps = i18n.gettext_for(
        lang,
        N_(
            "Demo database: {path} (the other commands use {default} unless given --db). "
            "Next, in another terminal: {commands}"
        ),
    )
    commands = f"replywatch stats {demo_db} · replywatch report response-times {demo_db}"
    console.print(
        escape(next_steps.format(path=db_path, default=resolve_db_path(), commands=commands)),
        highlight=False,
    )


@click.command()
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
