"""The library functions behind the thin CLI commands (cli.py only wires
options to them): report table and CSV, owner-only files, the live demo."""

from __future__ import annotations

import io
import stat
from datetime import UTC, datetime

import pytest
from rich.console import Console

from replywatch.cli_support import (
    response_time_table,
    write_new_private_file,
    write_report_csv,
)
from replywatch.collectors.demo import DemoFeed
from replywatch.live_demo import seed_demo
from replywatch.metrics.reports import group_columns, response_time_report
from replywatch.store.db import open_database

NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("by", "columns"),
    [
        ("brand", ["brand"]),
        ("brand,day", ["brand", "day"]),
        ("hour", ["weekday", "hour"]),
        ("", []),
    ],
)
def test_group_columns(by, columns):
    assert group_columns(by) == columns


def test_group_columns_are_exactly_the_non_figure_keys_of_a_row(tmp_path):
    db = open_database(tmp_path / "demo.db")
    seed_demo(db, DemoFeed(seed=3), days=2, seed=3, now=NOW)
    for by in ("brand", "platform,channel", "agent", "hour", "brand,week"):
        rows = response_time_report(db, by=by)
        assert rows
        figures = set(response_time_report(db, by=None)[0])
        assert [k for k in rows[0] if k not in figures | {"hour_of_week"}] == group_columns(by)


def _render(table) -> str:
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table)
    return out.getvalue()


def test_report_table_shows_untrusted_group_names_literally():
    row = {
        "agent": "[bold red]ana[/] [link=https://evil.example]x[/link]",
        "conversations": 1200,
        "answered": 3,
        "response_rate": 0.25,
        "first_response_median_s": 3900,
        "first_response_p90_s": None,
        "first_response_mean_s": 59,
        "within_15m": None,
        "within_1h": 1.0,
        "within_24h": 1.0,
    }
    text = _render(response_time_table([row], "agent", business_hours=False))
    assert "[bold red]ana[/] [link=https://evil.example]x[/link]" in text
    assert "1,200" in text and "25.0%" in text and "1h 5m" in text and "59s" in text
    assert "First response times (calendar)" in text


def test_report_csv_neutralises_formulas_and_keeps_numbers():
    out = io.StringIO()
    write_report_csv([{"brand": "=cmd()", "answered": -3, "rate": "-3"}], out)
    assert out.getvalue() == "brand,answered,rate\n'=cmd(),-3,-3\n"
    empty = io.StringIO()
    write_report_csv([], empty)
    assert empty.getvalue() == ""


def test_private_file_is_new_and_owner_only(tmp_path):
    path = tmp_path / "subject.json"
    write_new_private_file(path, "{}")
    assert path.read_text(encoding="utf-8") == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_new_private_file(path, "other")
    assert path.read_text(encoding="utf-8") == "{}\n"


def test_seed_demo_closes_the_same_old_backlog_for_the_same_seed(tmp_path):
    def closed(name: str) -> list[tuple]:
        db = open_database(tmp_path / name)
        seed_demo(db, DemoFeed(seed=7), days=6, seed=7, now=NOW)
        return db.execute(
            "SELECT m.external_id FROM conversations c JOIN messages m "
            "ON m.id = c.first_customer_message_id WHERE c.status = 'closed' ORDER BY 1"
        ).fetchall()

    first = closed("a.db")
    assert first  # six days of history leave a backlog older than three days
    assert closed("b.db") == first
