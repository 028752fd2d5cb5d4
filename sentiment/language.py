"""Language detection for short social-media texts (py3langid restricted to en/pt).

The identifier is built once per language set (loading the model takes ~0.5 s) and
restricted with `set_languages`, so a short Portuguese tweet cannot come back as
Galician or Spanish. A caller-supplied language (e.g. the platform's `lang` field)
wins when it names a supported language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from functools import lru_cache

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "pt")
UNDETERMINED = "und"

# Below this many letters (after removing handles, URLs, digits and emoji) there is not
# enough evidence: "ok", "?!", "👍" all come back "und".
MIN_LETTERS = 3
# With two candidates the identifier's normalised probability is >= 0.5 by construction;
# require a clear 60/40 split before committing (py3langid then answers "und" itself).
MIN_CONFIDENCE = 0.6

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
# Keep the hashtag's word ("#atendimento" is evidence) but drop the marker.
_HASH = re.compile(r"(?<!\w)#(?=\w)")
_LETTER = re.compile(r"[^\W\d_]")
# "At least MIN_LETTERS letters": stops at the 3rd letter instead of listing them all.
# Letters of scripts other than Latin (CJK, kana, Hangul, Cyrillic, Greek, Arabic,
# Hebrew, Thai, Devanagari...): every supported language is written in Latin script.
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")
_ENOUGH_LETTERS = re.compile(r"[^\W\d_]" + r".*?[^\W\d_]" * (MIN_LETTERS - 1), re.DOTALL)

_lock = threading.Lock()

# Fast path: frequent function words that are unambiguous between English and Portuguese
# (no "a", "o", "e", "do", "no", "me", "as", "um": both languages use them). When a text
# has >= 2 hits for one language and none for the other, py3langid (a pure-Python walk
# over every byte, ~50 µs on a review) is not consulted. benchmarks/sentiment_eval.py
# prints how often this path is taken and how often it agrees with py3langid alone.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and is are was were you your my to of for it it's this that with have has "
        "not just on at be i i'm we they what why how but can get been will would".split()
    ),
    "pt": frozenset(
        "não nao que de para com uma é do da dos das em muito meu minha mais foi pra "
        "está esta você voce mas por isso ele ela os ao na nos já ja quando também "
        "tambem".split()
    ),
}
_ANY_STOPWORD: frozenset[str] = _STOPWORDS["en"] | _STOPWORDS["pt"]
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")  # _WORD on lower-cased ASCII text


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]):
    """Build (once per language set) a py3langid identifier restricted to `languages`."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(
        MODEL_FILE, norm_probs=True, min_confidence=MIN_CONFIDENCE
    )
    ident.set_languages(list(languages))
    return ident


def clean_for_detection(text: str) -> str:
    """Return `text` without URLs, @handles and hashtag markers, whitespace collapsed."""
    # Each regex pass is skipped when its required literal is absent (same output; a
    # regex scan costs ~2.5 µs per tweet, the substring test ~0.1 µs).
    if "://" in text or "www." in text.lower():
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", text)
    if "#" in text:
        text = _HASH.sub("", text)
    return " ".join(text.split())


def normalise_language(
    code: str | None, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> str | None:
    """Map a caller/platform language tag ("pt-BR", "EN", "en_GB") to a supported code.

    Returns None when the tag is missing or names an unsupported language ("es", "und",
    Twitter's "zxx"), meaning: detect instead.
    """
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in languages else None


def detect_language(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """Return the language of `text` among `languages`, or "und" if it cannot tell.

    "und" for empty, emoji-only, URL/handle-only and too-short texts (< MIN_LETTERS
    letters), and when the identifier is less than MIN_CONFIDENCE sure. Unambiguous
    function words decide first (fast path); py3langid decides everything else.
    Results are cached per cleaned text (support queues repeat templates that differ
    only in @handles and links).
    """
    return _detect_cleaned(clean_for_detection(text), tuple(languages))


@lru_cache(maxsize=8192)
def _detect_cleaned(cleaned: str, languages: tuple[str, ...]) -> str:
    if _ENOUGH_LETTERS.search(cleaned, 0, 200) is None or _mostly_non_latin(cleaned):
        return UNDETERMINED
    quick = _by_stopwords(cleaned, languages)
    if quick:
        return quick
    return _by_model(cleaned, languages)


def detect_language_reference(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """The uncached, unoptimised form of `detect_language` (same answers; for tests)."""
    cleaned = _URL.sub(" ", text)
    cleaned = _HANDLE.sub(" ", cleaned)
    cleaned = " ".join(_HASH.sub("", cleaned).split())
    letters = _LETTER.findall(cleaned, 0, 200)
    if len(letters) < MIN_LETTERS:
        return UNDETERMINED
    if sum(1 for c in letters if _NON_LATIN_LETTER.match(c)) * 2 > len(letters):
        return UNDETERMINED
    words = _WORD.findall(cleaned.lower())
    if set(languages) == {"en", "pt"}:
        en = sum(1 for w in words if w in _STOPWORDS["en"])
        pt = sum(1 for w in words if w in _STOPWORDS["pt"])
        if en >= 2 and pt == 0:
            return "en"
        if pt >= 2 and en == 0:
            return "pt"
    return _by_model(cleaned, languages)


def _mostly_non_latin(cleaned: str) -> bool:
    """True when most letters of the first 200 characters are not Latin script
    (Japanese, Chinese, Russian, Arabic...): such a text is none of the supported
    languages, and the restricted identifier would otherwise force it into one."""
    if cleaned.isascii() or _NON_LATIN_LETTER.search(cleaned, 0, 200) is None:
        return False
    head = cleaned[:200]
    return len(_NON_LATIN_LETTER.findall(head)) * 2 > len(_LETTER.findall(head))


def _by_stopwords(cleaned: str, languages: Sequence[str]) -> str | None:
    """Return en/pt when function words decide it unambiguously, else None."""
    if set(languages) != {"en", "pt"}:
        return None
    # Set intersections instead of a Python loop over every word; occurrences are only
    # counted (list.count) when a single distinct function word was found. ASCII text
    # (most English) is tokenised with [a-z], which is what [^\W\d_] means there after
    # lower-casing (same words, ~30% faster than the Unicode class).
    lowered = cleaned.lower()
    words = (_ASCII_WORD if lowered.isascii() else _WORD).findall(lowered)
    # One pass over the words (most texts hold some function word), then two small sets.
    hits = _ANY_STOPWORD.intersection(words)
    if not hits:
        return None
    en_hits = _STOPWORDS["en"] & hits
    pt_hits = _STOPWORDS["pt"] & hits
    if en_hits and not pt_hits and _at_least_two(en_hits, words):
        return "en"
    if pt_hits and not en_hits and _at_least_two(pt_hits, words):
        return "pt"
    return None


def _at_least_two(hits: set[str], words: list[str]) -> bool:
    """Whether the words in `hits` occur at least twice in `words` in total."""
    return len(hits) >= 2 or words.count(next(iter(hits))) >= 2


def _by_model(cleaned: str, languages: Sequence[str]) -> str:
    """Return py3langid's answer among `languages` ("und" below MIN_CONFIDENCE)."""
    ident = _identifier(tuple(languages))
    with _lock:  # the identifier is not documented as thread-safe; classify is ~15 µs
        lang, _confidence = ident.classify(cleaned)
    return lang
