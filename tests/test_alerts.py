"""Alert rules with hand-filled scores: what gets queued, skipped, retried,
given up; formatting of untrusted text; redaction; configuration; CLI."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner

from replywatch.cli import main
from replywatch.collectors.base import Message
from replywatch.notify import (
    AlertConfigError,
    AlertItem,
    clean_text,
    dispatch_pending,
    format_alert,
    format_digest,
    queue_urgent,
    redact,
    redact_url,
    resolve_alert_config,
    send_test,
)
from replywatch.notify.dispatch import MAX_ATTEMPTS
from replywatch.notify.format import format_waiting
from replywatch.notify.redact import register_secret
from replywatch.pipeline import ingest
from replywatch.store.alerts import claim_target
from replywatch.store.db import open_database, transaction
from replywatch.store.timeutil import utc_now
from replywatch.untrusted import safe_url as safe_link
from tests.alerts_support import ENV_NAME, TOKEN, setup_brand, webhook_receiver

NOW = utc_now()


def stored(
    db,
    external_id: str,
    *,
    minutes: float = 5,
    urgency: int = 80,
    urgent: bool = True,
    reasons=("asks for a refund",),
    direction: str = "inbound",
    parent: str | None = None,
    author: str | None = None,
) -> int:
    """Store a bland message through the real pipeline (the scorer finds it
    not urgent, so nothing is queued), then overwrite its score by hand."""
    result = ingest(
        db,
        [
            Message(
                platform="x",
                external_id=external_id,
                created_at=NOW - timedelta(minutes=minutes),
                text=f"@LojaAurora hello, question {external_id}",
                direction=direction,
                kind="mention",
                channel="public",
                source="test",
                author_handle=author or f"c{external_id}",
                brand="aurora" if direction == "outbound" else None,
                in_reply_to_id=parent,
                url=f"https://x.com/c/status/{external_id}",
            )
        ],
        source="test",
    )
    assert result.alerts_queued == 0
    (message_id,) = result.new_message_ids
    db.execute(
        "UPDATE scores SET urgency = ?, urgent = ?, reasons = ? WHERE message_id = ?",
        (urgency, int(urgent), json.dumps(list(reasons)), message_id),
    )
    return message_id


def queue(db, *ids: int) -> int:
    with transaction(db):
        return queue_urgent(db, list(ids))


def set_status(db, message_id: int, status: str) -> None:
    db.execute(
        "UPDATE conversations SET status = ? WHERE id = (SELECT conversation_id FROM "
        "messages WHERE id = ?)",
        (status, message_id),
    )


class Recorder:
    """An injected sender: records calls; fails for URLs listed in ``failing``."""

    def __init__(self, failing: set[str] = frozenset()) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.failing = set(failing)

    def __call__(self, url: str, title: str, body: str, timeout: float) -> None:
        self.calls.append((url, title, body))
        if url in self.failing:
            raise ConnectionError(f"cannot reach {url}")


ENV = {ENV_NAME: f"json://127.0.0.1:9/hooks/{TOKEN}"}


# --- queueing -------------------------------------------------------------


def test_queue_only_urgent_inbound_and_once_per_conversation(db):
    setup_brand(db)
    urgent = stored(db, "1")
    calm = stored(db, "2", urgent=False, urgency=20)
    outbound = stored(db, "3", direction="outbound")
    assert queue(db, urgent, calm, outbound) == 1
    assert queue(db, urgent) == 0  # re-running changes nothing
    same_conversation = stored(db, "4", parent="1", author="c1", urgency=95)
    assert queue(db, same_conversation) == 0
    ((message_id, urgency, reasons),) = db.execute(
        "SELECT message_id, urgency, reasons FROM alerts"
    ).fetchall()
    assert (message_id, urgency, json.loads(reasons)) == (urgent, 80, ["asks for a refund"])


def test_most_urgent_message_of_a_batch_carries_the_alert(db):
    setup_brand(db)
    first = stored(db, "1", urgency=60)
    second = stored(db, "2", parent="1", author="c1", urgency=90)
    assert queue(db, first, second) == 1
    assert db.execute("SELECT message_id FROM alerts").fetchone()[0] == second


@pytest.mark.parametrize("status", ["spam", "ignored"])
def test_no_alert_for_spam_or_ignored_conversations(db, status):
    setup_brand(db)
    message_id = stored(db, "1")
    set_status(db, message_id, status)
    assert queue(db, message_id) == 0


def test_old_messages_do_not_alert(db):
    setup_brand(db)
    assert queue(db, stored(db, "1", minutes=25 * 60)) == 0
    assert queue(db, stored(db, "2", minutes=23 * 60)) == 1


def test_brand_min_urgency_replaces_the_urgent_flag(db):
    setup_brand(db, alerts={"min_urgency": 90})
    assert queue(db, stored(db, "1", urgency=85, urgent=True)) == 0
    assert queue(db, stored(db, "2", urgency=95, urgent=True)) == 1
    setup_brand(db, alerts={"min_urgency": 40})
    assert queue(db, stored(db, "3", urgency=50, urgent=False)) == 1


def test_brand_can_switch_alerts_off(db):
    setup_brand(db, alerts={"enabled": False})
    assert queue(db, stored(db, "1")) == 0


def test_merged_conversations_keep_one_alert(db):
    setup_brand(db)
    # A follow-up arrives before the message it answers: two conversations,
    # two alerts queued... until the parent arrives and merges them.
    child = stored(db, "11", parent="10", author="c10")
    assert queue(db, child) == 1
    parent = stored(db, "10", author="c10", urgency=90)
    assert db.execute("SELECT count(DISTINCT conversation_id) FROM messages").fetchone()[0] == 1
    assert queue(db, parent) == 0
    sender = Recorder()
    result = dispatch_pending(db, env=ENV, send=sender, now=NOW)
    assert len(sender.calls) == 1 and result.alerts_sent == 1


# --- dispatching ----------------------------------------------------------


def test_conversation_settled_before_sending_is_skipped(db):
    setup_brand(db)
    spam, replied, live = stored(db, "1"), stored(db, "2"), stored(db, "3")
    queue(db, spam, replied, live)
    set_status(db, spam, "spam")
    set_status(db, replied, "replied")
    sender = Recorder()
    result = dispatch_pending(db, env=ENV, send=sender, now=NOW)
    assert (result.skipped, result.notifications) == (2, 1)
    assert len(sender.calls) == 1 and "question 3" in sender.calls[0][2]
    assert sorted(db.execute("SELECT status, detail FROM alerts").fetchall()) == [
        ("sent", None),
        ("skipped", "conversation is replied"),
        ("skipped", "conversation is spam"),
    ]


def test_without_a_target_alerts_wait_then_expire(db, monkeypatch):
    monkeypatch.delenv("REPLYWATCH_ALERT_URLS", raising=False)
    setup_brand(db)
    queue(db, stored(db, "1"))
    result = dispatch_pending(db, env={}, send=Recorder(), now=NOW)
    assert (result.unrouted, result.skipped) == (1, 0)
    assert db.execute("SELECT status FROM alerts").fetchone()[0] == "pending"
    # Configured later the same day: it is still delivered.
    sender = Recorder()
    assert dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(hours=2)).alerts_sent == 1
    queue(db, stored(db, "2"))
    expired = dispatch_pending(db, env={}, send=sender, now=NOW + timedelta(hours=25))
    assert expired.skipped == 1 and len(sender.calls) == 1
    assert db.execute("SELECT detail FROM alerts WHERE status = 'skipped'").fetchone()[0] == (
        "expired before it could be sent"
    )


def test_global_fallback_and_brandless_alerts(db):
    with transaction(db):
        db.execute("INSERT INTO brands (key, name) VALUES ('luz', 'Mercado Luz')")
    message_id = stored(db, "1")  # mentions an unknown handle: no brand
    assert db.execute("SELECT brand FROM conversations").fetchone()[0] is None
    queue(db, message_id)
    sender = Recorder()
    url = f"json://127.0.0.1:9/global/{TOKEN}"
    result = dispatch_pending(db, env={"REPLYWATCH_ALERT_URLS": url}, send=sender, now=NOW)
    assert result.notifications == 1
    assert sender.calls[0][0] == url and sender.calls[0][1] == "Urgent complaint for no brand"


def test_each_target_gets_each_alert_once_even_when_another_fails(db):
    setup_brand(db)
    good, bad = "json://127.0.0.1:9/good/aaaa1111", "json://127.0.0.1:9/bad/bbbb2222"
    env = {ENV_NAME: f"{good}, {bad}"}
    queue(db, stored(db, "1"))
    sender = Recorder(failing={bad})
    first = dispatch_pending(db, env=env, send=sender, now=NOW)
    assert (first.notifications, first.failures, first.alerts_sent) == (1, 1, 0)
    assert db.execute("SELECT status FROM alerts").fetchone()[0] == "pending"
    sender.failing.clear()
    second = dispatch_pending(db, env=env, send=sender, now=NOW + timedelta(minutes=1))
    assert second.alerts_sent == 1
    assert [c[0] for c in sender.calls] == [good, bad, bad]
    targets = {r[0] for r in db.execute("SELECT target FROM alert_deliveries")}
    assert targets == {f"{ENV_NAME}#0:json", f"{ENV_NAME}#1:json"}


def test_alerts_are_given_up_after_max_attempts(db):
    setup_brand(db)
    queue(db, stored(db, "1"))
    sender = Recorder(failing={ENV[ENV_NAME]})
    gave_up = 0
    for attempt in range(MAX_ATTEMPTS):
        gave_up += dispatch_pending(
            db, env=ENV, send=sender, now=NOW + timedelta(hours=2 * attempt)
        ).gave_up
    assert gave_up == 1 and len(sender.calls) == MAX_ATTEMPTS
    status, attempts, detail, last_error = db.execute(
        "SELECT status, attempts, detail, last_error FROM alerts"
    ).fetchone()
    assert (status, attempts) == ("failed", MAX_ATTEMPTS)
    assert detail == f"gave up after {MAX_ATTEMPTS} failed attempts"
    assert "ConnectionError" in last_error and TOKEN not in last_error
    assert dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(days=1)).failures == 0


def test_backoff_doubles_between_attempts(db):
    setup_brand(db)
    queue(db, stored(db, "1"))
    sender = Recorder(failing={ENV[ENV_NAME]})
    dispatch_pending(db, env=ENV, send=sender, now=NOW)  # fails; retry in 30 s
    dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(seconds=29))
    dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(seconds=30))  # fails; 60 s
    dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(seconds=89))
    dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(seconds=90))
    assert len(sender.calls) == 3


def test_a_held_lease_defers_instead_of_sending_twice(db):
    setup_brand(db)
    queue(db, stored(db, "1"))
    now_ts = int(NOW.timestamp())
    with transaction(db):
        assert claim_target(
            db, "aurora", f"{ENV_NAME}#0:json", now_ts=now_ts, lease_until=now_ts + 120
        )
    sender = Recorder()
    assert dispatch_pending(db, env=ENV, send=sender, now=NOW).deferred == 1
    assert sender.calls == []
    # An expired lease (its dispatcher crashed) is taken over.
    assert (
        dispatch_pending(db, env=ENV, send=sender, now=NOW + timedelta(seconds=121)).notifications
        == 1
    )


def test_dispatch_returns_at_the_deadline_while_a_send_hangs(db):
    setup_brand(db)
    queue(db, stored(db, "1"))
    release = threading.Event()

    def hanging(url, title, body, timeout):
        release.wait(10)

    try:
        started = time.monotonic()
        result = dispatch_pending(db, env=ENV, send=hanging, now=NOW, timeout=0.5)
        assert time.monotonic() - started < 1.5
        assert (result.timed_out, result.failures) == (1, 1)
        assert db.execute("SELECT status, attempts FROM alerts").fetchone() == ("pending", 1)
    finally:
        release.set()


def test_sender_errors_are_redacted(db, caplog):
    caplog.set_level(logging.DEBUG)
    setup_brand(db)
    queue(db, stored(db, "1"))
    url = ENV[ENV_NAME]

    def leaky(url, title, body, timeout):
        raise ValueError(f"bad response from {url} (token {TOKEN})")

    result = dispatch_pending(db, env=ENV, send=leaky, now=NOW)
    (error,) = result.errors
    assert "json://***" in error and TOKEN not in error
    stored_error = db.execute("SELECT last_error FROM alerts").fetchone()[0]
    assert TOKEN not in stored_error and url not in stored_error
    assert TOKEN not in caplog.text


# --- configuration ----------------------------------------------------------


def test_literal_urls_in_settings_are_ignored(caplog):
    literal = f"slack://T000/B000/{TOKEN}"
    config = resolve_alert_config("aurora", {"alerts": {"urls": [literal]}}, {})
    assert config.targets == () and config.source == "REPLYWATCH_ALERT_URLS"
    assert "literal alert URLs in settings are ignored" in caplog.text
    assert TOKEN not in caplog.text


def test_env_reference_forms_and_refusals():
    env = {"REPLYWATCH_X": "json://h/aaaa, tgram://bot/chat"}
    config = resolve_alert_config(
        "b", {"alerts": {"urls": "env:REPLYWATCH_X", "min_interval_seconds": 60}}, env
    )
    assert [t.display for t in config.targets] == ["json://***", "tgram://***"]
    assert [t.key for t in config.targets] == ["REPLYWATCH_X#0:json", "REPLYWATCH_X#1:tgram"]
    assert config.min_interval_seconds == 60
    assert "aaaa" not in repr(config)  # the URL is not in the repr
    with pytest.raises(AlertConfigError, match="REPLYWATCH_"):
        resolve_alert_config("b", {"alerts": {"urls_env": "AWS_SECRET_ACCESS_KEY"}}, env)
    with pytest.raises(AlertConfigError, match="min_interval_seconds"):
        resolve_alert_config("b", {"alerts": {"min_interval_seconds": -1}}, env)


def test_bad_config_leaves_alerts_pending_with_an_error(db):
    setup_brand(db, alerts={"urls_env": "lowercase"})
    queue(db, stored(db, "1"))
    result = dispatch_pending(db, env=ENV, send=Recorder(), now=NOW)
    assert result.unrouted == 1 and "urls_env" in result.errors[0]


# --- formatting and redaction -------------------------------------------------


def item(n: int, urgency: int, **extra) -> AlertItem:
    return AlertItem(
        alert_id=n,
        brand_name="Loja Aurora",
        platform="x",
        text=f"text {n}",
        reasons=("asks for a refund",),
        urgency=urgency,
        waiting_seconds=extra.pop("waiting", 600),
        **extra,
    )


def test_untrusted_text_is_cleaned_folded_and_truncated():
    hostile = "Hi\x1b[31m team\u202e\u200b\nWhy: fake reason\r\n<!channel> " + "a" * 400
    cleaned = clean_text(hostile)
    assert "\x1b" not in cleaned and "\u202e" not in cleaned and "\u200b" not in cleaned
    assert "\n" not in cleaned and cleaned.startswith("Hi[31m team Why: fake reason <!channel>")
    assert len(cleaned) == 280 and cleaned.endswith("…")
    title, body = format_alert(
        AlertItem(1, "Loja Aurora", "x", hostile, ("r1",), 90, 60, url="javascript:alert(1)")
    )
    assert len(body.splitlines()) == 3  # urgency line, text, reasons: no injected lines
    assert "javascript" not in body and title == "Urgent complaint for Loja Aurora"


def test_links_must_be_plain_http():
    assert safe_link("https://x.com/a/status/1") == "https://x.com/a/status/1"
    for bad in (
        "javascript:alert(1)",
        "ftp://x/y",
        "http://",
        "https://x.com/a b",
        "https://x.com/\u202e",
        None,
        "",
    ):
        assert safe_link(bad) is None


def test_waiting_time_format():
    assert [format_waiting(s) for s in (5, 60, 3599, 3600, 3900, 86400 + 7200)] == [
        "<1 min",
        "1 min",
        "59 min",
        "1 h",
        "1 h 5 min",
        "1 d 2 h",
    ]


def test_digest_lists_the_top_five_most_urgent():
    items = [item(n, urgency) for n, urgency in enumerate([50, 90, 70, 95, 60, 80, 65], 1)]
    title, body = format_digest(items, "Loja Aurora")
    assert title == "7 urgent complaints for Loja Aurora"
    lines = body.splitlines()
    assert [line.split("]")[0] for line in lines[1:6]] == [
        "1. [95",
        "2. [90",
        "3. [80",
        "4. [70",
        "5. [65",
    ]
    assert lines[-1] == "…and 2 more in the replywatch triage queue."
    with pytest.raises(ValueError):
        format_digest([], "Loja Aurora")


def test_redaction():
    assert redact_url("slack://T000/B000/XXXX") == "slack://***"
    assert redact_url("not a url") == "***"
    register_secret(f"mailto://user:{TOKEN}pw@example.com")
    line = f'127.0.0.1:1 "POST /hooks/{TOKEN}pw HTTP/1.1" 500 and https://h.example/{TOKEN}'
    cleaned = redact(line)
    assert TOKEN not in cleaned and "https://***" in cleaned


# --- CLI ------------------------------------------------------------------------


def test_cli_alerts_test_dispatch_and_status(db, db_path, monkeypatch):
    setup_brand(db)
    queue(db, stored(db, "1"))
    runner = CliRunner()
    with webhook_receiver() as receiver:
        monkeypatch.setenv(ENV_NAME, receiver.url)
        tested = runner.invoke(main, ["alerts", "test", "--brand", "aurora", "--db", str(db_path)])
        assert tested.exit_code == 0, tested.output
        assert "json://***" in tested.output and "ok" in tested.output
        assert TOKEN not in tested.output
        dispatched = runner.invoke(main, ["alerts", "dispatch", "--db", str(db_path)])
        assert dispatched.exit_code == 0, dispatched.output
        assert dispatched.output.startswith("1 notification(s) sent, 1 alert(s) done")
        titles = [r["json"]["title"] for r in receiver.requests]
    assert titles == ["replywatch test alert for Loja Aurora", "Urgent complaint for Loja Aurora"]
    status = runner.invoke(main, ["alerts", "status", "--db", str(db_path)])
    assert "sent              1" in status.output
    unknown = runner.invoke(main, ["alerts", "test", "--brand", "nope", "--db", str(db_path)])
    assert unknown.exit_code == 1 and "unknown brand 'nope'" in unknown.output
    monkeypatch.delenv(ENV_NAME)
    none = runner.invoke(main, ["alerts", "test", "--brand", "aurora", "--db", str(db_path)])
    assert none.exit_code == 1 and f"set {ENV_NAME}" in none.output


def test_send_test_reports_each_target(db):
    setup_brand(db)
    good, bad = "json://h/good1234", "json://h/bad5678"
    outcomes = send_test(
        db, "aurora", env={ENV_NAME: f"{good},{bad}"}, send=Recorder(failing={bad})
    )
    assert [(o.key, o.error is None) for o in outcomes] == [
        (f"{ENV_NAME}#0:json", True),
        (f"{ENV_NAME}#1:json", False),
    ]
    assert "bad5678" not in outcomes[1].error


def test_dispatch_refuses_to_run_inside_a_transaction(db):
    with transaction(db), pytest.raises(RuntimeError, match="after the ingest transaction"):
        dispatch_pending(db, env=ENV, send=Recorder(), now=NOW)


def test_an_alert_dropped_unsent_is_rearmed_by_a_new_urgent_message(db):
    setup_brand(db)
    first = stored(db, "1", minutes=30)
    queue(db, first)
    set_status(db, first, "replied")  # answered before the alert went out
    sender = Recorder()
    assert dispatch_pending(db, env=ENV, send=sender, now=NOW).skipped == 1
    set_status(db, first, "open")  # the customer is back, and furious
    again = stored(db, "2", parent="1", author="c1", urgency=97)
    assert queue(db, again) == 1
    result = dispatch_pending(db, env=ENV, send=sender, now=NOW)
    assert result.alerts_sent == 1 and len(sender.calls) == 1
    assert db.execute("SELECT message_id, urgency, status FROM alerts").fetchall() == [
        (again, 97, "sent")
    ]
    # Sent once: the conversation is never announced again.
    assert queue(db, stored(db, "3", parent="2", author="c1", urgency=99)) == 0


def test_config_loader_refuses_literal_alert_urls():
    from replywatch.config import ConfigError, parse_config

    def brand(alerts):
        return {"brands": {"aurora": {"x": {"handles": ["LojaAurora"]}, "alerts": alerts}}}

    for alerts in (
        {"urls": [f"slack://T/B/{TOKEN}"]},
        {"urls": f"json://h/{TOKEN}"},
        {"webhook": f"https://hooks.example/{TOKEN}"},
    ):
        with pytest.raises(ConfigError, match="alert URLs carry secrets") as refused:
            parse_config(brand(alerts))
        assert TOKEN not in str(refused.value)
    accepted = parse_config(brand({"urls_env": ENV_NAME, "min_interval_seconds": 60}))
    assert accepted.brands[0].settings["alerts"]["urls_env"] == ENV_NAME
    assert parse_config(brand({"urls": f"env:{ENV_NAME}"})).brands[0].settings["alerts"]


def test_collector_loop_dispatches_after_each_poll_and_survives_errors(
    db, db_path, capsys, monkeypatch
):
    from replywatch.collectors.runner import Runner
    from replywatch.commands.collect import dispatch_alerts

    calls = []
    runner = Runner(db, [], ingest, after_poll=lambda: calls.append("dispatch"))
    runner.poll_once()
    runner.poll_once()
    assert calls == ["dispatch", "dispatch"]

    setup_brand(db)
    queue(db, stored(db, "1"))
    with webhook_receiver() as receiver:
        monkeypatch.setenv(ENV_NAME, receiver.url)
        dispatch_alerts(db)  # what `replywatch collect` runs after each poll
        assert len(receiver.requests) == 1
    broken = open_database(db_path)
    broken.close()
    dispatch_alerts(broken)  # a database error is reported, not raised
    assert "alerts: not sent this time" in capsys.readouterr().err
