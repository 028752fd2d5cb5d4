"""Issue 27 items 2, 3 and 6 (JSONL): text over the platforms' limit, a line
too long to read whole, duplicate JSON keys and a UTF-16 file are refused
with their reason, never stored; the Triage page sends a bounded preview of a
long text to the browser."""

from __future__ import annotations

import json

from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from replywatch.cli import main
from replywatch.collectors.imports import LONG_LINE_KEPT, MAX_LINE_BYTES
from replywatch.pipeline import ingest
from replywatch.store.db import DB_ENV_VAR, open_database
from replywatch.store.message_spec import MAX_TEXT_CHARS
from replywatch.views.safe_text import PREVIEW_CHARS
from tests.test_triage_resolved_page import APP, _m

BASE = {"platform": "x", "created_at": "2024-05-01T10:00:00Z", "direction": "inbound"}


def _import(tmp_path, lines: list[str], *, encoding: str = "utf-8"):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding=encoding)
    db_path = tmp_path / "rw.db"
    result = CliRunner().invoke(main, ["import", "jsonl", str(path), "--db", str(db_path)])
    return result, db_path


def _stored(db_path) -> tuple[dict, list]:
    db = open_database(db_path)
    messages = dict(db.execute("SELECT external_id, direction FROM messages").fetchall())
    dead = db.execute("SELECT error, length(payload) FROM dead_letters ORDER BY id").fetchall()
    db.close()
    return messages, dead


def test_text_over_the_platform_limit_is_a_dead_letter(tmp_path):
    lines = [
        json.dumps({**BASE, "id": "ok", "text": "a" * MAX_TEXT_CHARS}),
        json.dumps({**BASE, "id": "long", "text": "b" * (MAX_TEXT_CHARS + 1)}),
    ]
    result, db_path = _import(tmp_path, lines)
    assert result.exit_code == 0, result.output
    messages, dead = _stored(db_path)
    assert messages == {"ok": "inbound"}
    assert len(dead) == 1 and "over the limit of 63,206" in dead[0][0]


def test_a_line_too_long_to_read_whole_is_a_bounded_dead_letter(tmp_path):
    lines = [
        json.dumps({**BASE, "id": "before", "text": "hi"}),
        json.dumps({**BASE, "id": "huge", "text": "x" * (3 * MAX_LINE_BYTES)}),
        json.dumps({**BASE, "id": "after", "text": "hi"}),
    ]
    result, db_path = _import(tmp_path, lines)
    assert result.exit_code == 0, result.output
    messages, dead = _stored(db_path)
    assert messages == {"before": "inbound", "after": "inbound"}
    assert len(dead) == 1 and dead[0][0].startswith("line 2: 3,145,")
    assert dead[0][1] == LONG_LINE_KEPT


def test_duplicate_keys_are_a_dead_letter(tmp_path):
    # The record: stored as k2/outbound before, and a second
    # created_at slipped a 2099 date past the date check.
    lines = [
        '{"id":"k1","id":"k2","direction":"inbound","direction":"outbound",'
        '"platform":"x","created_at":"2024-05-01T10:00:00Z","text":"hi"}',
        '{"id":"d1","platform":"x","created_at":"2024-05-01T10:00:00Z",'
        '"created_at":"2099-12-31T23:00:00Z","direction":"inbound","text":"hi"}',
        '{"id":"n1","platform":"x","created_at":"2024-05-01T10:00:00Z","direction":"inbound",'
        '"text":"nested keys twice","raw":{"a":1,"a":2}}',
        json.dumps({**BASE, "id": "fine", "text": "hi"}),
    ]
    result, db_path = _import(tmp_path, lines)
    assert result.exit_code == 0, result.output
    messages, dead = _stored(db_path)
    assert messages == {"fine": "inbound"}
    assert [error for error, _size in dead] == [
        "line 1: duplicate keys in one object: direction, id",
        "line 2: duplicate keys in one object: created_at",
        "line 3: duplicate keys in one object: a",
    ]


def test_a_utf16_jsonl_file_is_refused_with_an_encoding_hint(tmp_path):
    lines = [json.dumps({**BASE, "id": f"m{i}", "text": "olá"}) for i in range(3)]
    for encoding in ("utf-16", "utf-16-le"):  # with and without a byte-order mark
        result, db_path = _import(tmp_path, lines, encoding=encoding)
        assert result.exit_code == 1, result.output
        assert "looks like UTF-16" in result.output and "iconv -f UTF-16" in result.output
        assert "Traceback" not in result.output
        if db_path.exists():
            assert _stored(db_path) == ({}, [])


def test_the_triage_page_sends_a_bounded_preview_of_a_long_text(tmp_path, monkeypatch):
    path = tmp_path / "long.db"
    db = open_database(path)
    # A store filled before the limit (or by a collector): 300,000 characters.
    ingest(db, [_m("big", 30, "z" * 300_000, author="ana")], source="test")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    queue = at.dataframe[0].value
    (message,) = list(queue["message"])
    assert message.startswith("zzz") and len(message) == PREVIEW_CHARS
    assert message.endswith("…")


FORMULAS = [" =1+1", "\n=cmd|' /C calc'!A0", "\r\n+SUM(A1)", "  @SUM(A1)", "\t-2+3"]
FULL_WIDTH = ['＝HYPERLINK("http://x")', "＋1+2", "－3+4", "＠SUM(A1)", " ＝1"]


def test_the_formula_guard_sees_through_leading_whitespace_and_full_width_signs():
    from replywatch.untrusted import neutralise_formula

    for value in FORMULAS + FULL_WIDTH:
        assert neutralise_formula(value) == "'" + value, value
    # Unchanged: plain numbers, text with a sign inside, and no false alarm.
    for value in ("-3", "+1.5", "a = b", "hello", "Olá =)", "1+1"):
        assert neutralise_formula(value) == value, value
    # A reply's usual start is guarded too (decision in untrusted.py's docstring).
    assert neutralise_formula("@LojaAurora obrigado") == "'@LojaAurora obrigado"


def test_a_csv_export_neutralises_those_cells(tmp_path):
    import csv

    db = open_database(tmp_path / "rw.db")
    ingest(
        db,
        [_m(f"f{i}", 30 + i, text, author=f"a{i}") for i, text in enumerate(FORMULAS + FULL_WIDTH)],
        source="test",
    )
    db.close()
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "conversations",
            "--format",
            "csv",
            "--out",
            str(out),
            "--db",
            str(tmp_path / "rw.db"),
        ],
    )
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8-sig") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for value in FORMULAS + FULL_WIDTH:
        assert "'" + value in cells, value
        assert value not in cells, value
