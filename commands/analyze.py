"""``replywatch analyze``: the sentiment and urgency of one text, or of a CSV column.

Scripts and agents call it one text at a time, so this module imports only
click at load time, and the command only the scorer (``replywatch.sentiment``)
for one text: no store, no sqlite-utils, no rich, no pipeline (the CSV path
imports what it needs itself). ``benchmarks/analyze_startup.py`` measures it
against a one-line VADER script (docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from replywatch.sentiment.analysis import Analysis


@click.command()
@click.argument("text", required=False)
@click.option(
    "--input",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Score every row of this CSV file instead of TEXT.",
)
@click.option("--column", help="CSV column holding the text (with --input).")
@click.option("--language-column", help="Optional CSV column with a language tag.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the scored CSV here (default: standard output).",
)
@click.option("--language", type=click.Choice(["en", "pt"]), help="Skip language detection.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use this store's model (learned from its labels) where it beats the rules.",
)
def analyze(
    text: str | None,
    input_path: Path | None,
    column: str | None,
    language_column: str | None,
    output: Path | None,
    language: str | None,
    db_path: Path | None,
) -> None:
    """Score the sentiment and urgency of TEXT, or of a CSV column (adds columns).
    With --db, the store's model decides intent and urgent where it beats the
    rules (docs/sentiment.md, "Learning from the team")."""
    # Without --db nothing of the store is loaded (and never scikit-learn);
    # with --db, scikit-learn only when the store has an active model.
    learned = _store_model(db_path) if db_path is not None else None
    if input_path is not None:
        _analyze_file(input_path, column, output, language_column, learned)
        return
    if text is None:
        raise click.UsageError("give TEXT or --input FILE.csv --column NAME")
    from replywatch.sentiment import analyze as analyze_text

    analysis = analyze_text(text, language=language)
    if learned is not None:
        analysis = learned([analysis], [text])[0]
    click.echo(format_analysis(analysis))


def _store_model(db_path: Path):
    """The store's active model as ``cli_support.Learned`` (None: no model,
    the rules decide, and scikit-learn is never imported)."""
    from replywatch.commands.options import open_existing
    from replywatch.scoring import active_model
    from replywatch.sentiment.core import default_rules

    found = active_model(open_existing(db_path))
    if found is None:
        return None
    threshold = default_rules().threshold
    return lambda analyses, texts: found[1].apply(analyses, texts, threshold=threshold)


def _analyze_file(
    input_path: Path,
    column: str | None,
    output: Path | None,
    language_column: str | None,
    learned=None,
) -> None:
    from replywatch.cli_support import analyze_csv
    from replywatch.commands.options import console

    if not column:
        raise click.UsageError("--input needs --column")
    try:
        rows = analyze_csv(
            input_path, column, output, language_column=language_column, learned=learned
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    from replywatch.commands.localized import _, language
    from replywatch.i18n import number

    shown = _("scored {count} rows").format(count=number(rows, language()))
    console.print(shown + (f" -> {output}" if output else ""))


def format_analysis(a: Analysis, ui_language: str | None = None) -> str:
    """Return a short multi-line, plain-text summary of `a` for the terminal,
    in `ui_language` (default: $REPLYWATCH_LANGUAGE, else English): labels,
    the score with the locale's decimal mark, the reasons in the message's
    language when it is Portuguese."""
    from replywatch import i18n
    from replywatch.commands.localized import N_
    from replywatch.sentiment.reasons import display_language
    from replywatch.sentiment.reasons import texts as reason_texts

    language = ui_language or i18n.default_language()

    def t(message: str) -> str:
        return i18n.gettext_for(language, message)

    flag = t(N_("URGENT")) if a.urgent else t(N_("not urgent"))
    compound = i18n.number(a.compound, language, digits=2, signed=True)
    lines = [
        t(N_("language:  {language} ({source})")).format(
            language=a.language, source=t(a.language_source)
        ),
        t(N_("sentiment: {label} ({compound})")).format(label=t(a.label), compound=compound),
        t(N_("urgency:   {urgency}/100 - {flag}")).format(urgency=a.urgency, flag=flag),
        t(N_("scorer:    {scorer}")).format(scorer=a.scorer),
    ]
    reader = display_language(a.language, language)
    if any(c.startswith("learned") for c in a.intent_reasons):
        # The store's model decided (analyze --db): say so, with its words.
        from replywatch.sentiment.intent import intent_name, reason_text

        lines.append(t(N_("intent:    {intent}")).format(intent=intent_name(a.intent, language)))
        lines.extend(f"  - {reason_text(c, reader)}" for c in a.intent_reasons)
    if a.reasons:
        lines.append(t(N_("reasons:")))
        lines.extend(f"  - {r}" for r in reason_texts(a.reason_codes, reader))
    if a.truncated:
        lines.append(t(N_("note: long text, only its beginning was analysed")))
    return "\n".join(lines)


def _language_sources() -> tuple[str, ...]:
    """How the language of a text was chosen (Analysis.language_source): marked
    for translation (shown through gettext in :func:`format_analysis`)."""
    from replywatch.commands.localized import N_

    return (N_("detected"), N_("caller"), N_("empty"))
