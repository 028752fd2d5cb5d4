"""Concurrency: a writer ingesting at full speed, readers querying and agents
changing statuses through ``pipeline.set_status`` (the dashboard's code
path), all in separate processes on one database file: no "database is
locked", no lost write, every agent's last status kept and its audit trail
exactly its effective changes, in order."""

from __future__ import annotations

from benchmarks.workload import percentiles, run_workload
from replywatch.collectors.imports import TWCS_SOURCE, read_twcs
from replywatch.pipeline import import_batches
from replywatch.store.db import open_database


def test_writer_readers_and_agents_share_the_database(tmp_path, twcs_slice):
    db_path = tmp_path / "busy.db"
    db = open_database(db_path)
    import_batches(db, read_twcs(twcs_slice), source=TWCS_SOURCE)
    db.close()

    result = run_workload(db_path, writers=1, readers=3, agents=2, seconds=3.0, batch_size=200)

    writes = [x for w in result.writers for x in w.latencies]
    reads = [x for r in result.readers for x in r.latencies]
    changes = [c for a in result.agents for c in a.changes]
    fmt = lambda v: " ".join(f"{k} {x:.1f}" for k, x in percentiles(v).items())  # noqa: E731
    print(
        f"\n1 writer ({len(writes)} batches), 3 readers ({len(reads)} queries), "
        f"2 agents ({len(changes)} status changes); write ms: {fmt(writes)}; "
        f"read ms: {fmt(reads)}"
    )
    assert writes and reads and changes, "every role must have done some work"
    effective = sum(changed for _, _, changed in changes)
    print(f"{effective} of {len(changes)} set_status calls changed a status")
    assert effective > 0, "agents must really change statuses"
    assert result.locked_errors == 0
    assert result.messages_stored == result.messages_expected
    assert result.lost_status_changes == 0
    assert result.missing_audit_entries == 0
