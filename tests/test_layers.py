"""The layering is executable: `lint-imports` checks the contracts in
pyproject.toml ([tool.importlinter]), and these tests prove that each kind of
contract fails on a deliberate violation. They run lint-imports on a copy of
the package in a temporary folder with one bad import added; the unchanged
copy passes, so the failure is the added import's doing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# `lint-imports` through this interpreter (import-linter is in the test extra;
# the console script may not be on PATH, e.g. under pyenv before a rehash).
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; "
    "sys.exit(lint_imports_command())",
]
# Only the library: what the contracts constrain.
_NOT_LIBRARY = (
    "tests",
    "benchmarks",
    "docs",
    "data",
    "scripts",
    "locales",
    "build",
    "dist",
    ".*",
    "*.egg-info",
    "__pycache__",
)


def _copy(tmp_path: Path) -> Path:
    package = tmp_path / "replywatch"
    shutil.copytree(ROOT, package, ignore=shutil.ignore_patterns(*_NOT_LIBRARY))
    # A regular package, so this copy (first on the path) is the one analysed,
    # not the editable install of the repository.
    (package / "__init__.py").write_text("", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return package


def _lint(tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache", "--config", str(tmp_path / "pyproject.toml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contracts_hold_on_the_repository():
    result = subprocess.run(
        [*LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # store must not depend on metrics (the triage recompute is a callback).
        ("store/triage.py", "import replywatch.metrics.engine", "Layers:"),
        # sentiment is pure text analysis: no scoring of stored messages.
        ("sentiment/core.py", "import replywatch.scoring", "Layers:"),
        ("metrics/reports.py", "import replywatch.collectors.base", "know nothing of each other"),
        ("metrics/engine.py", "import streamlit", "Only dashboard.py and views/ import Streamlit"),
        ("views/admin.py", "import requests", "Only collectors/ import the platform API"),
        ("notify/format.py", "import httpx", "Only collectors/ import the platform API"),
        ("views/sources.py", "import starlette", "Only collectors/ import the HTTP server stack"),
        ("cli.py", "import uvicorn", "Only collectors/ import the HTTP server stack"),
        # Only store/ speaks SQL (issue 24): drivers, present and planned.
        ("metrics/trends.py", "import sqlite3", "Only store/ imports the database drivers"),
        ("views/triage.py", "from sqlite_utils import Database", "Only store/ imports the"),
        ("pipeline.py", "import psycopg", "Only store/ imports the database drivers"),
    ],
)
def test_a_deliberate_violation_fails(tmp_path, module, bad_import, contract):
    package = _copy(tmp_path)
    clean = _lint(tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    target = package / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{bad_import}\n", encoding="utf-8")
    broken = _lint(tmp_path)
    assert broken.returncode != 0
    assert "1 broken" in broken.stdout
    assert f"{contract}" in broken.stdout.split("Broken contracts")[-1]
    assert module.replace("/", ".").removesuffix(".py") in broken.stdout
