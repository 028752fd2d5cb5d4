"""Intent of one customer message: complaint, question, thanks (praise/thanks) or other.

Explainable rules over signals the scorer already has (sentiment compound, the phrase
tiers matched by `urgency.UrgencyRules`) plus the shape of a question. Decided in this
order, first match wins:

1. an escalation phrase (lawyer, Procon, chargeback, scam...)            -> complaint
2. a complaint phrase (refund, never arrived, cobraram 2x...) that the
   thanks/praise discount does not cancel                                 -> complaint
3. written as a question (a "?" or a question opener such as "can I",
   "do you", "tem", "como", "qual"): very negative (compound <= -0.5)     -> complaint
   otherwise                                                              -> question
4. negative tone (compound <= -0.05)                                      -> complaint
5. thanks, praise or "solved" ("that worked", "resolvido") with a
   non-negative tone, or a very positive tone (compound >= +0.5)          -> thanks
6. anything else ("ok", an order number)                                  -> other

`closes` (stored as ``scores.closes``) is the one definition of "this message is a
thank-you or says the problem is solved": intent ``thanks`` *and* a thanks, praise or
solved phrase matched. A very positive tone alone ("love the new app") is praise but
not closure. Whether it came *after a brand reply* is a conversation fact, decided by
the store (``store.triage`` "probably resolved").

Reasons are stable codes (`REASONS`), each with an English and a Portuguese text, so the
dashboard can show them in either language and a translation catalogue can take them
over as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Intent = Literal["complaint", "question", "thanks", "other"]
INTENTS: tuple[Intent, ...] = ("complaint", "question", "thanks", "other")

#: Display names of the intents (en, pt).
INTENT_NAMES: dict[str, dict[str, str]] = {
    "complaint": {"en": "complaint", "pt": "reclamação"},
    "question": {"en": "question", "pt": "pergunta"},
    "thanks": {"en": "praise/thanks", "pt": "elogio/agradecimento"},
    "other": {"en": "other", "pt": "outro"},
}

#: Reason code -> {language: text}. Codes are stored; texts are for people.
REASONS: dict[str, dict[str, str]] = {
    "intent.escalation": {
        "en": "threatens to escalate (legal action, regulator, chargeback or scam)",
        "pt": "ameaça escalar (processo, órgão regulador, chargeback ou golpe)",
    },
    "intent.complaint_phrase": {
        "en": "names a concrete problem (refund, delay, billing error...)",
        "pt": "descreve um problema concreto (estorno, atraso, cobrança indevida...)",
    },
    "intent.not_solved": {
        "en": "says the problem is not solved",
        "pt": "diz que o problema não foi resolvido",
    },
    "intent.angry_question": {
        "en": "asks in a very negative tone",
        "pt": "pergunta em tom muito negativo",
    },
    "intent.question_mark": {
        "en": "asks a question (question mark)",
        "pt": "faz uma pergunta (ponto de interrogação)",
    },
    "intent.question_opener": {
        "en": "starts like a question",
        "pt": "começa como uma pergunta",
    },
    "intent.negative_tone": {"en": "negative tone", "pt": "tom negativo"},
    "intent.thanks": {"en": "thanks the brand", "pt": "agradece à marca"},
    "intent.praise": {"en": "praises the brand", "pt": "elogia a marca"},
    "intent.solved": {
        "en": "says the problem is solved",
        "pt": "diz que o problema foi resolvido",
    },
    "intent.thanks_over_complaint": {
        "en": "thanks for something settled: its complaint words do not count",
        "pt": "agradece algo resolvido: as palavras de reclamação não contam",
    },
    "intent.very_positive": {"en": "very positive tone", "pt": "tom muito positivo"},
    "intent.no_signal": {
        "en": "no complaint, question or thanks found",
        "pt": "nenhuma reclamação, pergunta ou agradecimento encontrado",
    },
}

NEGATIVE = -0.05
VERY_NEGATIVE = -0.5
VERY_POSITIVE = 0.5

# Question openers at the start of the message (after @handles), folded (no accents).
# Generic customer-care forms, written from practice, not mined from evaluation data.
_OPENERS = {
    "en": (
        "can i",
        "can you",
        "can we",
        "could you",
        "could i",
        "do you",
        "does",
        "is there",
        "are there",
        "is it possible",
        "how do",
        "how can",
        "how much",
        "how long",
        "what is",
        "what's",
        "what are",
        "when will",
        "when is",
        "when do",
        "which",
        "will you",
        "would you",
        "may i",
        "i was wondering",
        "i wonder",
        "quick question",
        "question",
    ),
    "pt": (
        "tem como",
        "tem",
        "voces tem",
        "vcs tem",
        "voce tem",
        "vc tem",
        "como",
        "qual",
        "quais",
        "quando",
        "onde",
        "quanto",
        "quantos",
        "e possivel",
        "posso",
        "pode",
        "podem",
        "gostaria de saber",
        "alguem sabe",
        "duvida",
        "pergunta",
    ),
}
_HANDLES = re.compile(r"^(?:\s*[@#][\w.]+)+")


def _opener_regex(words: Sequence[str]) -> re.Pattern[str]:
    alternation = "|".join(re.escape(w).replace("'", "'?") for w in sorted(words, key=len)[::-1])
    return re.compile(rf"^\W*(?:{alternation})(?!\w)")


_OPENER_RE = {
    "en": _opener_regex(_OPENERS["en"]),
    "pt": _opener_regex(_OPENERS["pt"]),
    "und": _opener_regex(_OPENERS["en"] + _OPENERS["pt"]),
}
# "not solved" written with words between ("hasn't been resolved", "ainda não foi
# resolvido") - the fixed complaint phrases cover the adjacent forms.
_NOT_SOLVED = re.compile(
    r"(?<!\w)(?:not|never|n't|no|nao|nunca|nem)(?:\W+\w+){0,2}?\W+"
    r"(?:solved|resolved|fixed|sorted|worked|working|resolvid\w*|resolve\w*|funcion\w*)(?!\w)"
)


@dataclass(frozen=True)
class IntentResult:
    """The intent of one message, its reason codes and whether it closes the case."""

    intent: Intent
    reasons: tuple[str, ...]
    closes: bool = False

    def texts(self, language: str = "en") -> tuple[str, ...]:
        """Return the reasons as text in `language` ("en" or "pt"; others get English)."""
        return tuple(reason_text(code, language) for code in self.reasons)


def reason_text(code: str, language: str = "en") -> str:
    """Return the text of an intent reason code in `language` (English fallback; an
    unknown code is returned as it is)."""
    entry = REASONS.get(code)
    if entry is None:
        return code
    return entry.get(language) or entry["en"]


def intent_name(intent: str | None, language: str = "en") -> str:
    """Return the display name of an intent in `language` ("" for None)."""
    if not intent:
        return ""
    entry = INTENT_NAMES.get(intent)
    return (entry.get(language) or entry["en"]) if entry else intent


def is_question(folded_text: str, language: str) -> str | None:
    """Return the reason code when `folded_text` (see `text.fold`) reads as a question:
    "intent.question_mark" or "intent.question_opener"; else None."""
    if "?" in folded_text or "\u00bf" in folded_text:
        return "intent.question_mark"
    body = _HANDLES.sub("", folded_text) if folded_text[:1] in "@#" else folded_text
    regex = _OPENER_RE.get(language, _OPENER_RE["und"])
    if regex.match(body):
        return "intent.question_opener"
    return None


def classify(
    compound: float,
    folded_text: str,
    language: str,
    hits: Sequence[tuple[str, str]],
    *,
    praise_discount: bool,
) -> IntentResult:
    """Return the intent of one message (order of the rules: module docstring).

    `hits` are the (reason, tier) pairs the urgency phrase matcher found ("escalation",
    "complaint", "praise"); `praise_discount` says the urgency rules cancelled the
    complaint phrases because the message thanks or praises (positive tone).
    """
    tiers = {tier for _, tier in hits}
    if "escalation" in tiers:
        return IntentResult("complaint", ("intent.escalation",))
    praise_reasons = [reason for reason, tier in hits if tier == "praise"]
    negated_solved = bool(_NOT_SOLVED.search(folded_text)) if praise_reasons else False
    if "complaint" in tiers and not praise_discount:
        return IntentResult("complaint", ("intent.complaint_phrase",))
    if negated_solved:
        return IntentResult("complaint", ("intent.not_solved",))
    question = is_question(folded_text, language)
    if question:
        if compound <= VERY_NEGATIVE:
            return IntentResult("complaint", ("intent.angry_question", question))
        return IntentResult("question", (question,))
    if compound <= NEGATIVE:
        return IntentResult("complaint", ("intent.negative_tone",))
    if praise_reasons:
        codes = []
        for reason in praise_reasons:
            code = {"thanks": "intent.thanks", "solved": "intent.solved"}.get(
                reason, "intent.praise"
            )
            if code not in codes:
                codes.append(code)
        if praise_discount:
            codes.append("intent.thanks_over_complaint")
        return IntentResult("thanks", tuple(codes), closes=True)
    if compound >= VERY_POSITIVE:
        return IntentResult("thanks", ("intent.very_positive",))
    return IntentResult("other", ("intent.no_signal",))
