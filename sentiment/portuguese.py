"""Portuguese scorer: LeIA with working negation (and two small, measured extras).

Why plain LeIA scores "Eu não estou feliz" as +0.44 (read LeIA/leia.py, v0.0.1):

1. VADER only applies negation to a preceding word that is *not itself in the
   lexicon* (``words[i - k] not in self.lexicon``). LeIA's translated lexicon contains
   "nao" (valence -1.2), so the negator is skipped as a modifier and instead adds -1.2
   of its own: "nao ... feliz" = -1.2 + 3.1 -> positive.
2. LeIA's negate.txt holds "nao" plus many two-word entries ("nao e", "nao tenho")
   that can never match a single token, and lacks "nunca", "nem", "jamais", "sem",
   "nenhum", "ninguem", "nada" (VADER's English list has never/nor/none/without...).
3. LeIA drops one-character tokens, so the common "ñ"/"n" abbreviations vanish.
4. Two upstream bugs distort the rest: ``words.index(item)`` gives every repeat of a
   word the position of its first occurrence, and ``_but_check`` returns inside its loop,
   so only "mas" is ever checked (never "porém", "contudo"...).

Fix, as a subclass (the lexicon files are loaded from the installed package, never
copied): negators are taken out of the lexicon (they modify, like English "not"), a
Portuguese negation set replaces LeIA's, abbreviations are rewritten to "nao", and the
scoring loop uses positions (VADER 3.3.2's fix). Optional extras, each switchable so the
benchmark can measure it: a light lemma fallback for words missing from the lexicon
("adorei" -> "adorar", "otima" -> "otimo") and a short supplement for a few everyday
review words LeIA lacks, valued by their English VADER translation.
"""

from __future__ import annotations

import re

from LeIA import leia as _leia_module

from replywatch.sentiment.care_lexicon import NEUTRAL_PT
from replywatch.sentiment.fast_vader import (
    allcap_differential,
    compound_of,
    make_special_idioms_check,
)
from replywatch.sentiment.text import strip_accents

_PUNC_LIST: tuple[str, ...] = tuple(_leia_module.PUNC_LIST)
_REMOVE_PUNCT = _leia_module.REGEX_REMOVE_PUNCTUATION

# Negators in accent-free form. Mirrors VADER's English list (not/never/nor/none/nobody/
# nothing/without/rarely/seldom) rather than being tuned to any dataset.
NEGATORS: frozenset[str] = frozenset(
    {
        "nao",
        "nunca",
        "nem",
        "jamais",
        "sem",
        "nenhum",
        "nenhuma",
        "ninguem",
        "nada",
        "raramente",
        "dificilmente",
        "tampouco",
    }
)
# Written forms of "não" in chat: "ñ" (folds to "n"), "n", "naum", and "nã", which is
# rewritten before accents are stripped: folded, it would be "na" ("em" + "a", "in the"),
# one of the commonest Portuguese words (1.4.0; until then every "na" was read as "não":
# "Mandei o número do pedido na DM" scored -0.23).
# Written as "n" first, then the word-start check: re then only enters the pattern at
# an "n" (a literal-prefix scan) instead of at every character; same matches as
# (?<![\w'])(?:n|naum)(?![\w']).
_NEGATOR_VARIANTS = re.compile(r"n(?<![\w']n)(?:aum)?(?![\w'])", re.IGNORECASE)
_NA_TILDE = re.compile(r"(?<![\w'])n[ãÃ](?![\w'])", re.IGNORECASE)

# "nunca foi tão bom" ("never so good") intensifies, as VADER's "never so/this" does.
_INTENSIFYING_AFTER_NEVER = frozenset({"tao", "tanto", "esse", "este", "isso"})
NEGATION_SCALAR = -0.74  # VADER's N_SCALAR
CONTRASTIVE = ("mas", "porem", "contudo", "entretanto", "todavia")

# Everyday review words missing from LeIA's lexicon, each valued by the English VADER
# lexicon entry of its translation (so no number here is ours). Chosen from general
# knowledge of Portuguese complaint vocabulary, not from any evaluation data.
SUPPLEMENT_PT_TO_EN: dict[str, str] = {
    "pessimo": "terrible",
    "decepcionante": "disappointing",
    "decepcionada": "disappointed",
    "horroroso": "horrible",
    "amei": "loved",
    "detestei": "hated",
    "odiei": "hated",
    "insatisfeita": "dissatisfied",
}
# 1.4.0: being charged, as VADER rates "charged" (a double charge said with "por favor"
# came out neutral once "favor" no longer counted as praise).
SUPPLEMENT_1_4: tuple[str, ...] = ("cobrado", "cobrada", "cobraram", "cobrou")
SUPPLEMENT_PT_TO_EN.update(dict.fromkeys(SUPPLEMENT_1_4, "charged"))

