#!/bin/sh
# Refresh the translation template and catalogues after changing interface text:
#   scripts/i18n.sh            extract locales/replywatch.pot, update every .po
#   scripts/i18n.sh init xx_YY start a new language (then add it to i18n.LANGUAGES)
# Translate the new or changed entries (msgstr, and remove "fuzzy" marks) with any
# gettext tool (Poedit, Lokalize, a text editor); tests/test_i18n.py checks that
# every entry is translated. No compile step: replywatch reads the .po with Babel.
set -eu
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
PYTHON="${PYTHON:-.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
# The command line's help texts (docstrings, help=) as N_() entries pybabel can see.
"$PYTHON" -c "from replywatch.cli import main; from replywatch.commands import localized; localized.write_help_text(main)"
"$PYBABEL" extract -F babel.cfg --no-location --sort-output --omit-header \
    --add-comments=Translators: -o locales/replywatch.pot .
if [ "${1:-}" = "init" ]; then
    "$PYBABEL" init -i locales/replywatch.pot -d locales -D replywatch -l "$2"
else
    "$PYBABEL" update -i locales/replywatch.pot -d locales -D replywatch \
        --no-fuzzy-matching --ignore-obsolete
fi
