"""Compile phrase lists into one regex per language and report which phrases matched."""

from __future__ import annotations

import re
from collections.abc import Sequence

from replywatch.sentiment.text import fold

# A phrase (folded, wildcard removed) that ends with a word character.
_WORD_END = re.compile(r"\w$")


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
        groups: dict[str, list[tuple[str, str, str]]] = {}
        for index, (phrase, reason, tag) in enumerate(self.phrases):
            name = f"p{index}"
            folded = fold(phrase).strip()
            # First word without apostrophes (they are optional in the pattern) and
            # without the wildcard: used to cluster alternatives (see _clustered).
            key = folded.rstrip("*").split()[0].replace("'", "")
            groups.setdefault(folded[0], []).append((name, phrase_pattern(phrase), key))
            self._reasons[name] = (reason, tag)
        # The boundary form (see _boundary_alternation) needs every phrase to end with a
        # word character; a brand phrase such as "wow!" keeps the word-start form.
        self._boundary = bool(groups) and all(
            _WORD_END.search(fold(phrase).strip().rstrip("*").strip())
            for phrase, _reason, _tag in self.phrases
        )
        if not groups:
            self._regex = None
        elif self._boundary:
            self._regex = re.compile(_boundary_alternation(groups))
        else:
            self._regex = re.compile(_alternation(groups))

    def reasons(self, folded_text: str) -> list[tuple[str, str]]:
        """Return distinct (reason, tag) pairs of phrases found in `folded_text`, text order.

        `folded_text` must already be `text.fold()`-ed (done once per message upstream).
        """
        if self._regex is None or not folded_text:
            return []
        found: dict[tuple[str, str], None] = {}
        text = " " + folded_text if self._boundary else folded_text
        for match in self._regex.finditer(text):
            found.setdefault(self._reasons[match.lastgroup or ""], None)
        return list(found)

    def spans(self, folded_text: str) -> list[tuple[str, tuple[int, int]]]:
        """Return (group name, span in `folded_text`) of every match, text order: what
        `reference_alternation(phrases).finditer` finds (the tests compare them)."""
        if self._regex is None:
            return []
        if not self._boundary:
            return [(m.lastgroup or "", m.span()) for m in self._regex.finditer(folded_text)]
        # The match includes the boundary character before the phrase, and the text
        # has one leading space: its start is the phrase's start in `folded_text`.
        return [
            (m.lastgroup or "", (m.start(), m.end() - 1))
            for m in self._regex.finditer(" " + folded_text)
        ]


def _alternation(groups: dict[str, list[tuple[str, str, str]]]) -> str:
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
        if c != "'" and all(pattern.startswith(lit) for _, pattern, _ in alts):
            body = _clustered([(name, pattern[len(lit) :], key) for name, pattern, key in alts])
            branches.append(f"{lit}(?<!\\w{lit})(?:{body})")
        else:
            body = "|".join(f"(?P<{name}>{pattern})" for name, pattern, _ in alts)
            branches.append(f"(?<!\\w)(?={lit})(?:{body})")
    return "(?:" + "|".join(branches) + ")"


def _boundary_alternation(groups: dict[str, list[tuple[str, str, str]]]) -> str:
    """Return the regex source matching any grouped (name, pattern) right after a
    non-word character (``\\W``), for texts given with one leading space.

    Same matches as :func:`_alternation` (at the same phrase starts, the same phrase
    wins), found faster: re's search loop only enters the pattern at non-word
    characters (spaces, punctuation: about one character in five) instead of at
    every character that can start a phrase (most letters, nearly all inside
    words). Exactness: a phrase starts at a word start exactly when the character
    before it is a non-word character or it starts the text (the added space).
    Consuming that character cannot hide a match: the next search starts where a
    match ended, right after the phrase's last character, which is a word
    character for every phrase (PhraseMatcher checks it, else uses
    :func:`_alternation`), so no phrase could start there anyway.
    """
    branches = []
    for c, alts in groups.items():
        lit = re.escape(c)
        if c != "'" and all(pattern.startswith(lit) for _, pattern, _ in alts):
            body = _clustered([(name, pattern[len(lit) :], key) for name, pattern, key in alts])
            branches.append(f"{lit}(?:{body})")
        else:
            body = "|".join(f"(?P<{name}>{pattern})" for name, pattern, _ in alts)
            branches.append(f"(?={lit})(?:{body})")
    return r"\W(?:" + "|".join(branches) + ")"


def _clustered(alts: list[tuple[str, str, str]]) -> str:
    """Return the alternation of (name, pattern, first-word key) with alternatives that
    share a first word tried together under their common literal prefix.

    Exactness: two phrases whose first words (apostrophes removed) are not prefixes of
    one another can never match at the same position (the text would have to spell both
    words), so only the order *within* a cluster of prefix-related first words matters
    ("cancel my" before "cancel*"); that order is kept, and clusters are mutually
    exclusive, so their order does not matter. Same matches as the flat alternation,
    but re rejects a whole cluster on its first differing letter instead of trying each
    phrase (1.2.0 doubled the phrase lists; checked against `reference_alternation`).
    """
    clusters: list[list[tuple[str, str, str]]] = []
    for alt in alts:
        related = [
            cl
            for cl in clusters
            if any(k.startswith(alt[2]) or alt[2].startswith(k) for _, _, k in cl)
        ]
        merged = [a for cl in related for a in cl] + [alt]
        merged.sort(key=lambda a: int(a[0][1:]))  # names are p<index>: original order
        clusters = [cl for cl in clusters if not any(cl is r for r in related)] + [merged]
    out = []
    for cl in clusters:
        prefix = _literal_prefix([pattern for _, pattern, _ in cl])
        body = "|".join(f"(?P<{name}>{pattern[len(prefix) :]})" for name, pattern, _ in cl)
        out.append(f"{prefix}(?:{body})" if prefix else body)
    return "|".join(out)


def _literal_prefix(patterns: list[str]) -> str:
    """Longest common prefix of regex sources made only of letters/digits and not
    followed by a quantifier in any of them (so cutting there keeps each regex intact)."""
    first = patterns[0]
    n = 0
    while (
        n < len(first)
        and first[n].isalnum()
        and all(len(p) > n and p[n] == first[n] for p in patterns)
    ):
        n += 1
    while n and any(len(p) > n and p[n] in "?*+{" for p in patterns):
        n -= 1
    # Never consume a whole pattern: every branch keeps its named group non-empty.
    while n and any(len(p) == n for p in patterns):
        n -= 1
    return first[:n]


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
