"""`analyze` and `analyze_many`: language -> sentiment -> urgency for each message."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache

from replywatch.sentiment import language as _language
from replywatch.sentiment import scorers, urgency
from replywatch.sentiment.analysis import Analysis, label_for
from replywatch.sentiment.intent import IntentResult
from replywatch.sentiment.language import (
    DEFAULT_LANGUAGES,
    UNDETERMINED,
    detect_language,
    normalise_language,
)
from replywatch.sentiment.reasons import texts as reason_texts
from replywatch.sentiment.text import bounded, coerce_text, fold
from replywatch.sentiment.urgency import UrgencyContext, UrgencyRules

TextInput = str | bytes | bytearray | None


@lru_cache(maxsize=1)
def default_rules() -> UrgencyRules:
    """Return the shared default UrgencyRules (phrase regexes compiled once)."""
    return UrgencyRules()


def clear_caches() -> None:
    """Forget cached per-text and per-word results (language per cleaned text, Portuguese
    lemma per word).

    Results never depend on the caches; benchmarks call this so that a timed run over
    unique texts does not profit from an earlier run over the same texts.
    """
    _language._detect_cleaned.cache_clear()
    if scorers.portuguese.cache_info().currsize:
        scorers.portuguese().clear_cache()


def analyze(
    text: TextInput,
    *,
    language: str | None = None,
    context: UrgencyContext | None = None,
    rules: UrgencyRules | None = None,
) -> Analysis:
    """Return the Analysis of one message.

    `text` may be str, bytes (decoded as UTF-8, invalid bytes replaced) or None (treated
    as empty). `language` is the platform's tag; it wins when it is en/pt ("pt-BR" is
    fine), otherwise the language is detected. Only the first MAX_ANALYSED_CHARS
    characters are analysed. Raises TypeError for other input types.
    """
    return _analyze_one(text, language, context, rules or default_rules())


def analyze_many(
    texts: Iterable[TextInput],
    *,
    languages: Sequence[str | None] | None = None,
    contexts: Sequence[UrgencyContext | None] | None = None,
    rules: UrgencyRules | None = None,
) -> list[Analysis]:
    """Return one Analysis per text, identical to calling `analyze` on each.

    `languages` and `contexts`, when given, must have one entry per text (None entries
    allowed); otherwise ValueError. Analyzers and rule regexes are resolved once for the
    whole batch.
    """
    items = list(texts)
    n = len(items)
    for name, seq in (("languages", languages), ("contexts", contexts)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} has {len(seq)} entries for {n} texts")
    resolved = rules or default_rules()
    # Stage by stage over the whole batch (all languages, then all sentiment, then all
    # urgency) rather than text by text: each stage's lexicons, automata and regexes stay
    # hot in the CPU caches, which measured ~10% faster on 10,000 texts. Every stage is
    # the same per-text function `analyze` uses, so results are identical.
    prepared = [
        _prepare(t, lg)
        for t, lg in zip(items, languages if languages is not None else [None] * n, strict=True)
    ]
    compounds = [scorers.score(text, lang) for text, _t, lang, _s in prepared]
    ctxs = contexts if contexts is not None else [None] * n
    return [
        _finish(text, truncated, lang, source, compound, scorer, ctx, resolved)
        for (text, truncated, lang, source), (compound, scorer), ctx in zip(
            prepared, compounds, ctxs, strict=True
        )
    ]


#: The part of an analysis that needs only the text (no store context, no brand
#: rules): (language, language source, truncated, compound, scorer, phrase hits
#: and intent under the default urgency rules). Small and picklable: an import
#: computes it on another core while the file is read, and
#: :func:`finish_text_scores` adds the context later.
TextScore = tuple[str, str, bool, float, str, tuple[tuple[str, str], ...], IntentResult]


def analyze_texts(
    texts: Iterable[TextInput], *, languages: Sequence[str | None] | None = None
) -> list[TextScore]:
    """Return the text-only part of each text's analysis (see :data:`TextScore`)."""
    items = list(texts)
    if languages is not None and len(languages) != len(items):
        raise ValueError(f"languages has {len(languages)} entries for {len(items)} texts")
    rules = default_rules()
    out: list[TextScore] = []
    for raw, language in zip(items, languages or [None] * len(items), strict=True):
        text, truncated, lang, source = _prepare(raw, language)
        compound, scorer = scorers.score(text, lang)
        hits, intent = urgency.text_signals(compound, fold(text), lang, rules)
        out.append((lang, source, truncated, compound, scorer, tuple(hits), intent))
    return out


