"""The pseudo-locale check (issue 23): every dashboard page, and every view a
page's own radios, select boxes and toggles open, rendered through AppTest on
a demo database in the pseudo-locale, where each catalogue string is marked
"⟦…⟧"; any visible text that is neither marked nor data fails, naming the page
and the text (rules: tests/pseudo_locale.py). The CLI's reports and --help and
the exports' headers and values are checked the same way in
tests/test_pseudo_locale_cli.py; one real-browser pass in test_pseudo_locale_e2e.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from replywatch import i18n
from replywatch.store.db import DB_ENV_VAR
from tests.pseudo_locale import HOW_TO_FIX, Finding, check, data_words
from tests.test_i18n_pages import _strings, _walk

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
MAX_OPTIONS = 6  # per widget: enough to open every view, not every data row


def _frame_strings(at: AppTest, out: list[str]) -> None:
    for frame in at.dataframe:
        value = frame.value
        if not isinstance(value, pd.DataFrame):
            continue
        try:
            config = json.loads(frame.proto.columns or "{}")
        except ValueError:
            config = {}
        for column in value.columns:
            shown = config.get(str(column)) or {}
            if not shown.get("label"):
                out.append(str(column))  # a header shown as the column's name
            if (shown.get("type_config") or {}).get("type") in ("image", "link"):
                continue  # drawn as a picture or a link, not as text
            out.extend(v for v in value[column].dropna() if isinstance(v, str))


GRID_DECIMAL_FORMAT = re.compile(r"^percent$|%[^%]*\.[1-9]")


def format_findings(at: AppTest, where: str) -> list[Finding]:
    """Figures the browser formats with the wrong marks: a Plotly chart without
    the session's ``separators`` (views/_common.plotly_chart sets them), a grid
    column whose number format writes an English decimal point ("percent" shows
    "85.17%")."""
    expected = i18n.plotly_separators(i18n.PSEUDO_LANGUAGE)
    found = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        spec = getattr(proto, "spec", None) if proto is not None else None
        if isinstance(spec, str) and spec.startswith("{"):
            layout = json.loads(spec).get("layout", {})
            if layout.get("separators") != expected:
                title = json.dumps(layout.get("title", ""))[:60]
                found.append(Finding(where, f"chart {title}", "a chart without separators"))
    for frame in at.dataframe:
        for column, config in json.loads(frame.proto.columns or "{}").items():
            fmt = (config.get("type_config") or {}).get("format") or ""
            if GRID_DECIMAL_FORMAT.search(fmt):
                found.append(
                    Finding(where, f"column {column!r} format {fmt!r}", "a grid number format")
                )
    return found


def visible_strings(at: AppTest) -> list[str]:
    """Every string the rendered app shows (labels, text, chart titles and
    ticks, table headers and cells), the language picker's names left out."""
    out: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            _strings(proto, out)
    _frame_strings(at, out)
    names = {*i18n.LANGUAGES.values(), i18n.PSEUDO_LANGUAGE}
    return [s for s in out if s.strip() and s not in names]


def _view_changers(at: AppTest) -> list[tuple[str, str]]:
    """(kind, key) of the page's own view widgets (the sidebar's scope is
    exercised by every page)."""
    found = []
    for kind in ("radio", "selectbox", "button_group", "toggle", "checkbox"):
        for widget in getattr(at.main, kind):
            if widget.key:
                found.append((kind, widget.key))
    return found


MAX_RUNS = 60  # per page: a bound on the walk, far above what the pages need


def _choices(at: AppTest, kind: str, key: str) -> list:
    widget = getattr(at, kind)(key=key)
    if kind in ("toggle", "checkbox"):
        return [not widget.value]
    value = widget.value
    values = value if isinstance(value, list) else [] if value is None else [value]
    current = {widget.format_func(v) for v in values}  # a multi-select: its selection
    shown = [o for o in widget.options if o not in current]
    return shown[:MAX_OPTIONS]


def _visit(at: AppTest, page: str) -> tuple[dict[str, list[str]], list[Finding]]:
    """The visible strings of ``page`` and of each view its widgets open: every
    option of every radio and select box once (the widgets a view adds are
    walked too), every toggle and checkbox flipped once."""
    views = {page: visible_strings(at)}
    formats = format_findings(at, page)
    done: set[tuple[str, str]] = set()
    seen: dict[str, int] = {}  # key -> when it first appeared
    while len(views) < MAX_RUNS:
        for _kind, key in _view_changers(at):
            seen.setdefault(key, len(seen))
        todo = [
            (kind, key, choice)
            for kind, key in _view_changers(at)
            for choice in _choices(at, kind, key)
            if (key, _done_as(kind, choice)) not in done
        ]
        if not todo:
            break
        # The newest widgets first: the views a choice opened are walked
        # before that choice is changed again.
        kind, key, choice = max(todo, key=lambda item: seen[item[1]])
        done.add((key, _done_as(kind, choice)))
        widget = getattr(at, kind)(key=key)
        flip = kind in ("toggle", "checkbox")
        widget.set_value(choice if flip else _raw_option(at, widget, choice))
        at.run()
        assert not at.exception, f"{page} {key}={choice}: {at.exception}"
        views[f"{page} [{key}={choice}]"] = visible_strings(at)
        formats += format_findings(at, f"{page} [{key}={choice}]")
    return views, formats


