"""Response-time report speed on a large generated store.

Generates MESSAGES messages in CONVERSATIONS conversations for BRANDS brands
over DAYS days straight into a temp SQLite file (executemany, bypassing the
collectors), runs the engine over everything (``recompute_all``), then times:

- the brand-by-day first-response report (median and p90, calendar and
  business) through ``metrics.response_time_report`` (daily rollup), and
- the public badge (``metrics.public_badge``) for all brands and for one,
- the outcome report (``metrics.outcome_report``: mood recovery, resolution,
  FCR, effort, repeat contact; from the rollup's outcome counts since
  issue 26) and the recovery-by-response-time buckets, next to the
  response-time report, and last issue 26's ratios (each report over the
  brand-by-day report, and the same report from conversation rows),

next to the naive approach in the same run: load the conversations into
pandas and group there. It also checks that both give the same medians and
p90s. Usage::

    python benchmarks/metrics_bench.py [--conversations 500000] [--brands 20] [--days 90]
        [--agents 3]
        [--followups 0.4]

Figures are printed, never asserted; docs/metrics.md records a run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

# Run as a script from anywhere: import the checkout this file belongs to.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replywatch.metrics import (  # noqa: E402
    outcome_report,
    public_badge,
    recompute_all,
    recovery_by_response_time,
    response_time_report,
)
from replywatch.store.db import open_database  # noqa: E402
from replywatch.store.timeutil import iso_utc  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=UTC)
TIMEZONES = ("America/Sao_Paulo", "Europe/Lisbon", "America/New_York", "UTC")
OFFICE = {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {
    "sat": ["09:00-13:00"]
}


def brand_settings(index: int) -> tuple[str, dict]:
    timezone = TIMEZONES[index % len(TIMEZONES)]
    if index % 3 == 0:
        return timezone, {}  # 24/7
    country = {"America/Sao_Paulo": "BR", "Europe/Lisbon": "PT", "America/New_York": "US"}
    settings: dict = {"business_hours": OFFICE, "sla": {"first_response_minutes": 60}}
    if timezone in country:
        settings["holidays"] = {"country": country[timezone]}
    return timezone, settings


def generate(
    db,
    conversations: int,
    brands: int,
    days: int,
    seed: int = 7,
    followups: float = 0.4,
    agents: int = 0,
) -> int:
    """Insert brands, accounts, messages (with sentiment scores) and bare
    conversations; returns the number of messages. Every conversation has
    two messages: a customer message and either a brand reply (85 %) or a
    customer follow-up; a share ``followups`` of the answered ones get a
    third, the customer writing back (for the outcome columns). With
    ``agents`` (per brand), 80 % of the conversations are assigned to one of
    their brand's agents (for the by-agent report); drawn from their own
    generator, so the messages are the same whatever ``agents`` is."""
    assigner = random.Random(seed + 1)
    rng = random.Random(seed)
    conn = db.conn
    conn.execute("BEGIN")
    for b in range(brands):
        timezone, settings = brand_settings(b)
        conn.execute(
            "INSERT INTO brands (key, name, timezone, settings) VALUES (?, ?, ?, ?)",
            (f"brand{b:02d}", f"Brand {b}", timezone, json.dumps(settings)),
        )
        conn.execute(
            "INSERT INTO brand_accounts (platform, handle, brand) VALUES "
            "('x', ?, ?), ('reddit', ?, ?)",
            (f"brand{b:02d}", f"brand{b:02d}", f"brand{b:02d}", f"brand{b:02d}"),
        )
    span = days * 86400
    base = int(START.timestamp())
    fetched = iso_utc(datetime.now(UTC))
    message_rows = []
    conversation_rows = []
    message_id = 0
    for c in range(1, conversations + 1):
        brand = f"brand{rng.randrange(brands):02d}"
        platform = "x" if rng.random() < 0.7 else "reddit"
        channel = "public" if rng.random() < 0.75 else "private"
        first_ts = base + rng.randrange(span)
        answered = rng.random() < 0.85
        # log-normal waits: median ~20 min, long tail to days
        wait = max(0, int(math.exp(rng.gauss(7.1, 1.6))))
        message_id += 1
        root = message_id
        message_rows.append(
            (
                message_id,
                platform,
                f"m{message_id}",
                "mention",
                channel,
                "inbound",
                None,
                f"user{rng.randrange(200000)}",
                f"@{brand} o meu pedido não chegou",
                f"{brand}",
                iso_utc(datetime.fromtimestamp(first_ts, UTC)),
                first_ts,
                None,
                "bench",
                fetched,
                c,
            )
        )
        message_id += 1
        second_ts = first_ts + wait
        message_rows.append(
            (
                message_id,
                platform,
                f"m{message_id}",
                "reply",
                channel,
                "outbound" if answered else "inbound",
                brand if answered else None,
                brand if answered else message_rows[-1][7],
                "Olá! Vamos verificar." if answered else "alguém?",
                "",
                iso_utc(datetime.fromtimestamp(second_ts, UTC)),
                second_ts,
                f"m{root}",
                "bench",
                fetched,
                c,
            )
        )
        if answered and rng.random() < followups:
            message_id += 1
            third_ts = second_ts + int(math.exp(rng.gauss(7.0, 1.5)))
            message_rows.append(
                (
                    message_id,
                    platform,
                    f"m{message_id}",
                    "reply",
                    channel,
                    "inbound",
                    None,
                    message_rows[-2][7],
                    "obrigado!" if rng.random() < 0.5 else "ainda nada",
                    "",
                    iso_utc(datetime.fromtimestamp(third_ts, UTC)),
                    third_ts,
                    f"m{message_id - 1}",
                    "bench",
                    fetched,
                    c,
                )
            )
        assignee = None
        if agents and assigner.random() < 0.8:
            assignee = f"{brand}-agent{assigner.randrange(agents)}"
        conversation_rows.append((c, platform, root, brand, channel, assignee))
        if len(message_rows) >= 100_000:
            _flush(conn, message_rows, conversation_rows)
    _flush(conn, message_rows, conversation_rows)
    conn.execute("COMMIT")
    return message_id


def _flush(conn, message_rows: list, conversation_rows: list) -> None:
    conn.executemany(
        "INSERT INTO messages (id, platform, external_id, kind, channel, direction, brand, "
        "author_handle, text, mentions, created_at, created_ts, in_reply_to_id, source, "
        "fetched_at, conversation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message_rows,
    )
    conn.executemany(
        "INSERT INTO conversations (id, platform, root_message_id, brand, channel, assignee) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        conversation_rows,
    )
    # Customer messages get a sentiment score (seeded by id: reproducible).
    conn.executemany(
        "INSERT INTO scores (message_id, language, compound, label, urgency, urgent, scorer, "
        "version, scored_at) VALUES (?, 'pt', ?, 'neutral', 0, 0, 'bench', '0', '')",
        [
            (row[0], round(random.Random(row[0]).uniform(-1, 1), 3))
            for row in message_rows
            if row[5] == "inbound"
        ],
    )
    message_rows.clear()
    conversation_rows.clear()


def timed(function, repeat: int = 5) -> tuple[float, float, object]:
    """(first-call ms, best-of-repeat ms, result)."""
    start = time.perf_counter()
    result = function()
    first = (time.perf_counter() - start) * 1000
    best = first
    for _ in range(repeat - 1):
        start = time.perf_counter()
        function()
        best = min(best, (time.perf_counter() - start) * 1000)
    return first, best, result


def p90_nearest_rank(values: np.ndarray) -> float:
    ordered = np.sort(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def naive_brand_day(path: Path) -> pd.DataFrame:
    """The approach the engine avoids: load every conversation into pandas."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        frame = pd.read_sql_query(
            "SELECT brand, local_date, needs_response, status, first_response_seconds, "
            "first_response_business_seconds FROM conversations",
            conn,
        )
    frame = frame[(frame.needs_response == 1) & ~frame.status.isin(["spam", "ignored"])]
    grouped = frame.groupby(["brand", "local_date"])
    answered = frame.dropna(subset=["first_response_seconds"]).groupby(["brand", "local_date"])
    return pd.DataFrame(
        {
            "conversations": grouped.size(),
            "median": answered.first_response_seconds.median(),
            "p90": answered.first_response_seconds.agg(p90_nearest_rank),
            "business_median": answered.first_response_business_seconds.median(),
            "business_p90": answered.first_response_business_seconds.agg(p90_nearest_rank),
        }
    )


