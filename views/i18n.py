"""The dashboard's language: the sidebar picker, and ``_`` for page text.

The language is kept in ``st.session_state`` (one browser session); its
default is $REPLYWATCH_LANGUAGE, else the browser's language
(``st.context.locale``), else English. Text and formatting come from
``replywatch.i18n`` (gettext catalogues, Babel).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from replywatch import i18n
from replywatch.i18n import N_
from replywatch.sentiment import reasons as reason_codes

LANGUAGE_KEY = "language"

# Values the store keeps in English and the pages show translated (cells, options):
# marked here so extraction puts them in the catalogue; shown with ``_(value)``.
VALUES = (
    N_("viewer"),
    N_("agent"),
    N_("admin"),
    N_("new"),
    N_("open"),
    N_("replied"),
    N_("closed"),
    N_("spam"),
    N_("ignored"),
    N_("public"),
    N_("private"),
    N_("inbound"),
    N_("outbound"),
    N_("negative"),
    N_("neutral"),
    N_("positive"),
    N_("unscored"),
    N_("day"),
    N_("week"),
    N_("month"),
    N_("complaint"),
    N_("question"),
    N_("thanks"),
    N_("other"),
    # outcomes (metrics.outcomes): recovery labels and how a conversation was resolved
    N_("recovered"),
    N_("unchanged"),
    N_("worsened"),
    N_("silent"),
    N_("customer"),
)

__all__ = [
    "N_",
    "_",
    "current_language",
    "keep",
    "labels",
    "language_picker",
    "ngettext",
    "reason_text",
]


def _browser_language() -> str | None:
    try:
        return st.context.locale  # the browser's navigator.language (Streamlit >= 1.47)
    except Exception:  # noqa: BLE001 - outside a session (bare mode, tests): no browser
        return None


def current_language() -> str:
    """The session's interface language tag ("en", "pt-BR", "pt-PT")."""
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in _choices():
        return chosen
    return i18n.default_language(_browser_language())


def _choices() -> list[str]:
    # The pseudo-locale (the translation check's) is offered only when it was
    # asked for by $REPLYWATCH_LANGUAGE, never to users otherwise.
    extra = [i18n.PSEUDO_LANGUAGE] if i18n.default_language() == i18n.PSEUDO_LANGUAGE else []
    return [*i18n.LANGUAGES, *extra]


def _(message: str) -> str:
    """``message`` in the session's language (English when untranslated)."""
    return i18n.gettext_for(current_language(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the session's language."""
    return i18n.ngettext_for(current_language(), singular, plural, n)


def labels(table: dict[Any, str]) -> Callable[[Any], str]:
    """A widget's format_func from labels already translated in this run:
    Streamlit may call format_func again outside the script run (to restore
    widget state), where the session's language cannot be read. Options missing
    from ``table`` show as themselves."""
    return lambda value: table.get(value, str(value))


def translated(options: Iterable[str]) -> dict[str, str]:
    """option -> its translation, for options that are English words ("open")."""
    return {option: _(option) for option in options}


QUERY_PARAM = "lang"
_KEPT = "_kept_on_switch"  # widget keys whose values outlive a language switch
_SNAPSHOT = "_before_switch"


def keep(key: str) -> str:
    """Mark a page's widget ``key`` as view state to keep across a language
    switch (its labels change, and Streamlit then treats it as a new widget
    with its default value); returns ``key`` for ``key=keep("...")``."""
    st.session_state.setdefault(_KEPT, set()).add(key)
    return key


def _snapshot() -> None:
    # on_change of the picker: the kept widgets' values, before the new labels.
    kept = st.session_state.get(_KEPT, set())
    st.session_state[_SNAPSHOT] = {k: st.session_state[k] for k in kept if k in st.session_state}
    st.query_params[QUERY_PARAM] = st.session_state[LANGUAGE_KEY]


def _restore() -> None:
    # Before any widget of the run after a switch: the values as they were.
    for key, value in st.session_state.pop(_SNAPSHOT, {}).items():
        st.session_state[key] = value


def language_picker() -> None:
    """The sidebar's language selector. The choice lasts for the browser
    session and is kept in the address (``?lang=pt-BR``), so a reload or a
    shared link opens in it; the pages' filters and views (:func:`keep`)
    survive a switch."""
    if st.session_state.get(LANGUAGE_KEY) not in _choices():
        asked = i18n.normalise_language(st.query_params.get(QUERY_PARAM))
        st.session_state[LANGUAGE_KEY] = asked if asked in _choices() else current_language()
    _restore()
    st.sidebar.selectbox(
        ":material/language: " + _("Language"),
        _choices(),
        key=LANGUAGE_KEY,
        format_func=lambda tag: i18n.LANGUAGES.get(tag, tag),
        on_change=_snapshot,
    )
    if st.query_params.get(QUERY_PARAM) != st.session_state[LANGUAGE_KEY]:
        st.query_params[QUERY_PARAM] = st.session_state[LANGUAGE_KEY]


def reason_text(codes: Iterable[str] | None, english: Iterable[str], message_language) -> str:
    """A message's urgency reasons as one line, in the message's language when it
    is Portuguese, else in the interface language."""
    language = reason_codes.display_language(message_language, current_language())
    shown = reason_codes.texts(reason_codes.stored_codes(codes, english), language)
    return "; ".join(shown)


# Formatting in the session's language (replywatch.i18n, Babel).
def number(value, digits: int = 0, signed: bool = False) -> str:
    """A number as the session's locale writes it."""
    return i18n.number(value, current_language(), digits=digits, signed=signed)


def percent(value, digits: int = 0) -> str:
    """A 0..1 fraction as a percentage in the session's locale."""
    return i18n.percent(value, current_language(), digits=digits)


def duration(seconds) -> str:
    """A duration in the session's locale ("2 h 10 min")."""
    return i18n.duration(seconds, current_language())
