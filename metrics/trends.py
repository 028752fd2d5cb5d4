"""Sentiment trends and complaint terms over customer (inbound) messages.

Everything is aggregated in SQL (hourly buckets, counts; the statements live
in ``store/trend_queries.py``); only the complaint terms read text, and then
only a bounded sample of negative messages.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from replywatch.sentiment.reasons import REASONS, split, stored_codes
from replywatch.store import trend_queries as queries
from replywatch.store.db import Database

DEFAULT_TERM_SAMPLE = 5000
MAX_DRILLDOWN = 500


def sentiment_by_hour(
    db: Database, *, since: int, until: int, brand: str | None = None, platform: str | None = None
) -> list[dict[str, Any]]:
    """Per UTC hour (``hour`` = unix start of the hour) of inbound messages in
    [since, until): ``messages``, ``positive``, ``neutral``, ``negative``,
    ``unscored``, ``urgent``, ``compound_sum`` and ``scored`` (so callers can
    re-bucket to days in any time zone and still average correctly)."""
    columns = (
        "hour",
        "messages",
        "positive",
        "neutral",
        "negative",
        "unscored",
        "urgent",
        "compound_sum",
        "scored",
    )
    rows = queries.hourly_sentiment(db, since, until, brand, platform)
    return [{k: (v if v is not None else 0) for k, v in zip(columns, r, strict=True)} for r in rows]


def sentiment_totals(
    db: Database, *, since: int, until: int, brand: str | None = None, platform: str | None = None
) -> dict[str, Any]:
    """Totals over the period: ``messages``, ``scored``, ``negative``,
    ``negative_share`` (of scored, None if nothing is scored), ``urgent`` and
    ``average_compound`` (None if nothing is scored)."""
    messages, scored, negative, urgent, average = queries.sentiment_sums(
        db, since, until, brand, platform
    )
    return {
        "messages": messages,
        "scored": scored,
        "negative": negative,
        "urgent": urgent,
        "negative_share": negative / scored if scored else None,
        "average_compound": average,
    }


def language_split(
    db: Database, *, since: int, until: int, brand: str | None = None, platform: str | None = None
) -> list[dict[str, Any]]:
    """Inbound messages per language (scorer's language, else the platform's
    tag, else "unknown"), most common first."""
    return [
        {"language": lang, "messages": n}
        for lang, n in queries.language_counts(db, since, until, brand, platform)
    ]


def messages_between(
    db: Database,
    *,
    since: int,
    until: int,
    brand: str | None = None,
    platform: str | None = None,
    label: str | None = None,
    language: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The inbound messages behind a chart point (newest first, at most
    ``limit``, capped at :data:`MAX_DRILLDOWN`), with their scores."""
    columns = (
        "id",
        "created_ts",
        "platform",
        "author",
        "text",
        "url",
        "language",
        "label",
        "compound",
        "urgency",
        "reasons",
        "conversation_id",
        "reason_codes",
    )
    scope = {"brand": brand, "platform": platform, "language": language, "label": label}
    rows = queries.inbound_messages(db, since, until, scope, max(1, min(int(limit), MAX_DRILLDOWN)))
    result = []
    for r in rows:
        row = dict(zip(columns, r, strict=True))
        try:
            reasons = json.loads(row["reasons"] or "[]")
        except ValueError:
            reasons = [row["reasons"]]
        row["reasons"] = reasons if isinstance(reasons, list) else [reasons]
        row["reason_codes"] = _codes(row["reason_codes"], row["reasons"])
        result.append(row)
    return result


def _codes(stored: str | None, english: list) -> list[str]:
    """A score's reason codes; derived from its English texts when it was made
    before codes were stored."""
    try:
        codes = json.loads(stored) if stored else None
    except ValueError:
        codes = None
    return stored_codes(codes if isinstance(codes, list) else None, english)


# --- complaint terms ----------------------------------------------------------

