"""The live demo behind ``replywatch demo``: a fresh demo database seeded with
simulated history, then fed new messages tick by tick.

The simulated traffic itself is ``collectors/demo.py``; this module stores it
(through the same ingestion as real traffic) and plays the simulated agents.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from random import Random

from replywatch.collectors.demo import DEMO_SOURCE, DemoFeed, demo_brand_for
from replywatch.dashboard_launcher import run_dashboard, sigterm_as_interrupt, stop
from replywatch.i18n import default_language, gettext_for, ngettext_for, number
from replywatch.pipeline import ingest, set_status
from replywatch.store.brands import ensure_brand_accounts, upsert_brands
from replywatch.store.db import Database, transaction
from replywatch.store.labels import set_label
from replywatch.store.lookups import demo_message_kinds
from replywatch.store.timeutil import utc_now
from replywatch.store.triage import stale_waiting_ids

#: The simulator's own ground truth for a customer message of each kind
#: (``raw.kind``, collectors/demo.py): (intent, urgent). Complaints, angry
#: posts and chase-ups are urgent; the rest is not.
DEMO_TRUTH = {
    "praise": ("thanks", 0),
    "question": ("question", 0),
    "complaint": ("complaint", 1),
    "angry": ("complaint", 1),
    "follow_up_thanks": ("thanks", 0),
    "follow_up_chase": ("complaint", 1),
    "follow_up_dm": ("other", 0),
}
#: Labels the demo starts with: enough for the store's model (sentiment.learned).
DEMO_LABELS = 400

#: Share of the conversations left waiting for more than :data:`BACKLOG_DAYS`
#: that the simulated agents close (thank-yous, resolved elsewhere).
BACKLOG_CLOSED_SHARE = 0.85
BACKLOG_DAYS = 3


def remove_database(path: Path) -> None:
    """Delete the SQLite file ``path`` and its WAL and shared-memory files
    (missing ones are fine), so the demo starts from an empty database."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def register_demo_brands(db: Database, feed: DemoFeed) -> None:
    """Store the feed's brands (settings, timezone) and their accounts."""
    with transaction(db):
        upsert_brands(
            db,
            [
                {"key": b.key, "name": b.name, "timezone": b.timezone, "settings": b.settings()}
                for b in feed.brands
            ],
        )
        ensure_brand_accounts(db, [a for b in feed.brands for a in b.accounts()])


def close_old_backlog(db: Database, *, seed: int, now_ts: int | None = None) -> int:
    """Play the simulated agents: close :data:`BACKLOG_CLOSED_SHARE` of the
    conversations waiting for more than :data:`BACKLOG_DAYS` days, chosen by
    ``seed`` (the same seed closes the same ones), as a real team has closed
    most of its old backlog while some stays. Returns how many were closed."""
    now_ts = int(time.time()) if now_ts is None else now_ts
    stale = stale_waiting_ids(db, waiting_since_before=now_ts - BACKLOG_DAYS * 86400)
    closed = [i for i in stale if Random(seed * 1_000_003 + i).random() < BACKLOG_CLOSED_SHARE]
    if not closed:
        return 0
    return set_status(db, closed, "closed", actor="demo-agent")


def seed_demo(
    db: Database,
    feed: DemoFeed,
    *,
    days: int,
    seed: int,
    now: datetime | None = None,
    labels: bool = False,
) -> int:
    """Seed an empty demo database: the feed's brands, ``days`` days of
    simulated history up to ``now`` (stored through :func:`pipeline.ingest`,
    scored and measured like real traffic), then the backlog older than
    :data:`BACKLOG_DAYS` at ``now`` closed (:func:`close_old_backlog`), and
    with ``labels``, :data:`DEMO_LABELS` messages labelled and the model
    trained (:func:`seed_demo_labels`). Returns how many messages were stored."""
    moment = now or utc_now()
    register_demo_brands(db, feed)
    seeded = 0
    for batch in feed.history(moment, days=days):
        seeded += ingest(db, batch, source=DEMO_SOURCE).inserted
    close_old_backlog(db, seed=seed, now_ts=int(moment.timestamp()))
    if labels:
        seed_demo_labels(db, count=DEMO_LABELS, seed=seed)
    return seeded