def _done_as(kind: str, choice) -> str:
    # A toggle or checkbox is flipped once; each option of the others is chosen once.
    return "flipped" if kind in ("toggle", "checkbox") else str(choice)


def _raw_option(at: AppTest, widget, shown: str):
    # The proto holds the options as shown (format_func); set_value takes the
    # script's value, which the widget's deserializer gives for the shown text.
    state = at.session_state._state._state._new_widget_state
    deserializer = state.widget_metadata[widget.id].deserializer
    # segmented controls and pills (button groups) take a list of shown options
    return deserializer([shown] if type(widget).__name__ == "ButtonGroup" else shown)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from replywatch.collectors.demo import ALL_PLATFORMS, DemoFeed
    from replywatch.live_demo import seed_demo
    from replywatch.store.db import open_database

    path = tmp_path_factory.mktemp("pseudo") / "demo.db"
    db = open_database(path)
    # With the demo's labels and model: the Admin page shows the model against the rules.
    seed_demo(
        db, DemoFeed(platforms=ALL_PLATFORMS), days=7, seed=42, now=datetime.now(UTC), labels=True
    )
    db.close()
    return path


def _history(db, conversation: int) -> None:
    """One of each triage action on ``conversation``, from the dashboard
    without sign-in ("local"), so the conversation's history has every kind."""
    from replywatch.pipeline import set_status
    from replywatch.store import triage

    triage.assign(db, [conversation], "Ana", actor="local")
    triage.add_tag(db, [conversation], "entrega", actor="local")
    triage.add_note(db, [conversation], "cliente pediu retorno", actor="local")
    set_status(db, [conversation], "open", actor="local")  # still in the default queue


def _open_conversation(db_path: Path) -> AppTest:
    # Triage's drill-down: a listed conversation with one of each triage action
    # in its history (from the dashboard without sign-in, "local"), selected as
    # a click on its row would, on a fresh session (default filters).
    from replywatch.store.db import open_database

    at = AppTest.from_file(APP, default_timeout=90).run()
    box = at.multiselect(key="tri_selected")
    conversation = box.options and int(box.options[0].split()[0].lstrip("#"))
    db = open_database(db_path)
    _history(db, conversation)
    db.close()
    box.set_value([conversation])
    return at.run()


# Findings not fixed yet, by page: each is a known gap of issue 23, to shrink to
# nothing. A finding listed here that is no longer found fails too (remove it).
KNOWN: dict[str, set[str]] = {}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_and_view_is_marked(demo_db, monkeypatch, page):
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, i18n.PSEUDO_LANGUAGE)
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    data = data_words(demo_db)
    views, formats = _visit(at, page)
    if page == "views/triage.py":
        at = _open_conversation(demo_db)
        assert not at.exception, at.exception
        shown = visible_strings(at)
        assert any(s.startswith(i18n.PSEUDO_OPEN + "Çóñvéŕšátíóñ #") for s in shown), [
            (at.session_state["tri_selected"], [e.label for e in at.expander])
        ] + [s for s in shown if "#" in s]
        views[f"{page} [conversation]"] = shown
        formats += format_findings(at, f"{page} [conversation]")
        data = data_words(demo_db)  # the note, tag and assignee just written
    assert any("⟦" in s for s in views[page]), f"{page} rendered no catalogue text"
    findings = {}  # one finding per text: the first view that shows it
    for where, strings in views.items():
        for finding in check(where, strings, data):
            findings.setdefault(finding.text, finding)
    for finding in formats:
        findings.setdefault(finding.text, finding)
    findings = list(findings.values())
    known = KNOWN.get(page, set())
    new = [f for f in findings if f.text not in known]
    assert not new, HOW_TO_FIX + "\n" + "\n".join(sorted({str(f) for f in new}))
    stale = known - {f.text for f in findings}
    assert not stale, f"fixed, remove from KNOWN[{page!r}]: {sorted(stale)}"


def test_conversation_history_reads_in_portuguese(demo_db, monkeypatch):
    # Issue 23 point 2: the history in words and local time, not JSON and UTC ISO.
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = _open_conversation(demo_db)
    assert not at.exception, at.exception
    history = next(d.value for d in at.dataframe if "change" in d.value.columns)
    rows = history.to_dict("records")
    assert {r["action"] for r in rows} >= {"status alterado", "atribuída", "nota adicionada"}
    assert "nova → aberta" in {r["change"] for r in rows}
    assert "este computador (sem login)" in {r["by"] for r in rows}
    assert not any("{" in r["change"] or "T" in r["at"] or "Z" in r["at"] for r in rows)
