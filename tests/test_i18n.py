"""Languages: the gettext catalogues, Babel formatting and the urgency reason codes."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from click.testing import CliRunner

from replywatch import i18n
from replywatch.cli import main
from replywatch.cli_support import analyze_csv
from replywatch.sentiment import analyze
from replywatch.sentiment import reasons as rc
from replywatch.store.db import open_database
from replywatch.store.scores import save_scores

REPO = Path(__file__).resolve().parents[1]
PORTUGUESE = ("pt_BR", "pt_PT")


def _catalog(locale: str):
    path = REPO / "locales" / locale / "LC_MESSAGES" / "replywatch.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _template_ids() -> set[str]:
    with (REPO / "locales" / "replywatch.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


# --- catalogues ----------------------------------------------------------------------


def test_the_template_holds_every_marked_string_of_the_code():
    # The same extraction `scripts/i18n.sh` runs: a string marked in the code but
    # missing from locales/replywatch.pot means the template was not refreshed.
    method_map = [
        (pattern, "python")
        for pattern in (
            "i18n.py",
            "dashboard.py",
            "cli.py",
            "commands/**.py",
            "sentiment/**.py",
            "views/**.py",
            "metrics/**.py",
            "collectors/channels/**.py",
            "store/triage.py",
        )
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO), method_map=method_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert found, "nothing extracted"
    assert found <= _template_ids(), sorted(found - _template_ids())


@pytest.mark.parametrize("locale", PORTUGUESE)
def test_every_catalogue_entry_is_translated(locale):
    catalog = _catalog(locale)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert _template_ids() <= ids, sorted(_template_ids() - ids)
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))
    ]
    assert untranslated == []


@pytest.mark.parametrize("locale", PORTUGUESE)
def test_translations_keep_the_placeholders(locale):
    import re

    for message in _catalog(locale):
        if message.id and isinstance(message.id, str):
            assert sorted(re.findall(r"\{\w*\}", message.id)) == sorted(
                re.findall(r"\{\w*\}", message.string)
            ), message.id


def test_pt_pt_differs_from_pt_br_where_the_languages_do():
    br, pt = _catalog("pt_BR"), _catalog("pt_PT")
    assert br["wants to file a complaint"].string == "quer registrar uma reclamação"
    assert pt["wants to file a complaint"].string == "quer registar uma reclamação"


def test_missing_empty_or_fuzzy_translation_falls_back_to_english(tmp_path, monkeypatch):
    folder = tmp_path / "pt_BR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "replywatch.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Queue"\nmsgstr "Fila"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Fuzzy"\nmsgstr "Difuso"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert i18n.gettext_for("pt-BR", "Queue") == "Fila"
        assert i18n.gettext_for("pt-BR", "Empty") == "Empty"
        assert i18n.gettext_for("pt-BR", "Fuzzy") == "Fuzzy"
        assert i18n.gettext_for("pt-BR", "Never extracted") == "Never extracted"
        assert i18n.gettext_for("pt-PT", "Queue") == "Queue"  # no pt_PT catalogue here
    finally:
        i18n.translations.cache_clear()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-PT"),
        ("pt-AO", "pt-PT"),
        ("en-US", "en"),
        ("pt-BR,pt;q=0.9,en;q=0.8", "pt-BR"),
        ("fr-FR", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags(given, expected):
    assert i18n.normalise_language(given) == expected


def test_default_language_env_then_browser_then_english(monkeypatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    assert i18n.default_language(None) == "en"
    assert i18n.default_language("pt-PT") == "pt-PT"
    assert i18n.default_language("de-DE") == "en"
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    assert i18n.default_language("pt-PT") == "pt-BR"
    with pytest.raises(ValueError, match="en, pt-BR, pt-PT"):
        i18n.parse_language("klingon")


# --- formatting: Babel's output per locale -------------------------------------------


@pytest.mark.parametrize("language", ["pt-BR", "pt-PT"])
def test_numbers_percentages_dates_and_weekdays_are_babels(language):
    loc = Locale.parse(i18n.locale_id(language))
    assert i18n.number(1234.5, language, digits=1) == babel_numbers.format_decimal(
        1234.5, format="#,##0.0", locale=loc
    )
    assert i18n.number(1234.5, "pt-BR", digits=1) == "1.234,5"
    assert i18n.percent(0.253, language) == babel_numbers.format_percent(
        0.253, format="#,##0%", locale=loc
    )
    day = date(2026, 3, 2)  # a Monday
    assert i18n.format_date(day, language) == babel_dates.format_date(
        day, format="medium", locale=loc
    )
    assert i18n.weekday(day, language) == babel_dates.format_date(day, "EEE", locale=loc)
    assert i18n.weekday_names("pt-BR")[:2] == ["seg.", "ter."]


@pytest.mark.parametrize("language", ["pt-BR", "pt-PT"])
def test_durations_including_zero_seconds_and_forty_days(language):
    loc = Locale.parse(i18n.locale_id(language))

    def unit(n, name):
        return babel_units.format_unit(n, f"duration-{name}", length="short", locale=loc)

    assert i18n.duration(0, language) == unit(0, "second")
    assert i18n.duration(40 * 86400, language) == unit(40, "day")
    assert i18n.duration(2 * 3600 + 10 * 60, language) == f"{unit(2, 'hour')} {unit(10, 'minute')}"
    assert i18n.duration(2 * 3600 + 10 * 60, "pt-BR") == "2 h 10 min"
    assert i18n.duration(None, language) == "—"
    # English keeps the compact form the CLI has always printed.
    assert i18n.duration(0, "en") == "0s"
    assert i18n.duration(40 * 86400, "en") == "40d"  # the one form: zero parts left out


def test_relative_age_is_babels():
    now = datetime(2026, 3, 5, 12, tzinfo=UTC)
    then = now - timedelta(days=3)
    for language in ("en", "pt-BR", "pt-PT"):
        expected = babel_dates.format_timedelta(
            then - now,
            add_direction=True,
            threshold=1,
            locale=Locale.parse(i18n.locale_id(language)),
        )
        assert i18n.relative_age(then, now, language) == expected
    assert i18n.relative_age(then, now, "pt-BR") == "há 3 dias"


# --- reason codes ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(rc.REASONS))
def test_every_reason_code_has_english_and_portuguese_text(name):
    english = rc.REASONS[name]
    assert english.strip()
    if name == "custom":  # the brand's own words, shown as written
        return
    for locale in PORTUGUESE:
        translated = _catalog(locale)[english]
        assert translated is not None and translated.string.strip(), (locale, english)
        assert translated.string != english or name in ("praise",), (locale, english)


def test_the_default_phrase_lists_use_known_codes():
    from replywatch.sentiment import phrases

    for table in (phrases.ESCALATION, phrases.COMPLAINT, phrases.PRAISE):
        for entries in table.values():
            for _phrase, code in entries:
                assert code in rc.REASONS, code


@pytest.mark.parametrize(
    "code",
    [
        "refund",
        "very_negative:-0.7269",
        "negative:-0.2",
        "followers:12300",
        "unanswered:3",
        "sla_breached:7805:3600",
        "phrase:warranty claim",
        "custom:asks: for an RMA",
        "public",
        "spam",
    ],
)
def test_english_text_maps_back_to_its_code(code):
    english = rc.text(code)
    again = rc.code_for_text(english)
    assert rc.text(again) == english
    assert rc.text(again, "pt-BR") == rc.text(code, "pt-BR")


def test_parameterised_reasons_are_formatted_per_language():
    assert rc.text("followers:12300") == "author has 12,300 followers"
    assert rc.text("followers:12300", "pt-BR") == "autor tem 12.300 seguidores"
    assert rc.text("unanswered:3", "pt-BR") == "3ª mensagem sem resposta deste cliente"
    assert rc.text("unanswered:3", "pt-PT") == "3.ª mensagem sem resposta deste cliente"
    assert rc.text("very_negative:-0.7269", "pt-BR") == "muito negativo (-0,73)"
    assert rc.text("sla_breached:7805:3600") == "waiting 2h 10m, SLA 1h breached"
    assert rc.text("sla_breached:7805:3600", "pt-BR").startswith("esperando há 2 h 10 min")


def test_a_portuguese_complaint_gets_codes_and_reads_in_portuguese():
    a = analyze("meu pedido não chegou, quero reembolso, vou no Procon!", language="pt")
    assert {"procon", "never_arrived", "refund"} <= set(a.reason_codes)
    assert list(a.reasons) == rc.texts(a.reason_codes)  # English texts, as before
    shown = rc.texts(a.reason_codes, rc.display_language(a.language, "en"))
    assert {"menciona o Procon", "pedido nunca chegou", "pede reembolso"} <= set(shown)
    # An English message follows the interface language.
    assert rc.display_language("en", "pt-PT") == "pt-PT"
    assert rc.display_language("en", "en") == "en"
    assert rc.display_language("pt", "pt-PT") == "pt-PT"


def test_analyze_command_shows_portuguese_reasons_for_a_portuguese_message(monkeypatch):
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)
    result = CliRunner().invoke(
        main, ["analyze", "meu pedido não chegou, quero reembolso, vou no Procon!"]
    )
    assert result.exit_code == 0, result.output
    assert "  - menciona o Procon" in result.output.splitlines()
    english = CliRunner().invoke(main, ["analyze", "My order never arrived, I want a refund!"])
    assert "  - asks for a refund" in english.output.splitlines()


def test_analyze_csv_carries_codes_and_text(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        'text,lang\n"meu pedido não chegou, vou no Procon",pt\n"I want a refund",en\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    analyze_csv(src, "text", out, language_column="lang")
    pt, en = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert "procon" in json.loads(pt["urgency_reason_codes"])
    assert "mentions Procon" in pt["urgency_reasons"]  # English, stable
    assert "menciona o Procon" in pt["urgency_reasons_local"]
    assert "asks for a refund" in en["urgency_reasons_local"]


def test_stored_scores_keep_codes_and_old_scores_derive_them(tmp_path):
    db = open_database(tmp_path / "codes.db")
    assert "reason_codes" in {c.name for c in db["scores"].columns}
    a = analyze("vou no Procon, quero reembolso", language="pt")
    db.execute(
        "INSERT INTO messages (id, platform, external_id, kind, channel, direction, text, "
        "created_at, created_ts, source, fetched_at) VALUES (1, 'x', '1', 'mention', "
        "'public', 'inbound', 't', '2026-01-01T00:00:00Z', 0, 'test', '2026-01-01T00:00:00Z')"
    )
    save_scores(db, [{"message_id": 1, **a.to_dict()}])
    stored = db.execute("SELECT reasons, reason_codes FROM scores").fetchone()
    assert json.loads(stored[1]) == list(a.reason_codes)
    # A score written before codes existed: the same codes come from its English texts.
    assert rc.stored_codes(None, json.loads(stored[0])) == list(a.reason_codes)


def test_the_queue_shows_a_portuguese_complaint_with_portuguese_reasons(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest
    from replywatch.store.brands import ensure_brand_accounts
    from replywatch.store.db import DB_ENV_VAR, transaction

    path = tmp_path / "queue.db"
    db = open_database(path)
    with transaction(db):
        ensure_brand_accounts(db, [("x", "acme", "acme")])
    text = "@acme meu pedido não chegou e quero reembolso, vou no Procon"
    message = Message(
        platform="x",
        external_id="1",
        created_at=datetime.now(UTC) - timedelta(minutes=5),
        text=text,
        direction="inbound",
        kind="mention",
        channel="public",
        source="test",
        author_handle="bia",
        lang="pt",
    )
    ingest(db, [message], source="test")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    monkeypatch.delenv(i18n.ENV_VAR, raising=False)  # English interface
    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    reasons = at.dataframe[0].value.iloc[0]["reasons"].split("; ")
    assert {"menciona o Procon", "pede reembolso"} <= set(reasons), reasons


# --- exports ---------------------------------------------------------------------------


@pytest.fixture
def exported_db(tmp_path):
    from tests.dashboard_seed import seed

    path = tmp_path / "exports.db"
    seed(path, now=datetime.now(UTC))
    return open_database(path)


def test_export_headers_stay_machine_names_unless_asked(exported_db):
    from replywatch.metrics.exports import (
        CONVERSATION_COLUMNS,
        export_benchmarks_to_bytes,
        export_conversations_to_bytes,
    )

    machine = export_conversations_to_bytes(exported_db, "csv").decode("utf-8-sig")
    assert machine.splitlines()[0].split(",") == [n for n, _ in CONVERSATION_COLUMNS]
    people = export_conversations_to_bytes(exported_db, "csv", header_language="pt-BR")
    header = people.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:3] == ["Conversa", "Plataforma", "Marca"]
    assert "Tempo da primeira resposta" in header
    pt = export_benchmarks_to_bytes(exported_db, "csv", header_language="pt-PT")
    assert "Dentro de 15m" in pt.decode("utf-8-sig").splitlines()[0]
    with pytest.raises(ValueError, match="csv and xlsx"):
        export_conversations_to_bytes(exported_db, "json", header_language="pt-BR")
    with pytest.raises(ValueError, match="unknown language"):
        export_conversations_to_bytes(exported_db, "csv", header_language="xx")


def test_xlsx_cells_have_real_types_and_formats(exported_db):
    import io

    from openpyxl import load_workbook

    from replywatch.metrics.exports import export_benchmarks_to_bytes, export_conversations_to_bytes

    def sheet(data: bytes, name: str):
        rows = list(load_workbook(io.BytesIO(data))[name].iter_rows())
        header = [c.value for c in rows[0]]
        return [dict(zip(header, r, strict=True)) for r in rows[1:]]

    machine = sheet(export_conversations_to_bytes(exported_db, "xlsx"), "conversations")
    answered = next(r for r in machine if r["first_response_seconds"].value is not None)
    assert answered["first_response_seconds"].value == 1800  # seconds stay seconds
    assert answered["first_response_seconds"].number_format == "#,##0"
    assert isinstance(answered["first_customer_at"].value, datetime)
    assert answered["first_customer_at"].number_format == "m/d/yy h:mm"
    assert isinstance(answered["local_date"].value, datetime | date)
    people = sheet(
        export_conversations_to_bytes(exported_db, "xlsx", header_language="pt-BR"),
        "conversations",
    )
    cell = next(r for r in people if r["Tempo da primeira resposta"].value is not None)[
        "Tempo da primeira resposta"
    ]
    # A real Excel duration (a fraction of a day): openpyxl reads it back as one.
    assert cell.number_format == "[h]:mm:ss" and cell.value == timedelta(seconds=1800)
    bench = sheet(export_benchmarks_to_bytes(exported_db, "xlsx", period="day"), "benchmarks")
    assert bench[0]["response_rate"].number_format == "0.0%"
    assert 0 <= bench[0]["response_rate"].value <= 1


# --- every page string goes through gettext -------------------------------------------

_SHOWN = {
    "title", "header", "subheader", "caption", "markdown", "info", "success", "error",
    "warning", "toast", "button", "toggle", "selectbox", "multiselect", "text_input",
    "text_area", "metric", "date_input", "segmented_control", "radio", "expander",
    "link_button", "download_button", "checkbox", "tabs", "form_submit_button", "Page",
}  # fmt: skip
_SHOWN_KEYWORDS = {"label", "help", "placeholder", "title"}
_ALLOWED = {"replywatch", "#"}  # the product's name; the id column's header


def _literal_text(node) -> str | None:
    """The text of a string literal or f-string with words in it (else None)."""
    import ast

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    else:
        return None
    return text if re.search(r"[A-Za-z]{2}", text) and text.strip() not in _ALLOWED else None


def test_page_text_is_wrapped_for_translation():
    # A label, title, help or message written as a bare literal in dashboard.py or
    # views/ would stay English in every language: it must go through _() (see
    # docs/dashboard.md, "Languages").
    import ast

    found = []
    for path in [REPO / "dashboard.py", *sorted((REPO / "views").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name not in _SHOWN:
                continue
            positional = [] if name == "Page" else node.args[:1]  # st.Page(path, title=...)
            candidates = positional + [k.value for k in node.keywords if k.arg in _SHOWN_KEYWORDS]
            for arg in candidates:
                text = _literal_text(arg)
                if text is not None:
                    found.append(f"{path.name}:{arg.lineno}: {text!r}")
    assert found == [], "wrap these in _():\n" + "\n".join(found)
