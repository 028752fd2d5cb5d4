"""The engine against an independent computation on real data.

The test reads the twcs slice itself with pandas (not the project's importer),
rebuilds threads from the reply links, applies the definitions in
docs/metrics.md directly, and requires the engine (fed through the real
importer and pipeline into a temp SQLite file) to agree exactly.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.metrics import public_badge, recompute_brand, response_time_report
from replywatch.pipeline import import_batches
from replywatch.store.db import open_database

REPO_ROOT = Path(__file__).resolve().parents[1]
TWCS = REPO_ROOT.parent / "shared" / "data" / "twcs" / "twcs_head5000.csv"
MENTION = re.compile(r"(?<![\w@])@(\w+)")


def p90_nearest_rank(values: list[int]) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@pytest.fixture(scope="module")
def twcs_frame() -> pd.DataFrame:
    if not TWCS.exists():
        pytest.fail(f"real data missing: {TWCS} (see /work/shared/data/README.md)")
    # lineterminator="\n" keeps the bare carriage returns of tweet 3399 inside
    # its text instead of splitting the row.
    frame = pd.read_csv(TWCS, lineterminator="\n", dtype=str, keep_default_na=False)
    frame["ts"] = pd.to_datetime(frame["created_at"], format="%a %b %d %H:%M:%S %z %Y")
    frame["ts"] = frame["ts"].map(lambda t: int(t.timestamp()))
    frame["file_order"] = range(len(frame))
    return frame


@pytest.fixture(scope="module")
def expected(twcs_frame: pd.DataFrame) -> dict:  # noqa: C901 - tests/test_code_size.py
    """Per-brand figures computed straight from the CSV."""
    frame = twcs_frame
    brand_handles = {a.lower(): a for a in frame.loc[frame.inbound == "False", "author_id"]}
    tweets = {row.tweet_id: row for row in frame.itertuples(index=False)}

    def root_of(tweet_id: str) -> str:
        seen = set()
        while True:
            parent = tweets[tweet_id].in_response_to_tweet_id.removesuffix(".0")
            if not parent or parent not in tweets or tweet_id in seen:
                return tweet_id
            seen.add(tweet_id)
            tweet_id = parent

    threads: dict[str, list] = defaultdict(list)
    for tweet in tweets.values():
        threads[root_of(tweet.tweet_id)].append(tweet)

    per_brand: dict = defaultdict(
        lambda: {"conversations": 0, "answered": 0, "frt": [], "next": []}
    )
    for messages in threads.values():

        def is_brand(t) -> bool:
            return t.inbound == "False" or t.author_id.lower() in brand_handles

        messages.sort(key=lambda t: (t.ts, is_brand(t), t.file_order))
        customer = [t for t in messages if not is_brand(t)]
        if not customer:
            continue
        brand_msgs = [t for t in messages if is_brand(t)]
        brand = brand_msgs[0].author_id if brand_msgs else None
        if brand is None:
            for t in customer:
                hit = next(
                    (
                        brand_handles[m.lower()]
                        for m in MENTION.findall(t.text)
                        if m.lower() in brand_handles
                    ),
                    None,
                )
                if hit:
                    brand = hit
                    break
        entry = per_brand[brand]
        entry["conversations"] += 1
        # turns: runs of customer messages, each answered by the next brand message
        waits, run_start = [], None
        for t in messages:
            if not is_brand(t):
                run_start = t.ts if run_start is None else run_start
            elif run_start is not None:
                waits.append(t.ts - run_start)
                run_start = None
        if waits:
            entry["answered"] += 1
            entry["frt"].append(waits[0])
            entry["next"].extend(waits[1:])
    return dict(per_brand)


@pytest.fixture(scope="module")
def twcs_db(tmp_path_factory):
    db = open_database(tmp_path_factory.mktemp("twcs") / "twcs.db")
    import_batches(db, read_twcs(TWCS), source=TWCS_SOURCE)
    return db


def test_independent_computation_found_real_work(expected):
    # guard against a vacuous comparison
    assert sum(e["conversations"] for e in expected.values()) > 1000
    assert len(expected) > 50


def test_per_brand_counts_and_first_response_agree_exactly(twcs_db, expected):
    rows = {row["brand"]: row for row in response_time_report(twcs_db, by="brand")}
    assert set(rows) == set(expected)
    for brand, want in expected.items():
        got = rows[brand]
        assert got["conversations"] == want["conversations"], brand
        assert got["answered"] == want["answered"], brand
        if want["frt"]:
            assert got["first_response_median_s"] == statistics.median(want["frt"]), brand
            assert got["first_response_p90_s"] == p90_nearest_rank(want["frt"]), brand
            assert got["first_response_mean_s"] == pytest.approx(
                statistics.fmean(want["frt"]), abs=1e-9
            ), brand
            assert got["within_1h"] == sum(v <= 3600 for v in want["frt"]) / len(want["frt"])
        assert got["next_responses"] == len(want["next"]), brand
        if want["next"]:
            assert got["next_response_mean_s"] == pytest.approx(statistics.fmean(want["next"]))


def test_overall_figures_agree(twcs_db, expected):
    (row,) = response_time_report(twcs_db, by=None)
    every = [v for e in expected.values() for v in e["frt"]]
    assert row["conversations"] == sum(e["conversations"] for e in expected.values())
    assert row["first_response_median_s"] == statistics.median(every)
    assert row["first_response_p90_s"] == p90_nearest_rank(every)


def test_rollup_and_row_paths_agree(twcs_db):
    # A date bound is answered from the rollup, an instant bound from the
    # conversation rows: the same data must give the same figures.
    from_rollup = response_time_report(twcs_db, by="brand,day", since="2000-01-01")
    from_rows = response_time_report(
        twcs_db, by="brand,day", since=datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert len(from_rollup) > 100
    assert from_rollup == from_rows


def test_business_time_matches_second_by_second_count(twcs_db):
    """Give a busy brand Los Angeles office hours (the slice crosses the
    5 Nov 2017 DST change and Thanksgiving) and US holidays, then count
    business seconds of each wait second by second with pandas' own timezone
    conversion, independently of metrics.business_hours."""
    brand = twcs_db.execute(
        "SELECT brand FROM conversations WHERE first_response_seconds IS NOT NULL "
        "GROUP BY brand ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    twcs_db.execute(
        "UPDATE brands SET timezone = 'America/Los_Angeles', settings = ? WHERE key = ?",
        (
            '{"business_hours": {"mon": ["09:00-17:30"], "tue": ["09:00-17:30"], '
            '"wed": ["09:00-17:30"], "thu": ["09:00-17:30"], "fri": ["09:00-17:30"], '
            '"sat": ["10:00-14:00"]}, "holidays": {"country": "US"}}',
            brand,
        ),
    )
    twcs_db.conn.commit()
    recompute_brand(twcs_db, brand)
    rows = twcs_db.execute(
        "SELECT first_response_start_at, first_response_at, first_response_business_seconds "
        "FROM conversations WHERE brand = ? AND first_response_at IS NOT NULL "
        "AND first_response_seconds <= 4 * 86400",
        (brand,),
    ).fetchall()
    assert len(rows) >= 20
    import holidays as holidays_lib

    us = holidays_lib.country_holidays("US")
    checked_nonzero = 0
    for start, end, stored in rows:
        seconds = pd.to_datetime(np.arange(start, end), unit="s", utc=True)
        local = seconds.tz_convert("America/Los_Angeles")
        minutes = local.hour * 60 + local.minute
        weekday = local.day_of_week
        open_ = ((weekday <= 4) & (minutes >= 540) & (minutes < 1050)) | (
            (weekday == 5) & (minutes >= 600) & (minutes < 840)
        )
        not_holiday = np.array([d not in us for d in local.date]) if len(local) else open_
        want = int((open_ & not_holiday).sum())
        assert stored == want, (start, end)
        checked_nonzero += want > 0
    assert checked_nonzero > 5
    # the report's business figures now differ from calendar ones for this brand
    (row,) = response_time_report(twcs_db, by="brand", brand=brand)
    assert row["business_first_response_mean_s"] < row["first_response_mean_s"]


def test_badge_agrees_with_the_report_over_the_same_window(twcs_db):
    now = int(datetime(2017, 11, 1, 12, tzinfo=UTC).timestamp())
    badge = public_badge(twcs_db, now=now)
    (row,) = response_time_report(
        twcs_db,
        by=None,
        since=datetime.fromtimestamp(now - 7 * 86400, UTC),
        until=datetime.fromtimestamp(now + 1, UTC),
    )
    assert badge["conversations"] == row["conversations"] > 100
    assert badge["answered"] == row["answered"]
    assert badge["typical_response_s"] == row["first_response_median_s"]
