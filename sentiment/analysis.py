"""The result type of `sentiment.analyze`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Bump whenever lexicon handling, negation, language detection or default urgency rules
# change, so stored scores with an older version can be found and re-scored.
SCORER_VERSION = "1.4.0"

Label = Literal["negative", "neutral", "positive"]

# VADER's own convention (README, "compound score"): >= 0.05 positive, <= -0.05 negative.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05


def label_for(compound: float) -> Label:
    """Return the 3-class label for a compound score (VADER thresholds +-0.05)."""
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class Analysis:
    """Sentiment and urgency of one message, with the reasons behind the urgency.

    `language_source` is "caller" (a supported language was given), "detected", or
    "empty" (no text). `truncated` says only a prefix was analysed (see
    `text.MAX_ANALYSED_CHARS`). `rules_id` fingerprints the urgency rules used.
    `intent` is complaint, question, thanks or other, `intent_reasons` its reason codes
    (texts: `intent.reason_text`), `closes` the thank-you/"solved" flag.
    `reasons` are English texts; `reason_codes` the same reasons as language-neutral
    codes (`sentiment/reasons.py`: `reasons.texts(codes, "pt-BR")` reads them in
    Portuguese).
    """

    language: str
    compound: float
    label: Label
    urgency: int
    urgent: bool
    reasons: tuple[str, ...]
    scorer: str
    version: str = SCORER_VERSION
    language_source: str = "detected"
    truncated: bool = False
    rules_id: str = ""
    # 1.3.0: what the customer wants (sentiment/intent.py), its reason codes, and whether
    # the message is a thank-you or says the problem is solved (closure).
    intent: str = "other"
    intent_reasons: tuple[str, ...] = ()
    closes: bool = False
    reason_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON/SQLite-friendly dict (reasons as a list)."""
        return {
            "language": self.language,
            "compound": self.compound,
            "label": self.label,
            "urgency": self.urgency,
            "urgent": self.urgent,
            "reasons": list(self.reasons),
            "reason_codes": list(self.reason_codes),
            "scorer": self.scorer,
            "version": self.version,
            "language_source": self.language_source,
            "truncated": self.truncated,
            "rules_id": self.rules_id,
            "intent": self.intent,
            "intent_reasons": list(self.intent_reasons),
            "closes": self.closes,
        }
