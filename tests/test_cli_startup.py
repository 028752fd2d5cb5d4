"""What `replywatch analyze TEXT` loads: one text needs the scorer, not the store,
sqlite-utils, pandas, plotly, numpy, rich, scikit-learn or the dashboard
(issue 26; its speed is measured by benchmarks/analyze_startup.py, never
asserted). Checked in a fresh interpreter through ``python -m replywatch``,
the path of the console script (``replywatch.__main__``)."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from replywatch.cli import COMMANDS, main

HEAVY = (
    "pandas",
    "plotly",
    "numpy",
    "sqlite_utils",
    "rich",
    "sklearn",
    "streamlit",
    "replywatch.store",
    "replywatch.pipeline",
    "replywatch.metrics",
    "replywatch.cli_support",
    "replywatch.dashboard_launcher",
)


def _loaded_modules(*args: str, check: bool = True) -> tuple[str, set[str]]:
    """Run ``python -X importtime -m replywatch ARGS``; (stdout, modules imported)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "replywatch", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done.stdout, modules


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_analyze_one_text_loads_only_the_scorer():
    out, modules = _loaded_modules("analyze", "my order never arrived, I want a refund")
    assert "sentiment: negative" in out and "URGENT" in out
    assert "replywatch.sentiment.core" in modules
    assert _heavy(modules) == []


def test_a_command_that_opens_a_store_still_loads_it(tmp_path):
    # The check above can fail: `stats` does load the store (and sqlite-utils),
    # here to refuse a database that does not exist.
    _, modules = _loaded_modules("stats", "--db", str(tmp_path / "none.db"), check=False)
    assert {"replywatch.store.db", "sqlite_utils"} <= modules


def test_every_listed_command_loads_under_its_name():
    ctx = main.make_context("replywatch", ["--help"], resilient_parsing=True)
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name, name
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in COMMANDS)
