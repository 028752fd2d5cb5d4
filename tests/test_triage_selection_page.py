"""Selecting conversations on the triage page (AppTest on a real store whose ids are
#542 and #5420..#5429, as in a store that has seen thousands of conversations):
typing 542 selects #542 and nothing else, an id that is not listed adds nothing,
the selection box offers no typing filter and no "Select all / N matches", and a
bulk action on more than CONFIRM_ABOVE conversations waits for confirmation."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from replywatch.pipeline import ingest
from replywatch.store.db import DB_ENV_VAR, open_database
from replywatch.views.triage import CONFIRM_ABOVE
from tests.test_triage_resolved_page import APP, _m


def _ingest_from(db, first_id: int, messages) -> None:
    """Ingest ``messages`` so their conversations get ids from ``first_id`` on.

    The store numbers a new conversation max(id) + 1 (SQLite rowid); a placeholder
    row at ``first_id - 1`` stands for the conversations a long-lived store already
    has, and is removed once the real ones exist."""
    placeholder = first_id - 1
    db.execute(
        "INSERT INTO conversations (id, platform, root_message_id, channel) "
        "VALUES (?, 'x', ?, 'public')",
        (placeholder, -placeholder),
    )
    ingest(db, messages, source="test")
    db.execute("DELETE FROM conversations WHERE id = ?", (placeholder,))


def seed_ids(path: Path) -> dict[str, int]:
    """One question in conversation #542 and ten in #5420..#5429 (by external id)."""
    db = open_database(path)
    _ingest_from(db, 542, [_m("a", 30, "Do you ship to Lisbon?", author="ana")])
    _ingest_from(
        db,
        5420,
        [
            _m(f"b{i}", 20 + i, f"Do you ship to city number {i}?", author=f"b{i}")
            for i in range(10)
        ],
    )
    ids = {ext: cid for ext, cid in db.execute("SELECT external_id, conversation_id FROM messages")}
    db.close()
    return ids


@pytest.fixture
def store(tmp_path, monkeypatch):
    path = tmp_path / "ids.db"
    ids = seed_ids(path)
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path, ids


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def _add(at: AppTest, typed: str) -> AppTest:
    at.text_input(key="tri_add").input(typed).run()
    assert not at.exception, at.exception
    return at


def test_the_store_has_the_ids_of_the_report(store):
    _path, ids = store
    assert ids["a"] == 542
    assert sorted(ids[f"b{i}"] for i in range(10)) == list(range(5420, 5430))
    at = _app()
    assert set(at.dataframe[0].value["id"]) == {542, *range(5420, 5430)}


def test_typing_542_selects_only_542(store):
    at = _add(_app(), "542")
    assert at.multiselect(key="tri_selected").value == [542]
    assert [s.value for s in at.success] == ["Conversation #542 selected (1 in all)."]
    assert at.text_input(key="tri_add").value == ""  # ready for the next id
    # "#5425" adds exactly that one; typing 542 again adds nothing more.
    _add(at, "#5425")
    _add(at, " 542 ")
    assert at.multiselect(key="tri_selected").value == [542, 5425]
    assert [s.value for s in at.success] == ["Conversation #542 selected (2 in all)."]


@pytest.mark.parametrize("typed", ["543", "54", "5430", "#0"])
def test_an_id_that_is_not_listed_adds_nothing_and_says_so(store, typed):
    at = _add(_app(), typed)
    assert at.multiselect(key="tri_selected").value == []
    number = typed.lstrip("#")
    assert [e.value for e in at.error] == [
        f"No conversation #{number} in this list (check the filters above): nothing was added."
    ]


@pytest.mark.parametrize("typed", ["542a", "5 42", "542,5420", "54*", "**542**", "٥٤٢"])
def test_anything_but_one_whole_id_adds_nothing(store, typed):
    at = _add(_app(), typed)
    assert at.multiselect(key="tri_selected").value == []
    assert [e.value for e in at.error] == [
        "Type a conversation number such as 542 or #542: nothing was added."
    ]


def test_an_id_outside_the_filters_is_not_added(store):
    at = _app()
    at.text_input(key="tri_search").input("Lisbon").run()
    assert list(at.dataframe[0].value["id"]) == [542]
    _add(at, "5420")
    assert at.multiselect(key="tri_selected").value == []
    assert at.error[0].value.startswith("No conversation #5420 in this list")


def test_the_selection_box_has_no_typing_filter_and_no_select_all(store):
    box = _app().multiselect(key="tri_selected")
    # filter_mode=None: typing is off (every mode Streamlit has matched "542" in
    # #5420..#5429); select_all 0: never a "Select all" / "Select N matches".
    assert (
        type(box.proto)
        .DESCRIPTOR.fields_by_name["filter_mode"]
        .enum_type.values_by_number[box.proto.filter_mode]
        .name
        == "FILTER_MODE_NONE"
    )
    assert box.proto.select_all == 0
    # Its options are the listed conversations, each picked one at a time.
    assert sorted(o.split()[0] for o in box.options) == sorted(
        f"#{i}" for i in [542, *range(5420, 5430)]
    )


def test_bulk_action_above_the_limit_waits_for_confirmation(store):
    path, _ids = store
    chosen = [5420, 5421, 5422, 5423]
    assert len(chosen) > CONFIRM_ABOVE
    at = _app()
    for conversation_id in chosen:
        _add(at, str(conversation_id))
    at.button(key="tri_btn_closed").click().run()
    assert "Apply 'mark closed' to 4 conversations?" in " ".join(w.value for w in at.warning)
    db = open_database(path)
    closed = "SELECT count(*) FROM conversations WHERE status = 'closed'"
    assert db.execute(closed).fetchone() == (0,)
    # The selection changes before "Yes": nothing is done.
    _add(at, "542")
    at.button(key="tri_confirm").click().run()
    assert [e.value for e in at.error] == ["the selection changed: nothing was done"]
    assert db.execute(closed).fetchone() == (0,)
    # Asked again and confirmed: all five, and only those, are closed.
    at.button(key="tri_btn_closed").click().run()
    assert db.execute(closed).fetchone() == (0,)
    at.button(key="tri_confirm").click().run()
    assert [s.value for s in at.success] == ["5 conversation(s) marked closed"]
    assert {r[0] for r in db.execute("SELECT id FROM conversations WHERE status = 'closed'")} == {
        542,
        *chosen,
    }
    db.close()


def test_up_to_the_limit_an_action_runs_at_once(store):
    path, _ids = store
    at = _app()
    for conversation_id in range(5420, 5420 + CONFIRM_ABOVE):
        _add(at, str(conversation_id))
    at.button(key="tri_btn_closed").click().run()
    assert not at.warning
    assert [s.value for s in at.success] == [f"{CONFIRM_ABOVE} conversation(s) marked closed"]
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM conversations WHERE status = 'closed'").fetchone() == (
        CONFIRM_ABOVE,
    )
    db.close()
