"""`analyze` and `analyze_many`: language -> sentiment -> urgency for each message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from . import language as _language
from . import scorers, urgency
from .analysis import Analysis, label_for
from .language import DEFAULT_LANGUAGES, UNDETERMINED, detect_language, normalise_language
from .text import bounded, coerce_text, fold
from .urgency import UrgencyContext, UrgencyRules

TextInput = str | bytes | bytearray | None


@lru_cache(maxsize=1)
def default_rules() -> UrgencyRules:
    """Return the shared default UrgencyRules (phrase regexes compiled once)."""
    return UrgencyRules()


def clear_caches() -> None:
    """Forget cached per-text results (language per cleaned text).

    Results never depend on the caches; benchmarks call this so that a timed run over
    unique texts does not profit from an earlier run over the same texts.
    """
    _language._detect_cleaned.cache_clear()


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
    langs = languages if languages is not None else [None] * n
    ctxs = contexts if contexts is not None else [None] * n
    return [_analyze_one(t, lg, c, resolved) for t, lg, c in zip(items, langs, ctxs, strict=True)]


def _analyze_one(
    raw: TextInput, language: str | None, context: UrgencyContext | None, rules: UrgencyRules
) -> Analysis:
    text, truncated = bounded(coerce_text(raw))
    given = normalise_language(language, DEFAULT_LANGUAGES)
    if given:
        lang, source = given, "caller"
    elif not text.strip():
        lang, source = UNDETERMINED, "empty"
    else:
        lang, source = detect_language(text), "detected"

    compound, scorer = scorers.score(text, lang)
    points, reasons = urgency.evaluate(compound, fold(text), lang, context, rules)
    return Analysis(
        language=lang,
        compound=compound,
        label=label_for(compound),
        urgency=points,
        urgent=points >= rules.threshold,
        reasons=reasons,
        scorer=scorer,
        language_source=source,
        truncated=truncated,
        rules_id=rules.fingerprint,
    )
