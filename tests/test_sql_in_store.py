"""Only store/ speaks SQL (issue 24 item 1). The import contract
("sql-in-store" in pyproject.toml) keeps the drivers out of every other
layer, but a Database object passed upward could still run SQL; this check
reads the source of every library module outside store/ and refuses SQL
statements, ``execute``/``query`` calls and the driver connection
(``db.conn``). The SQL a later backend must port is then all in store/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Not the library: the rule is for what `replywatch` runs.
_SKIP = {"store", "tests", "benchmarks", "scripts", "docs", "data", "locales", "build", "dist"}
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE|DROP|ALTER|WITH|BEGIN)\s")
_CALLS = {"execute", "executemany", "executescript", "query"}


def sql_uses(source: str) -> list[str]:
    """What in ``source`` speaks SQL: statement literals, execute/query
    calls, and ``.conn`` attributes (the driver's connection), except the
    views' ``common.conn``: their function that opens the store's handle."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _SQL.match(node.value):
                found.append(f"line {node.lineno}: SQL text {node.value.strip()[:40]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _CALLS:
                found.append(f"line {node.lineno}: .{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr == "conn":
            if not (isinstance(node.value, ast.Name) and node.value.id == "common"):
                found.append(f"line {node.lineno}: .conn")
    return found


def _library_files() -> list[Path]:
    return [
        path
        for path in sorted(ROOT.rglob("*.py"))
        if not ({*path.relative_to(ROOT).parts[:-1]} & _SKIP)
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
        and path.relative_to(ROOT).parts[0] != "store"
    ]


def test_no_module_outside_store_speaks_sql():
    files = _library_files()
    assert any(p.name == "reports.py" and p.parent.name == "metrics" for p in files)
    offences = {
        str(path.relative_to(ROOT)): uses
        for path in files
        if (uses := sql_uses(path.read_text(encoding="utf-8")))
    }
    assert offences == {}


def test_the_check_sees_each_kind_of_sql():
    source = (
        "def f(db, common):\n"
        "    db.execute('SELECT 1')\n"
        "    x = db.conn\n"
        "    q = f'UPDATE conversations SET a = 1'\n"
        "    common.conn()\n"
        "    g(common.conn)\n"
    )
    uses = sql_uses(source)
    assert len([u for u in uses if u.startswith("line 2")]) == 2  # the call and its text
    assert "line 3: .conn" in uses
    assert any(u.startswith("line 4: SQL text") for u in uses)
    assert not any(u.startswith(("line 5", "line 6")) for u in uses)
