"""One behaviour in one place: the rules that used to exist in drifted copies
(formula neutralising, duration text, URL sanitising, audit entries, "now"
as unix seconds) are pinned here, including the cases where the copies
disagreed, and every former user is checked to go through the one rule."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from replywatch.i18n import compact_duration as format_duration
from replywatch.metrics import exports
from replywatch.notify.format import AlertItem, format_alert
from replywatch.store.audit import clean_actor, write_audit
from replywatch.store.db import open_database, transaction
from replywatch.store.timeutil import unix_seconds
from replywatch.untrusted import neutralise_formula, safe_url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-3", "-3"),  # metrics used to prefix it, the analyze CSV did not
        ("+1.5", "+1.5"),
        ("-1,234.50", "-1,234.50"),
        ("-2+3", "'-2+3"),  # arithmetic is a formula
        ("-3 ", "'-3 "),  # not a plain number any more
        ("+55 11 99999-0000", "'+55 11 99999-0000"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("plain text", "plain text"),
        (-3, -3),
        (None, None),
    ],
)
def test_one_formula_rule(value, expected):
    assert neutralise_formula(value) == expected


def test_exports_and_analyze_use_the_one_formula_rule():
    from replywatch import cli_support

    assert exports.neutralise_formula is neutralise_formula
    assert cli_support.neutralise_formula is neutralise_formula


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (59.6, "1m"),  # rounded to the second first
        (720, "12m"),
        (3600, "1h"),
        (3900, "1h 5m"),  # the dashboard used to say "1h 05m"
        (7800, "2h 10m"),
        (86400, "1d"),
        (86400 * 3 + 3600 * 4 + 59, "3d 4h"),
        (-300, "-5m"),
    ],
)
def test_one_duration_form(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0, 45, 150, 3599, 3600, 3900, 86400, 86400 * 40 + 61, -300])
def test_every_language_shows_the_same_units(seconds):
    from replywatch import i18n

    compact = format_duration(seconds)
    for language in ("pt-BR", "pt-PT"):
        local = i18n.duration(seconds, language)
        # The same numbers in the same order: only the unit words differ.
        assert re.findall(r"\d+", local) == re.findall(r"\d+", compact), (local, compact)
        assert local.startswith("-") == compact.startswith("-")


def test_duration_missing_value():
    assert format_duration(None) == "—"
    assert format_duration(None, missing="-") == "-"


def test_urgency_reason_and_dashboard_share_the_duration_form():
    from replywatch.sentiment import UrgencyContext, analyze
    from replywatch.views._common import duration

    a = analyze("hello?", context=UrgencyContext(waiting_seconds=3900, sla_seconds=3600))
    assert "waiting 1h 5m, SLA 1h breached" in a.reasons
    assert duration(3900) == "1h 5m"


@pytest.mark.parametrize(
    "url",
    ["https://x.com/a/status/1", "http://example.com/p?q=1", "HTTPS://Example.com/x"],
)
def test_safe_url_accepts(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        " https://x.com/a",  # the dashboard used to trim and accept it
        "https://x.com/a\n",
        "https://x.com/\u202e",  # bidi override: the dashboard used to accept it
        "https://x.com/a\u200bb",  # zero-width space
        "http://:80/x",  # a port but no host: the dashboard used to accept it
        "http://user@/x",
        "https://x.com/" + "a" * 2048,  # too long
        "javascript:alert(1)",
        "//evil.example/x",
        "http://[::1",  # malformed
        42,
        None,
    ],
)
def test_safe_url_refuses(url):
    assert safe_url(url) is None


def test_alert_link_uses_the_one_url_rule():
    long_but_fine = "https://x.com/" + "a" * 600  # alerts used to cut at 500
    _, body = format_alert(AlertItem(1, "Acme", "x", "late", (), 80, 60, url=long_but_fine))
    assert f"Link: {long_but_fine}" in body
    _, body = format_alert(AlertItem(1, "Acme", "x", "late", (), 80, 60, url="http://:80/x"))
    assert "Link:" not in body


def test_unix_seconds():
    moment = datetime(2024, 5, 6, 12, 0, 30, tzinfo=timezone(timedelta(hours=-3)))
    assert unix_seconds(moment) == int(moment.timestamp())
    assert unix_seconds(1_700_000_000.9) == 1_700_000_000
    before = int(datetime.now(UTC).timestamp())
    assert before <= unix_seconds() <= before + 5
    with pytest.raises(ValueError, match="timezone-aware"):
        unix_seconds(datetime(2024, 5, 6))


def test_engine_and_reports_read_now_the_same_way(tmp_path):
    from replywatch.metrics.engine import sla_state
    from replywatch.metrics.reports import waiting_conversations

    naive = datetime(2024, 5, 6)
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_state({"sla_due_at": 1}, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        waiting_conversations(open_database(tmp_path / "a.db"), now=naive)


def test_actor_rule():
    assert clean_actor("  ana  ") == "ana"
    assert clean_actor("x" * 300) == "x" * 100
    for blank in ("", "   ", None):
        with pytest.raises(ValueError, match="actor is required"):
            clean_actor(blank)


def test_triage_and_privacy_write_the_same_audit_entries(tmp_path):
    from replywatch.store.privacy import prune_raw

    db = open_database(tmp_path / "a.db")
    with transaction(db):
        write_audit(db, " ana ", "note", {"é": "ação", "b": 1}, conversation_id=None, at="T")
    prune_raw(db, 30, actor="  bo  ")
    rows = db.execute("SELECT at, actor, action, conversation_id, detail FROM audit_log").fetchall()
    assert rows[0] == ("T", "ana", "note", None, '{"b": 1, "é": "ação"}')
    at, actor, action, conversation_id, detail = rows[1]
    assert (actor, action, conversation_id) == ("bo", "privacy.prune", None)
    assert list(json.loads(detail)) == sorted(json.loads(detail))
    assert at.endswith("Z")


def test_privacy_refuses_a_blank_actor_before_changing_anything(tmp_path):
    from replywatch.store.privacy import forget_author, prune_raw

    db = open_database(tmp_path / "a.db")
    with pytest.raises(ValueError, match="actor is required"):
        prune_raw(db, 0, actor=" ")
    with pytest.raises(ValueError, match="actor is required"):
        forget_author(db, "someone", actor="")
    assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0
