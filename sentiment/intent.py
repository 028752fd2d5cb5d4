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
solved phrase matched, *and* (1.3.1) nothing in it keeps the case open: a thank-you
that sends details, says a DM or message was sent, asks to be called or contacted or
thanks in advance (``_STILL_OPEN``) is courtesy in the middle of a case, not closure.
A very positive tone alone ("love the new app") is praise but not closure. Whether it
came *after a brand reply* is a conversation fact, decided by the store
(``store.triage`` "probably resolved").

Reasons are stable codes (`REASON_TEXTS`), each with an English text that is a gettext
message id: Portuguese (pt-BR, pt-PT) comes from locales/ like the urgency reason codes
of sentiment/reasons.py (`reason_text(code, language)`, `intent_name(intent, language)`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from replywatch import i18n
from replywatch.i18n import N_

Intent = Literal["complaint", "question", "thanks", "other"]
INTENTS: tuple[Intent, ...] = ("complaint", "question", "thanks", "other")

#: Display names of the intents (English msgids; translations in locales/).
INTENT_LABELS: dict[str, str] = {
    "complaint": N_("complaint"),
    "question": N_("question"),
    "thanks": N_("praise/thanks"),
    "other": N_("other"),
}

#: Reason code -> English text (the gettext msgid; pt-BR and pt-PT in locales/, like
#: the urgency reason codes of sentiment/reasons.py). Codes are stored; texts are for
#: people.
REASON_TEXTS: dict[str, str] = {
    "intent.escalation": N_("threatens to escalate (legal action, regulator, chargeback or scam)"),
    "intent.complaint_phrase": N_("names a concrete problem (refund, delay, billing error...)"),
    "intent.not_solved": N_("says the problem is not solved"),
    "intent.angry_question": N_("asks in a very negative tone"),
    "intent.question_mark": N_("asks a question (question mark)"),
    "intent.question_opener": N_("starts like a question"),
    "intent.negative_tone": N_("negative tone"),
    "intent.thanks": N_("thanks the brand"),
    "intent.praise": N_("praises the brand"),
    "intent.solved": N_("says the problem is solved"),
    "intent.thanks_over_complaint": N_(
        "thanks for something settled: its complaint words do not count"
    ),
    "intent.still_open": N_(
        "thanks, but the case stays open (sends details or a DM, or asks to be contacted)"
    ),
    "intent.very_positive": N_("very positive tone"),
    "intent.no_signal": N_("no complaint, question or thanks found"),
}


def _languages(texts: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        key: {"en": english, "pt": i18n.gettext_for("pt-BR", english)}
        for key, english in texts.items()
    }


#: Reason code -> {"en": ..., "pt": ...} (Brazilian Portuguese), read from the catalogue.
REASONS: dict[str, dict[str, str]] = _languages(REASON_TEXTS)
#: Intent -> {"en": ..., "pt": ...} display names.
INTENT_NAMES: dict[str, dict[str, str]] = _languages(INTENT_LABELS)

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

# A thank-you that keeps the case open (1.3.1): the customer sends details, says they
# sent (or will send) a DM or message, asks to be called or contacted, or thanks in
# advance. Polite, but the brand has the next move, so it is not closure: "Thanks, just
# sent the DM", "Thank you call me tomorrow afternoon", "Thanks, they are #0C2340",
# "Obrigado, mandei a DM". Written from the three courtesy thanks docs/metrics.md found
# among the twcs "resolved by the customer" and the demo's DM follow-ups, in general
# forms; on folded text (no accents, lower case, ASCII apostrophes).
_STILL_OPEN_FORMS = (
    # a DM or a message, sent or to be sent
    r"dms?",
    r"dm'?e?d",
    r"direct message",
    r"private message",
    r"sent (?:you|u|it|them|the|my|a|an|over|all)",
    r"(?:messaged|emailed|e-mailed|texted) (?:you|u)",
    r"(?:i'?ll|i will|will) (?:send|dm|message|email|e-mail|call|get back)",
    # asks to be contacted, or waits for the answer
    r"(?:call|ring|contact|email|e-mail|text|reach) me",
    r"call (?:me )?back",
    r"get back to me",
    r"let me know",
    r"(?:waiting|wait) (?:for|on) (?:your|a|an|the) (?:reply|response|answer|call|email)",
    r"look(?:ing)? forward to (?:your|hearing)",
    r"in advance",
    # hands over details
    r"(?:order|account|reference|ref|tracking|case|ticket|confirmation) (?:number|no|#)",
    r"#\d\w*",  # "#0C2340", "order #12345" (not a hashtag such as #DL123)
    # Portuguese
    r"direct",
    r"privado",
    r"inbox",
    r"mensagem privada",
    r"(?:te |lhe |vos )?(?:mandei|enviei|chamei)",
    r"vou (?:mandar|enviar|chamar)",
    r"me (?:liga|ligue|liguem|ligar|chama|chame|chamem|retorna|retorne|retornem)",
    r"retornem",
    r"entr(?:e|em) em contato",
    r"aguardo",
    r"fico no aguardo",
    r"aguardando (?:o |a |seu |sua |vosso |vossa )?(?:retorno|contato|resposta)",
    r"desde ja",
    r"(?:numero|n|no) do pedido",
    r"protocolo",
    r"meu cpf",
    r"segue (?:o|a|os|as|meu|minha|meus|minhas)",
)
_STILL_OPEN = re.compile(r"(?<!\w)(?:" + "|".join(_STILL_OPEN_FORMS) + r")(?!\w)")


@dataclass(frozen=True)
class IntentResult:
    """The intent of one message, its reason codes and whether it closes the case."""

    intent: Intent
    reasons: tuple[str, ...]
    closes: bool = False

    def texts(self, language: str = "en") -> tuple[str, ...]:
        """Return the reasons as text in `language` ("en" or "pt"; others get English)."""
        return tuple(reason_text(code, language) for code in self.reasons)


def _ui_language(language: str | None) -> str | None:
    # "pt" alone means Brazilian Portuguese, as in sentiment/reasons.py.
    return "pt-BR" if (language or "").lower() == "pt" else language


def reason_text(code: str, language: str | None = "en") -> str:
    """Return the text of an intent reason code in `language` ("en", "pt", "pt-BR",
    "pt-PT"; English for others; an unknown code is returned as it is)."""
    english = REASON_TEXTS.get(code)
    if english is None:
        if code.startswith("learned"):  # the store's model (sentiment/learned.py)
            from replywatch.sentiment.reasons import text

            return text(code, _ui_language(language))
        return code
    return i18n.gettext_for(_ui_language(language), english)


def intent_name(intent: str | None, language: str | None = "en") -> str:
    """Return the display name of an intent in `language` ("" for None)."""
    if not intent:
        return ""
    english = INTENT_LABELS.get(intent)
    return i18n.gettext_for(_ui_language(language), english) if english else intent


def is_question(folded_text: str, language: str) -> str | None:
    """Return the reason code when `folded_text` (see `text.fold`) reads as a question:
    "intent.question_mark" or "intent.question_opener"; else None."""
    if "?" in folded_text or "\u00bf" in folded_text:
        return "intent.question_mark"
    body = _HANDLES.sub("", folded_text) if folded_text[:1] in "@#" else folded_text
    regex = _OPENER_RE.get(language) or _OPENER_RE["und"]
    if regex.match(body):
        return "intent.question_opener"
    return None


def classify(  # noqa: C901 - tests/test_code_size.py
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
    # Most messages match no phrase: rules 1, 2 and 2b need hits.
    praise_reasons: list[str] = []
    if hits:
        tiers = {tier for _, tier in hits}
        if "escalation" in tiers:
            return _ESCALATION
        praise_reasons = [reason for reason, tier in hits if tier == "praise"]
        if "complaint" in tiers and not praise_discount:
            return _COMPLAINT_PHRASE
        if praise_reasons and _NOT_SOLVED.search(folded_text):
            return _NOT_SOLVED_RESULT
    question = is_question(folded_text, language)
    if question:
        if compound <= VERY_NEGATIVE:
            return _ANGRY_QUESTION[question]
        return _QUESTION[question]
    if compound <= NEGATIVE:
        return _NEGATIVE_TONE
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
        if _STILL_OPEN.search(folded_text):
            # Thanks, but the brand has the next move: not closure (see _STILL_OPEN).
            codes.append("intent.still_open")
            return IntentResult("thanks", tuple(codes), closes=False)
        return IntentResult("thanks", tuple(codes), closes=True)
    if compound >= VERY_POSITIVE:
        return _VERY_POSITIVE
    return _NO_SIGNAL


# The fixed results, built once (IntentResult is frozen: equal values, shared freely).
_ESCALATION = IntentResult("complaint", ("intent.escalation",))
_COMPLAINT_PHRASE = IntentResult("complaint", ("intent.complaint_phrase",))
_NOT_SOLVED_RESULT = IntentResult("complaint", ("intent.not_solved",))
_QUESTION_CODES = ("intent.question_mark", "intent.question_opener")
_ANGRY_QUESTION = {
    code: IntentResult("complaint", ("intent.angry_question", code)) for code in _QUESTION_CODES
}
_QUESTION = {code: IntentResult("question", (code,)) for code in _QUESTION_CODES}
_NEGATIVE_TONE = IntentResult("complaint", ("intent.negative_tone",))
_VERY_POSITIVE = IntentResult("thanks", ("intent.very_positive",))
_NO_SIGNAL = IntentResult("other", ("intent.no_signal",))