STOP_WORDS = {
    "en": set(
        """
        a about above after again against all am an and any are aren't as at be because been
        before being below between both but by can can't cannot could couldn't did didn't do
        does doesn't doing don't down during each few for from further get got had hadn't has
        hasn't have haven't having he her here hers herself him himself his how i i'm i've
        if in into is isn't it it's its itself just let's like me more most my myself no nor
        not now of off on once only or other ought our ours ourselves out over own same she
        should so some still such than that that's the their theirs them themselves then there
        these they this those through to too under until up us very was wasn't we were what
        when where which while who whom why will with won't would you your yours yourself
        yourselves im ive dont cant wont thats its youre u ur pls please thanks thank hi hey
        hello amp via just also even one really would get gets still yet since
    """.split()
    ),
    "pt": set(
        """
        a ao aos aquela aquelas aquele aqueles aquilo as até com como da das de dela delas dele
        deles depois do dos e ela elas ele eles em entre era eram essa essas esse esses esta
        estas este estes eu foi fomos for foram há isso isto já lhe lhes mais mas me mesmo meu
        meus minha minhas muito na nas nem no nos nossa nossas nosso nossos num numa não o os
        ou para pela pelas pelo pelos por qual quando que quem se sem seu seus sua suas só
        também te tem têm tu tua tuas um uma você vocês vos à às é está estão estou ser ter
        vai vou foi pra pro q vc vcs tá ta olá oi obrigado obrigada bom dia boa tarde noite
        ainda agora aqui lá então assim sobre porque pq tb tbm
    """.split()
    ),
}
_ALL_STOP_WORDS = STOP_WORDS["en"] | STOP_WORDS["pt"]
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"[@#]\w+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def _tokens(text: str) -> list[str]:
    text = _HANDLE.sub(" ", _URL.sub(" ", text or ""))
    return [w.lower() for w in _WORD.findall(text)]


# The reasons a complaint gives (sentiment/reasons.py: escalation and complaint
# phrases, "lawyer" .. "too_slow"); scores, rules and praise are not reasons.
_REASON_NAMES = list(REASONS)
COMPLAINT_REASONS = frozenset(_REASON_NAMES[: _REASON_NAMES.index("too_slow") + 1])


def complaint_reasons_by_day(
    db: Database, *, since: int, until: int, tz: Any, brand: str | None = None
) -> list[dict[str, Any]]:
    """Complaint reasons over time: per local day (``tz``) of the period, how
    many customer complaints gave each reason (``reason``: a code name of
    :data:`COMPLAINT_REASONS`, e.g. "refund", "damaged"), oldest day first.
    A complaint giving several reasons counts once for each."""
    from datetime import datetime

    counts: Counter = Counter()
    for created, codes, english in queries.complaint_reasons(db, since, until, brand):
        day = datetime.fromtimestamp(created, tz).date()
        names = {split(c)[0] for c in _codes(codes, json.loads(english or "[]"))}
        for name in names & COMPLAINT_REASONS:
            counts[(day, name)] += 1
    return [
        {"day": day, "reason": name, "messages": n} for (day, name), n in sorted(counts.items())
    ]


def complaint_terms(
    db: Database,
    *,
    since: int,
    until: int,
    brand: str | None = None,
    platform: str | None = None,
    language: str | None = None,
    top: int = 25,
    sample: int = DEFAULT_TERM_SAMPLE,
) -> dict[str, Any]:
    """The most frequent words and two-word phrases in customer complaints
    (inbound messages whose intent is ``complaint``; scores from before
    SCORER_VERSION 1.3.0 have no intent and count when negative), the newest
    ``sample`` of them, stop words (en and pt), URLs, handles and numbers
    removed; each message counts a term once. Questions and thanks never count,
    whatever their tone ("Tem cupom de desconto?" is not a complaint). Returns
    ``{"sampled": n, "terms": [{"term", "words", "messages"}, ...]}``."""
    scope = {"brand": brand, "platform": platform, "language": language}
    texts = queries.complaint_texts(db, since, until, scope, max(1, int(sample)))
    counts: Counter[tuple[str, int]] = Counter()
    for text in texts:
        words = _tokens(text)
        seen: set[tuple[str, int]] = set()
        for i, word in enumerate(words):
            if word not in _ALL_STOP_WORDS and len(word) > 2:
                seen.add((word, 1))
            if i + 1 < len(words):
                nxt = words[i + 1]
                if (
                    word not in _ALL_STOP_WORDS
                    and nxt not in _ALL_STOP_WORDS
                    and len(word) > 1
                    and len(nxt) > 1
                ):
                    seen.add((f"{word} {nxt}", 2))
        counts.update(seen)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))[: max(1, top)]
    terms = [{"term": term, "words": n, "messages": c} for (term, n), c in ranked]
    return {"sampled": len(texts), "terms": terms}
