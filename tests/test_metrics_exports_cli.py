"""Exports (opened with the libraries Excel/LibreOffice users' tools rely on)
and the report/export CLI commands."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from replywatch.cli import main
from replywatch.collectors.base import Message
from replywatch.metrics import (
    export_benchmarks,
    export_benchmarks_to_bytes,
    export_conversations,
    export_conversations_to_bytes,
    neutralise_formula,
)
from replywatch.pipeline import ingest
from replywatch.store.brands import ensure_brand_accounts
from replywatch.store.db import open_database, transaction

PORTUGUESE = "Não recebi o pedido, péssimo atendimento! Cadê a devolução?"
FORMULA = '=HYPERLINK("http://evil.example","clique") @loja'


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "e.db"
    db = open_database(path)
    with transaction(db):
        ensure_brand_accounts(db, [("x", "loja", "loja")])
    t0 = datetime(2024, 5, 13, 12, tzinfo=UTC)
    messages = [
        Message(
            platform="x",
            external_id="1",
            created_at=t0,
            text=PORTUGUESE + " @loja",
            direction="inbound",
            kind="mention",
            channel="public",
            source="test",
            author_handle="joão_silva",
        ),
        Message(
            platform="x",
            external_id="2",
            created_at=t0.replace(minute=20),
            text="Olá! Vamos verificar.",
            direction="outbound",
            kind="reply",
            channel="public",
            source="test",
            author_handle="loja",
            brand="loja",
            in_reply_to_id="1",
        ),
        Message(
            platform="x",
            external_id="3",
            created_at=t0.replace(hour=13),
            text=FORMULA,
            direction="inbound",
            kind="mention",
            channel="public",
            source="test",
            author_handle="-attacker",
        ),
    ]
    ingest(db, messages, source="test")
    return path


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+55 11", "'+55 11"),
        ("-2", "-2"),  # a plain number stays a number (one rule: replywatch.untrusted)
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("olá", "olá"),
        ("", ""),
        (-5, -5),
        (None, None),
        (1.5, 1.5),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def test_csv_has_bom_utf8_portuguese_and_no_live_formulas(db_path):
    data = export_conversations_to_bytes(open_database(db_path), "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 2
    by_id = {r["first_message_external_id"]: r for r in rows}
    assert by_id["1"]["first_message_text"] == PORTUGUESE + " @loja"
    assert by_id["1"]["customer_handle"] == "joão_silva"
    assert by_id["1"]["first_response_seconds"] == "1200"
    assert by_id["1"]["first_customer_at"] == "2024-05-13T12:00:00Z"
    assert by_id["3"]["first_message_text"] == "'" + FORMULA
    assert by_id["3"]["customer_handle"] == "'-attacker"
    assert by_id["3"]["first_response_seconds"] == ""


def test_file_and_bytes_variants_are_the_same(db_path, tmp_path):
    db = open_database(db_path)
    for fmt in ("csv", "json"):
        out = tmp_path / f"c.{fmt}"
        export_conversations(db, fmt, out)
        assert out.read_bytes() == export_conversations_to_bytes(db, fmt)
        out = tmp_path / f"b.{fmt}"
        export_benchmarks(db, fmt, out, period="day")
        assert out.read_bytes() == export_benchmarks_to_bytes(db, fmt, period="day")


def test_xlsx_opens_with_openpyxl(db_path, tmp_path):
    out = tmp_path / "c.xlsx"
    export_conversations(open_database(db_path), "xlsx", out)
    sheet = load_workbook(out, read_only=True)["conversations"]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[0] == "conversation_id" and len(body) == 2
    texts = [dict(zip(header, r, strict=True))["first_message_text"] for r in body]
    # Text is a typed string cell: shown as written, never run as a formula.
    assert PORTUGUESE + " @loja" in texts and FORMULA in texts
    cells = [c for row in load_workbook(out)["conversations"].iter_rows() for c in row]
    formula_cell = next(c for c in cells if c.value == FORMULA)
    assert formula_cell.data_type == "s"
    seconds = [dict(zip(header, r, strict=True))["first_response_seconds"] for r in body]
    assert 1200 in seconds  # numbers stay numbers


def test_parquet_opens_with_pyarrow(db_path, tmp_path):
    out = tmp_path / "c.parquet"
    export_conversations(open_database(db_path), "parquet", out)
    table = pq.read_table(out)
    assert table.num_rows == 2
    assert PORTUGUESE + " @loja" in table.column("first_message_text").to_pylist()
    assert FORMULA in table.column("first_message_text").to_pylist()  # data format: as written
    bench = pq.read_table(io.BytesIO(export_benchmarks_to_bytes(open_database(db_path), "parquet")))
    assert bench.column("conversations").to_pylist() == [2]
    assert bench.column("period_start").to_pylist() == ["2024-05-13"]


def test_empty_exports_still_have_a_header(tmp_path):
    db = open_database(tmp_path / "empty.db")
    assert pq.read_table(io.BytesIO(export_conversations_to_bytes(db, "parquet"))).num_rows == 0
    assert export_benchmarks_to_bytes(db, "json") == b"[\n]\n"


def test_bad_format_is_refused_and_writes_nothing(db_path, tmp_path):
    out = tmp_path / "c.ods"
    with pytest.raises(ValueError, match="format must be one of"):
        export_conversations(open_database(db_path), "ods", out)
    assert not out.exists()


def test_cli_report_json(db_path):
    result = CliRunner().invoke(
        main,
        ["report", "response-times", "--by", "brand", "--format", "json", "--db", str(db_path)],
    )
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["brand"] == "loja" and row["conversations"] == 2 and row["answered"] == 1
    assert row["first_response_median_s"] == 1200 and row["business_within_1h"] == 1.0
    for key in (
        "response_rate",
        "first_response_p90_s",
        "first_response_mean_s",
        "business_first_response_median_s",
        "within_15m",
        "within_24h",
    ):
        assert key in row


@pytest.mark.parametrize("by", ["brand", "platform", "channel", "agent", "day", "week", "hour"])
def test_cli_report_every_grouping_and_format(db_path, by):
    for fmt in ("table", "csv", "json"):
        result = CliRunner().invoke(
            main,
            [
                "report",
                "response-times",
                "--by",
                by,
                "--business-hours",
                "--format",
                fmt,
                "--db",
                str(db_path),
            ],
        )
        assert result.exit_code == 0, result.output
        assert result.output.strip()


def test_cli_report_refuses_unknown_grouping(db_path):
    result = CliRunner().invoke(
        main, ["report", "response-times", "--by", "colour", "--db", str(db_path)]
    )
    assert result.exit_code != 0 and "unknown grouping" in result.output


def test_cli_export(db_path, tmp_path):
    out = tmp_path / "bench.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "benchmarks",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--period",
            "month",
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out, read_only=True)["benchmarks"].iter_rows(values_only=True))
    assert rows[1][:3] == ("loja", "month", "2024-05")
    out = tmp_path / "conv.csv"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "conversations",
            "--format",
            "csv",
            "--out",
            str(out),
            "--since",
            "2024-05-14",
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 1  # header only


def test_cli_report_table_prints_data_as_text_never_markup(db_path):
    """Issue 18.5: brand and platform values were printed as Rich markup:
    ``ok[/]`` crashed the command, ``[link=...]`` became a terminal hyperlink and
    escape sequences reached the terminal."""
    db = open_database(db_path)
    with transaction(db):
        db.execute(
            "UPDATE conversations SET brand = 'ok[/]', platform = ?",
            ("[link=https://evil.example]x\x1b[31mred\x07",),
        )
        db.execute(
            "UPDATE messages SET platform = ?", ("[link=https://evil.example]x\x1b[31mred\x07",)
        )
    db.close()
    result = CliRunner().invoke(
        main, ["report", "response-times", "--by", "brand,platform", "--db", str(db_path)]
    )
    assert result.exit_code == 0, result.output
    assert "ok[/]" in result.output
    assert "[link=https://evil.example]x" in result.output.replace("\n", "")
    assert "\x1b" not in result.output and "\x07" not in result.output
