"""Documentation stays true: every CLI command is in the README, and the
README's test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import click

from replywatch.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _commands(group: click.Group, prefix: str = "replywatch") -> list[str]:
    names = []
    ctx = click.Context(group)
    # list_commands/get_command: the top-level group loads its commands lazily.
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            names += _commands(command, full)
        else:
            names.append(full)
    return names


def test_every_cli_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = _commands(main)
    assert len(commands) > 15
    missing = []
    for command in commands:
        parent, name = command.rsplit(" ", 1)
        # `replywatch export conversations|benchmarks ...` documents both
        pattern = rf"`{re.escape(parent)} [^`]*(?<![\w-]){re.escape(name)}(?![\w-])"
        if f"`{command}" not in readme and not re.search(pattern, readme):
            missing.append(command)
    assert missing == []


def test_readme_quick_start_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme
    assert "pip install -e . && replywatch demo" in readme
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
