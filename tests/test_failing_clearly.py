"""Issue 18, items 12-16: what a new user meets when something is off (a wrong
--db, a busy port, an empty file) gets one clear line and a non-zero exit,
never a traceback, a stray folder or a silent zero."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.base import Message
from replywatch.pipeline import ingest
from replywatch.store.db import open_database

BASE = {"platform": "x", "created_at": "2024-05-01T10:00:00Z", "direction": "inbound"}


def run(*args: str, cwd: Path | None = None):
    """The command as a user runs it, in-process; returns the click Result."""
    if cwd is None:
        return CliRunner().invoke(main, list(args))
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(previous)


def one_line_error(result, *needles: str) -> str:
    """Assert ``result`` failed with one line of error (no traceback) that
    contains every needle; return that line."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def jsonl_file(path: Path, count: int = 3) -> Path:
    path.write_text(
        "".join(
            json.dumps({**BASE, "id": f"m{i}", "text": f"hi {i}"}) + "\n" for i in range(count)
        ),
        encoding="utf-8",
    )
    return path


# --- 12: a file that is not a usable database ----------------------------------------


def test_a_file_that_is_not_a_database_is_one_line_for_every_command(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("this is not SQLite\n" * 100)
    before = bogus.read_bytes()
    for args in (
        ["stats"],
        ["report", "response-times"],
        ["import", "jsonl", str(jsonl_file(tmp_path / "in.jsonl"))],
        ["export", "conversations", "--format", "csv", "--out", str(tmp_path / "o.csv")],
    ):
        result = run(*args, "--db", str(bogus))
        one_line_error(result, str(bogus), "not a usable replywatch database")
    assert bogus.read_bytes() == before


def _corrupt_middle(path: Path) -> None:
    """Overwrite pages in the middle of a database file with garbage (what a
    bad disk or a copy interrupted mid-file leaves)."""
    size = path.stat().st_size
    page = 4096
    with open(path, "r+b") as handle:
        for start in range(size // 3 // page * page, size * 2 // 3, page * 3):
            handle.seek(start)
            handle.write(os.urandom(page))


def test_an_import_into_a_database_damaged_mid_file_is_refused_before_any_row(tmp_path):
    db_file = tmp_path / "damaged.db"
    db = open_database(db_file)
    ingest(
        db,
        [
            Message(
                platform="x",
                external_id=f"old{i}",
                created_at=__import__("datetime").datetime(
                    2024, 5, 1, tzinfo=__import__("datetime").UTC
                ),
                text=f"@acme message number {i} " + "x" * 200,
                direction="inbound",
                kind="mention",
                channel="public",
                source="test",
                author_handle=f"c{i}",
            )
            for i in range(3000)
        ],
        source="test",
    )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    _corrupt_middle(db_file)
    damaged = db_file.read_bytes()
    header = damaged[:100]
    result = run(
        "import", "jsonl", str(jsonl_file(tmp_path / "new.jsonl", 50)), "--db", str(db_file)
    )
    one_line_error(result, str(db_file))
    assert "damaged" in result.output or "not a usable" in result.output
    with open(db_file, "rb") as handle:
        assert handle.read(100) == header
    # Nothing of the new file reached the database. (Counted against the
    # damaged file: its random bytes hold "m49" about once in a hundred runs.)
    raw = db_file.read_bytes()
    assert raw.count(b"hi 1") == damaged.count(b"hi 1")
    assert raw.count(b"m49") == damaged.count(b"m49")


def test_file_errors_are_named_and_others_are_not_swallowed():
    import sqlite3

    from replywatch.store.db import file_error

    assert "read-only" in file_error(
        sqlite3.OperationalError("attempt to write a readonly database"), "x.db"
    )
    assert file_error(sqlite3.OperationalError("no such column: nope")) is None
    assert file_error(ValueError("file is not a database")) is None


# --- 13: a mistyped --db or --out -----------------------------------------------------


def test_a_missing_directory_is_refused_and_never_created(tmp_path):
    missing = tmp_path / "typo" / "deeper" / "x.db"
    source = jsonl_file(tmp_path / "in.jsonl")
    for args in (
        ["import", "jsonl", str(source), "--db", str(missing)],
        ["stats", "--db", str(missing)],
    ):
        one_line_error(run(*args), str(missing.parent))
    assert not (tmp_path / "typo").exists()
    db_file = tmp_path / "real.db"
    assert run("import", "jsonl", str(source), "--db", str(db_file)).exit_code == 0
    out = tmp_path / "nope" / "conversations.csv"
    result = run(
        "export", "conversations", "--format", "csv", "--out", str(out), "--db", str(db_file)
    )
    one_line_error(result, "does not exist")
    assert not (tmp_path / "nope").exists()


def test_read_only_commands_never_create_a_database(tmp_path):
    db_file = tmp_path / "never.db"
    for args in (["stats"], ["report", "response-times"], ["alerts", "status"]):
        one_line_error(run(*args, "--db", str(db_file)), str(db_file), "no database there")
    assert not db_file.exists()


def test_every_report_command_refuses_a_mistyped_db(tmp_path):
    # Issue 27 item 7: `report outcomes` created a missing --db (and reported
    # nothing) where `report response-times` refused it; every report command
    # now opens the database the same way (commands/options.py report_options).
    names = sorted(main.get_command(click.Context(main), "report").commands)
    assert {"outcomes", "response-times"} <= set(names)
    db_file = tmp_path / "never.db"
    for name in names:
        one_line_error(run("report", name, "--db", str(db_file)), str(db_file), "no database")
        assert not db_file.exists(), name


def test_the_default_data_folder_is_still_created_for_a_first_import(tmp_path):
    source = jsonl_file(tmp_path / "in.jsonl")
    work = tmp_path / "fresh"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "REPLYWATCH_DB"}
    previous = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)
    try:
        result = run("import", "jsonl", str(source), cwd=work)
    finally:
        os.environ.clear()
        os.environ.update(previous)
    assert result.exit_code == 0, result.output
    assert (work / "data" / "replywatch.db").is_file()


