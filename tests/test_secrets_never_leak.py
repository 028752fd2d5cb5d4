"""Fake credentials must never reach the database, logs, command output,
error records or exports — on the success path and when every request fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from tests.collectors_support import CASSETTES, json_vcr
from tests.test_collect_cli import setup
from tests.test_collect_story import FAKE_ENV

SECRETS = [v for k, v in FAKE_ENV.items() if "SECRET" in v]


def _leaks(blob: bytes) -> list[str]:
    found = [s for s in SECRETS if s.encode() in blob]
    # a token could also leak in part, e.g. after URL-encoding or truncation
    found += [
        s
        for s in SECRETS
        if s.split("-")[0] + "-SECRET" in blob.decode("latin-1") and s not in found
    ]
    return found


@pytest.fixture
def collected(tmp_path: Path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    db_path = setup(tmp_path, monkeypatch, FAKE_ENV)
    runner = CliRunner()
    outputs = []
    with json_vcr().use_cassette(str(CASSETTES / "collect_once.json")):
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    # Now every request fails (nothing recorded): errors are stored and printed.
    empty = tmp_path / "empty.json"
    empty.write_text('{"interactions": [], "version": 1}')
    with json_vcr().use_cassette(str(empty)):
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    return db_path, outputs, caplog


def test_no_secret_in_db_logs_output_or_exports(collected, tmp_path: Path):
    db_path, outputs, caplog = collected
    assert outputs[0].exit_code == 0, outputs[0].output
    from replywatch.store.db import open_database

    db = open_database(db_path)
    errors = db.execute(
        "SELECT count(*) FROM collector_health WHERE last_error IS NOT NULL"
    ).fetchone()[0]
    assert errors > 0, "the failing run should have recorded errors"
    runner = CliRunner()
    exports = []
    for what in ("conversations", "benchmarks"):
        for fmt in ("csv", "xlsx", "parquet", "json"):
            out = tmp_path / f"{what}.{fmt}"
            result = runner.invoke(
                main, ["export", what, "--format", fmt, "--out", str(out), "--db", str(db_path)]
            )
            assert result.exit_code == 0, result.output
            exports.append(out)
    db.close()
    blobs = {str(p): p.read_bytes() for p in [db_path, *exports]}
    for suffix in ("-wal", "-shm"):
        wal = Path(f"{db_path}{suffix}")
        if wal.exists():
            blobs[str(wal)] = wal.read_bytes()
    blobs["output"] = "\n".join(r.output for r in outputs).encode()
    blobs["logs"] = caplog.text.encode()
    leaks = {name: _leaks(blob) for name, blob in blobs.items() if _leaks(blob)}
    assert leaks == {}
