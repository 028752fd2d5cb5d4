"""The ``replywatch`` command: a thin layer over the library modules.

Each command reads its options, makes one call into the library and prints
the result; the work itself (and everything a test needs to check) lives in
the library, as in sqlite-utils. The commands live in ``commands/``, one
module per group (shared options such as ``--db`` in ``commands/options.py``);
this module only assembles them under ``main``. A new command goes in
``commands/<group>.py`` and is registered in :data:`COMMANDS` here. Commands whose library pulls
in the scorer's lexicons, the collectors' API clients, apprise or bcrypt import
it inside the command, so ``replywatch --help`` and the light commands start
without them (docs/performance.md has the start-up figures).
"""

from __future__ import annotations

import importlib
import sys

import click

from replywatch.commands import localized

#: Command name -> (module of ``replywatch.commands``, attribute). A command's
#: module is imported only when that command runs (or ``--help`` lists them
#: all): ``replywatch analyze TEXT`` then loads click and the scorer, not the
#: store, sqlite-utils, rich or the dashboard launcher the other commands need
#: (docs/performance.md, "replywatch analyze").
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("imports", "import_group"),
    "analyze": ("analyze", "analyze"),
    "rescore": ("imports", "rescore"),
    "labels": ("learning", "labels_group"),
    "model": ("learning", "model_group"),
    "demo": ("serve", "demo"),
    "collect": ("collect", "collect"),
    "channels": ("collect", "channels_command"),
    "webhooks": ("webhooks", "webhooks_group"),
    "hash-password": ("data", "hash_password_command"),
    "dashboard": ("serve", "dashboard"),
    "stats": ("reports", "stats"),
    "report": ("reports", "report"),
    "export": ("reports", "export_group"),
    "recompute": ("reports", "recompute"),
    "alerts": ("alerts", "alerts_group"),
    "backup": ("data", "backup"),
    "restore": ("data", "restore"),
    "forget": ("data", "forget"),
    "export-subject": ("data", "export_subject_command"),
    "prune": ("data", "prune"),
}


class _Main(click.Group):
    """The command group: commands load on first use (:data:`COMMANDS`), and
    a database that cannot be used as asked (missing, not a database,
    corrupt, read-only) is one line of error, not a traceback, whichever
    command met it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"replywatch.commands.{module}"), attribute)
            self.add_command(command, cmd_name)
        command = self.commands.get(cmd_name)
        if command is not None:  # its help in $REPLYWATCH_LANGUAGE (commands/localized.py)
            localized.translate(command)
        return command

    def main(self, *args, **kwargs):
        # The group's own help and Click's words in $REPLYWATCH_LANGUAGE; each
        # command is translated when it loads (get_command).
        localized.translate(self, deep=False)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            error = _database_error(exc)
            if error is None:
                raise
            raise click.ClickException(str(error)) from exc


def _database_error(exc: Exception) -> Exception | None:
    """``exc`` as the store's "database cannot be used" error (missing, not a
    database, corrupt, read-only), or None for anything else. The store
    classifies (only it knows the driver); it is imported only by commands
    that open a database, so a command that never did has nothing to ask."""
    errors = sys.modules.get("replywatch.store.errors")
    if errors is None:
        return None
    error = errors.translate(exc)
    return error if isinstance(error, errors.DatabaseOpenError) else None


@click.group(cls=_Main)
@click.version_option(package_name="replywatch")
def main() -> None:
    """replywatch: social-media customer-care monitor."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
