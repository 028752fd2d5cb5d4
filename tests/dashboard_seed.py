"""A small, fully known dataset for the dashboard tests (importable helper)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from replywatch.collectors.base import Message
from replywatch.metrics.engine import refresh_score_aggregates
from replywatch.pipeline import ingest
from replywatch.store.brands import ensure_brand_accounts
from replywatch.store.db import open_database, transaction
from replywatch.store.dead_letters import add_dead_letter
from replywatch.store.state import record_health

EVIL_TEXT = (
    "@acme <script>alert(1)</script> [click](javascript:alert(1)) "
    "![x](http://evil/x.png) my order is late"
)
BASE = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # a Monday


def _m(
    external_id: str,
    minutes: float,
    text: str,
    direction: str = "inbound",
    *,
    author: str = "cust",
    reply_to: str | None = None,
    url: str | None = None,
    channel: str = "public",
    platform: str = "x",
    brand: str | None = None,
    base: datetime = BASE,
) -> Message:
    return Message(
        platform=platform,
        external_id=external_id,
        created_at=base + timedelta(minutes=minutes),
        text=text,
        direction=direction,
        kind="reply" if reply_to else "mention",
        channel=channel,
        source="test",
        author_handle=author,
        author_name=author.title(),
        in_reply_to_id=reply_to,
        url=url,
        brand=brand if direction == "outbound" else None,
    )


def seed(path: Path, *, now: datetime | None = None) -> dict:
    """Seed ``path`` and return the facts the tests check.

    Conversations (brands acme and globex, X):
      1 acme: customer at 0, brand replies at +30 min   -> replied, FRT 1800 s
      2 acme: customer at +60, brand replies at +180    -> replied, FRT 7200 s
      3 globex: customer at +10, reply at +20           -> replied, FRT 600 s
      4 acme: the evil tweet, unanswered (urgent)       -> waiting
      5 globex: "where is my refund", unanswered         -> waiting
      6 acme: "love it, thanks", unanswered, not urgent  -> waiting
    Customer-message scores are written by hand (label, compound, urgency,
    urgent, reasons) over what the real scorer stored during ingestion.
    """
    db = open_database(path)
    with transaction(db):
        ensure_brand_accounts(db, [("x", "acme", "acme"), ("x", "globex", "globex")])
    now = now or datetime.now(UTC)
    live = now - timedelta(hours=3)
    messages = [
        _m("1", 0, "@acme my package never arrived, terrible service", author="ann"),
        _m("2", 30, "@ann sorry, DM us", "outbound", author="acme", reply_to="1", brand="acme"),
        _m("3", 60, "@acme cobrança indevida no meu cartão, péssimo atendimento", author="bia"),
        _m("4", 180, "@bia lamentamos", "outbound", author="acme", reply_to="3", brand="acme"),
        _m("5", 10, "@globex where is my refund? terrible", author="cid"),
        _m(
            "6",
            20,
            "@cid looking into it",
            "outbound",
            author="globex",
            reply_to="5",
            brand="globex",
        ),
        _m("7", 0, EVIL_TEXT, author="mallory", url="javascript:alert(1)", base=live),
        _m(
            "8",
            30,
            "@globex where is my refund, still waiting",
            author="dan",
            url="https://x.com/dan/status/8",
            base=live,
        ),
        _m(
            "9",
            150,
            "@acme love it, thanks",
            author="eve",
            url="https://x.com/eve/status/9",
            base=live,
        ),
    ]
    result = ingest(db, messages, source="test")
    scores = {
        "1": ("en", -0.8, "negative", 70, 1, ["never arrived"]),
        "3": ("pt", -0.7, "negative", 60, 0, ["cobrança"]),
        "5": ("en", -0.5, "negative", 40, 0, []),
        "7": ("en", -0.6, "negative", 90, 1, ["late order", "<b>bold</b>"]),
        "8": ("en", -0.4, "negative", 50, 0, ["refund"]),
        "9": ("en", 0.8, "positive", 5, 0, []),
    }
    with transaction(db):
        for external_id, (lang, compound, label, urgency, urgent, reasons) in scores.items():
            message_id = db.execute(
                "SELECT id FROM messages WHERE external_id = ?", (external_id,)
            ).fetchone()[0]
            db.conn.execute(
                "INSERT INTO scores (message_id, language, compound, label, urgency, urgent, "
                "reasons, scorer, version, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'test', "
                "'1', '2024-01-01T00:00:00Z') ON CONFLICT (message_id) DO UPDATE SET "
                "language = excluded.language, compound = excluded.compound, "
                "label = excluded.label, urgency = excluded.urgency, urgent = excluded.urgent, "
                "reasons = excluded.reasons, scorer = excluded.scorer, "
                # A hand-made score replaces the real one whole: it has no intent, so
                # readers fall back to its label (as for scores made before 1.3.0).
                # Nor reason codes: readers derive them from its English reasons.
                "intent = NULL, intent_reasons = '[]', closes = 0, reason_codes = NULL",
                (message_id, lang, compound, label, urgency, urgent, json.dumps(reasons)),
            )
        # Ingestion scored the messages with the real scorer; the hand-made
        # scores above replace them, so the conversation aggregates follow.
        refresh_score_aggregates(db, result.conversations)
        record_health(
            db,
            "x:acme",
            ok=True,
            items=12,
            details={"monthly_reads": 4000, "monthly_read_cap": 10000},
        )
        record_health(db, "reddit:acme", ok=False, error="HTTP 503 <b>down</b>")
        add_dead_letter(db, "test", '{"text": "<script>alert(2)</script>"}', "bad json")
    conversation = {
        row[0]: row[1]
        for row in db.execute("SELECT m.external_id, m.conversation_id FROM messages m")
    }
    db.close()
    return {"conversation": conversation, "inserted": result.inserted}
