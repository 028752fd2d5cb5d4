"""Compile phrase lists into one regex per language and report which phrases matched."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import fold


def phrase_pattern(phrase: str) -> str:
    """Return the regex source for one phrase (folded, `*` = word ending, ends at a word end).

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
    # Lookahead instead of \b so phrases may end with punctuation ("consumidor.gov"); the
    # matching "(?<!\w)" start is added once for the whole alternation by PhraseMatcher.
    return rf"{body}(?!\w)"


class PhraseMatcher:
    """One compiled alternation over (phrase, reason, tag) entries.

    The tag (e.g. "escalation"/"complaint") travels with each reason so several lists can
    share one regex pass. At one position the first listed phrase wins.
    """

    def __init__(self, phrases: Sequence[tuple[str, str, str]]):
        self.phrases = tuple(phrases)
        self._reasons: dict[str, tuple[str, str]] = {}
        # Alternatives are grouped by first character, and the word-start check is done
        # once per group: Python's re does not build a trie, and trying ~80 alternatives
        # at every position made this the slowest step of analyze() (~10x). Only phrases
        # sharing a first character can match at the same position, so the "first listed
        # wins" order is kept inside each group.
        groups: dict[str, list[tuple[str, str]]] = {}
        for index, (phrase, reason, tag) in enumerate(self.phrases):
            name = f"p{index}"
            groups.setdefault(fold(phrase).strip()[0], []).append((name, phrase_pattern(phrase)))
            self._reasons[name] = (reason, tag)
        self._regex = re.compile(_alternation(groups)) if groups else None

    def reasons(self, folded_text: str) -> list[tuple[str, str]]:
        """Return distinct (reason, tag) pairs of phrases found in `folded_text`, text order.

        `folded_text` must already be `text.fold()`-ed (done once per message upstream).
        """
        if self._regex is None or not folded_text:
            return []
        found: dict[tuple[str, str], None] = {}
        for match in self._regex.finditer(folded_text):
            found.setdefault(self._reasons[match.lastgroup or ""], None)
        return list(found)


def _alternation(groups: dict[str, list[tuple[str, str]]]) -> str:
    """Return the regex source matching any grouped (name, pattern) at a word start.

    Each group's first character is written as a plain literal *before* the word-start
    check ("c(?<!\\wc)" instead of "(?<!\\w)(?=c)c"): when every branch starts with a
    literal, re compiles a charset prefix and its C search loop skips positions whose
    character cannot start any phrase, instead of entering the pattern at every
    position (same matches: the lookbehind still tests the character before "c"). A
    group whose first character is not a plain literal (e.g. an optional apostrophe)
    keeps the lookahead form; it is correct, only that speed-up is lost.
    """
    branches = []
    for c, alts in groups.items():
        lit = re.escape(c)
        if c != "'" and all(pattern.startswith(lit) for _, pattern in alts):
            body = "|".join(f"(?P<{name}>{pattern[len(lit):]})" for name, pattern in alts)
            branches.append(f"{lit}(?<!\\w{lit})(?:{body})")
        else:
            body = "|".join(f"(?P<{name}>{pattern})" for name, pattern in alts)
            branches.append(f"(?<!\\w)(?={lit})(?:{body})")
    return "(?:" + "|".join(branches) + ")"


def reference_alternation(phrases: Sequence[tuple[str, str, str]]) -> re.Pattern[str]:
    """The previous (slower) form of the combined regex, same group names; for tests."""
    groups: dict[str, list[str]] = {}
    for index, (phrase, _reason, _tag) in enumerate(phrases):
        groups.setdefault(fold(phrase).strip()[0], []).append(
            f"(?P<p{index}>{phrase_pattern(phrase)})"
        )
    branches = [f"(?={re.escape(c)})(?:{'|'.join(alts)})" for c, alts in groups.items()]
    firsts = "".join(re.escape(c) for c in groups)
    return re.compile(rf"(?<!\w)(?=[{firsts}])(?:" + "|".join(branches) + ")")
