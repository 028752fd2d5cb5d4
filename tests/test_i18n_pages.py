"""Every dashboard page rendered (AppTest) in pt-BR and pt-PT on the seeded
database shows no English text from the catalogue that has a translation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.pofile import read_po
from google.protobuf.message import Message as ProtoMessage
from streamlit.testing.v1 import AppTest

from replywatch import i18n
from replywatch.store.db import DB_ENV_VAR
from tests.dashboard_seed import seed

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "dashboard.py")
PAGES = [
    "views/triage.py",
    "views/response_times.py",
    "views/sentiment.py",
    "views/benchmarks.py",
    "views/sources.py",
    "views/admin.py",
]


def _english_with_translation(locale: str) -> list[str]:
    """English catalogue entries whose translation differs from the English."""
    with (REPO / "locales" / locale / "LC_MESSAGES" / "replywatch.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return [
        m.id
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and m.string.strip() != m.id.strip()
    ]


def _pattern(message: str) -> re.Pattern:
    parts = re.split(r"\{\w*\}", message)
    body = ".+?".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w]){body}(?![\w])")


# Proto fields and JSON keys (chart specs, column configs) that people read; ids,
# types, formats and chart data (customdata) are not text on the screen.
VISIBLE_FIELDS = {
    "label",
    "help",
    "placeholder",
    "body",
    "options",
    "text",
    "display_text",
    "caption",
    "title",
    "name",
    "hovertemplate",
    "ticktext",
}
JSON_FIELDS = {"spec", "columns"}
# Customer data in tables: shown as written, whatever the language.
DATA_COLUMNS = {"message", "text", "payload", "error", "customer", "author", "term"}


def _strings(value, out: list[str], field: str = "") -> None:
    """The visible strings of a protobuf message (chart and column JSON included)."""
    if isinstance(value, ProtoMessage):
        for descriptor, item in value.ListFields():
            _strings(item, out, descriptor.name)
    elif isinstance(value, str):
        if field in JSON_FIELDS:
            try:
                _json_strings(json.loads(value), out)
            except ValueError:
                pass
        elif field in VISIBLE_FIELDS:
            out.append(value)
    elif isinstance(value, list | tuple) or type(value).__name__.startswith("Repeated"):
        for item in value:
            _strings(item, out, field)


def _json_strings(value, out: list[str], visible: bool = False) -> None:
    # A visible key's string value ("label": "motivos"), or anything under a
    # plotly "title" ({"text": ...}); never a column name ("text": {...}).
    if isinstance(value, dict):
        for key, item in value.items():
            shown = key == "title" or (key in VISIBLE_FIELDS and not isinstance(item, dict))
            _json_strings(item, out, visible or shown)
    elif isinstance(value, list):
        for item in value:
            _json_strings(item, out, visible)
    elif isinstance(value, str) and visible:
        out.append(value)


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def visible_strings(at: AppTest) -> list[str]:
    """The text of every element of the rendered app, cell values included."""
    out: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            _strings(proto, out)
    for frame in at.dataframe:
        value = frame.value
        if isinstance(value, pd.DataFrame):
            for column in value.columns:
                if column not in DATA_COLUMNS:
                    out.extend(v for v in value[column].dropna() if isinstance(v, str))
    # The language picker names each language in that language ("English").
    return [s for s in out if s.strip() and s not in i18n.LANGUAGES.values()]


def untranslated(strings: list[str], english: list[str]) -> list[str]:
    found = set()
    for message in english:
        if " " in message.strip() or "{" in message:
            pattern = _pattern(message)
            if any(pattern.search(s) for s in strings):
                found.add(message)
        elif message in strings:  # one word: only a whole label or cell
            found.add(message)
    return sorted(found)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("i18n-pages") / "pages.db"
    seed(path, now=datetime.now(UTC))
    return path


@pytest.mark.parametrize("language", ["pt-BR", "pt-PT"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_translated(seeded, monkeypatch, language, page):
    monkeypatch.setenv(DB_ENV_VAR, str(seeded))
    monkeypatch.setenv(i18n.ENV_VAR, language)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    strings = visible_strings(at)
    english = _english_with_translation(i18n.locale_id(language))
    assert len(english) > 200
    # The page rendered: its title is there, and not in English.
    titles = [t.value for t in at.title]
    assert titles and not set(titles) & set(english)
    assert untranslated(strings, english) == []


def test_the_check_catches_english(seeded, monkeypatch):
    # The same page in English shows the catalogue's English text: the check
    # must report it (so an empty result above means something).
    monkeypatch.setenv(DB_ENV_VAR, str(seeded))
    monkeypatch.setenv(i18n.ENV_VAR, "en")
    at = AppTest.from_file(APP, default_timeout=60).run()
    found = untranslated(visible_strings(at), _english_with_translation("pt_BR"))
    assert {"Triage", "Urgent only", "Search text or author", "reasons"} <= set(found)


def test_switching_the_language_live(seeded, monkeypatch):
    monkeypatch.setenv(DB_ENV_VAR, str(seeded))
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.value for t in at.title] == ["Triage"]
    at.sidebar.selectbox(key="language").set_value("pt-BR").run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Triagem"]
    assert at.toggle(key="tri_urgent").label == "Só urgentes"
    at.sidebar.selectbox(key="language").set_value("pt-PT").run()
    assert at.sidebar.selectbox(key="language").label.endswith("Idioma")
    at.switch_page("views/response_times.py").run()  # the choice follows the session
    assert [t.value for t in at.title] == ["Tempos de resposta"]


def test_demo_brand_and_time_zone_follow_the_language(seeded, monkeypatch):
    from replywatch.collectors.demo import demo_brand_for
    from replywatch.dashboard_launcher import BRAND_ENV_VAR, TIMEZONE_ENV_VAR

    brazil, portugal = demo_brand_for("pt-BR"), demo_brand_for("pt-PT")
    assert (brazil.timezone, brazil.holidays_country) == ("America/Sao_Paulo", "BR")
    assert (portugal.timezone, portugal.holidays_country) == ("Europe/Lisbon", "PT")
    assert demo_brand_for("en") is None
    # What `replywatch demo --language pt-BR` passes to the dashboard it starts.
    monkeypatch.setenv(DB_ENV_VAR, str(seeded))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    monkeypatch.setenv(BRAND_ENV_VAR, "acme")
    monkeypatch.setenv(TIMEZONE_ENV_VAR, "America/Sao_Paulo")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="brand").value == "acme"
    assert at.sidebar.selectbox(key="timezone").value == "America/Sao_Paulo"


def test_language_options_refuse_unknown_languages():
    from click.testing import CliRunner

    from replywatch.cli import main

    for command in (["dashboard"], ["demo"]):
        result = CliRunner().invoke(main, [*command, "--language", "fr"])
        assert result.exit_code == 2 and "unknown language 'fr'" in result.output
