"""Compile phrase lists into one regex per language and report which phrases matched."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import fold


def phrase_pattern(phrase: str) -> str:
    """Return the regex source for one phrase (folded, word-bounded, `*` = word ending).

    Refuses (ValueError) empty phrases and a `*` anywhere but at the end.
    """
    folded = fold(phrase).strip()
    wildcard = folded.endswith("*")
    core = folded.rstrip("*").strip()
    if not core or "*" in core:
        raise ValueError(f"invalid phrase {phrase!r}: empty or '*' not at the end")
    parts = []
    for word in core.split():
        parts.append(re.escape(word).replace("'", "'?"))
    body = r"\s+".join(parts)
    if wildcard:
        body += r"\w*"
    # Lookarounds instead of \b so phrases may start or end with punctuation ("consumidor.gov").
    return rf"(?<!\w){body}(?!\w)"


class PhraseMatcher:
    """One compiled alternation over a phrase list; first listed phrase wins at a position."""

    def __init__(self, phrases: Sequence[tuple[str, str]]):
        self.phrases = tuple(phrases)
        self._reasons: dict[str, str] = {}
        alternatives = []
        for index, (phrase, reason) in enumerate(self.phrases):
            group = f"p{index}"
            alternatives.append(f"(?P<{group}>{phrase_pattern(phrase)})")
            self._reasons[group] = reason
        self._regex = re.compile("|".join(alternatives)) if alternatives else None

    def reasons(self, folded_text: str) -> list[str]:
        """Return the distinct reasons of phrases found in `folded_text`, in text order.

        `folded_text` must already be `text.fold()`-ed (done once per message upstream).
        """
        if self._regex is None or not folded_text:
            return []
        found: dict[str, None] = {}
        for match in self._regex.finditer(folded_text):
            found.setdefault(self._reasons[match.lastgroup or ""], None)
        return list(found)
