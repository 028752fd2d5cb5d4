"""Languages of the interface: gettext catalogues and Babel formatting.

No Streamlit here (the CLI, the exports and the urgency reasons use it too);
``views/i18n.py`` binds it to the dashboard's session.

* Languages are the tags users type (``en``, ``pt-BR``, ``pt-PT``); Babel and
  the catalogue folders use locale ids (``en``, ``pt_BR``, ``pt_PT``).
* Translations live in ``locales/<locale>/LC_MESSAGES/replywatch.po`` (template
  ``locales/replywatch.pot``, extracted with ``pybabel extract``; see
  docs/dashboard.md). The ``.po`` files are compiled in memory with Babel the
  first time a language is used, so there is no build step and no stale
  ``.mo``: a missing, empty or fuzzy translation falls back to the English
  text, never to a key.
* Formatting (numbers, percentages, dates, weekdays, durations, relative ages)
  is Babel's CLDR data for the locale, never hand-written rules; English keeps
  the one compact duration form (:func:`compact_duration`: "3h 5m").
"""

from __future__ import annotations

import gettext
import io
import os
import re
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "replywatch"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
#: The interface languages, in picker order: tag -> name in its own language.
LANGUAGES = {"en": "English", "pt-BR": "Português (Brasil)", "pt-PT": "Português (Portugal)"}
DEFAULT_LANGUAGE = "en"
ENV_VAR = "REPLYWATCH_LANGUAGE"
#: The pseudo-locale of the translation check (tests/test_pseudo_locale.py): not
#: offered to users; every catalogue string comes back marked ("⟦Tŕíáǵé⟧") and
#: numbers, dates and durations are formatted as in pt-BR (decimal comma), so any
#: visible text that skipped ``_()`` or the formatting helpers stands out.
PSEUDO_LANGUAGE = "qps-ploc"
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction without translating it (translated later)."""
    return message


def normalise_language(value: str | None) -> str | None:
    """The supported tag for ``value`` ("pt_br", "pt-BR", "pt-br;q=0.9", "pt",
    "en-US" ...), or None when it is not one replywatch speaks. Bare "pt" is
    Brazilian Portuguese, as in CLDR."""
    if not value:
        return None
    tag = value.split(",")[0].split(";")[0].strip().replace("_", "-").lower()
    if tag == PSEUDO_LANGUAGE:
        return PSEUDO_LANGUAGE
    if tag in ("pt", "pt-br"):
        return "pt-BR"
    if tag.startswith("pt-"):
        return "pt-PT"  # pt-PT, pt-AO, pt-MZ ... write European Portuguese
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


def parse_language(value: str) -> str:
    """``value`` as a supported tag; ValueError naming the choices otherwise."""
    tag = normalise_language(value)
    if tag is None:
        raise ValueError(f"unknown language {value!r}; choose one of {', '.join(LANGUAGES)}")
    return tag


def default_language(browser: str | None = None) -> str:
    """$REPLYWATCH_LANGUAGE, else the browser's language, else English."""
    return (
        normalise_language(os.environ.get(ENV_VAR))
        or normalise_language(browser)
        or DEFAULT_LANGUAGE
    )


def locale_id(language: str | None) -> str:
    """Babel locale id for a language tag: "pt-BR" -> "pt_BR"; English otherwise
    (the pseudo-locale formats as pt-BR)."""
    tag = normalise_language(language) or DEFAULT_LANGUAGE
    return "pt_BR" if tag == PSEUDO_LANGUAGE else tag.replace("-", "_")


# Letters get an accent so that a marked string still reads, and text that skipped
# the catalogue (plain ASCII) is easy to tell apart.
_ACCENTS = str.maketrans("aceinorsuyzAEIOUCNSYZ", "áçéíñóŕšúýžÁÉÍÓÚÇÑŠÝŽ")
# Left as they are: format fields ({n}, {name!r}, %(x)s, %s), Streamlit icons
# (:material/x:), Markdown link targets and HTML/entity markup.
_KEEP = re.compile(r"\{[^{}]*\}|%\(\w+\)[sd]|%[sd]|:material/\w+:|\]\([^)]*\)|<[^>]*>|&\w+;")


