"""Sentiment scorers per language, each built once per process (lexicon loading is slow)."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from replywatch.sentiment.care_lexicon import NEUTRAL_EN
from replywatch.sentiment.fast_vader import FastVader
from replywatch.sentiment.portuguese import PortugueseAnalyzer

VADER_NAME = "vader"


@lru_cache(maxsize=1)
def english() -> SentimentIntensityAnalyzer:
    """Return the shared VADER analyzer (FastVader: plain VADER's scores, less work),
    with the customer-care words of `care_lexicon.NEUTRAL_EN` scored as neutral."""
    return FastVader(neutral=NEUTRAL_EN)


@lru_cache(maxsize=1)
def portuguese() -> PortugueseAnalyzer:
    """Return the shared Portuguese analyzer (LeIA with the negation fix and the
    customer-care words of `care_lexicon.NEUTRAL_PT` scored as neutral)."""
    return PortugueseAnalyzer()


def score(text: str, language: str) -> tuple[float, str]:
    """Return (compound in [-1, 1], scorer name) for `text` in `language`.

    Portuguese goes to LeIA+negation; English and "und" go to VADER, whose emoji and
    emoticon handling is the most language-neutral of the two.
    """
    if not text:
        return 0.0, VADER_NAME if language != "pt" else portuguese().name
    if language == "pt":
        analyzer = portuguese()
        return analyzer.compound(text), analyzer.name
    return english().compound(text), VADER_NAME