def text_score_dumps(score: TextScore) -> str:
    """A :data:`TextScore` as compact JSON (what an import stages with each row)."""
    lang, source, truncated, compound, scorer, hits, intent = score
    return json.dumps(
        [
            lang,
            source,
            truncated,
            compound,
            scorer,
            hits,
            intent.intent,
            intent.reasons,
            intent.closes,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def text_score_loads(text: str) -> TextScore:
    """The :data:`TextScore` :func:`text_score_dumps` wrote (floats round-trip exactly)."""
    lang, source, truncated, compound, scorer, hits, intent, reasons, closes = json.loads(text)
    return (
        lang,
        source,
        truncated,
        compound,
        scorer,
        tuple((reason, tag) for reason, tag in hits),
        IntentResult(intent, tuple(reasons), closes),
    )


def finish_text_scores(
    text_scores: Sequence[TextScore],
    texts: Sequence[TextInput],
    *,
    contexts: Sequence[UrgencyContext | None],
    rules: UrgencyRules | None = None,
) -> list[Analysis]:
    """Return the Analysis of each text from its :data:`TextScore` and its
    context: identical to `analyze_many` on the same texts, languages, contexts
    and rules. The phrase hits and intent are reused under the default rules;
    other rules read the text again."""
    resolved = rules or default_rules()
    reuse = resolved is default_rules()
    return [
        _finish(
            "" if reuse else bounded(coerce_text(raw))[0],
            truncated,
            lang,
            source,
            compound,
            scorer,
            ctx,
            resolved,
            (hits, intent) if reuse else None,
        )
        for (lang, source, truncated, compound, scorer, hits, intent), raw, ctx in zip(
            text_scores, texts, contexts, strict=True
        )
    ]


def _prepare(raw: TextInput, language: str | None) -> tuple[str, bool, str, str]:
    """Return (analysed text, truncated, language, language_source) for one message."""
    text, truncated = bounded(coerce_text(raw))
    given = normalise_language(language, DEFAULT_LANGUAGES)
    if given:
        return text, truncated, given, "caller"
    if not text.strip():
        return text, truncated, UNDETERMINED, "empty"
    return text, truncated, detect_language(text), "detected"


def _finish(
    text: str,
    truncated: bool,
    lang: str,
    source: str,
    compound: float,
    scorer: str,
    context: UrgencyContext | None,
    rules: UrgencyRules,
    text_part: tuple[Sequence[tuple[str, str]], IntentResult] | None = None,
) -> Analysis:
    """Return the Analysis of one prepared, scored message (urgency rules applied;
    ``text_part``: its phrase hits and intent under ``rules``, if already known)."""
    folded = fold(text) if text_part is None else ""
    points, codes, intent = urgency.assess_codes(
        compound, folded, lang, context, rules, text_part=text_part
    )
    return Analysis(
        language=lang,
        compound=compound,
        label=label_for(compound),
        urgency=points,
        urgent=points >= rules.threshold,
        reasons=tuple(reason_texts(codes)),
        reason_codes=codes,
        scorer=scorer,
        language_source=source,
        truncated=truncated,
        rules_id=rules.fingerprint,
        intent=intent.intent,
        intent_reasons=intent.reasons,
        closes=intent.closes,
    )


def _analyze_one(
    raw: TextInput, language: str | None, context: UrgencyContext | None, rules: UrgencyRules
) -> Analysis:
    text, truncated, lang, source = _prepare(raw, language)
    compound, scorer = scorers.score(text, lang)
    return _finish(text, truncated, lang, source, compound, scorer, context, rules)