# --- 14: the port, and stopping -------------------------------------------------------


@pytest.fixture
def busy_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_busy_port_is_one_line_before_anything_starts(tmp_path, busy_port, monkeypatch):
    from replywatch import dashboard_launcher

    started = []
    monkeypatch.setattr(dashboard_launcher, "run_dashboard", lambda *a, **k: started.append(a))
    db_file = tmp_path / "d.db"
    result = run("dashboard", "--db", str(db_file), "--port", str(busy_port))
    one_line_error(result, f"port {busy_port}", "--port")
    assert "http://" not in result.output
    demo_db = tmp_path / "demo.db"
    result = run("demo", "--db", str(demo_db), "--port", str(busy_port), "--ticks", "1")
    one_line_error(result, f"port {busy_port}")
    assert started == [] and not demo_db.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("command", ["dashboard", "demo"])
def test_sigterm_stops_the_streamlit_child_and_frees_the_port(tmp_path, command):
    port = _free_port()
    args = [command, "--db", str(tmp_path / f"{command}.db"), "--port", str(port)]
    if command == "demo":
        args += ["--days", "1", "--interval", "0.5"]
    process = subprocess.Popen(
        [sys.executable, "-c", "from replywatch.cli import main; main()", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "dashboard did not come up"
            time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert not _listening(port), "the Streamlit child still holds the port"
    finally:
        if process.poll() is None:
            process.kill()
        # Whatever is left of the group (a leaked child) goes too.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --- 15: nothing usable read ------------------------------------------------------------


def test_nothing_usable_read_fails_clearly(tmp_path):
    db_file = tmp_path / "x.db"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    one_line_error(run("import", "twcs", str(empty), "--db", str(db_file)), "no rows to import")
    header_only = tmp_path / "header.csv"
    header_only.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    )
    result = run("import", "twcs", str(header_only), "--db", str(db_file))
    assert result.exit_code == 0 and "warning: " in result.output and "no rows" in result.output
    csv_file = tmp_path / "messages.csv"
    csv_file.write_text("id,text\n1,hello\n2,world\n3,again\n")
    one_line_error(
        run("import", "jsonl", str(csv_file), "--db", str(db_file)),
        "4 rejected",  # the header line too
        "is this really a jsonl file",
    )
    # A file with usable rows still succeeds (and reports its rejects).
    assert (
        run(
            "import", "jsonl", str(jsonl_file(tmp_path / "ok.jsonl")), "--db", str(db_file)
        ).exit_code
        == 0
    )


def test_since_after_until_is_refused(tmp_path):
    db_file = tmp_path / "x.db"
    run("import", "jsonl", str(jsonl_file(tmp_path / "ok.jsonl")), "--db", str(db_file))
    result = run(
        "report",
        "response-times",
        "--since",
        "2024-05-10",
        "--until",
        "2024-05-01",
        "--db",
        str(db_file),
    )
    one_line_error(result, "is after until", "swap")
    result = run(
        "export", "conversations", "--format", "csv", "--out", str(tmp_path / "c.csv"),
        "--since", "2024-05-10", "--until", "2024-05-01", "--db", str(db_file),
    )  # fmt: skip
    one_line_error(result, "is after until")


# --- 16: which database ---------------------------------------------------------------------


def test_after_the_demo_stats_says_where_the_data_is(tmp_path, monkeypatch):
    monkeypatch.delenv("REPLYWATCH_DB", raising=False)
    (tmp_path / "data").mkdir()
    result = run("demo", "--days", "1", "--no-dashboard", "--ticks", "0", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "replywatch stats --db data/demo.db" in result.output
    result = run("stats", cwd=tmp_path)
    one_line_error(result, "data/replywatch.db", "--db data/demo.db")
    result = run("stats", "--db", "data/demo.db", cwd=tmp_path)
    assert result.exit_code == 0 and "database: data/demo.db" in result.output
