"""Issue 27 item 1: a platform answer that carries the caller's credentials (a
Graph API ``paging.next`` URL holds ``access_token`` and ``appsecret_proof``)
never reaches the database, a backup, an export or a data subject's export.

The token is planted in recorded Graph traffic (tests/meta_recordings.py) in a
post's nested ``comments.paging``, in a post URL and in an item the collector
dead-letters; then the real ``replywatch`` commands run and every file they
write (database and WAL, backup, every export format, export-subject) is read
back and searched for the planted values."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import responses
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.graph_api import GRAPH_VERSION
from replywatch.store.db import open_database
from replywatch.store.schema import migrations
from tests.meta_recordings import CONFIG, FAKE_META_ENV, G1, PAGE, V1, build_story
from tests.test_collect_cli import setup

# Not the configured token: only the stored-text rule can catch these.
TOKEN = "EAAGplantedTOKEN9x7q"
PROOF = "plantedPROOF5c2e81"
PLANTED = (TOKEN, PROOF, FAKE_META_ENV["META_ACCESS_TOKEN"])


def _leaky_url(path: str) -> str:
    return (
        f"https://graph.facebook.com/{GRAPH_VERSION}/{path}?access_token={TOKEN}"
        f"&appsecret_proof={PROOF}&limit=25&after=QVFI"
    )


def _planted_story():
    story = build_story()
    feed = story.fake.routes[(f"{PAGE}/feed", None, None)][0].body
    visitor_post = next(p for p in feed["data"] if p["id"] == V1)
    visitor_post["comments"]["paging"] = {"next": _leaky_url(f"{V1}/comments")}
    visitor_post["permalink_url"] += f"?access_token={TOKEN}"
    comments = story.fake.routes[(f"{G1}/comments", None, None)][0].body
    del comments["data"][1]["timestamp"]  # dead-lettered, with the token inside
    comments["data"][1]["text"] = f"veja {_leaky_url(f'{G1}/comments')}"
    return story


def _leaks(data: bytes, where: str) -> list[str]:
    return [f"{where}: {value}" for value in PLANTED if value.encode() in data]


def _export_text(path: Path) -> bytes:
    """The readable content of an export (xlsx is a zip, parquet compressed)."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    if path.suffix == ".parquet":
        return json.dumps(pq.read_table(path).to_pylist(), default=str).encode()
    return path.read_bytes()


def _ok(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_a_planted_token_is_in_no_file_replywatch_writes(tmp_path, monkeypatch):
    db_path = setup(tmp_path, monkeypatch, FAKE_META_ENV)
    (tmp_path / "replywatch.toml").write_text(CONFIG)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        _planted_story().fake.install(mock)
        _ok("collect", "--once", "--db", str(db_path))
    db = open_database(db_path)
    # The planted parts were stored (the test can fail): the post and its URL,
    # and the dead letter.
    assert db.execute(
        "SELECT count(*) FROM messages WHERE external_id = ? AND raw LIKE '%paging%' "
        "AND url LIKE '%access_token=%'",
        (V1,),
    ).fetchone() == (1,)
    assert db.execute(
        "SELECT count(*) FROM dead_letters WHERE payload LIKE '%appsecret_proof%'"
    ).fetchone() == (1,)
    db.close()

    leaks = []
    for suffix in ("", "-wal"):
        file = Path(f"{db_path}{suffix}")
        if file.exists():
            leaks += _leaks(file.read_bytes(), file.name)
    backup = tmp_path / "backup.db"
    _ok("backup", str(backup), "--db", str(db_path))
    leaks += _leaks(backup.read_bytes(), "backup")
    for kind in ("conversations", "benchmarks"):
        for fmt in ("csv", "xlsx", "parquet", "json"):
            out = tmp_path / f"{kind}.{fmt}"
            _ok("export", kind, "--format", fmt, "--out", str(out), "--db", str(db_path))
            leaks += _leaks(_export_text(out), out.name)
    subject = _ok("export-subject", "--author", "3000000003", "--db", str(db_path))
    assert V1 in subject and "paging" in subject  # her post and its payload are in it
    leaks += _leaks(subject.encode(), "export-subject")
    assert leaks == []


def test_the_migration_cleans_a_store_that_already_holds_tokens(tmp_path):
    db = open_database(tmp_path / "old.db")
    raw = json.dumps({"comments": {"paging": {"next": _leaky_url("1/comments")}}})
    db.execute(
        "INSERT INTO messages (platform, external_id, kind, channel, direction, text, "
        "author_handle, mentions, created_at, created_ts, url, source, fetched_at, raw) "
        "VALUES ('facebook', 'p1', 'post', 'public', 'inbound', 'oi', 'ana', '', "
        "'2024-05-01T10:00:00Z', 1714557600, ?, 'facebook:acme:feed', "
        "'2024-05-01T10:00:00Z', ?)",
        (f"https://www.facebook.com/p1?access_token={TOKEN}", raw),
    )
    payload = json.dumps({"next": _leaky_url("2/comments")})
    db.execute(
        "INSERT INTO dead_letters (source, received_at, error, payload, payload_key) "
        "VALUES ('facebook:acme:feed', '2024-05-01T10:00:00Z', ?, ?, 'k')",
        (f"bad item at {_leaky_url('3')}", payload),
    )
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm020_scrub_credentials'")
    db.conn.commit()
    migrations.apply(db)
    stored = db.execute(
        "SELECT raw || url FROM messages UNION ALL SELECT payload || error FROM dead_letters"
    ).fetchall()
    text = " ".join(row[0] for row in stored)
    assert "after=QVFI" in text and "access_token=***" in text and "appsecret_proof=***" in text
    assert TOKEN not in text and PROOF not in text
    db.close()