# Fixed expressions with no sentiment word to negate, valued (like the supplement) by an
# English VADER entry. "nunca mais compro" ("never buying again") is the classic churn line.
# The expression's valence is added once; "nunca" still negates what follows it.
IDIOMS_PT_TO_EN: dict[str, str] = {
    "nunca mais": "disappointed",
}

# Suffix rewrites tried, in order, for a word absent from the lexicon; the first candidate
# found in the lexicon is used. Verb forms map to the infinitive, adjectives to the
# masculine singular (the form the translated lexicon mostly holds).
_LEMMA_RULES: tuple[tuple[str, str], ...] = (
    ("issimos", "o"),
    ("issimas", "o"),
    ("issimo", "o"),
    ("issima", "o"),
    ("aram", "ar"),
    ("amos", "ar"),
    ("ando", "ar"),
    ("ei", "ar"),
    ("ou", "ar"),
    ("as", "o"),
    ("os", "o"),
    ("a", "o"),
    ("o", "a"),
    ("o", "ar"),
    ("s", ""),
)
# The same rules, in the same order, keyed by their suffix's last letter: a word can only
# end with a suffix that ends with its own last letter, so only those rules are tried.
_LEMMA_RULES_BY_LAST: dict[str, tuple[tuple[str, str], ...]] = {
    last: tuple(rule for rule in _LEMMA_RULES if rule[0][-1] == last)
    for last in {suffix[-1] for suffix, _ in _LEMMA_RULES}
}
_MIN_LEMMA_LEN = 4
_LEMMA_CACHE_SIZE = 65536