def seed_demo_labels(db: Database, *, count: int = DEMO_LABELS, seed: int = 42) -> dict:
    """Label ``count`` of the stored demo customer messages with the
    simulator's own ground truth (:data:`DEMO_TRUTH`: what kind of message
    the simulator meant to write, not a person's judgement; source ``demo``),
    train the store's model on them and re-score with it, so a newcomer sees
    the learned path. Returns the training report."""
    from replywatch.pipeline import rescore
    from replywatch.training import train_store_model

    rows = demo_message_kinds(db)
    picked = [r for r in Random(seed).sample(rows, min(count, len(rows))) if r[1] in DEMO_TRUTH]
    with transaction(db):
        for message_id, kind in picked:
            intent, urgent = DEMO_TRUTH[kind]
            set_label(
                db,
                message_id,
                intent=intent,
                urgent=bool(urgent),
                actor="demo simulator ground truth",
                source="demo",
            )
    report = train_store_model(db, actor="demo")
    rescore(db)
    return report


def feed_tick(db: Database, feed: DemoFeed, now: datetime | None = None) -> int:
    """Store one live tick of the feed (new customer messages and the brand
    replies now due); returns how many messages were new."""
    return ingest(db, feed.tick(now or utc_now()), source=DEMO_SOURCE).inserted


def start_demo_dashboard(
    db_path: Path, *, port: int, language: str | None = None
) -> subprocess.Popen:
    """Start the dashboard on the demo database in ``language`` (default: the
    configured one), opened on the demo brand of that language in its time
    zone (pt-BR: Loja Aurora, America/Sao_Paulo; pt-PT: Mercado Luz,
    Europe/Lisbon; none chosen for English). Returns the server process."""
    chosen = language or default_language()
    brand = demo_brand_for(chosen)
    return run_dashboard(
        db_path,
        port=port,
        language=chosen,
        brand=brand.key if brand else None,
        timezone=brand.timezone if brand else None,
    )


def run_live(
    db: Database,
    feed: DemoFeed,
    db_path: Path,
    *,
    interval: float,
    ticks: int | None,
    port: int | None,
    language: str | None,
    say: Callable[[str], None],
) -> str | None:
    """Serve the dashboard on the demo database (``port`` None: no dashboard)
    and store a feed tick every ``interval`` seconds until ``ticks`` ticks
    (None: forever), Ctrl-C or SIGTERM. ``say`` reports each step (Rich
    markup). Returns why the demo stopped on its own (the dashboard exited),
    else None; the dashboard is always stopped on the way out."""
    chosen = language or default_language()

    def _(message: str) -> str:
        return gettext_for(chosen, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return ngettext_for(chosen, singular, plural, n)

    process = None
    done = 0
    # SIGTERM (kill, systemd stop) ends the demo like Ctrl-C: the Streamlit
    # child is stopped instead of being left holding the port.
    with sigterm_as_interrupt():
        try:
            if port is not None:
                process = start_demo_dashboard(db_path, port=port, language=language)
                say(
                    _("Dashboard: {url}  (Ctrl-C stops everything)").format(
                        url=f"[bold]http://127.0.0.1:{port}[/]"
                    )
                )
            while ticks is None or done < ticks:
                time.sleep(interval)
                if process is not None and process.poll() is not None:
                    return _("the dashboard stopped (streamlit exit status {code})").format(
                        code=process.returncode
                    )
                inserted = feed_tick(db, feed)
                done += 1
                say(
                    ngettext(
                        "live: {count} new demo message",
                        "live: {count} new demo messages",
                        inserted,
                    ).format(count=number(inserted, chosen))
                )
        except KeyboardInterrupt:
            say(_("Stopping the demo ..."))
        finally:
            if process is not None and process.poll() is None:
                stop(process)
    return None
