"""Labels from the Triage page and the Admin page's "Learning from the team"
(AppTest on real stores): one click stores intent + urgent with who and when;
the Admin page shows labels per intent and language, the model against the
rules, and trains on a click."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.store.db import DB_ENV_VAR, open_database
from replywatch.store.labels import import_labels, labels_of
from replywatch.store.models import active_model_id
from replywatch.training import train_store_model
from tests.learning_support import labelled
from tests.test_triage_resolved_page import APP
from tests.test_triage_selection_page import seed_ids


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    assert not at.exception, at.exception
    return at


def test_one_click_on_the_triage_detail_labels_the_customer_message(tmp_path, monkeypatch):
    path = tmp_path / "triage.db"
    seed_ids(path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = _app()
    at.text_input(key="tri_add").input("542").run()
    db = open_database(path)
    message_id = db.execute("SELECT id FROM messages WHERE external_id = 'a'").fetchone()[0]
    assert labels_of(db, [message_id]) == {}
    at.button(key=f"tri_label_542_complaint_urgent_{message_id}").click().run()
    assert not at.exception, at.exception
    assert labels_of(db, [message_id]) == {message_id: ("complaint", 1)}
    assert db.execute("SELECT actor, source FROM labels").fetchone() == ("local", "agent")
    assert any("complaint · urgent" in s.value for s in at.success)
    at.button(key=f"tri_label_542_question_{message_id}").click().run()
    assert labels_of(db, [message_id]) == {message_id: ("question", 0)}
    actions = db.execute("SELECT count(*) FROM audit_log WHERE action = 'label.set'").fetchone()
    assert actions == (2,)


@pytest.mark.parametrize("trained", [False, True])
def test_admin_page_shows_the_model_against_the_rules_and_trains(tmp_path, monkeypatch, trained):
    path = tmp_path / "admin.db"
    db = open_database(path)
    import_labels(db, labelled(260), actor="t")
    if trained:
        train_store_model(db, actor="t")
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = _app()
    at.switch_page("views/admin.py").run()
    assert not at.exception, at.exception
    assert "Learning from the team" in [s.value for s in at.subheader]
    counts = at.dataframe[-2 if trained else -1].value
    assert int(counts.loc["complaint", "en"]) > 0
    if trained:
        figures = at.dataframe[-1].value
        assert {"model F1", "rules F1"} <= set(figures.columns)
        assert any("Active model #1" in m.value for m in at.markdown)
    else:
        assert any("No active model" in i.value for i in at.info)
    at.button(key="model_train").click().run()
    assert not at.exception, at.exception
    assert active_model_id(open_database(path)) == (2 if trained else 1)
