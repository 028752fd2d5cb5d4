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
    timed_run_watching,
)

SEED = int(os.environ.get("REPLYWATCH_CRASH_SEED", "20240501"))


def _kill_trials(
    csv_path: Path,
    tmp: Path,
    *,
    rows: int,
    kills: int,
    per_trial: int,
    batch_size: int,
    rng: random.Random,
    stats: KillStats,
    score: bool,
) -> int:
    """Kill imports of ``csv_path`` ``kills`` times in all (trials of up to
    ``per_trial`` kills on a fresh database each), checking every final store
    against an uninterrupted run. Returns the number of trials."""
    import_args = (
        "import",
        "twcs",
        str(csv_path),
        "--batch-size",
        str(batch_size),
        "--score" if score else "--no-score",
    )
    label = f"{csv_path.stem}-{'scored' if score else 'unscored'}"
    reference_db = tmp / f"{label}-reference.db"
    duration, first_stored = timed_run_watching(
        replywatch_command(*import_args, "--db", str(reference_db)), reference_db
    )
    reference = store_signature(reference_db)
    assert reference["messages"] == rows and reference["unthreaded"] == 0
    # Start-up (interpreter, imports, migrations) measured on a header-only
    # file; kills are spread from just before the real work starts to just
    # past a full run: before the first commit, between batches, during
    # threading and after it.
    header_only = tmp / "header-only.csv"
    header_only.write_bytes(csv_path.open("rb").readline())
    startup = timed_run(
        replywatch_command(
            "import", "twcs", str(header_only), "--db", str(tmp / f"{label}-startup.db")
        )
    )
    delay_range = (0.9 * startup, startup + 1.05 * max(duration - startup, 0.05))
    # Half the kills aim at the stretch from the first stored row to the end,
    # the only one where a kill can leave a part-written store: with reading
    # and planning first, it is a small part of a run, and uniform kills alone
    # missed it in all 36 cycles once.
    storing_range = (0.95 * first_stored, 1.05 * duration)
    trials = 0
    while stats.kills < kills:
        trials += 1
        db_path = tmp / f"{label}-trial{trials}.db"
        run_until_complete(
            replywatch_command(*import_args, "--db", str(db_path)),
            rng=rng,
            delay_range=delay_range,
            storing_range=storing_range,
            max_kills=min(per_trial, kills - stats.kills),
            stats=stats,
            inspect=lambda db_path=db_path: store_state(db_path, rows, scored=score),
        )
        final = store_signature(db_path)
        assert final["messages"] == final["distinct_messages"] == rows
        assert final == reference, f"trial {trials}: store differs from an uninterrupted run"
    return trials


def test_sigkilled_imports_end_identical_to_an_uninterrupted_run(tmp_path, twcs_slice):
    rng = random.Random(SEED)
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from import_bench import generate

    generated = tmp_path / "generated.csv"
    generate(generated, 30_000, seed=SEED)
    # Loading only (batch commits, then threading) and loading + sentiment
    # scoring (which takes most of a scored run) are killed separately, so
    # kills land in every phase.
    runs = [
        ("twcs slice, 5,000 rows, --no-score", twcs_slice, 5000, 10, 4, 100, False),
        # Scoring after storing is where most kills of a scored run land
        # part-way (about a quarter of them): 16 kills.
        ("twcs slice, 5,000 rows, scored", twcs_slice, 5000, 16, 4, 100, True),
        # Stored in short transactions: a kill is observable part-way only
        # while they run (a fraction of the run), so this run has 10 kills.
        ("generated twcs, 30,000 rows, --no-score", generated, 30_000, 10, 4, 2_000, False),
    ]
    summaries, interrupted, total = [], 0, 0
    for label, path, rows, kills, per_trial, batch_size, score in runs:
        stats = KillStats()
        trials = _kill_trials(
            path,
            tmp_path,
            rows=rows,
            kills=kills,
            per_trial=per_trial,
            batch_size=batch_size,
            rng=rng,
            stats=stats,
            score=score,
        )
        summaries.append(f"{label} ({trials} trials): {stats.summary()}")
        interrupted += sum(stats.states[s] for s in ("partial", "unthreaded", "unscored"))
        total += stats.kills
    print("\n" + "\n".join(summaries) + f"\ntotal: {total} kill cycles, zero loss")
    # The test proves something only if kills really interrupted imports
    # half-way; fail loudly if timing made every kill miss.
    assert interrupted > 0, summaries
