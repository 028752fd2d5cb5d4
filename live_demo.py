"""The live demo behind ``replywatch demo``: a fresh demo database seeded with
simulated history, then fed new messages tick by tick.

The simulated traffic itself is ``collectors/demo.py``; this module stores it
(through the same ingestion as real traffic) and plays the simulated agents.
"""

from __future__ import annotations

import subprocess
import time
from datetime import datetime
from pathlib import Path
from random import Random

from sqlite_utils import Database

from replywatch.collectors.demo import DEMO_SOURCE, DemoFeed, demo_brand_for
from replywatch.dashboard_launcher import run_dashboard
from replywatch.i18n import default_language
from replywatch.pipeline import ingest, set_status
from replywatch.store.brands import ensure_brand_accounts, upsert_brands
from replywatch.store.db import transaction
from replywatch.store.timeutil import utc_now
from replywatch.store.triage import stale_waiting_ids

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
) -> int:
    """Seed an empty demo database: the feed's brands, ``days`` days of
    simulated history up to ``now`` (stored through :func:`pipeline.ingest`,
    scored and measured like real traffic), then the backlog older than
    :data:`BACKLOG_DAYS` at ``now`` closed (:func:`close_old_backlog`).
    Returns how many messages were stored."""
    moment = now or utc_now()
    register_demo_brands(db, feed)
    seeded = 0
    for batch in feed.history(moment, days=days):
        seeded += ingest(db, batch, source=DEMO_SOURCE).inserted
    close_old_backlog(db, seed=seed, now_ts=int(moment.timestamp()))
    return seeded


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
