"""Language-neutral reason codes and their text in each language.

Every reason the scorer gives is a *code*; the text a person reads is made from the
code when it is shown, in that person's language. Stored scores keep the codes
(``scores.reason_codes``), so changing a wording, or adding a language, needs no
rescore.

A code is a string: a name (``refund``), or a name and arguments separated by ``:``
(``followers:12300``, ``sla_breached:7200:3600``); the last argument may itself hold
``:`` (``custom:see: the note``). How to add a reason (urgency here, intent reasons
in the same way):

1. add ``"name": N_("English text with {0} {1} for the arguments")`` to ``REASONS``
   (numbers and durations among the arguments are formatted per language in
   ``_format_argument``);
2. use the code (``"name"`` or ``code("name", arg)``) where the reason is produced;
3. run ``scripts/i18n.sh`` (extract + update) and translate the new entry in
   ``locales/pt_BR`` and ``locales/pt_PT``; ``tests/test_i18n.py`` fails until both
   have it.

Portuguese messages read their reasons in Portuguese whatever the interface language
(``display_language``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from replywatch import i18n
from replywatch.i18n import N_

#: code name -> English text (the gettext msgid; translations in locales/).
REASONS: dict[str, str] = {
    # escalation phrases
    "lawyer": N_("mentions a lawyer"),
    "sue": N_("threatens to sue"),
    "legal_action": N_("threatens legal action"),
    "chargeback": N_("mentions a chargeback"),
    "bbb": N_("mentions the Better Business Bureau"),
    "regulator": N_("mentions a regulator"),
    "scam": N_("calls it a scam"),
    "fraud": N_("alleges fraud"),
    "report_brand": N_("threatens to report the brand"),
    "procon": N_("mentions Procon"),
    "reclame_aqui": N_("mentions Reclame Aqui"),
    # complaint phrases
    "refund": N_("asks for a refund"),
    "cancel": N_("wants to cancel"),
    "cancellation": N_("mentions a cancellation"),
    "never_arrived": N_("order never arrived"),
    "where_is_order": N_("asks where their order is"),
    "still_waiting": N_("still waiting"),
    "update_request": N_("asks for an update"),
    "no_response": N_("got no response"),
    "on_hold": N_("stuck on hold"),
    "billing_error": N_("billing error"),
    "wrong_item": N_("wrong item"),
    "damaged": N_("item damaged or broken"),
    "lost": N_("something was lost"),
    "missing": N_("something is missing"),
    "delay": N_("mentions a delay"),
    "not_working": N_("says it is not working"),
    "cannot_log_in": N_("cannot log in"),
    "unacceptable": N_("says it is unacceptable"),
    "manager": N_("asks for a manager"),
    "never_again": N_("says never again"),
    "file_complaint": N_("wants to file a complaint"),
    "cannot_reach_support": N_("cannot reach support"),
    "rebook": N_("needs to rebook or reschedule"),
    "stuck": N_("is stuck"),
    "wrong_information": N_("no or wrong information"),
    "support_no_help": N_("says support was no help"),
    "human_agent": N_("asks for a human agent"),
    "no_one_helped": N_("says no one helped"),
    "customer_service": N_("mentions customer service"),
    "joke": N_("calls the service a joke"),
    "not_solved": N_("says the problem is not solved"),
    "dissatisfied": N_("says they are dissatisfied"),
    "too_slow": N_("says it is too slow"),
    # praise phrases (they discount complaints; never shown as reasons on their own)
    "thanks": N_("thanks"),
    "praise": N_("praise"),
    "solved": N_("says it is solved"),
    # rules
    "spam": N_("marked as spam: never urgent"),
    "brand_author": N_("posted by the brand itself: never urgent"),
    "negative": N_("negative ({0})"),
    "very_negative": N_("very negative ({0})"),
    "praise_discount": N_("positive and thanks or praises: complaint phrases not counted"),
    "public": N_("public post: everyone can see it"),
    "followers": N_("author has {0} followers"),
    "unanswered": N_("{0} unanswered message from this customer"),
    "sla_breached": N_("waiting {0}, SLA {1} breached"),
    # a brand's own phrase (replywatch.toml): the phrase, or the brand's own words
    "phrase": N_('mentions "{0}"'),
    "custom": "{0}",
    # a decision of the store's own model (sentiment/learned.py): the words that weighed most
    "learned": N_("learned: {0}"),
    "learned_labels": N_("learned from the team's labels"),
}


def _arity(name: str) -> int:
    return len(set(re.findall(r"\{(\d+)\}", REASONS[name])))


_PLAIN = {name for name, english in REASONS.items() if "{" not in english}


def code(name: str, *args: object) -> str:
    """The code for reason ``name`` with ``args`` ("followers", 12300 -> "followers:12300")."""
    if name not in REASONS:
        raise KeyError(f"unknown reason code {name!r}")
    return ":".join([name, *(str(a) for a in args)])


def split(reason_code: str) -> tuple[str, list[str]]:
    """(name, arguments) of a code; an unknown name is kept as custom text."""
    name, _, rest = reason_code.partition(":")
    if name not in REASONS:
        return "custom", [reason_code]
    arity = _arity(name)
    args = rest.split(":", arity - 1) if arity else []
    if len(args) != arity:
        return "custom", [reason_code]
    return name, args


def display_language(message_language: str | None, ui_language: str | None) -> str:
    """The language a message's reasons are read in: Portuguese for a Portuguese
    message whatever the interface (the interface's variant when it is pt-PT),
    else the interface language."""
    ui = i18n.normalise_language(ui_language) or i18n.DEFAULT_LANGUAGE
    if ui == i18n.PSEUDO_LANGUAGE:
        return ui  # the translation check reads every reason marked
    if (message_language or "").lower().startswith("pt") and not ui.startswith("pt"):
        return "pt-BR"
    return ui


def text(reason_code: str, language: str | None = None) -> str:
    """The text of one reason code in ``language`` (English by default)."""
    if reason_code in _PLAIN and (language is None or language == "en"):
        return REASONS[reason_code]  # the scorer's hot path: English, no arguments
    name, args = split(reason_code)
    if name == "custom":
        return args[0]
    template = i18n.gettext_for(language, REASONS[name])
    shown = [_format_argument(name, i, a, language) for i, a in enumerate(args)]
    return template.format(*shown)


def texts(codes: Iterable[str], language: str | None = None) -> list[str]:
    """:func:`text` of each code."""
    return [text(c, language) for c in codes]


def _format_argument(name: str, index: int, raw: str, language: str | None) -> str:
    english = i18n.locale_id(language) == "en"
    try:
        if name in ("negative", "very_negative"):
            value = float(raw)
            return f"{value:.2f}" if english else i18n.number(value, language, digits=2)
        if name == "followers":
            value = int(raw)
            return f"{value:,}" if english else i18n.number(value, language)
        if name == "unanswered":
            return ordinal(int(raw), language)
        if name == "sla_breached":
            seconds = float(raw)
            return i18n.compact_duration(seconds) if english else i18n.duration(seconds, language)
    except ValueError:
        pass  # a hand-edited code: show the raw argument rather than fail
    return raw


def ordinal(n: int, language: str | None = None) -> str:
    """ "1st", "2nd", "3rd", "11th" in English; "3ª" (pt-BR) / "3.ª" (pt-PT) for
    the feminine "mensagem"."""
    loc = i18n.locale_id(language)
    if loc == "pt_BR":
        return f"{n}ª"
    if loc == "pt_PT":
        return f"{n}.ª"
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- scores stored before reason codes existed -----------------------------------

_STATIC = {english: name for name, english in REASONS.items() if "{" not in english}
_PATTERNS = (
    (re.compile(r"(very negative|negative) \((-?\d+\.\d+)\)"), None),
    (re.compile(r"author has ([\d,]+) followers"), "followers"),
    (re.compile(r"(\d+)(?:st|nd|rd|th) unanswered message from this customer"), "unanswered"),
    (re.compile(r'mentions "(.*)"'), "phrase"),
)
_DURATION = re.compile(r"waiting (\S+(?: \S+)?), SLA (\S+(?: \S+)?) breached")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def code_for_text(english: str) -> str:
    """The code of an English reason text (scores stored before codes, brand phrases):
    a known wording -> its code, anything else -> ``custom:<text>``."""
    if english in _STATIC:
        return _STATIC[english]
    for pattern, name in _PATTERNS:
        match = pattern.fullmatch(english)
        if not match:
            continue
        if name is None:
            kind = "very_negative" if match.group(1) == "very negative" else "negative"
            return code(kind, match.group(2))
        if name == "followers":
            return code(name, match.group(1).replace(",", ""))
        return code(name, match.group(1))
    match = _DURATION.fullmatch(english)
    if match:
        seconds = [_parse_compact(g) for g in match.groups()]
        if None not in seconds:
            return code("sla_breached", *seconds)
    return code("custom", english)


def _parse_compact(value: str) -> int | None:
    total = 0
    for part in value.split():
        unit = _UNIT.get(part[-1:])
        if unit is None or not part[:-1].isdigit():
            return None
        total += int(part[:-1]) * unit
    return total


def codes_for_texts(english: Iterable[str]) -> list[str]:
    """:func:`code_for_text` of each text."""
    return [code_for_text(t) for t in english]


def stored_codes(codes: Iterable[str] | None, english: Iterable[str]) -> list[str]:
    """A score's reason codes: ``codes`` as stored, or (None: a score made before
    codes were stored) derived from its English texts."""
    if codes is not None:
        return [str(c) for c in codes]
    return codes_for_texts(str(t) for t in english)