class PortugueseAnalyzer:
    """LeIA-based Portuguese sentiment with negation fixed. Build once: loading is slow."""

    def __init__(
        self,
        *,
        negation: bool = True,
        lemmas: bool = True,
        supplement: bool = True,
        fast: bool = True,
        concord: bool = True,
        care: bool = True,
    ):
        from LeIA import leia

        self._leia = leia
        base = leia.SentimentIntensityAnalyzer()
        self.emojis: dict[str, str] = base.emojis
        lexicon: dict[str, float] = dict(base.lexicon)
        self.negation = negation
        # Negative concord (1.3.0): only the negator nearest a word flips it.
        self.concord = concord
        # LeIA's own valence for negators ("nao" -1.2), kept for dangling negations.
        self._dangling = {w: base.lexicon[w] for w in NEGATORS if w in base.lexicon}
        if negation:
            # Negators must not carry valence of their own or VADER's window skips them.
            for word in NEGATORS:
                lexicon.pop(word, None)
        # Customer-care words that are not an opinion (1.4.0, care_lexicon.NEUTRAL_PT):
        # out of the lexicon, and never lemmatised into another entry.
        self._neutral = NEUTRAL_PT if care else frozenset()
        for word in self._neutral:
            lexicon.pop(word, None)
        self._idioms = _add_supplement(lexicon) if supplement else ()
        self.lexicon = lexicon
        self.lemmas = lemmas
        # word -> lemma; a plain dict (a per-word lru_cache call cost more than the lookup).
        self._lemmas: dict[str, str] = {}
        self._base = base
        self._base.lexicon = lexicon
        # LeIA's own methods (valence window, boosters, punctuation) are reused through
        # this instance; only negation and the loop are replaced.
        self._base._negation_check = self._negation_check
        if fast:
            # Same values as LeIA's static method, which lower-cases the whole token list on
            # every call (`fast=False` keeps LeIA's, as the reference for the tests).
            self._base._special_idioms_check = make_special_idioms_check(
                leia.SPECIAL_CASE_IDIOMS, leia.BOOSTER_DICT
            )
        self._valence = self._base.sentiment_valence

    @property
    def name(self) -> str:
        """Scorer label stored with each result, e.g. "leia+negation+lemma"."""
        parts = ["leia"]
        if self.negation:
            parts.append("negation")
        if self.lemmas:
            parts.append("lemma")
        if "pessimo" in self.lexicon:
            parts.append("supplement")
        return "+".join(parts)

    def clear_cache(self) -> None:
        """Forget the per-word lemma cache (results never depend on it)."""
        self._lemmas.clear()

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Return VADER-style {"neg","neu","pos","compound"} for Portuguese `text`."""
        return self._base.score_valence(*self._sentiments(text))

    def compound(self, text: str) -> float:
        """Return ``polarity_scores(text)["compound"]`` without the neg/neu/pos split."""
        return compound_of(self._base, *self._sentiments(text), self._leia.normalize)

    def _sentiments(self, text: str) -> tuple[list[float], str]:
        """Return (per-word valences, text as scored) for LeIA's score_valence."""
        leia = self._leia
        if self.negation and ("ã" in text or "Ã" in text):
            text = _NA_TILDE.sub("nao", text)
        text = strip_accents(text)
        if self.negation:
            text = _NEGATOR_VARIANTS.sub("nao", text)
        if text.isascii():  # every emoji-lexicon key is non-ASCII
            text = " ".join(text.split())
        else:
            emojis = self.emojis
            text = " ".join([emojis.get(token, token) for token in text.split()])

        words = leia_tokens(text)
        if self.lemmas:
            cache = self._lemmas
            if len(cache) > _LEMMA_CACHE_SIZE:  # bound memory in a long-running scorer
                cache.clear()
            words = [cache[w] if w in cache else self._lemma_into(cache, w) for w in words]
        sentitext = _SentiText(words, allcap_differential(words))
        booster = leia.BOOSTER_DICT
        valence = self._valence
        lexicon = self.lexicon
        sentiments: list[float] = []
        lowered = [w.lower() for w in words]  # once, shared by the checks below
        for i, item in enumerate(words):  # position, not words.index(item): LeIA bug 4
            lower = lowered[i]
            if lower in booster:
                sentiments.append(0.0)
                continue
            if lower not in lexicon:
                # LeIA's sentiment_valence appends the valence it was given (0) for a word
                # outside the lexicon; skipping the call for those changes nothing.
                sentiments.append(0)
                continue
            valence(0, sentitext, item, i, sentiments)
        if self.negation:
            self._score_dangling_negators(lowered, sentiments)
        sentiments = _but_check(lowered, sentiments)
        text_lower = text.lower()
        for literal, pattern, idiom_valence in self._idioms:
            if literal in text_lower and pattern.search(text_lower):
                sentiments.append(idiom_valence)
        return sentiments, text

    def _score_dangling_negators(self, lowered: list[str], sentiments: list[float]) -> None:
        # A negator with no sentiment word to flip in the next 3 tokens ("não chegou", "não
        # funciona", "não recebi") is itself the complaint: it keeps LeIA's valence for it.
        # Only when it does flip a word does it stay neutral, so "não gostei" is not counted
        # twice. (Without this, removing "nao" from the lexicon lost that cue and cost
        # ~5 points of accuracy on B2W reviews; see docs/sentiment.md.)
        dangling = self._dangling
        if dangling.keys().isdisjoint(lowered):
            return
        for j, word in enumerate(lowered):
            valence = dangling.get(word)
            if valence is None:
                continue
            window = sentiments[j + 1 : j + 4]
            if not any(window):
                sentiments[j] = valence

    def _lemma_into(self, cache: dict[str, str], word: str) -> str:
        cache[word] = lemma = self._lemma(word)
        return lemma

    def _lemma(self, word: str) -> str:
        lower = word.lower()
        if len(lower) < _MIN_LEMMA_LEN or lower in self.lexicon or lower in NEGATORS:
            return word
        if lower in self._neutral:
            return word
        if lower in self._leia.BOOSTER_DICT or not lower.isalpha():
            return word
        for suffix, replacement in _LEMMA_RULES_BY_LAST.get(lower[-1], ()):
            if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
                candidate = lower[: len(lower) - len(suffix)] + replacement
                if candidate in self.lexicon:
                    return candidate.upper() if word.isupper() else candidate
        return word

    def _negation_check(self, valence: float, words: list[str], start_i: int, i: int) -> float:
        """VADER's 3-word negation window with the Portuguese negator set."""
        if not self.negation:
            return self._leia.SentimentIntensityAnalyzer._negation_check(valence, words, start_i, i)
        j = i - (start_i + 1)
        negator = words[j].lower()
        if negator not in NEGATORS:
            return valence
        between = [w.lower() for w in words[j + 1 : i]]
        if self.concord and not NEGATORS.isdisjoint(between):
            # Negative concord (1.3.0): "não estou nada satisfeito", "não tem nenhum"
            # negate once, not twice; only the negator nearest the word flips it.
            return valence
        if negator in ("nunca", "jamais") and _INTENSIFYING_AFTER_NEVER.intersection(between):
            return valence * 1.25
        if negator == "sem" and "duvida" in between:  # "sem dúvida" = "without doubt"
            return valence
        return valence * NEGATION_SCALAR


