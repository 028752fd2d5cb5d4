"""The pseudo-locale check for the CLI and the exports (issue 23; rules:
tests/pseudo_locale.py): under REPLYWATCH_LANGUAGE=qps-ploc every command's
--help and the reports people read show only marked text or data, and the
exports made for people (``--headers <language>``) have marked headers and no
unmarked English value."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import click
import pytest
from click.testing import CliRunner

from replywatch import i18n
from replywatch.cli import main
from tests.pseudo_locale import CLI_CODE, HOW_TO_FIX, check, data_words

# Commands whose output is not translated yet (issue 23, point 4): each is a
# known gap, to shrink to nothing. A command listed here whose output is clean
# fails too (remove it from the list).
KNOWN_ENGLISH: set[str] = set()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)  # commands load on first use (cli.COMMANDS)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


HELP = [" ".join(path) for path in [(), *_commands(main)]]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import seed_demo
    from replywatch.store.db import open_database

    path = tmp_path_factory.mktemp("pseudo-cli") / "demo.db"
    db = open_database(path)
    seed_demo(db, DemoFeed(platforms=ALL_PLATFORMS), days=7, seed=42, now=datetime.now(UTC))
    db.close()
    return path


def _verdict(where: str, findings) -> None:
    if where in KNOWN_ENGLISH:
        assert findings, f"{where!r} is clean now: remove it from KNOWN_ENGLISH"
        return
    assert not findings, HOW_TO_FIX + "\n" + "\n".join(sorted({str(f) for f in findings}))


@pytest.mark.parametrize("command", HELP)
def test_every_help_is_marked(monkeypatch, command):
    monkeypatch.setenv(i18n.ENV_VAR, i18n.PSEUDO_LANGUAGE)
    result = CliRunner().invoke(main, [*command.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    # The command's own name and its subcommands' are code, not text.
    names = {w for path in HELP for w in path.replace("-", " ").split()} | {"main", "replywatch"}
    findings = check(f"replywatch {command} --help", [result.output], names, CLI_CODE)
    _verdict(f"{command} --help".strip(), findings)


SCORER_WORDS = {"leia", "negation", "lemma", "supplement", "vader", "lexicon", "pt", "en"}
REPORTS = [
    ["stats"],
    ["report", "response-times", "--by", "brand"],
    ["report", "outcomes", "--by", "brand"],
    ["analyze", "O pedido chegou quebrado, quero reembolso"],
]


@pytest.mark.parametrize("args", REPORTS, ids=" ".join)
def test_every_report_is_marked(monkeypatch, demo_db, args):
    monkeypatch.setenv(i18n.ENV_VAR, i18n.PSEUDO_LANGUAGE)
    extra = [] if args[0] == "analyze" else ["--db", str(demo_db)]
    result = CliRunner().invoke(main, [*args, *extra], terminal_width=200)
    assert result.exit_code == 0, result.output
    # Data here: the database's, the analysed text and the scorer's name.
    data = data_words(demo_db) | {w.lower() for w in args[-1].split()} | SCORER_WORDS
    findings = check(" ".join(args), [result.output], data, CLI_CODE)
    _verdict(" ".join(args), findings)


@pytest.mark.parametrize("kind", ["conversations", "benchmarks"])
def test_exports_for_people_are_marked(demo_db, kind):
    from replywatch.metrics import exports
    from replywatch.store.db import open_database

    build = getattr(exports, f"export_{kind}_to_bytes")
    data = build(open_database(demo_db), "csv", header_language=i18n.PSEUDO_LANGUAGE)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) > 1
    header, body = rows[0], rows[1:]
    unmarked = [h for h in header if not h.startswith(i18n.PSEUDO_OPEN)]
    assert not unmarked, f"export {kind}: headers without a label for people: {unmarked}"
    cells = [cell for row in body for cell in row]
    findings = check(f"export {kind} --headers", cells, data_words(demo_db))
    assert not findings, HOW_TO_FIX + "\n" + "\n".join(sorted({str(f) for f in findings}))


def test_the_help_text_list_is_current():
    # The help texts reach the catalogue through commands/help_text.py: a
    # command or option added without re-running scripts/i18n.sh fails here.
    from replywatch.commands import localized

    assert localized.HELP_TEXT.read_text(encoding="utf-8") == localized.help_text_module(main), (
        "commands/help_text.py is stale: run scripts/i18n.sh and translate the new entries"
    )


def test_help_and_reports_in_portuguese(monkeypatch, demo_db):
    # Issue 23 point 4: the CLI under REPLYWATCH_LANGUAGE=pt-BR.
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    result = CliRunner().invoke(main, ["collect", "--help"], terminal_width=200)
    assert result.output.startswith("Uso:") and "Opções:" in result.output
    assert "Mostra esta mensagem e sai." in result.output and "Facebook" in result.output
    analysis = CliRunner().invoke(main, ["analyze", "Não chegou, quero reembolso"]).output
    assert "sentimento:  negativo (-0," in analysis and "negative" not in analysis
    report = (
        CliRunner()
        .invoke(main, ["report", "response-times", "--db", str(demo_db)], terminal_width=200)
        .output
    )
    assert "Tempos de primeira resposta (corridos)" in report and " min" in report
    monkeypatch.setenv(i18n.ENV_VAR, "en")  # English again in the same process
    result = CliRunner().invoke(main, ["collect", "--help"], terminal_width=200)
    assert result.output.startswith("Usage:") and "Show this message and exit." in result.output


def test_exports_for_people_in_portuguese(demo_db):
    # Issue 23 points 3 and 6: headers and values for people, rates as percentages.
    from openpyxl import load_workbook

    from replywatch.metrics import exports
    from replywatch.store.db import open_database

    db = open_database(demo_db)
    data = exports.export_conversations_to_bytes(db, "csv", header_language="pt-BR")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {"Humor antes da resposta", "Recuperação", "Resolvida por"} <= set(rows[0])
    assert {r["Canal"] for r in rows} <= {"público", "privado"}
    assert not any(r["Tags"] == "[]" for r in rows)
    assert "replied" not in {r["Status"] for r in rows}
    assert any("," in r["Sentimento"] for r in rows if r["Sentimento"])  # decimal comma
    book = load_workbook(
        io.BytesIO(exports.export_benchmarks_to_bytes(db, "xlsx", header_language="pt-BR"))
    )
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, sheet[2], strict=True))
    for name in ("Saíram mais satisfeitos", "Taxa de resolução", "Voltaram a contatar (%)"):
        assert first[name].number_format == "0.0%", name
    assert first["Período"].value in ("semana", "dia", "mês")