def naive_badge(path: Path, now: int) -> dict:
    import sqlite3

    with sqlite3.connect(path) as conn:
        frame = pd.read_sql_query(
            "SELECT first_customer_at, needs_response, status, first_response_seconds "
            "FROM conversations",
            conn,
        )
    frame = frame[
        (frame.needs_response == 1)
        & ~frame.status.isin(["spam", "ignored"])
        & (frame.first_customer_at >= now - 7 * 86400)
        & (frame.first_customer_at <= now)
    ]
    return {"conversations": len(frame), "typical": frame.first_response_seconds.dropna().median()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=500_000)
    parser.add_argument("--brands", type=int, default=20)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--followups", type=float, default=0.4)
    parser.add_argument("--agents", type=int, default=3, help="agents per brand (0: none)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        db = open_database(path)
        start = time.perf_counter()
        messages = generate(
            db,
            args.conversations,
            args.brands,
            args.days,
            followups=args.followups,
            agents=args.agents,
        )
        print(
            f"generated {messages:,} messages / {args.conversations:,} conversations / "
            f"{args.brands} brands / {args.days} days in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        recompute_all(db)
        print(f"recompute_all (engine + rollup + outcomes): {time.perf_counter() - start:.1f} s")
        db.execute("ANALYZE")

        first, best, rows = timed(lambda: response_time_report(db, by=("brand", "day")))
        brand_day_best = best
        print(
            f"brand-by-day report ({len(rows):,} rows, median+p90 calendar+business): "
            f"first {first:.0f} ms, best of 5 {best:.0f} ms"
        )
        naive_first, naive_best, frame = timed(lambda: naive_brand_day(path), repeat=2)
        print(
            f"naive pandas brand-by-day: first {naive_first:.0f} ms, best of 2 "
            f"{naive_best:.0f} ms  -> ratio naive/engine {naive_best / best:.1f}x"
        )
        agree = len(frame) == len(rows) and all(
            frame.loc[(r["brand"], r["day"]), "conversations"] == r["conversations"]
            and _same(frame.loc[(r["brand"], r["day"]), "median"], r["first_response_median_s"])
            and _same(frame.loc[(r["brand"], r["day"]), "p90"], r["first_response_p90_s"])
            and _same(
                frame.loc[(r["brand"], r["day"]), "business_median"],
                r["business_first_response_median_s"],
            )
            and _same(
                frame.loc[(r["brand"], r["day"]), "business_p90"],
                r["business_first_response_p90_s"],
            )
            for r in rows
        )
        print(f"engine and naive results identical: {agree}")

        now = int(START.timestamp()) + args.days * 86400
        first, best, badge = timed(lambda: public_badge(db, now=now))
        print(
            f"public badge, all brands ({badge['conversations']:,} conversations in 7 days): "
            f"first {first:.0f} ms, best of 5 {best:.0f} ms  [{badge['label']}]"
        )
        first_one, best_one, _ = timed(lambda: public_badge(db, brand="brand03", now=now))
        print(f"public badge, one brand: first {first_one:.0f} ms, best of 5 {best_one:.0f} ms")
        naive_first, naive_best, naive = timed(lambda: naive_badge(path, now), repeat=2)
        same = naive["conversations"] == badge["conversations"] and _same(
            naive["typical"], badge["typical_response_s"]
        )
        print(
            f"naive pandas badge: best of 2 {naive_best:.0f} ms  -> ratio "
            f"{naive_best / best:.1f}x; same figures: {same}"
        )
        first, best, _ = timed(lambda: response_time_report(db, by="brand"), repeat=3)
        print(f"(for reference) by brand over all 90 days: best of 3 {best:.0f} ms")
        first, best, _ = timed(lambda: response_time_report(db, by="agent"), repeat=1)
        print(f"(for reference) by agent (agent rollup): {best:.0f} ms")

        # Outcomes, next to the response-time report over the same 90 days.
        _, rt_best, _ = timed(lambda: response_time_report(db, by="brand"), repeat=3)
        for by in ("brand", ("brand", "day"), "agent"):
            first, best, rows = timed(
                lambda by=by: outcome_report(db, by=by, with_response_times=False), repeat=3
            )
            print(
                f"outcome report by {by} ({len(rows):,} rows, from the rollup): first "
                f"{first:.0f} ms, best of 3 {best:.0f} ms  | response-time report by brand "
                f"{rt_best:.0f} ms"
            )
        first, best, rows = timed(lambda: outcome_report(db, by="brand"), repeat=3)
        (overall,) = outcome_report(db, by=None)
        print(
            f"outcome report by brand with median FRT merged: best of 3 {best:.0f} ms  "
            f"[recovered {overall['recovery_rate']:.0%}, FCR "
            f"{overall['first_contact_resolution_rate'] or 0:.0%}, repeat "
            f"{overall['repeat_contact_rate']:.1%}]"
        )
        first, best, buckets = timed(lambda: recovery_by_response_time(db), repeat=3)
        print(
            f"median recovery by response-time bucket ({len(buckets)} buckets, SQL window "
            f"median): first {first:.0f} ms, best of 3 {best:.0f} ms"
        )
        print_targets(db, brand_day_best)
        print(f"load average {os.getloadavg()[0]:.2f}")


def print_targets(db, brand_day_best: float) -> None:
    """Issue 26's ratios, same run: each report (best of 3) over the
    brand-by-day response-time report (best of 5), target <= 2x; and each
    next to the same report computed from conversation rows (an instant bound
    covering everything), which must give the same figures."""
    everything = datetime(1970, 1, 1, tzinfo=UTC)
    print(f"-- targets (issue 26): <= 2x the brand-by-day report ({brand_day_best:.0f} ms)")
    for name, report in (
        ("outcome report by brand", lambda **kw: outcome_report(db, by="brand", **kw)),
        ("outcome report by brand x day", lambda **kw: outcome_report(db, by="brand,day", **kw)),
        ("response-time report by agent", lambda **kw: response_time_report(db, by="agent", **kw)),
        ("outcome report by agent", lambda **kw: outcome_report(db, by="agent", **kw)),
    ):
        _, best, rows = timed(report, repeat=3)
        _, direct_best, direct = timed(lambda report=report: report(since=everything), repeat=1)
        same = len(rows) == len(direct) and all(
            _close(a, b) for ra, rb in zip(rows, direct, strict=True) for a, b in _pairs(ra, rb)
        )
        print(
            f"{name}: {best:.0f} ms = {best / brand_day_best:.2f}x  (from conversation rows "
            f"{direct_best:.0f} ms; same figures: {same})"
        )


def _pairs(a: dict, b: dict):
    return [(a[k], b.get(k, object())) for k in a] if a.keys() == b.keys() else [(0, 1)]


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)  # means: sums added per day
    return a == b


def _same(a, b) -> bool:
    if b is None:
        return bool(pd.isna(a))
    return float(a) == float(b)


if __name__ == "__main__":
    main()
