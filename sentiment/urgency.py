"""Explainable urgency: additive, weighted rules, each adding points and a short reason.

Rules (default weights in `UrgencyRules`; the total is clamped to 0..100):

* negative sentiment: ``negative_weight * -compound`` points when the label is negative;
* escalation phrase (lawyer, chargeback, Procon, Reclame Aqui, scam...) and complaint
  phrase (refund, never arrived, still waiting, estorno...): the tier's weight for the
  first distinct reason, plus `extra_reason_weight` for up to two further distinct ones;
* public channel and author reach: only when the message is a complaint (negative label
  or a phrase matched) - a public "thank you" from a celebrity is not urgent;
* thanks and praise (1.2.0): a positive message that thanks or praises the brand is
  closure, so its complaint phrases add nothing (escalation phrases still do);
* earlier unanswered messages from the same customer, and a breached SLA: always, since
  "hello??" after two ignored messages is urgent whatever its wording.

Spam and the brand's own posts are never urgent (urgency 0, reason says why).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Literal

from replywatch.sentiment import phrases as defaults
from replywatch.sentiment import reasons as reason_texts
from replywatch.sentiment.intent import IntentResult
from replywatch.sentiment.intent import classify as classify_intent
from replywatch.sentiment.phrase_match import PhraseMatcher, phrase_pattern
from replywatch.sentiment.reasons import code as reason_code

LANGUAGES = ("en", "pt")
Phrase = tuple[str, str]


@dataclass(frozen=True)
class UrgencyContext:
    """What the store knows about a message beyond its text (all optional).

    `unanswered_from_author` counts *earlier* messages from the same author still without
    a reply (not this one), so 2 means "this is the 3rd unanswered message".
    """

    channel: Literal["public", "private"] | None = None
    author_followers: int | None = None
    unanswered_from_author: int = 0
    waiting_seconds: float | None = None
    sla_seconds: float | None = None
    is_spam: bool = False
    is_brand_author: bool = False


def _default_phrases(table: dict[str, tuple[Phrase, ...]]) -> dict[str, tuple[Phrase, ...]]:
    return {lang: tuple(table.get(lang, ())) for lang in LANGUAGES}


@dataclass(frozen=True)
class UrgencyRules:
    """Weights, threshold and per-language phrase lists. Build custom ones with from_mapping."""

    # 35 = one complaint or escalation phrase (35), or tone plus context signals
    # (unanswered messages, SLA, reach); tone alone (at most 20 + public 10) never is.
    threshold: int = 35
    # 1.2.0 weights (were 40 / 25): a named, concrete problem ("never arrived", "can't get
    # through", "rebook") is stronger evidence of an actionable complaint than tone alone,
    # so one complaint phrase (+ public) now outranks the most negative tone without one.
    negative_weight: int = 20
    escalation_weight: int = 35
    complaint_weight: int = 35
    # Each further *distinct* reason in the same tier ("never arrived" + "refund") is more
    # evidence of a real problem, but less than the first; at most two extras count.
    extra_reason_weight: int = 10
    public_weight: int = 10
    followers_weight: int = 10  # per tier reached
    follower_tiers: tuple[int, ...] = (10_000, 100_000)
    unanswered_weight: int = 15  # per earlier unanswered message
    unanswered_cap: int = 30
    sla_weight: int = 25
    # Thanks/praise in a positive message: complaint phrases add nothing (see PRAISE in
    # phrases.py). False restores the 1.1.0 behaviour.
    discount_praise: bool = True
    # 1.3.0: urgency follows the message's intent (sentiment/intent.py): plain questions
    # get no tone/public/reach points, thank-yous none at all. False restores 1.2.0.
    intent_gating: bool = True
    escalation_phrases: Mapping[str, tuple[Phrase, ...]] = field(
        default_factory=lambda: _default_phrases(defaults.ESCALATION)
    )
    complaint_phrases: Mapping[str, tuple[Phrase, ...]] = field(
        default_factory=lambda: _default_phrases(defaults.COMPLAINT)
    )
    praise_phrases: Mapping[str, tuple[Phrase, ...]] = field(
        default_factory=lambda: _default_phrases(defaults.PRAISE)
    )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], base: UrgencyRules | None = None):
        """Return rules = `base` (default rules) overridden by a brand config mapping.

        Keys: `threshold`, any weight field (`negative_weight`, ...), `follower_tiers`,
        `discount_praise` (true/false), and per language L in en/pt: `phrases_L` /
        `escalation_phrases_L` / `praise_phrases_L` (replace the complaint / escalation /
        praise list), `extra_phrases_L` / `extra_escalation_phrases_L` /
        `extra_praise_phrases_L` (prepended, so they win over generic stems),
        `ignore_phrases_L` (removed from all three). A phrase is a string (reason:
        'mentions "<phrase>"') or a table with `phrase` and `reason` (a reason code such
        as "refund", or the brand's own words, shown as written). Refuses
        (ValueError) unknown keys, bad types, out-of-range numbers and invalid phrases,
        naming the key, so a typo in a brand's TOML fails loudly instead of silently
        doing nothing.
        """
        rules = base or cls()
        numeric = {f.name for f in fields(cls) if f.type in ("int", int)}
        flags = {f.name for f in fields(cls) if f.type in ("bool", bool)}
        changes: dict[str, Any] = {}
        tables = {
            "escalation": dict(rules.escalation_phrases),
            "complaint": dict(rules.complaint_phrases),
            "praise": dict(rules.praise_phrases),
        }
        for key, value in mapping.items():
            if key in numeric:
                changes[key] = _int_in_range(key, value, 0, 100)
            elif key in flags:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false, got {value!r}")
                changes[key] = value
            elif key == "follower_tiers":
                if not isinstance(value, Sequence) or isinstance(value, str):
                    raise ValueError("follower_tiers must be a list of integers")
                tiers = tuple(sorted(_int_in_range(key, v, 1, 10**12) for v in value))
                changes[key] = tiers
            else:
                _apply_phrase_key(key, value, tables)
        return replace(
            rules,
            escalation_phrases=tables["escalation"],
            complaint_phrases=tables["complaint"],
            praise_phrases=tables["praise"],
            **changes,
        )

    @cached_property
    def fingerprint(self) -> str:
        """Short stable hash of the whole configuration (store it to know what scored what)."""
        payload = json.dumps(asdict(self), sort_keys=True, default=list)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @cached_property
    def _matchers(self) -> dict[str, PhraseMatcher]:
        # Filled per language on first use (see matcher): compiling a language's regex
        # takes ~10-20 ms, and one `replywatch analyze TEXT` needs only its own language.
        return {}

    def matcher(self, language: str) -> PhraseMatcher:
        """Return the phrase matcher for `language` ("und" or unknown = all languages).

        One compiled regex per language covering all tiers, compiled on first use;
        "und" text is checked against every language's phrases.
        """
        lang = language if language in LANGUAGES else "und"
        found = self._matchers.get(lang)
        if found is None:
            found = self._matchers[lang] = PhraseMatcher(self._entries(lang))
        return found

    def _entries(self, lang: str) -> list[tuple[str, str, str]]:
        # Escalation is listed first, so it wins when both tiers could match at the same
        # position; praise comes last, so it never hides a complaint phrase starting at
        # the same place ("thanks for nothing").
        tiers = [("escalation", self.escalation_phrases), ("complaint", self.complaint_phrases)]
        if self.discount_praise:
            tiers.append(("praise", self.praise_phrases))
        langs = LANGUAGES if lang == "und" else (lang,)
        return [
            (phrase, reason, tier)
            for tier, table in tiers
            for code in langs
            for phrase, reason in table.get(code, ())
        ]


def _int_in_range(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{key} must be between {low} and {high}, got {value!r}")
    return int(value)


def _apply_phrase_key(
    key: str, value: Any, tables: dict[str, dict[str, tuple[Phrase, ...]]]
) -> None:
    kind, _, lang = key.rpartition("_")
    if lang not in LANGUAGES or kind not in (
        "phrases",
        "escalation_phrases",
        "praise_phrases",
        "extra_phrases",
        "extra_escalation_phrases",
        "extra_praise_phrases",
        "ignore_phrases",
    ):
        raise ValueError(f"unknown urgency setting {key!r}")
    items = _parse_phrases(key, value)
    if kind == "ignore_phrases":
        drop = {phrase_pattern(p) for p, _ in items}
        for table in tables.values():
            table[lang] = tuple(p for p in table[lang] if phrase_pattern(p[0]) not in drop)
        return
    tier = next((t for t in ("escalation", "praise") if t in kind), "complaint")
    table = tables[tier]
    table[lang] = items if not kind.startswith("extra_") else items + tuple(table[lang])


def _parse_phrases(key: str, value: Any) -> tuple[Phrase, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{key} must be a list of phrases")
    out = []
    for item in value:
        if isinstance(item, str):
            phrase, reason = item, reason_code("phrase", item.strip())
        elif isinstance(item, Mapping) and isinstance(item.get("phrase"), str):
            phrase = item["phrase"]
            given = item.get("reason")
            # A known code name ("refund") or English wording ("asks for a refund") reuses
            # the translated reason; other words are shown as the brand wrote them.
            if given and str(given) in reason_texts.REASONS:
                reason = str(given)
            elif given:
                reason = reason_texts.code_for_text(str(given))
            else:
                reason = reason_code("phrase", phrase.strip())
        else:
            raise ValueError(f"{key}: each phrase must be a string or {{phrase, reason}}")
        try:
            phrase_pattern(phrase)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
        out.append((phrase, reason))
    return tuple(out)


# A message at or above VADER's positive band (+0.05) is "positive" (analysis.label_for).
POSITIVE = 0.05
_NO_CONTEXT = UrgencyContext()  # frozen, so one shared instance serves every call


def evaluate(
    compound: float,
    folded_text: str,
    language: str,
    context: UrgencyContext | None,
    rules: UrgencyRules,
) -> tuple[int, tuple[str, ...]]:
    """Return (urgency 0..100, English reason texts) for one scored message (see
    `assess_codes`)."""
    points, codes, _intent = assess_codes(compound, folded_text, language, context, rules)
    return points, tuple(reason_texts.texts(codes))


def assess(
    compound: float,
    folded_text: str,
    language: str,
    context: UrgencyContext | None,
    rules: UrgencyRules,
) -> tuple[int, tuple[str, ...], IntentResult]:
    """Return (urgency 0..100, English reason texts, intent) (see `assess_codes`)."""
    points, codes, intent = assess_codes(compound, folded_text, language, context, rules)
    return points, tuple(reason_texts.texts(codes)), intent


def text_signals(
    compound: float, folded_text: str, language: str, rules: UrgencyRules
) -> tuple[list[tuple[str, str]], IntentResult]:
    """Return what `assess_codes` reads from the text alone under `rules`: the
    (reason, tag) phrase matches and the intent. An import computes them while
    it reads the file and passes them to `assess_codes` as `text_part`."""
    hits = rules.matcher(language).reasons(folded_text)
    # Thanks/praise only discounts a message whose sentiment is positive overall: "thanks,
    # but my bag is still missing" (negative) stays a complaint.
    praise = compound >= POSITIVE and any(tag == "praise" for _, tag in hits)
    intent = classify_intent(
        compound, folded_text, language, hits, praise_discount=praise and _has_complaint(hits)
    )
    return hits, intent


def assess_codes(  # noqa: C901 - tests/test_code_size.py
    compound: float,
    folded_text: str,
    language: str,
    context: UrgencyContext | None,
    rules: UrgencyRules,
    text_part: tuple[Sequence[tuple[str, str]], IntentResult] | None = None,
) -> tuple[int, tuple[str, ...], IntentResult]:
    """Return (urgency 0..100, reason codes, intent) for one scored message.

    `folded_text` is the message after `text.fold()`; only matched phrases' reasons
    (never the user's words) end up in the reasons. Codes are language-neutral
    (`sentiment/reasons.py` turns them into text in the reader's language). Urgency
    follows the intent (1.3.0): a plain question gets no points for its tone and is not
    amplified by the public channel or reach (only an earlier unanswered message or a
    breached SLA, which are time-critical, count); a thank-you or "solved" message is
    never urgent. `text_part`, when given, is what `text_signals` returns for this
    message under `rules` (computed earlier).
    """
    ctx = context or _NO_CONTEXT
    hits, intent = text_part or text_signals(compound, folded_text, language, rules)
    praise = compound >= POSITIVE and any(tag == "praise" for _, tag in hits)
    if ctx.is_spam:
        return 0, ("spam",), intent
    if ctx.is_brand_author:
        return 0, ("brand_author",), intent
    gated = rules.intent_gating
    plain_question = gated and intent.intent == "question"

    points = 0
    reasons: list[str] = []
    negative = compound <= -0.05
    if negative and not plain_question:
        points += round(rules.negative_weight * -compound)
        strength = "very_negative" if compound <= -0.5 else "negative"
        reasons.append(reason_code(strength, compound))

    matched = False
    for tier, weight in (
        ("escalation", rules.escalation_weight),
        ("complaint", rules.complaint_weight),
    ):
        found: list[str] = []
        for reason, tag in hits:
            if tag == tier and reason not in reasons and reason not in found:
                found.append(reason)
        if found and praise and tier == "complaint":
            reasons.append("praise_discount")
        elif found:
            matched = True
            points += weight + rules.extra_reason_weight * min(2, len(found) - 1)
            reasons.extend(found)

    if (negative and not plain_question) or matched:
        if ctx.channel == "public":
            points += rules.public_weight
            reasons.append("public")
        followers = ctx.author_followers or 0
        tiers = sum(1 for tier in rules.follower_tiers if followers >= tier)
        if tiers:
            points += rules.followers_weight * tiers
            reasons.append(reason_code("followers", followers))

    if gated and intent.intent == "thanks":
        # A thank-you or "solved" is closure: waiting and repeats do not make it urgent.
        return 0, tuple(reasons), intent

    earlier = max(0, int(ctx.unanswered_from_author or 0))
    if earlier:
        points += min(rules.unanswered_cap, rules.unanswered_weight * earlier)
        reasons.append(reason_code("unanswered", earlier + 1))

    waiting, sla = ctx.waiting_seconds, ctx.sla_seconds
    if waiting is not None and sla and waiting >= sla:
        points += rules.sla_weight
        reasons.append(reason_code("sla_breached", int(waiting), int(sla)))

    return max(0, min(100, points)), tuple(reasons), intent


def _has_complaint(hits: Sequence[tuple[str, str]]) -> bool:
    return any(tag == "complaint" for _, tag in hits)


def ordinal(n: int) -> str:
    """Return "1st", "2nd", "3rd", "4th", "11th", "21st"..."""
    return reason_texts.ordinal(n)
