"""Input coercion and text normalisation shared by the scorers and the urgency rules."""

from __future__ import annotations

import re
import unicodedata

# Sentiment and phrase rules look at a bounded prefix only. Social posts are far shorter
# (a tweet is <= 280 chars, most reviews < 2,000), so this bounds worst-case time on
# pathological input (pasted logs, spam walls) without changing real-world scores.
MAX_ANALYSED_CHARS = 5000

_COMBINING = re.compile("[\u0300-\u036f]")
# Apostrophe look-alikes that phones insert ("don’t"); folded to ASCII so phrase rules
# written with "'" match either form. `fold` replaces them with str.replace (faster);
# this table is the reference form the tests compare it with.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def coerce_text(value: str | bytes | bytearray | None) -> str:
    """Return `value` as a str: None -> "", bytes decoded as UTF-8 with errors="replace".

    Refuses (TypeError) anything else, so a caller passing e.g. a float NaN from a
    DataFrame finds out instead of silently scoring "nan".
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    raise TypeError(f"text must be str, bytes or None, not {type(value).__name__}")


def bounded(text: str) -> tuple[str, bool]:
    """Return (prefix of at most MAX_ANALYSED_CHARS, whether it was cut)."""
    if len(text) <= MAX_ANALYSED_CHARS:
        return text, False
    return text[:MAX_ANALYSED_CHARS], True


def strip_accents(text: str) -> str:
    """Return `text` with combining marks removed ("não" -> "nao", "ñ" -> "n")."""
    if text.isascii():  # fast path: most English text
        return text
    # Latin diacritics all live in U+0300-U+036F; a regex over that block is ~10x faster
    # than testing unicodedata.combining() per character.
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold(text: str) -> str:
    """Return the matching form of `text`: accent-free, casefolded, ASCII apostrophes."""
    if text.isascii():
        # Same result, without str.translate's per-character table lookup: "`" is the
        # only ASCII character in the table, and strip_accents leaves ASCII alone.
        return text.replace("`", "'").casefold()
    # Four str.replace scans instead of str.translate: translate looks every character
    # of a non-ASCII text up in the table (~4x slower on Portuguese reviews); same result.
    return strip_accents(
        text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'").replace("`", "'")
    ).casefold()
