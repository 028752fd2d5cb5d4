"""Outcome reports and the by-agent report from the rollup (issue 26) equal the
direct computation over conversation rows, on the real twcs slice and on
generated data, and follow triage actions (assignments, spam) through the
rollup's dirty marks.

The direct computation is the same public function with an instant bound
(``since`` as a datetime), which reports answer from conversation rows: the
SQL aggregate for outcomes, the row path for response times. Counts, rates,
medians and percentiles must be identical; means may differ in the last bits
(the rollup adds exact per-day sums, SQLite's ``avg`` adds row by row), so
they are compared to 1e-12.
"""

from __future__ import annotations

import math
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.metrics import outcome_report, recompute_all, response_time_report
from replywatch.pipeline import import_batches, set_status
from replywatch.store.db import open_database
from replywatch.store.triage import assign

REPO_ROOT = Path(__file__).resolve().parents[1]
TWCS = REPO_ROOT.parent / "shared" / "data" / "twcs" / "twcs_head5000.csv"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # an instant bound that keeps everything
MEANS = {
    "mean_recovery",
    "mean_mood_before",
    "mean_mood_after",
    "mean_effort_customer_messages",
    "mean_effort_brand_replies",
    "first_response_mean_s",
    "business_first_response_mean_s",
    "next_response_mean_s",
    "business_next_response_mean_s",
}
OUTCOME_GROUPINGS = [None, "brand", "brand,day", "agent", "agent,week", "channel,month"]


def _same_rows(from_rollup: list[dict], direct: list[dict]) -> None:
    assert len(from_rollup) == len(direct)
    for got, want in zip(from_rollup, direct, strict=True):
        assert got.keys() == want.keys()
        for name, value in want.items():
            if name in MEANS and value is not None and got[name] is not None:
                assert math.isclose(got[name], value, rel_tol=1e-12, abs_tol=1e-12), name
            else:
                assert got[name] == value, (name, got, want)


def _assign_agents(db, seed: int = 3) -> None:
    rng = random.Random(seed)
    ids = [r[0] for r in db.execute("SELECT id FROM conversations ORDER BY id")]
    for agent in ("ana", "bruno", "carla"):
        assign(db, rng.sample(ids, len(ids) // 5), agent, actor="test")


def _check_all_paths(db) -> None:
    for by in OUTCOME_GROUPINGS:
        _same_rows(outcome_report(db, by=by), outcome_report(db, by=by, since=EPOCH))
    for by in ("agent", "agent,day", "brand,agent"):
        _same_rows(response_time_report(db, by=by), response_time_report(db, by=by, since=EPOCH))


@pytest.fixture(scope="module")
def twcs_db(tmp_path_factory):
    if not TWCS.exists():
        pytest.fail(f"real data missing: {TWCS} (see /work/shared/data/README.md)")
    db = open_database(tmp_path_factory.mktemp("twcs") / "twcs.db")
    import_batches(db, read_twcs(TWCS), source=TWCS_SOURCE)
    _assign_agents(db)
    return db


def test_twcs_outcomes_and_agents_from_the_rollup_equal_the_direct_computation(twcs_db):
    (overall,) = outcome_report(twcs_db, by=None)
    # Not a vacuous comparison: real moods, resolutions and agents.
    assert overall["conversations"] > 1000
    assert overall["recovered"] > 50 and overall["worsened"] > 10
    assert overall["resolved"] > 100 and overall["mean_recovery"] is not None
    agents = {row["agent"] for row in outcome_report(twcs_db, by="agent")}
    assert agents == {"ana", "bruno", "carla", None}
    _check_all_paths(twcs_db)


def test_twcs_rollup_follows_triage_actions(twcs_db):
    ids = [r[0] for r in twcs_db.execute("SELECT id FROM conversations ORDER BY id LIMIT 200")]
    assign(twcs_db, ids[:100], "dora", actor="test")
    assign(twcs_db, ids[100:150], None, actor="test")
    set_status(twcs_db, ids[150:170], "spam", actor="test")
    dora = [r for r in response_time_report(twcs_db, by="agent") if r["agent"] == "dora"]
    assert dora and dora[0]["conversations"] > 0
    _check_all_paths(twcs_db)


def test_generated_store_from_the_rollup_equals_the_direct_computation(tmp_path):
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        from metrics_bench import generate
    finally:
        sys.path.remove(str(REPO_ROOT / "benchmarks"))
    db = open_database(tmp_path / "generated.db")
    generate(db, 4000, brands=5, days=30, followups=0.5)
    recompute_all(db)
    _assign_agents(db, seed=11)
    (overall,) = outcome_report(db, by=None)
    assert overall["conversations"] > 3000 and overall["recovered"] > 100
    _check_all_paths(db)
    # After a recompute of everything the rollup is rebuilt, not patched.
    recompute_all(db)
    _check_all_paths(db)
