"""Dashboard access control through AppTest: local accounts with roles, the
acting user in the audit log, and the no-authentication address rule."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from replywatch.access import hash_password
from replywatch.store.db import DB_ENV_VAR, open_database
from tests.dashboard_seed import seed

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PASSWORD = "correct horse battery"


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    path = tmp_path / "auth.db"
    facts = seed(path, now=datetime.now(UTC))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path, facts["conversation"]


@pytest.fixture(scope="module")
def users() -> dict:
    digest = hash_password(PASSWORD)
    return {
        name: {"password_hash": digest, "role": role}
        for name, role in (("vera", "viewer"), ("ana", "agent"), ("adm", "admin"))
    }


def signed_in(users: dict, name: str, password: str = PASSWORD) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["replywatch"] = {"users": users}
    at.run()
    assert not at.exception, at.exception
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_sign_in_is_required_and_wrong_password_refused(seeded, users):
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["replywatch"] = {"users": users}
    at.run()
    assert len(at.dataframe) == 0  # nothing shown before sign-in
    at = signed_in(users, "ana", "not the password")
    assert [e.value for e in at.error] == ["Unknown user name or wrong password."]
    assert len(at.dataframe) == 0


def test_agent_actions_are_audited_with_the_user(seeded, users):
    path, conv = seeded
    at = signed_in(users, "ana")
    at.multiselect(key="tri_selected").set_value([conv["8"]]).run()
    at.button(key="tri_btn_replied").click().run()
    assert not at.exception
    db = open_database(path)
    assert db.execute("SELECT actor, conversation_id FROM audit_log").fetchall() == [
        ("ana", conv["8"])
    ]
    # agents are not given the admin page at all
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/admin.py")


def test_viewer_sees_the_queue_but_cannot_act(seeded, users):
    path, _ = seeded
    at = signed_in(users, "vera")
    assert len(at.dataframe) >= 1
    assert "triage actions need the agent role" in " ".join(i.value for i in at.info)
    assert not [b for b in at.button if b.key == "tri_btn_replied"]
    assert open_database(path).execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_admin_page_lists_roles_without_password_hashes(seeded, users):
    at = signed_in(users, "adm")
    at.switch_page("views/admin.py").run()
    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    assert sorted(shown["user"]) == ["adm", "ana", "vera"]
    assert "$2b$" not in shown.to_string()


def test_no_sign_in_refuses_a_public_address(seeded, monkeypatch):
    monkeypatch.delenv("REPLYWATCH_ALLOW_UNAUTHENTICATED", raising=False)
    previous = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert "only serves 127.0.0.1" in " ".join(e.value for e in at.error)
        assert len(at.dataframe) == 0
        monkeypatch.setenv("REPLYWATCH_ALLOW_UNAUTHENTICATED", "1")
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.error and len(at.dataframe) >= 1
    finally:
        st_config.set_option("server.address", previous)


def test_sign_out_with_local_accounts_returns_to_the_sign_in_form(seeded, users):
    """Issue 18.2: with local accounts (no [auth] table) Sign out called
    st.user.is_logged_in, which raised AttributeError and left a stale sidebar."""
    at = signed_in(users, "ana")
    assert "Signed in as ana (agent)" in " ".join(c.value for c in at.sidebar.caption)
    [sign_out] = [b for b in at.sidebar.button if b.label == "Sign out"]
    sign_out.click().run()
    assert not at.exception, at.exception
    assert "Signed in as" not in " ".join(c.value for c in at.caption)
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert len(at.dataframe) == 0
