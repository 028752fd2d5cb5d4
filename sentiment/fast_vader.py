"""VADER 3.3.2 with its per-word hot spots made cheaper, giving the *same* scores.

Profiling `analyze_many` showed three places where vaderSentiment (and LeIA, which copies
its code) does work proportional to the whole text for every lexicon word:

* `polarity_scores` rebuilds the text character by character (``+=``) to replace emoji,
  even when the text holds none;
* `_negation_check` and `_special_idioms_check` lower-case the *whole* token list on each
  call (up to 3 times per sentiment word), then look at 1-6 tokens of it;
* `_but_check` lower-cases the whole list again to look for "but".

Later passes: `sentiment_valence` reads each token lower-cased once (VADER lower-cases
the same tokens again in each check), the idiom check returns at once when none of the
tokens it looks at is a word of any idiom, and `compound` (what the scorers call) skips
the neg/neu/pos split that `score_valence` computes and nobody here reads.

`FastVader` overrides exactly those methods. Each override computes the same value as the
original (same tokens, same order of checks, same arithmetic); the original code is still
used whenever its odd semantics matter (`_but_check` when "but" is present: it updates by
*value* via ``list.index``). `tests/test_sentiment_fast_paths.py` compares it with plain
`SentimentIntensityAnalyzer` on the real datasets and on generated text.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping

from vaderSentiment import vaderSentiment as _vader
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_NEGATE = frozenset(_vader.NEGATE)
N_SCALAR = _vader.N_SCALAR


def _negated(word_lower: str) -> bool:
    """`vaderSentiment.negated([word])` for one already lower-cased word."""
    return word_lower in _NEGATE or "n't" in word_lower


def make_special_idioms_check(
    special: Mapping[str, float], booster: Mapping[str, float]
) -> Callable[[float, list[str], int], float]:
    """Return `_special_idioms_check` for one (SPECIAL_CASES, BOOSTER_DICT) pair.

    Same result as VADER's/LeIA's static method, which lower-cases every token of the
    text per call; this one lower-cases only tokens i-3..i+2. Only called with i >= 3
    (its callers check ``i > start_i`` with start_i == 2), so no index wraps around.
    """

    # Every n-gram looked up below holds token i, i-1 or i-2, and a key can only equal
    # an n-gram whose every token is one of the key's words: when none of those three
    # tokens is a word of any idiom or multi-word booster, nothing can change.
    idiom_words = frozenset(
        word for key in (*special, *(k for k in booster if " " in k)) for word in key.split(" ")
    )

    def check(valence: float, words: list[str], i: int) -> float:
        w0 = words[i].lower()
        w1 = words[i - 1].lower()
        w2 = words[i - 2].lower()
        if w0 not in idiom_words and w1 not in idiom_words and w2 not in idiom_words:
            return valence
        w3 = words[i - 3].lower()
        onezero = f"{w1} {w0}"
        twoonezero = f"{w2} {w1} {w0}"
        twoone = f"{w2} {w1}"
        threetwoone = f"{w3} {w2} {w1}"
        threetwo = f"{w3} {w2}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in special:
                valence = special[seq]
                break
        n = len(words)
        if n - 1 > i:
            zeroone = f"{w0} {words[i + 1].lower()}"
            if zeroone in special:
                valence = special[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {words[i + 1].lower()} {words[i + 2].lower()}"
            if zeroonetwo in special:
                valence = special[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in booster:
                valence = valence + booster[n_gram]
        return valence

    return check


def compound_of(
    analyzer, sentiments: list[float], text: str, normalize: Callable[[float], float] | None = None
) -> float:
    """``analyzer.score_valence(sentiments, text)["compound"]`` (VADER's, or LeIA's
    with LeIA's ``normalize``: the same code) without the neg/neu/pos split that
    nobody here reads: same sum, same punctuation emphasis, same normalisation and
    rounding."""
    if not sentiments:
        return 0.0
    sum_s = float(sum(sentiments))
    if sum_s > 0:
        sum_s += analyzer._punctuation_emphasis(text)
    elif sum_s < 0:
        sum_s -= analyzer._punctuation_emphasis(text)
    return round((normalize or _vader.normalize)(sum_s), 4)


def allcap_differential(words: list[str]) -> bool:
    """VADER's (and LeIA's) ``allcap_differential``: some, but not all, tokens are ALL
    CAPS; counted with ``map`` instead of a Python loop."""
    caps = sum(map(str.isupper, words))
    return 0 < len(words) - caps < len(words)


_PUNCTUATION = string.punctuation


class _SentiText:
    """VADER's SentiText for a str (its token list and cap flag), built without a method
    call per token: `_strip_punc_if_word` inlined."""

    __slots__ = ("text", "words_and_emoticons", "is_cap_diff", "lowered")

    def __init__(self, text: str):
        self.text = text
        words = [
            token if len(stripped := token.strip(_PUNCTUATION)) <= 2 else stripped
            for token in text.split()
        ]
        self.words_and_emoticons = words
        # Each token lower-cased once (VADER does it again in every check).
        self.lowered = [w.lower() for w in words]
        self.is_cap_diff = allcap_differential(words)


class FastVader(SentimentIntensityAnalyzer):
    """`SentimentIntensityAnalyzer` giving identical scores with less work per word."""

    def __init__(self, *, neutral: frozenset[str] = frozenset()) -> None:
        super().__init__()
        # Words scored as neutral (not in the lexicon); empty gives plain VADER's scores.
        for word in neutral:
            self.lexicon.pop(word, None)
        # The emoji loop only ever looks at single characters, and every key of VADER's
        # emoji lexicon is non-ASCII, so a text sharing no character with this set is
        # returned unchanged by that loop (apart from the final strip()).
        self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)

    def polarity_scores(self, text: str) -> dict[str, float]:
        """Return VADER's {"neg","neu","pos","compound"}, identical to the parent's."""
        return self.score_valence(*self._sentiments(text))

    def compound(self, text: str) -> float:
        """Return ``polarity_scores(text)["compound"]`` without the neg/neu/pos split."""
        return compound_of(self, *self._sentiments(text))

    def _sentiments(self, text: str) -> tuple[list[float], str]:
        """Return (per-word valences, text as scored): what the parent's
        polarity_scores hands to score_valence."""
        if self._emoji_chars.isdisjoint(text):
            text = text.strip()
        else:
            text = self._replace_emoji(text)
        sentitext = _SentiText(text)
        sentiments: list[float] = []
        words = sentitext.words_and_emoticons
        lowered = sentitext.lowered
        booster = _vader.BOOSTER_DICT
        lexicon = self.lexicon
        last = len(words) - 1
        for i, lower in enumerate(lowered):
            if lower not in lexicon:
                # sentiment_valence appends the valence it was given (0) for such words;
                # skipping the call for them (most words) changes nothing. Tested first:
                # the parent's two checks below also give 0, so their order is free.
                sentiments.append(0)
                continue
            if lower in booster or (i < last and lower == "kind" and lowered[i + 1] == "of"):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, words[i], i, sentiments)
        if "but" in lowered:  # the parent's _but_check changes nothing otherwise
            sentiments = SentimentIntensityAnalyzer._but_check(words, sentiments)
        return sentiments, text

    def sentiment_valence(self, valence, sentitext, item, i, sentiments):  # noqa: C901 - tests/test_code_size.py
        """The parent's method with each token's lower-cased form read from
        ``sentitext.lowered`` instead of lower-casing it again in every check (same
        checks, same order, same arithmetic). ``item`` is token ``i``."""
        lowered = getattr(sentitext, "lowered", None)
        if lowered is None:
            return super().sentiment_valence(valence, sentitext, item, i, sentiments)
        is_cap_diff = sentitext.is_cap_diff
        words = sentitext.words_and_emoticons
        lexicon = self.lexicon
        item_lowercase = lowered[i]
        if item_lowercase in lexicon:
            valence = lexicon[item_lowercase]
            if item_lowercase == "no" and i != len(words) - 1 and lowered[i + 1] in lexicon:
                valence = 0.0
            if (
                (i > 0 and lowered[i - 1] == "no")
                or (i > 1 and lowered[i - 2] == "no")
                or (i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in ("or", "nor"))
            ):
                valence = lexicon[item_lowercase] * N_SCALAR
            if item.isupper() and is_cap_diff:
                if valence > 0:
                    valence += _vader.C_INCR
                else:
                    valence -= _vader.C_INCR
            for start_i in range(0, 3):
                if i > start_i and lowered[i - (start_i + 1)] not in lexicon:
                    s = _vader.scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                    if start_i == 1 and s != 0:
                        s = s * 0.95
                    if start_i == 2 and s != 0:
                        s = s * 0.9
                    valence = valence + s
                    valence = self._negation_check(valence, words, start_i, i)
                    if start_i == 2:
                        valence = self._special_idioms_check(valence, words, i)
            # _least_check
            if i > 1 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
                if lowered[i - 2] != "at" and lowered[i - 2] != "very":
                    valence = valence * N_SCALAR
            elif i > 0 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
                valence = valence * N_SCALAR
        sentiments.append(valence)
        return sentiments

    def _replace_emoji(self, text: str) -> str:
        # The parent's loop, with a list instead of repeated string concatenation.
        out: list[str] = []
        prev_space = True
        emojis = self.emojis
        for ch in text:
            if ch in emojis:
                if not prev_space:
                    out.append(" ")
                out.append(emojis[ch])
                prev_space = False
            else:
                out.append(ch)
                prev_space = ch == " "
        return "".join(out).strip()

    @staticmethod
    def _but_check(words_and_emoticons, sentiments):
        for word in words_and_emoticons:
            if word.lower() == "but":
                return SentimentIntensityAnalyzer._but_check(words_and_emoticons, sentiments)
        return sentiments

    @staticmethod
    def _negation_check(valence, words_and_emoticons, start_i, i):
        words = words_and_emoticons
        if start_i == 0:
            if _negated(words[i - 1].lower()):
                valence = valence * N_SCALAR
        elif start_i == 1:
            w2, w1 = words[i - 2].lower(), words[i - 1].lower()
            if w2 == "never" and (w1 == "so" or w1 == "this"):
                valence = valence * 1.25
            elif w2 == "without" and w1 == "doubt":
                pass
            elif _negated(w2):
                valence = valence * N_SCALAR
        elif start_i == 2:
            w3, w2, w1 = words[i - 3].lower(), words[i - 2].lower(), words[i - 1].lower()
            if w3 == "never" and (w2 == "so" or w2 == "this") or (w1 == "so" or w1 == "this"):
                valence = valence * 1.25
            elif w3 == "without" and (w2 == "doubt" or w1 == "doubt"):
                pass
            elif _negated(w3):
                valence = valence * N_SCALAR
        return valence

    _special_idioms_check = staticmethod(
        make_special_idioms_check(_vader.SPECIAL_CASES, _vader.BOOSTER_DICT)
    )
