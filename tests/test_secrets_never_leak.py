"""Fake credentials must never reach the database, logs, command output,
error records or exports — on the success path and when every request fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from tests.collectors_support import CASSETTES, story_cassette
from tests.test_collect_cli import setup
from tests.test_collect_story import FAKE_ENV

SECRETS = [v for k, v in FAKE_ENV.items() if "SECRET" in v]


def _leaks(blob: bytes, secrets: list[str] = SECRETS) -> list[str]:
    found = [s for s in secrets if s.encode() in blob]
    # a token could also leak in part, e.g. after URL-encoding or truncation
    found += [
        s
        for s in secrets
        if "-SECRET" in s
        and s.split("-")[0] + "-SECRET" in blob.decode("latin-1")
        and s not in found
    ]
    return found


@pytest.fixture
def collected(tmp_path: Path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    db_path = setup(tmp_path, monkeypatch, FAKE_ENV)
    runner = CliRunner()
    outputs = []
    with story_cassette(CASSETTES / "collect_once.json"):
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    # Now every request fails (nothing recorded): errors are stored and printed.
    empty = tmp_path / "empty.json"
    empty.write_text('{"interactions": [], "version": 1}')
    with story_cassette(empty):
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    return db_path, outputs, caplog


def test_no_secret_in_db_logs_output_or_exports(collected, tmp_path: Path):
    db_path, outputs, caplog = collected
    assert outputs[0].exit_code == 0, outputs[0].output
    assert _leaked_anywhere(db_path, outputs, caplog, tmp_path) == {}


def _leaked_anywhere(db_path, outputs, caplog, tmp_path: Path, secrets: list[str] = SECRETS):
    """Which secrets appear in the database (and its WAL), the exports of
    every kind, the command output or the logs."""
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
    return {name: _leaks(blob, secrets) for name, blob in blobs.items() if _leaks(blob, secrets)}


def test_no_meta_secret_leaks_on_success_or_failure(tmp_path: Path, monkeypatch, caplog):
    """The Graph API token, app secret and the appsecret_proof derived from
    them: also when every answer is an error quoting them, or a network
    error quoting the request URL."""
    import hashlib
    import hmac
    import json

    import requests
    import responses

    from tests.meta_recordings import CONFIG, FAKE_META_ENV, GRAPH, build_story

    caplog.set_level(logging.DEBUG)
    db_path = setup(tmp_path, monkeypatch, FAKE_META_ENV)
    (tmp_path / "replywatch.toml").write_text(CONFIG)
    token, app_secret = FAKE_META_ENV["META_ACCESS_TOKEN"], FAKE_META_ENV["META_APP_SECRET"]
    proof = hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
    secrets = [token, app_secret, proof]
    runner = CliRunner()
    outputs = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        story = build_story()
        story.fake.install(mock)
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    assert outputs[0].exit_code == 0, outputs[0].output
    assert story.fake.calls, "the Meta sources should have run"

    def hostile(request: requests.PreparedRequest):
        if "conversations" in request.url:
            raise requests.ConnectionError(f"connection reset while fetching {request.url}")
        body = {"error": {"message": f"Invalid token {token} (proof {proof}, secret "
                          f"{app_secret})", "type": "OAuthException", "code": 190}}  # fmt: skip
        return 400, {}, json.dumps(body)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, GRAPH, callback=hostile)
        outputs.append(runner.invoke(main, ["collect", "--once", "--db", str(db_path)]))
    from replywatch.store.db import open_database

    db = open_database(db_path)
    errors = [r[0] for r in db.execute("SELECT last_error FROM collector_health")]
    db.close()
    assert errors and all(e and ("re-authorise" in e or "ConnectionError" in e) for e in errors)
    assert _leaked_anywhere(db_path, outputs, caplog, tmp_path, secrets) == {}
