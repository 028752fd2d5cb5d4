"""Size and complexity limits of the code (issue 27 item 10), checked in CI:
no function over MAX_LINES lines outside the migrations, and no complexity
over 12 (ruff's C901, ``[tool.ruff.lint.mccabe]`` in pyproject.toml).

The functions already over a limit when the checks came are listed below
with their size then: none of them may grow, none may be added, and an entry
must go once its function is within the limit (the lists only shrink). Their
``def`` lines carry ``# noqa: C901`` for ruff; this test reads every
function's complexity with the noqa ignored, so a listed one cannot grow
unseen either."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60
MAX_COMPLEXITY = 12
#: Library code (tests and benchmarks are not held to the line limit).
SKIPPED_DIRS = {".venv", "build", "tests", "benchmarks", ".git"}

#: "path::function" -> lines when the check came (def line to last line).
LONG_FUNCTIONS = {
    "store/privacy.py::forget_author": 156,
    "collectors/imports.py::read_twcs": 118,
    "store/bulk.py::_store_chunk": 89,
    "store/privacy.py::export_subject": 83,
    "store/triage.py::queue": 81,
    "collectors/reddit.py::sources": 81,
    "store/bulk.py::_drop_duplicates": 78,
    "sentiment/urgency.py::assess_codes": 78,
    "notify/dispatch.py::_plan": 75,
    "pipeline.py::import_batches": 74,
    "store/bulk.py::_thread_staged": 68,
    "collectors/x.py::tweet_to_message": 68,
    "collectors/reddit.py::_source": 68,
    "metrics/business_hours.py::from_settings": 67,
    "collectors/runner.py::_poll_source": 67,
    "store/messages.py::thread_pending": 66,
    "metrics/outcomes.py::derive_outcome": 65,
    "store/bulk.py::commit": 63,
}
#: "path::function" -> McCabe complexity when the check came.
COMPLEX_FUNCTIONS = {
    "collectors/imports.py::read_twcs": 22,
    "notify/dispatch.py::_plan": 15,
    "sentiment/fast_vader.py::sentiment_valence": 15,
    "sentiment/intent.py::classify": 14,
    "sentiment/urgency.py::assess_codes": 15,
    "tests/test_metrics_twcs.py::expected": 15,
}


def _library_files():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not SKIPPED_DIRS & set(relative.parts) and "egg-info" not in str(relative):
            yield relative


def _is_migration(path: Path, node: ast.AST) -> bool:
    # Migrations are written once and never edited (store/schema.py).
    return str(path) == "store/schema.py" and any(
        isinstance(d, ast.Call) and getattr(d.func, "id", "") == "migrations"
        for d in node.decorator_list
    )


def function_lengths() -> dict[str, int]:
    """``path::name`` -> lines of every library function over MAX_LINES."""
    found = {}
    for path in _library_files():
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES and not _is_migration(path, node):
                    found[f"{path}::{node.name}"] = lines
    return found


def complexities(where: Path = ROOT) -> dict[str, int]:
    """``path::name`` -> complexity of every function over MAX_COMPLEXITY
    (ruff C901 with the project's settings, noqa comments ignored)."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
         "--select", "C901", "--ignore-noqa", "--output-format", "json", "--exit-zero", "."],
        cwd=where, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = {}
    for item in json.loads(result.stdout):
        match = re.match(r"`(\w+)` is too complex \((\d+) > (\d+)\)", item["message"])
        assert match and int(match.group(3)) == MAX_COMPLEXITY, item["message"]
        path = Path(item["filename"]).resolve().relative_to(where.resolve())
        found[f"{path}::{match.group(1)}"] = int(match.group(2))
    return found


def _over(found: dict[str, int], allowed: dict[str, int]) -> dict:
    grown = [f"{k}: {allowed[k]} -> {v}" for k, v in found.items() if v > allowed.get(k, v)]
    return {
        "new": sorted(set(found) - set(allowed)),
        "grown": sorted(grown),
        "fixed (remove from the list)": sorted(set(allowed) - set(found)),
    }


def test_no_function_grows_over_sixty_lines():
    assert _over(function_lengths(), LONG_FUNCTIONS) == _over({}, {}), (
        f"functions over {MAX_LINES} lines (outside migrations): split them"
    )


def test_no_function_grows_over_complexity_twelve():
    assert _over(complexities(), COMPLEX_FUNCTIONS) == _over({}, {})


def test_the_checks_see_an_offender(tmp_path):
    # The checks can fail: a made-up long, branchy function is caught by both.
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(40))
    tree = ast.parse(f"def big(x):\n{body}    return -1\n")
    (node,) = tree.body
    assert node.end_lineno - node.lineno + 1 > MAX_LINES
    (tmp_path / "probe.py").write_text(f"def big(x):\n{body}    return -1\n", encoding="utf-8")
    assert complexities(tmp_path) == {"probe.py::big": 41}
