import csv
import io

import pytest

from replywatch.cli_support import (
    OUTPUT_COLUMNS,
    analyze_csv,
    neutralise_formula,
)
from replywatch.commands.analyze import format_analysis
from replywatch.sentiment import analyze


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),
        ("+55 11", "'+55 11"),
        ("-0.86", "-0.86"),
        ("hello = world", "hello = world"),
        ("", ""),
    ],
)
def test_neutralise_formula(value, expected):
    assert neutralise_formula(value) == expected


def write(path, text):
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_analyze_csv_with_a_broken_row(tmp_path):
    src = write(
        tmp_path / "in.csv",
        "id,text,lang\r\n"
        '1,"My order never arrived, I want a refund!",en\r\n'
        "2\r\n"
        '3,"=HYPERLINK(""http://evil"")",\r\n'
        '4,"meu pedido não chegou, vou no Procon",pt-BR\r\n',
    )
    out = tmp_path / "out.csv"
    assert analyze_csv(src, "text", out, language_column="lang") == 4
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0])[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)
    assert rows[0]["sentiment_language"] == "en"
    assert "asks for a refund" in rows[0]["urgency_reasons"].split("; ")
    assert rows[1]["sentiment_error"] == "missing value for column 'text'"
    assert rows[1]["urgency"] == ""
    assert rows[2]["text"].startswith("'=")
    assert rows[3]["sentiment_language"] == "pt"
    assert "mentions Procon" in rows[3]["urgency_reasons"]
    assert all(r["sentiment_error"] == "" for r in (rows[0], rows[2], rows[3]))


def test_analyze_csv_to_stdout_and_non_utf8(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes(b"text\n\xe9 p\xe9ssimo\n")
    assert analyze_csv(src, "text") == 1
    out = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert out[0][0] == "text" and len(out) == 2


def test_analyze_csv_refuses_unknown_column(tmp_path):
    src = write(tmp_path / "in.csv", "id,body\n1,hi\n")
    with pytest.raises(ValueError, match="body"):
        analyze_csv(src, "text", tmp_path / "out.csv")


def test_format_analysis():
    a = analyze("I want a refund, this is a scam!")
    text = format_analysis(a)
    assert f"urgency:   {a.urgency}/100 - URGENT" in text.splitlines()
    assert "not urgent" in format_analysis(analyze("thanks, all good"))
    assert "- calls it a scam" in text and "language:  en" in text
