"""Outcome figures on the real twcs slice, and a sample to read by hand.

Imports ``../shared/data/twcs/twcs_head5000.csv`` (the project's importer,
with scoring) into a temporary store, prints the outcome report per brand,
then prints SAMPLE randomly chosen answered conversations (fixed seed) as
threads with the stored mood, recovery label, resolution, effort and
repeat contact, so that a person can check whether the labels are what
they would say. docs/metrics.md records what the reading found. Usage::

    python benchmarks/outcomes_check.py [--sample 30] [--seed 17] [--top 12]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

# Run as a script from anywhere: import the checkout this file belongs to.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replywatch.collectors.imports import TWCS_SOURCE, read_twcs  # noqa: E402
from replywatch.metrics.outcome_reports import (  # noqa: E402
    outcome_report,
    recovery_by_response_time,
)
from replywatch.metrics.speakers import load_brand_accounts, speaker_is_brand  # noqa: E402
from replywatch.pipeline import import_batches  # noqa: E402
from replywatch.store.db import open_database  # noqa: E402

TWCS = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs" / "twcs_head5000.csv"


def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{value * 100:4.0f}%"


def print_report(db, top: int) -> None:
    """The outcome report per brand (largest first) and overall."""
    rows = sorted(outcome_report(db, by="brand"), key=lambda r: -r["conversations"])
    (overall,) = outcome_report(db, by=None)
    print(
        f"{'brand':<18}{'conv':>6}{'answ':>6}{'recov':>7}{'worse':>7}{'silent':>7}"
        f"{'resolv':>7}{'FCR':>7}{'effort':>8}{'repeat':>7}{'FRT med':>9}"
    )
    for row in [*rows[:top], {**overall, "brand": "ALL"}]:
        effort = row["mean_effort_customer_messages"]
        frt = row["first_response_median_s"]
        print(
            f"{str(row['brand'])[:17]:<18}{row['conversations']:>6}{row['answered']:>6}"
            f"{_pct(row['recovery_rate']):>7}{_pct(row['worsened_share']):>7}"
            f"{_pct(row['silent_share']):>7}{_pct(row['resolution_rate']):>7}"
            f"{_pct(row['first_contact_resolution_rate']):>7}"
            f"{'-' if effort is None else f'{effort:.1f}':>8}"
            f"{_pct(row['repeat_contact_rate']):>7}"
            f"{'-' if frt is None else f'{frt / 60:.0f} min':>9}"
        )
    labels = {
        label: db.execute(
            "SELECT count(*) FROM conversations WHERE recovery_label IS ?", (label,)
        ).fetchone()[0]
        for label in ("recovered", "unchanged", "worsened", "silent", None)
    }
    resolved = dict(
        db.execute(
            "SELECT coalesce(resolved_by, 'unresolved'), count(*) FROM conversations "
            "WHERE needs_response = 1 GROUP BY 1"
        ).fetchall()
    )
    print(f"labels: {labels}\nresolution: {resolved}")
    print("median mood recovery by first-response time:")
    for bucket in recovery_by_response_time(db):
        median = bucket["median_recovery"]
        print(
            f"  {bucket['bucket']:>9}: {bucket['conversations']:>4} conversations, median "
            f"{'-' if median is None else f'{median:+.2f}'}, recovered "
            f"{_pct(bucket['recovery_rate'])}, worsened {_pct(bucket['worsened_share'])}"
        )


def print_sample(db, size: int, seed: int) -> None:
    """SAMPLE answered conversations, thread by thread."""
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM conversations WHERE needs_response = 1 "
            "AND first_response_seconds IS NOT NULL ORDER BY id"
        )
    ]
    accounts = load_brand_accounts(db)
    for number, cid in enumerate(sorted(random.Random(seed).sample(ids, size)), 1):
        c = db.execute(
            "SELECT brand, customer_handle, mood_before, mood_after, mood_recovery, "
            "recovery_label, resolved_by, effort_customer_messages, effort_brand_replies, "
            "first_contact_resolved, repeat_contact_id FROM conversations WHERE id = ?",
            (cid,),
        ).fetchone()
        print(
            f"\n#{number} conversation {cid} brand={c[0]} customer={c[1]} "
            f"before={_f(c[2])} after={_f(c[3])} recovery={_f(c[4])} label={c[5]} "
            f"resolved={c[6]} effort={c[7]}/{c[8]} fcr={c[9]} repeat={c[10]}"
        )
        for direction, author, platform, text, compound, closes in db.execute(
            f"SELECT m.direction, m.author_handle, m.platform, m.text, s.compound, "
            f"{_closes_column(db)} FROM messages m LEFT JOIN scores s ON s.message_id = m.id "
            "WHERE m.conversation_id = ? ORDER BY m.created_ts, m.id",
            (cid,),
        ):
            who = "BRAND" if speaker_is_brand(direction, platform, author, accounts) else author
            flag = " [closes]" if closes and who != "BRAND" else ""
            line = " ".join((text or "").split())[:220]
            print(f"   {who:>10} ({_f(compound)}){flag}: {line}")


def _closes_column(db) -> str:
    columns = {r[1] for r in db.execute("PRAGMA table_info(scores)")}
    return "s.closes" if "closes" in columns else "0"


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    if not TWCS.exists():
        raise SystemExit(f"missing {TWCS} (the shared data folder)")
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "twcs.db")
        import_batches(db, read_twcs(TWCS), source=TWCS_SOURCE)
        print_report(db, args.top)
        print_sample(db, args.sample, args.seed)
        db.close()


if __name__ == "__main__":
    main()
