"""Issue 23's page fixes through AppTest on the demo database in pt-BR: the
Triage grid's platform badges and CSV (point 11), the Probably resolved view
without SLA and waiting time (point 9)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from streamlit.testing.v1 import AppTest

from replywatch import i18n
from replywatch.store.db import DB_ENV_VAR
from tests.test_pseudo_locale import APP, demo_db  # noqa: F401 - the shared fixture


@pytest.fixture
def triage(demo_db, monkeypatch):  # noqa: F811 - the fixture imported above
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    return at


def test_platform_badges_need_no_emoji_font_and_have_a_header(triage):
    frame = triage.dataframe[0]
    config = frame.proto.columns
    assert '"platform": {"label": "plataforma"' in config and '"type": "image"' in config
    badges = set(frame.value["platform"])
    assert badges and all(b.startswith("data:image/svg+xml") for b in badges)
    # Latin marks drawn by the SVG, no emoji code points.
    assert all(max(map(ord, unquote(b))) < 0x2000 for b in badges)


def test_probably_resolved_rows_are_not_waiting(triage):
    triage.radio(key="tri_view").set_value("probably_resolved").run()
    assert not triage.exception, triage.exception
    frame = triage.dataframe[0].value
    assert len(frame) > 0
    assert set(frame["SLA"]) == {""} and set(frame["waiting"]) == {""}


def test_the_triage_csv_has_people_headers_and_platform_names(demo_db, monkeypatch):  # noqa: F811
    import csv
    import io

    import streamlit

    files = {}
    real = streamlit.download_button

    def capture(label, data, *args, **kwargs):
        files[kwargs.get("file_name")] = data  # bytes, or a callable run on click
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", capture)
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    data = files["triage-queue.csv"]
    data = data() if callable(data) else data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    columns = rows[0]
    assert {"plataforma", "cliente", "mensagem", "esperando"} <= set(columns)
    platforms = {row[columns.index("plataforma")] for row in rows[1:]}
    assert platforms and platforms <= {"X", "Reddit", "Facebook", "Instagram", "WhatsApp"}


def test_benchmarks_say_when_the_previous_period_is_empty(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 10: the demo holds 7 days, so the 7 days before hold nothing.
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/benchmarks.py").run()
    assert not at.exception, at.exception
    assert any("não há com o que comparar" in i.value for i in at.info), [
        [i.value for i in at.info],
        [c.value for c in at.caption],
    ]
    brands = set(at.dataframe[0].value["brand"])  # machine name; the header is "marca"
    assert brands and not brands & {"aurora", "luz"}  # names, not keys


def test_response_time_tiles_fit_and_the_badge_names_pages(demo_db, monkeypatch):  # noqa: F811
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/response_times.py").run()
    assert not at.exception, at.exception
    assert len(at.metric) >= 5
    assert not any(s.value.startswith("Facebook: Muito") for s in at.subheader)
    assert any(s.value.endswith(": quem tem") for s in at.subheader)
    badge = next(d.value for d in at.dataframe if "page" in d.value.columns)
    assert "aurora" not in set(badge["page"]) and "Loja Aurora" in set(badge["page"])


def test_a_search_by_number_finds_a_replied_conversation(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 13: after "Mark replied" the conversation drops out of the
    # default list; typing its number still finds it and says its status.
    from replywatch.pipeline import set_status
    from replywatch.store.db import open_database

    db = open_database(demo_db)
    conversation = db.execute(
        "SELECT id FROM conversations WHERE status = 'new' ORDER BY id LIMIT 1"
    ).fetchone()[0]
    set_status(db, [conversation], "replied", actor="Ana")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_input(key="tri_search").set_value(f"#{conversation}").run()
    assert not at.exception, at.exception
    assert any(
        i.value == f"A conversa nº {conversation} está respondida: fora desta lista com "
        "estes filtros."
        for i in at.info
    ), [i.value for i in at.info]
    at.button(key="tri_open_found").click().run()
    assert any(e.label == f"Conversa nº {conversation}" for e in at.expander) or any(
        str(conversation) in e.label for e in at.expander
    )


def test_agent_breakdown_after_marking_replied(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 8: no "None" cell, no "(none)" row; the caption says why a
    # conversation marked replied is not yet answered.
    from replywatch.pipeline import set_status
    from replywatch.store import triage
    from replywatch.store.db import open_database

    db = open_database(demo_db)
    conversation = db.execute(
        "SELECT id FROM conversations WHERE status = 'new' ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    triage.assign(db, [conversation], "Ana", actor="Ana")
    set_status(db, [conversation], "replied", actor="Ana")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/response_times.py").run()
    at.button_group(key="rt_by").set_value("agent").run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value
    cells = {str(v) for v in table.to_numpy().ravel()}
    assert "Ana" in set(table["agent"]) and "Sem responsável" in set(table["agent"])
    assert not cells & {"None", "nan", "(none)"}
    assert any("marcada como respondida" in c.value for c in at.caption)


def test_outcome_tiles_name_their_denominators_and_share_the_median(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 7.
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/response_times.py").run()
    median = next(m.value for m in at.metric if m.label == "Mediana da primeira resposta")
    at.switch_page("views/sentiment.py").run()
    at.radio(key="sent_view").set_value("outcomes").run()
    assert not at.exception, at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Mediana da primeira resposta"] == median
    captions = [c.value for c in at.caption]
    assert any(c.startswith("de ") and "voltou a escrever" in c for c in captions)
    assert any(c.startswith("de ") and c.endswith("conversas resolvidas") for c in captions)


def test_sentiment_page_charts_complaint_reasons(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 14: reasons over time charted, no jargon, no empty panels.
    import json

    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/sentiment.py").run()
    assert not at.exception, at.exception
    assert "Motivos das reclamações ao longo do tempo" in [s.value for s in at.subheader]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    reasons = next(
        c
        for c in charts
        if c["layout"].get("yaxis", {}).get("title", {}).get("text") == "reclamações"
    )
    names = {trace["name"] for trace in reasons["data"]}
    assert "pede reembolso" in names or "produto danificado ou quebrado" in names, names
    assert sum(sum(trace["y"]) for trace in reasons["data"]) > 0
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "compound" not in text and "0 reclamação(ões)" not in text


def test_complaint_reasons_by_day_counts_each_reason_once_per_message(demo_db):  # noqa: F811
    from zoneinfo import ZoneInfo

    from replywatch.metrics import trends
    from replywatch.store.db import open_database

    db = open_database(demo_db)
    rows = trends.complaint_reasons_by_day(db, since=0, until=2**31, tz=ZoneInfo("UTC"))
    assert rows and {r["reason"] for r in rows} <= trends.COMPLAINT_REASONS
    complaints = db.execute(
        "SELECT count(*) FROM messages m JOIN scores s ON s.message_id = m.id "
        "WHERE m.direction = 'inbound' AND coalesce(s.intent = 'complaint', s.label = 'negative')"
    ).fetchone()[0]
    per_day = {}
    for r in rows:
        per_day.setdefault(r["day"], 0)
        per_day[r["day"]] += r["messages"]
    assert 0 < sum(per_day.values()) <= complaints * len(trends.COMPLAINT_REASONS)


def test_sources_page_is_where_a_channel_is_connected(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 15: per channel its state, the next step and the pt-BR guide.
    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    for name in ("META_ACCESS_TOKEN", "META_PAGE_TOKENS", "META_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("X_BEARER_TOKEN", "not-a-real-token")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/sources.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("channel")
    assert {"X", "Reddit", "Facebook", "Instagram"} <= set(table.index)
    assert table.loc["Facebook", "state"].startswith("falta credencial: META_ACCESS_TOKEN")
    assert table.loc["Facebook", "guide"] == "docs/channels/facebook-instagram.pt-BR.md"
    assert table.loc["X", "state"] == "não configurado"  # a token, no brand watching X
    assert "not-a-real-token" not in table.to_string()
    assert any("feed simulado da demonstração" in i.value for i in at.info)
    assert not any("Nenhum coletor" in i.value for i in at.info)


def test_trend_counts_axis_has_whole_number_ticks(demo_db, monkeypatch):  # noqa: F811
    # Issue 23 point 6: the conversations axis ticked "54,2 44 33,9".
    import json

    monkeypatch.setenv(DB_ENV_VAR, str(demo_db))
    monkeypatch.setenv(i18n.ENV_VAR, "pt-BR")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("views/response_times.py").run()
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    trend = next(s for s in specs if "yaxis2" in s["layout"])
    axis = trend["layout"]["yaxis2"]
    assert axis["tickformat"] == ",d" and axis["tickmode"] == "auto"
    assert trend["layout"]["separators"] == ",."
