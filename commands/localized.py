"""The command line in the user's language ($REPLYWATCH_LANGUAGE, as the
dashboard's default): each command's help, each option's help and Click's own
words ("Usage:", "Options", "Show this message and exit.") through the gettext
catalogues in locales/.

Help texts are docstrings and ``help=`` strings, which ``pybabel extract``
cannot see: ``scripts/i18n.sh`` first writes them to ``commands/help_text.py``
(:func:`write_help_text`), a list of ``N_()`` entries that
is extracted like any other text; tests/test_pseudo_locale_cli.py checks that
it is current.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

# Babel (replywatch.i18n) is imported only when a text is translated: an English
# `replywatch analyze TEXT` starts without it (docs/performance.md).
LANGUAGE_ENV_VAR = "REPLYWATCH_LANGUAGE"  # = replywatch.i18n.ENV_VAR


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for extraction (translated when shown)."""
    return message


HELP_TEXT = Path(__file__).resolve().parent / "help_text.py"

# Click's own words, as click writes them (click calls gettext for each).
CLICK_TEXT = (
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("required"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("Missing option"),
    N_("Missing argument"),
    N_("Missing command."),
    N_("No such option: {name}"),
    N_("No such command {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Aborted!"),
    N_("%(prog)s, version %(version)s"),
    N_("Got unexpected extra argument ({args})"),
    N_("{value!r} is not one of {choices}."),
    N_("{value!r} is not {choice}."),
)
# The click modules that translate their words with ``gettext.gettext``.
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")


def language() -> str:
    """The command line's language: $REPLYWATCH_LANGUAGE, else English."""
    from replywatch import i18n

    return i18n.default_language()


def _(message: str) -> str:
    """``message`` in the command line's language."""
    from replywatch import i18n

    return i18n.gettext_for(language(), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for ``n``, in the command line's language."""
    from replywatch import i18n

    return i18n.ngettext_for(language(), singular, plural, n)


_state = {"translated": False}


def _english_only() -> bool:
    # Nothing to do for English when nothing was ever translated in this process.
    value = (os.environ.get(LANGUAGE_ENV_VAR) or "").strip().lower()
    return (not value or value.startswith("en")) and not _state["translated"]


def _walk(command: click.Command, *, deep: bool = True) -> Iterator[click.Command]:
    """``command`` and (``deep``) every command under it, lazily loaded ones too."""
    yield command
    if deep and isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _walk(sub)


def _help_parts(text: str) -> tuple[str, str]:
    # Click shows a docstring up to "\f" (the rest is for developers).
    head, cut, tail = text.partition("\f")
    return head.strip(), cut + tail


def _texts(command: click.Command) -> Iterator[tuple[object, str, str]]:
    """(object, attribute, English text) of every help text of ``command``."""
    for attr in ("help", "short_help", "epilog"):
        yield command, attr, getattr(command, attr, None) or ""
    for param in command.params:
        yield param, "help", getattr(param, "help", None) or ""


def translate(root: click.Command, *, deep: bool = True) -> None:
    """Put every help text of ``root`` (``deep``: and of every command under
    it) in the command line's language, and Click's own words too. The English
    texts are kept on the objects, so a later call in another language (tests)
    translates from English again."""
    if _english_only():
        return
    _state["translated"] = True
    for command in _walk(root, deep=deep):
        for obj, attr, current in _texts(command):
            english = obj.__dict__.setdefault(f"_english_{attr}", current)
            if english:
                head, developer = _help_parts(english)
                setattr(obj, attr, _(head) + developer)
        # Click builds --help once per command, its text in the language of the
        # time: built again in this one.
        if hasattr(command, "_help_option"):
            command._help_option = None
    for name in _CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is not None and hasattr(module, "_"):
            module._ = _  # click's `from gettext import gettext as _`


def help_texts(root: click.Command) -> list[str]:
    """Every English help text under ``root``, once each, in a stable order."""
    seen: dict[str, None] = {}
    for command in _walk(root):
        for obj, attr, current in _texts(command):
            english = obj.__dict__.get(f"_english_{attr}", current)
            head = _help_parts(english)[0] if english else ""
            if head:
                seen.setdefault(head, None)
    return list(seen)


def help_text_module(root: click.Command) -> str:
    """The source of ``commands/help_text.py`` for the help texts under ``root``."""
    lines = [
        '"""Generated by scripts/i18n.sh (commands/localized.py, write_help_text):',
        'the command line\'s help texts, for pybabel extract. Do not edit."""',
        "",
        "from replywatch.i18n import N_",
        "",
        "HELP = (",
        *(f"    N_({text!r})," for text in help_texts(root)),
        ")",
        "",
    ]
    return "\n".join(lines)


def write_help_text(root: click.Command) -> None:
    """Write ``commands/help_text.py`` (scripts/i18n.sh, before pybabel extract)."""
    HELP_TEXT.write_text(help_text_module(root), encoding="utf-8")