def pseudo(message: str) -> str:
    """``message`` marked for the pseudo-locale: "Triage" -> "⟦Tŕíáǵé⟧"."""
    if not message:
        return message
    out, last = [], 0
    for match in _KEEP.finditer(message):
        out.append(message[last : match.start()].translate(_ACCENTS))
        out.append(match.group())
        last = match.end()
    out.append(message[last:].translate(_ACCENTS))
    return PSEUDO_OPEN + "".join(out) + PSEUDO_CLOSE


class PseudoTranslations(gettext.NullTranslations):
    """The pseudo-locale's catalogue: every message of the template
    (locales/replywatch.pot) marked (:func:`pseudo`); a message that is not in
    the template (never extracted: scripts/i18n.sh was not run, or the text is
    built where pybabel cannot see it) stays unmarked, so the check finds it."""

    def __init__(self) -> None:
        super().__init__()
        with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as handle:
            template = read_po(handle)
        self.known = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}

    def _mark(self, message: str, key: str) -> str:
        return pseudo(message) if key in self.known else message

    def gettext(self, message: str) -> str:
        return self._mark(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._mark(msgid1 if n == 1 else msgid2, msgid1)

    def pgettext(self, context: str, message: str) -> str:
        return self._mark(message, message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._mark(msgid1 if n == 1 else msgid2, msgid1)


@cache
def translations(language: str | None) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: no catalogue, msgids as is)."""
    if normalise_language(language) == PSEUDO_LANGUAGE:
        return PseudoTranslations()
    loc = locale_id(language)
    path = LOCALES_DIR / loc / "LC_MESSAGES" / f"{DOMAIN}.po"
    if loc == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=loc, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)  # untranslated/fuzzy entries are left out
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str | None, message: str) -> str:
    """``message`` translated into ``language`` (English when no translation)."""
    return translations(language).gettext(message)


def ngettext_for(language: str | None, singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, translated into ``language``."""
    return translations(language).ngettext(singular, plural, n)


# --- formatting (Babel) ---------------------------------------------------------


def _shown(text: str, language: str | None) -> str:
    # Formatted words (month and unit names) count as catalogue text in the
    # pseudo-locale: marked, so the check can tell them from text that skipped
    # the helpers ("Nov 8", "2026-12-07", "3 days").
    if normalise_language(language) == PSEUDO_LANGUAGE:
        return PSEUDO_OPEN + text + PSEUDO_CLOSE
    return text


def _locale(language: str | None) -> Locale:
    try:
        return Locale.parse(locale_id(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def number(
    value: float | int | None, language: str | None, *, digits: int = 0, signed: bool = False
) -> str:
    """1234.5 -> "1,234.5" (en) / "1.234,5" (pt); ``signed`` adds "+" to positive
    values; "—" for None."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return babel_numbers.format_decimal(value, format=pattern, locale=_locale(language))


def language_name(code: str | None, language: str | None) -> str:
    """The name of a message's language ("pt", "en") in ``language``
    ("português", "inglês"; Babel's CLDR names); the code itself when Babel
    does not know it."""
    if not code:
        return "—"
    if code == "und":  # the scorer's "undetermined" (empty or unreadable text)
        return gettext_for(language, N_("undetermined"))
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_locale(language))
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return _shown(name or code, language)


def plotly_separators(language: str | None) -> str:
    """Plotly's ``layout.separators`` for the locale: its decimal mark, then its
    group mark ("." "," in English; "," "." in pt-BR; "," and a narrow space in
    pt-PT), so chart ticks and hovers read like the rest of the page."""
    symbols = _locale(language).number_symbols.get("latn", {})
    if not symbols:  # older Babel: symbols not keyed by numbering system
        symbols = _locale(language).number_symbols
    return symbols["decimal"] + symbols["group"]


def percent(value: float | None, language: str | None, *, digits: int = 0) -> str:
    """A 0..1 fraction as a percentage: 0.25 -> "25%" / "25 %" as the locale writes it."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return babel_numbers.format_percent(value, format=pattern, locale=_locale(language))


def format_date(value: date | datetime, language: str | None, fmt: str = "medium") -> str:
    """A date in the locale's ``short``/``medium``/``long`` form (or a CLDR pattern)."""
    return _shown(babel_dates.format_date(value, format=fmt, locale=_locale(language)), language)


def format_datetime(value: datetime, language: str | None, fmt: str = "short") -> str:
    """A date and time in the locale's form (``value``'s own time zone)."""
    shown = babel_dates.format_datetime(
        value, format=fmt, tzinfo=value.tzinfo, locale=_locale(language)
    )
    return _shown(shown, language)


def weekday(value: date | int, language: str | None, width: str = "abbreviated") -> str:
    """Weekday name: a date, or 0=Monday..6=Sunday -> "Mon" / "seg." ..."""
    index = value if isinstance(value, int) else value.weekday()
    return _shown(_locale(language).days["format"][width][index], language)


def weekday_names(language: str | None, width: str = "abbreviated") -> list[str]:
    """The seven weekday names, Monday first."""
    return [weekday(i, language, width) for i in range(7)]


def duration_parts(seconds: float | int) -> list[tuple[str, int]]:
    """The units a duration is shown in, in every language: ``seconds`` rounded
    to the nearest second (its size; the sign is the caller's), then seconds
    alone under a minute, else the two largest adjacent units (days and hours,
    hours and minutes, or minutes) with a zero second part left out:
    3900 -> [("hour", 1), ("minute", 5)], 86400 -> [("day", 1)]."""
    total = abs(int(round(seconds)))
    if total < 60:
        return [("second", total)]
    minutes = total // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return [("day", days)] + ([("hour", hours)] if hours else [])
    if hours:
        return [("hour", hours)] + ([("minute", minutes)] if minutes else [])
    return [("minute", minutes)]


_COMPACT_UNITS = {"day": "d", "hour": "h", "minute": "m", "second": "s"}


def compact_duration(seconds: float | int | None, *, missing: str = "—") -> str:
    """The one short English duration, used everywhere (dashboard and CLI
    tables, urgency reasons, the triage queue): "45s", "12m", "1h", "1h 5m",
    "3d", "3d 4h" (units: :func:`duration_parts`). Other languages:
    :func:`duration`, the same units in Babel's words. ``missing`` for None; a
    negative duration keeps its sign ("-5m") so that a data error stays
    visible."""
    if seconds is None:
        return missing
    sign = "-" if round(seconds) < 0 else ""
    return sign + " ".join(f"{n}{_COMPACT_UNITS[unit]}" for unit, n in duration_parts(seconds))


def duration(seconds: float | int | None, language: str | None, *, missing: str = "—") -> str:
    """A duration in ``language``: the units of :func:`duration_parts`, each in
    Babel's short unit form ("2 h 10 min", "0 s", "40 dias"); English is
    :func:`compact_duration` ("2h 10m"). ``missing`` for None."""
    if seconds is None:
        return missing
    if locale_id(language) == "en":
        return compact_duration(seconds, missing=missing)
    sign = "-" if round(seconds) < 0 else ""
    loc = _locale(language)
    shown = sign + " ".join(
        babel_units.format_unit(amount, f"duration-{unit}", length="short", locale=loc)
        for unit, amount in duration_parts(seconds)
    )
    return _shown(shown, language)


def relative_age(then: datetime, now: datetime, language: str | None) -> str:
    """How long ago: "3 days ago" / "há 3 dias" (Babel's rounding to one unit)."""
    shown = babel_dates.format_timedelta(
        then - now, add_direction=True, threshold=1, locale=_locale(language)
    )
    return _shown(shown, language)


def relative_seconds(seconds: float, language: str | None) -> str:
    """``relative_age`` for an age in seconds."""
    now = datetime(2000, 1, 1)
    return relative_age(now - timedelta(seconds=max(0, seconds)), now, language)