def _add_supplement(lexicon: dict[str, float]) -> tuple[tuple[str, re.Pattern, float], ...]:
    """Add the supplement words to `lexicon` (valued by their English VADER entry) and
    return the idioms as (literal, its word-bounded pattern, valence): the regex only
    runs when the literal occurs at all, since the pattern cannot match otherwise."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as Vader

    english = Vader().lexicon
    for pt, en in SUPPLEMENT_PT_TO_EN.items():
        lexicon.setdefault(pt, english[en])
    return tuple(
        (pt, re.compile(r"\b" + re.escape(pt) + r"\b"), english[en])
        for pt, en in IDIOMS_PT_TO_EN.items()
    )


def _but_check(lower: list[str], sentiments: list[float]) -> list[float]:
    """Halve sentiment before the first contrastive word (in the lower-cased tokens
    `lower`), boost it by half after."""
    positions = [lower.index(c) for c in CONTRASTIVE if c in lower]
    if not positions:
        return sentiments
    bi = min(positions)
    return [s * 0.5 if si < bi else s * 1.5 if si > bi else s for si, s in enumerate(sentiments)]


class _SentiText:
    """The two attributes of LeIA's SentiText that its valence code reads."""

    __slots__ = ("words_and_emoticons", "is_cap_diff")

    def __init__(self, words: list[str], is_cap_diff: bool):
        self.words_and_emoticons = words
        self.is_cap_diff = is_cap_diff


_PUNCT_CHARS = frozenset("".join(_PUNC_LIST))
# The characters LeIA's REGEX_REMOVE_PUNCTUATION deletes (ASCII punctuation).
_REMOVED = frozenset(c for c in map(chr, range(128)) if _REMOVE_PUNCT.fullmatch(c))
# (item, length, whether REGEX_REMOVE_PUNCTUATION deletes every character of it)
_PUNC_ITEMS: tuple[tuple[str, int, bool], ...] = tuple(
    (p, len(p), _REMOVED.issuperset(p)) for p in _PUNC_LIST
)


def leia_tokens(text: str) -> list[str]:
    """Tokenise exactly like LeIA's SentiText, without its per-call dictionaries.

    LeIA builds {punct+word: word, word+punct: word} for every word and all 22 entries of
    its PUNC_LIST on every call (most of its run time). Same result: drop 1-char tokens,
    strip one PUNC_LIST item from either end when what remains is a punctuation-free word
    of the text (trailing form checked first, as LeIA's dict update gives it precedence).
    """
    words: list[set[str]] = []  # the text's punctuation-free words, built only if needed
    out = []
    for token in text.split():
        if len(token) <= 1:
            continue
        if token[-1] in _PUNCT_CHARS or token[0] in _PUNCT_CHARS:
            token = _unpunctuate(token, text, words)
        out.append(token)
    return out


def _unpunctuate(token: str, text: str, words: list[set[str]]) -> str:
    for p, n, removable in _PUNC_ITEMS:
        if token.endswith(p) and _is_text_word(token[:-n], removable, text, words):
            return token[:-n]
    for p, n, removable in _PUNC_ITEMS:
        if token.startswith(p) and _is_text_word(token[n:], removable, text, words):
            return token[n:]
    return token


def _is_text_word(candidate: str, removable: bool, text: str, words: list[set[str]]) -> bool:
    """Whether `candidate` is in LeIA's words_only set of `text`: the words longer than
    one character left after REGEX_REMOVE_PUNCTUATION.

    When the stripped item is made only of characters that regex deletes, the token itself
    becomes `candidate` in that set exactly when `candidate` is longer than one character
    and has none of those characters (and otherwise no word of the set can equal it), so
    the set is not needed. Other items ("—", "–") need the set, built once per text.
    """
    if removable:
        return len(candidate) > 1 and _REMOVED.isdisjoint(candidate)
    if not words:
        words.append({w for w in _REMOVE_PUNCT.sub("", text).split() if len(w) > 1})
    return candidate in words[0]
