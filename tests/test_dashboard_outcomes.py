"""The Outcomes view of the Sentiment page through AppTest on the dashboard
seed plus a customer follow-up, an agent with a hostile name and a closed
conversation: the figures shown, escaped Plotly labels, the drill-down."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.metrics.engine import refresh_score_aggregates
from replywatch.pipeline import ingest, set_status
from replywatch.store.db import DB_ENV_VAR, open_database, transaction
from tests.dashboard_seed import BASE, _m, seed
from tests.test_dashboard_pages import APP

EVIL_AGENT = '<b>boss</b><a href="javascript:alert(1)">x</a>'


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    path = tmp_path / "outcomes.db"
    conv = seed(path, now=datetime.now(UTC))["conversation"]
    db = open_database(path)
    # ann comes back happy after acme's reply; bia's conversation is closed.
    ingest(db, [_m("10", 45, "@acme got it, thank you!", author="ann", reply_to="2")], source="t")
    with transaction(db):
        db.execute(
            "UPDATE scores SET compound = 0.6 WHERE message_id = "
            "(SELECT id FROM messages WHERE external_id = '10')"
        )
        db.execute("UPDATE conversations SET assignee = ? WHERE id = ?", (EVIL_AGENT, conv["1"]))
        refresh_score_aggregates(db, [conv["1"]])
    closed_at = int((BASE + timedelta(minutes=200)).timestamp())
    set_status(db, [conv["3"]], "closed", actor="agent", now=closed_at)
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return conv


def _outcomes_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/sentiment.py").run()
    at.date_input(key="period").set_value((date(2024, 5, 6), date(2024, 5, 6))).run()
    at.radio(key="sent_view").set_value("outcomes").run()
    assert not at.exception, at.exception
    return at


def test_outcome_tiles_charts_and_escaped_labels(seeded):
    at = _outcomes_page()
    shown = {m.label: m.value for m in at.metric}
    # ann: -0.8 -> +0.6 recovered; bia and cid silent after the reply.
    assert shown["Left happier"] == "100%" and shown["Left unhappier"] == "0%"
    # bia's conversation closed after one reply; ann's and cid's unresolved.
    assert shown["Solved at first reply"] == "100%"
    assert shown["Came back"] == "0%"
    assert shown["Median first response"] != "—"
    assert len(at.get("plotly_chart")) == 3
    at.radio(key="outcome_by").set_value("agent").run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    labels = [x for trace in spec["data"] for x in trace["x"]]
    assert EVIL_AGENT not in labels and "<b>" not in json.dumps(labels)
    assert any(x.startswith("&lt;b&gt;boss") for x in labels)


def test_drill_down_shows_the_conversations_and_text_verbatim(seeded):
    at = _outcomes_page()
    at.selectbox(key="outcome_figure").set_value("Recovered").run()
    frame = at.dataframe[-1].value
    assert list(frame["conversation"]) == [seeded["1"]]
    assert frame.iloc[0]["customer's last message"] == "@acme got it, thank you!"
    assert frame.iloc[0]["recovery"] == "recovered"
    at.selectbox(key="outcome_figure").set_value("Customer silent after the reply").run()
    assert sorted(at.dataframe[-1].value["conversation"]) == sorted([seeded["3"], seeded["5"]])
    at.selectbox(key="outcome_figure").set_value("Customer came back (repeat contact)").run()
    assert "No conversations behind this figure" in " ".join(i.value for i in at.info)
