"""metrics.trends on the known seed: hourly buckets, totals, languages,
complaint terms and drill-down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from replywatch.metrics import trends
from replywatch.store.db import open_database
from tests.dashboard_seed import BASE, seed

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = (int(BASE.timestamp()), int(BASE.timestamp()) + 86400)  # 2024-05-06 09:00 + 24h


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.db"
    seed(path, now=NOW)
    database = open_database(path)
    yield database
    database.close()


def test_hourly_buckets_count_inbound_by_label(db):
    rows = trends.sentiment_by_hour(db, since=DAY[0], until=DAY[1])
    # ann (09:00, neg, urgent), cid (09:10, neg) in the 09:00 hour; bia (10:00, neg).
    assert [(r["hour"] - DAY[0]) // 3600 for r in rows] == [0, 1]
    first, second = rows
    assert (first["messages"], first["negative"], first["urgent"], first["scored"]) == (2, 2, 1, 2)
    assert first["compound_sum"] == pytest.approx(-1.3)
    assert (second["messages"], second["negative"], second["positive"]) == (1, 1, 0)


def test_totals_and_brand_filter(db):
    totals = trends.sentiment_totals(db, since=DAY[0], until=DAY[1])
    assert totals["messages"] == 3 and totals["negative_share"] == 1.0
    assert totals["average_compound"] == pytest.approx(-2.0 / 3)
    acme = trends.sentiment_totals(db, since=DAY[0], until=DAY[1], brand="acme")
    assert acme["messages"] == 2 and acme["urgent"] == 1
    live = trends.sentiment_totals(
        db, since=int(NOW.timestamp()) - 4 * 3600, until=int(NOW.timestamp())
    )
    assert (live["messages"], live["negative"], live["urgent"]) == (3, 2, 1)
    assert live["negative_share"] == pytest.approx(2 / 3)


def test_empty_period(db):
    totals = trends.sentiment_totals(db, since=0, until=1000)
    assert totals == {
        "messages": 0,
        "scored": 0,
        "negative": 0,
        "urgent": 0,
        "negative_share": None,
        "average_compound": None,
    }
    assert trends.sentiment_by_hour(db, since=0, until=1000) == []


def test_language_split(db):
    split = trends.language_split(db, since=DAY[0], until=DAY[1])
    assert split == [{"language": "en", "messages": 2}, {"language": "pt", "messages": 1}]


def test_complaint_terms_drop_stop_words_and_count_messages_once(db):
    en = trends.complaint_terms(db, since=0, until=2**31, language="en")
    terms = {t["term"]: t["messages"] for t in en["terms"]}
    assert en["sampled"] == 4  # ann, cid, the evil tweet, dan
    assert terms["refund"] == 2 and terms["terrible"] == 2
    assert "where" not in terms and "is" not in terms and "my" not in terms
    assert "acme" not in terms  # handles are removed
    pt = trends.complaint_terms(db, since=0, until=2**31, language="pt")
    pt_terms = {t["term"] for t in pt["terms"]}
    assert {"cobrança", "indevida", "cobrança indevida", "péssimo atendimento"} <= pt_terms
    assert not {"no", "meu"} & pt_terms


def test_drilldown_returns_the_messages_of_a_bucket(db):
    rows = trends.messages_between(db, since=DAY[0], until=DAY[0] + 3600, label="negative")
    assert [r["author"] for r in rows] == ["Cid", "Ann"]
    assert rows[1]["reasons"] == ["never arrived"]
    assert trends.messages_between(db, since=DAY[0], until=DAY[1], label="positive") == []


def test_language_split_of_unscored_messages_uses_each_messages_language(tmp_path):
    """Issue 18.9: the split grouped by ``s.language`` (the column) instead of
    the alias, so 3 en + 5 pt + 2 es unscored messages showed as "en: 10"."""
    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest

    database = open_database(tmp_path / "langs.db")
    messages = [
        Message(
            platform="x",
            external_id=f"{lang}{i}",
            created_at=datetime(2024, 5, 6, 10, i, tzinfo=UTC),
            text=f"@acme message {i}",
            direction="inbound",
            kind="mention",
            channel="public",
            source="test",
            author_handle=f"c{lang}{i}",
            lang=lang,
        )
        for lang, n in (("en", 3), ("pt", 5), ("es", 2))
        for i in range(n)
    ]
    ingest(database, messages, source="test")
    database.execute("DELETE FROM scores")  # unscored: the platform's tag is all there is
    database.conn.commit()
    since = int(datetime(2024, 5, 6, tzinfo=UTC).timestamp())
    split = trends.language_split(database, since=since, until=since + 86400)
    assert split == [
        {"language": "pt", "messages": 5},
        {"language": "en", "messages": 3},
        {"language": "es", "messages": 2},
    ]
