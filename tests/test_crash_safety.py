"""Crash safety, proven: ``replywatch import twcs`` (a real subprocess) is
SIGKILLed at random moments, re-run, and the final store must equal the one
an uninterrupted run makes."""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

from tests.crash_harness import (
    REPO_ROOT,
    KillStats,
    replywatch_command,
    run_until_complete,
    store_signature,
    store_state,
    timed_run,
)

SEED = int(os.environ.get("REPLYWATCH_CRASH_SEED", "20240501"))


def _kill_trials(csv_path: Path, tmp: Path, *, rows: int, kills: int, per_trial: int,
                 batch_size: int, rng: random.Random, stats: KillStats) -> int:
    """Kill imports of ``csv_path`` ``kills`` times in all (trials of up to
    ``per_trial`` kills on a fresh database each), checking every final store
    against an uninterrupted run. Returns the number of trials."""
    import_args = ("import", "twcs", str(csv_path), "--batch-size", str(batch_size))
    reference_db = tmp / f"{csv_path.stem}-reference.db"
    duration = timed_run(replywatch_command(*import_args, "--db", str(reference_db)))
    reference = store_signature(reference_db)
    assert reference["messages"] == rows and reference["unthreaded"] == 0
    # Start-up (interpreter, imports, migrations) measured on a header-only
    # file; kills are spread from just before the real work starts to just
    # past a full run: before the first commit, between batches, during
    # threading and after it.
    header_only = tmp / "header-only.csv"
    header_only.write_bytes(csv_path.open("rb").readline())
    startup = timed_run(replywatch_command("import", "twcs", str(header_only), "--db",
                                           str(tmp / "startup.db")))
    delay_range = (0.9 * startup, startup + 1.05 * max(duration - startup, 0.05))
    trials = 0
    while stats.kills < kills:
        trials += 1
        db_path = tmp / f"{csv_path.stem}-trial{trials}.db"
        run_until_complete(
            replywatch_command(*import_args, "--db", str(db_path)),
            rng=rng, delay_range=delay_range, max_kills=min(per_trial, kills - stats.kills),
            stats=stats, inspect=lambda db_path=db_path: store_state(db_path, rows))
        final = store_signature(db_path)
        assert final["messages"] == final["distinct_messages"] == rows
        assert final == reference, f"trial {trials}: store differs from an uninterrupted run"
    return trials


def test_sigkilled_imports_end_identical_to_an_uninterrupted_run(tmp_path, twcs_slice):
    rng = random.Random(SEED)
    slice_stats = KillStats()
    slice_trials = _kill_trials(twcs_slice, tmp_path, rows=5000, kills=16, per_trial=4,
                                batch_size=100, rng=rng, stats=slice_stats)

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from import_bench import generate

    generated = tmp_path / "generated.csv"
    generate(generated, 30_000, seed=SEED)
    big_stats = KillStats()
    big_trials = _kill_trials(generated, tmp_path, rows=30_000, kills=6, per_trial=3,
                              batch_size=2_000, rng=rng, stats=big_stats)

    print(f"\ntwcs slice (5,000 rows, {slice_trials} trials): {slice_stats.summary()}")
    print(f"generated twcs (30,000 rows, {big_trials} trials): {big_stats.summary()}")
    # The test proves something only if kills really interrupted imports
    # half-way; fail loudly if timing made every kill miss.
    interrupted = sum(s.states["partial"] + s.states["unthreaded"]
                      for s in (slice_stats, big_stats))
    assert interrupted > 0, (slice_stats.summary(), big_stats.summary())
