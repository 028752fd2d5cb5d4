"""The ``replywatch`` command: a thin layer over the library modules.

Each command reads its options, makes one call into the library and prints
the result; the work itself (and everything a test needs to check) lives in
the library, as in sqlite-utils. The commands live in ``commands/``, one
module per group (shared options such as ``--db`` in ``commands/options.py``);
this module only assembles them under ``main``. A new command goes in
``commands/<group>.py`` and is registered here. Commands whose library pulls
in the scorer's lexicons, the collectors' API clients, apprise or bcrypt import
it inside the command, so ``replywatch --help`` and the light commands start
without them (docs/performance.md has the start-up figures).
"""

from __future__ import annotations

import sqlite3
import sys

import click

from replywatch.commands import alerts, collect, data, imports, reports, serve
from replywatch.store.db import DatabaseOpenError, file_error


class _Main(click.Group):
    """The command group: a database that cannot be used as asked (missing,
    not a database, corrupt, read-only) is one line of error, not a
    traceback, whichever command met it."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DatabaseOpenError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            message = file_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=_Main)
@click.version_option(package_name="replywatch")
def main() -> None:
    """replywatch: social-media customer-care monitor."""


# In the order `replywatch --help` lists them (click sorts them by name).
for _command in (
    imports.import_group,
    imports.analyze,
    imports.rescore,
    serve.demo,
    collect.collect,
    collect.channels_command,
    data.hash_password_command,
    serve.dashboard,
    reports.stats,
    reports.report,
    reports.export_group,
    reports.recompute,
    alerts.alerts_group,
    data.backup,
    data.restore,
    data.forget,
    data.export_subject_command,
    data.prune,
):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
