"""Every dashboard page through streamlit.testing.v1.AppTest on a seeded temp
database: renders, shows the known numbers, and actions change the store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from replywatch.store.db import DB_ENV_VAR, open_database
from replywatch.views import _reports
from tests.dashboard_seed import EVIL_TEXT, seed

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGES = [
    "views/triage.py",
    "views/response_times.py",
    "views/sentiment.py",
    "views/benchmarks.py",
    "views/sources.py",
]


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    path = tmp_path / "pages.db"
    facts = seed(path, now=datetime.now(UTC))
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    return path, facts["conversation"]


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def _queue(at: AppTest):
    return at.dataframe[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_database(tmp_path, monkeypatch, page):
    monkeypatch.setenv(DB_ENV_VAR, str(tmp_path / "empty.db"))
    at = _app(page)
    shown = " ".join(i.value for i in at.info)
    if page == "views/sources.py":
        assert "No collector has run yet" in shown
    else:
        assert "no data yet: run `replywatch collect` or `replywatch demo`" in shown


def test_triage_lists_the_queue_urgent_first_with_inert_text(seeded):
    _, conv = seeded
    at = _app()
    frame = _queue(at)
    assert list(frame["id"]) == [conv["7"], conv["8"], conv["9"]]
    evil = frame.iloc[0]
    assert evil["message"] == EVIL_TEXT  # shown verbatim, as data
    assert evil["urgency"] == 90 and evil["urgent"] == "⚠️"
    assert evil["reasons"] == "late order; <b>bold</b>"
    assert evil["SLA"] == "breached"  # waiting 3 h against the 1 h fallback
    assert pd.isna(evil["post"])  # javascript: URL is not linked
    assert frame.iloc[1]["post"] == "https://x.com/dan/status/8"
    # Waiting 3 h, 2 h 30 and 30 min against the 1 h fallback target.
    assert list(frame["SLA"]) == ["breached", "breached", "ok"]
    assert "3 conversation(s) match" in " ".join(c.value for c in at.caption)


def test_triage_filters(seeded):
    _, conv = seeded
    at = _app()
    at.toggle(key="tri_urgent").set_value(True).run()
    assert list(_queue(at)["id"]) == [conv["7"]]
    at.toggle(key="tri_urgent").set_value(False)
    at.text_input(key="tri_search").set_value('refund "').run()  # invalid FTS: literal
    assert not at.exception
    assert list(_queue(at)["id"]) == [conv["8"]]
    at.text_input(key="tri_search").set_value("")
    at.button_group(key="tri_status").set_value(["replied"]).run()
    assert sorted(_queue(at)["id"]) == sorted({conv["1"], conv["3"], conv["5"]})


def test_mark_replied_from_the_page_is_stored_and_audited(seeded):
    path, conv = seeded
    at = _app()
    at.multiselect(key="tri_selected").set_value([conv["8"], conv["9"]]).run()
    at.button(key="tri_btn_replied").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["2 conversation(s) marked replied"]
    assert list(_queue(at)["id"]) == [conv["7"]]
    db = open_database(path)
    statuses = dict(
        db.execute(
            "SELECT id, status FROM conversations WHERE id IN (?, ?)", (conv["8"], conv["9"])
        ).fetchall()
    )
    assert statuses == {conv["8"]: "replied", conv["9"]: "replied"}
    audit = db.execute(
        "SELECT actor, action, conversation_id, detail FROM audit_log ORDER BY conversation_id"
    ).fetchall()
    assert [(a, b, c, json.loads(d)["to"]) for a, b, c, d in audit] == [
        ("local", "status", conv["8"], "replied"),
        ("local", "status", conv["9"], "replied"),
    ]
    # A fresh session (a reload) still sees it replied.
    assert list(_queue(_app())["id"]) == [conv["7"]]


def test_assign_tag_and_note_from_the_page(seeded):
    path, conv = seeded
    at = _app()
    at.multiselect(key="tri_selected").set_value([conv["7"]]).run()
    at.text_input(key="tri_assign_to").set_value("Bia").run()
    at.button(key="tri_btn_assign").click().run()
    at.text_input(key="tri_tag").set_value("escalate").run()
    at.button(key="tri_btn_tag").click().run()
    at.text_area(key="tri_note").set_value("asked for the order number").run()
    at.button(key="tri_btn_note").click().run()
    assert not at.exception and not at.error
    row = _queue(at).iloc[0]
    assert (row["assignee"], row["tags"]) == ("Bia", "escalate")
    db = open_database(path)
    assert db.execute("SELECT text, author FROM notes").fetchall() == [
        ("asked for the order number", "local")
    ]
    assert [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")] == [
        "assign",
        "tag",
        "note",
    ]
    # The detail panel shows the note as data.
    assert any("asked for the order number" in d.value.to_string() for d in at.dataframe)


def test_an_action_without_a_selection_explains_itself(seeded):
    path, _ = seeded
    at = _app()
    at.button(key="tri_btn_closed").click().run()
    assert [e.value for e in at.error] == ["select one or more conversations first"]
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_sentiment_page_numbers(seeded):
    at = _app("views/sentiment.py")
    metrics = {m.label: m.value for m in at.metric}
    # Default period: the 30 days up to the newest message -> the 3 live tweets.
    assert metrics == {
        "Customer messages": "3",
        "Share negative": "67%",
        "Urgent": "1",
        "Average sentiment": "-0.07",
    }
    # Volume and average; one language only reads as a sentence, not a full donut,
    # and these complaints give no complaint reason to chart (issue 23 point 14).
    assert len(at.get("plotly_chart")) == 2
    captions = [c.value for c in at.caption]
    assert "Every customer message of the period is in English." in captions
    assert "No complaints in this period." in captions
    at.date_input(key="period").set_value((date(2024, 5, 6), date(2024, 5, 6))).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customer messages"] == "3" and metrics["Share negative"] == "100%"
    drill = at.dataframe[-1].value
    assert sorted(drill["author"]) == ["Ann", "Bia", "Cid"]
    at.selectbox(key="sent_label").set_value("positive").run()
    assert "No customer messages on that day" in " ".join(i.value for i in at.info)


def test_sentiment_complaint_terms_by_language(seeded):
    at = _app("views/sentiment.py")
    at.date_input(key="period").set_value((date(2024, 5, 6), date(2024, 5, 6))).run()
    tables = [d.value for d in at.dataframe if list(d.value.columns) == ["term", "messages"]]
    en, pt = (set(t["term"]) for t in tables)
    assert "terrible" in en and "cobrança indevida" in pt


def test_sources_page_shows_health_and_inert_dead_letters(seeded):
    at = _app("views/sources.py")
    health = next(d.value for d in at.dataframe if "source" in d.value.columns).set_index("source")
    assert health.loc["x:acme", "reads / cap"] == "4,000 / 10,000"
    assert health.loc["x:acme", "monthly reads"] == pytest.approx(0.4)
    assert health.loc["reddit:acme", "state"] == "failing"
    assert health.loc["reddit:acme", "last error"] == "HTTP 503 <b>down</b>"
    assert at.code[0].value == '{"text": "<script>alert(2)</script>"}'


def _one_day(at: AppTest) -> AppTest:
    at.date_input(key="period").set_value((date(2024, 5, 6), date(2024, 5, 6))).run()
    assert not at.exception, at.exception
    return at


def test_response_times_page_numbers(seeded):
    at = _one_day(_app("views/response_times.py"))
    # 2024-05-06: FRT 600 s (globex), 1800 s and 7200 s (acme); the three live
    # conversations are waiting and unanswered in the badge's 7 days.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Median first response": "30m",
        "p90 first response": "2h",  # one duration form (i18n.compact_duration)
        "Response rate": "100%",
        "Within SLA": "67%",
        "Waiting now": "3",
        "Public badge (7 days)": "0%",
    }
    assert len(at.get("plotly_chart")) == 3  # trend, distribution, heatmap
    table = at.dataframe[0].value.set_index("brand")
    # Figures are formatted by the page (the session's locale), not by the grid.
    assert table.loc["acme", "conversations"] == "2"
    assert table.loc["acme", "median (min)"] == "75.0"  # median of 30 and 120 minutes
    assert table.loc["globex", "p90 (min)"] == "10.0"
    at.toggle(key="rt_business").set_value(True).run()
    assert not at.exception
    assert "business time" in " ".join(c.value for c in at.caption)
    for by in ("platform", "channel", "agent"):
        at.button_group(key="rt_by").set_value(by).run()
        assert not at.exception, by
        assert by in at.dataframe[0].value.columns


def test_benchmarks_page_compares_periods_and_downloads_cli_files(seeded, tmp_path):
    path, _ = seeded
    at = _app("views/benchmarks.py")
    at.date_input(key="period").set_value((date(2024, 5, 7), date(2024, 5, 7))).run()
    assert "No conversations in this period." in [i.value for i in at.info]
    at.date_input(key="period").set_value((date(2024, 5, 6), date(2024, 5, 7))).run()
    table = at.dataframe[0].value.set_index("brand")
    assert list(table.index) == ["acme", "globex"]  # sorted by volume
    assert table.loc["acme", "response rate"] == "100%"
    labels = sorted(b.label for b in at.get("download_button"))
    assert labels == sorted(
        [
            f"{kind} ({fmt})"
            for kind in ("Conversations", "Benchmarks by week")
            for fmt in ("csv", "xlsx", "parquet", "json")
        ]
    )

    # The download bytes are the CLI's output for the same period and brand.
    from click.testing import CliRunner

    from replywatch.cli import main

    db = open_database(path)
    downloads = {
        d.label: d
        for d in _reports.export_downloads(
            lambda: db, since=date(2024, 5, 6), until=date(2024, 5, 7), brand=None
        )
    }
    for kind, label in (
        ("conversations", "Conversations (csv)"),
        ("benchmarks", "Benchmarks by week (csv)"),
    ):
        out = tmp_path / f"{kind}.csv"
        result = CliRunner().invoke(
            main,
            [
                "export",
                kind,
                "--format",
                "csv",
                "--out",
                str(out),
                "--since",
                "2024-05-06",
                "--until",
                "2024-05-07",
                "--db",
                str(path),
            ],
        )
        assert result.exit_code == 0, result.output
        assert downloads[label].data() == out.read_bytes()
        assert out.read_bytes().count(b"\n") > 1


def test_refresh_announces_new_urgent_items_and_keeps_filters_and_selection(seeded):
    path, conv = seeded
    at = _app()
    at.text_input(key="tri_search").set_value("acme").run()
    at.multiselect(key="tri_selected").set_value([conv["9"]]).run()
    assert not at.toast
    db = open_database(path)
    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest

    result = ingest(
        db,
        [
            Message(
                platform="x",
                external_id="urgent-1",
                created_at=datetime.now(UTC),
                direction="inbound",
                text="@acme URGENT my card was charged twice, refund now!!",
                kind="mention",
                channel="public",
                source="test",
                author_handle="zoe",
            )
        ],
        source="test",
    )
    new_id = db.execute(
        "SELECT conversation_id FROM messages WHERE external_id = 'urgent-1'"
    ).fetchone()[0]
    # Whatever the real scorer said, make it urgent for this test (and keep the
    # conversation aggregates in step, as the scorer does).
    from replywatch.metrics.engine import refresh_score_aggregates

    db.conn.execute(
        "UPDATE scores SET urgent = 1, urgency = 95 WHERE message_id = ?",
        (result.new_message_ids[0],),
    )
    refresh_score_aggregates(db, [new_id])
    db.conn.commit()
    at.run()  # what the fragment's timer does
    assert [t.value for t in at.toast] == [f"1 new urgent conversation(s): #{new_id}"]
    assert at.text_input(key="tri_search").value == "acme"
    assert at.multiselect(key="tri_selected").value == [conv["9"]]
    assert new_id in list(_queue(at)["id"])


def test_an_action_while_another_writer_holds_the_database_changes_nothing(seeded, monkeypatch):
    """A large import commits in one long transaction; an agent's action that
    cannot get the write lock in time says so and writes nothing, and works
    once the lock is free."""
    import sqlite3

    from replywatch.store import db as store_db

    path, conv = seeded
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 300)
    at = _app()
    at.multiselect(key="tri_selected").set_value([conv["8"]]).run()
    importer = sqlite3.connect(path, isolation_level=None)
    importer.execute("BEGIN IMMEDIATE")
    try:
        at.button(key="tri_btn_replied").click().run()
    finally:
        importer.execute("ROLLBACK")
        importer.close()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The database is busy: another writer, such as a large import, held it longer "
        "than the wait allows. Nothing was changed; try again in a minute."
    ]
    db = open_database(path)
    assert (
        db.execute("SELECT status FROM conversations WHERE id = ?", (conv["8"],)).fetchone()[0]
        != "replied"
    )
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
    at.button(key="tri_btn_replied").click().run()
    assert [s.value for s in at.success] == ["1 conversation(s) marked replied"]


def test_chart_labels_from_data_are_text_not_html(seeded):
    """Issue 18.4: an unscored message's JSONL ``lang`` became a pie label, and
    Plotly drew ``<a href>`` in it as a live link. Every chart's data text is
    escaped before it reaches Plotly."""
    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest

    path, _ = seeded
    hostile = '<a href="https://evil.example/">click</a><b>big</b>'
    db = open_database(path)
    ingest(
        db,
        [
            Message(
                platform="x",
                external_id="lang-1",
                created_at=datetime.now(UTC),
                text="@acme hello",
                direction="inbound",
                kind="mention",
                channel="public",
                source="test",
                author_handle="zed",
                lang=hostile,
            )
        ],
        source="test",
    )
    db.execute(
        "DELETE FROM scores WHERE message_id IN (SELECT id FROM messages WHERE "
        "external_id = 'lang-1')"
    )
    db.conn.commit()
    db.close()
    at = _app("views/sentiment.py")
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    pie = next(s for s in specs if s["data"][0].get("type") == "pie")
    assert (
        '&lt;a href="https://evil.example/"&gt;click&lt;/a&gt;&lt;b&gt;big&lt;/b&gt;'
        in pie["data"][0]["labels"]
    )
    for spec in specs:
        for trace in spec["data"]:
            for prop in ("labels", "text", "hovertext", "name", "x", "y"):
                assert "<a" not in json.dumps(trace.get(prop)), (prop, trace.get(prop))


def test_one_future_dated_message_does_not_move_the_default_period(seeded):
    """Issue 18.8: the default period ended at the newest message, so a single
    far-future row moved every page to a period nobody can act on. It ends at
    the newest message that is not in the future."""
    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest

    path, _ = seeded
    db = open_database(path)
    ingest(
        db,
        [
            Message(
                platform="x",
                external_id="future-1",
                created_at=datetime(2090, 12, 31, tzinfo=UTC),
                text="@acme from the future",
                direction="inbound",
                kind="mention",
                channel="public",
                source="test",
                author_handle="zed",
            )
        ],
        source="test",
    )
    db.close()
    at = _app("views/sentiment.py")
    start, end = at.date_input(key="period").value
    assert end == datetime.now(UTC).date() and (end - start).days == 29
    assert {m.label: m.value for m in at.metric}["Customer messages"] == "3"
