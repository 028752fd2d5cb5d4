"""Starting the Streamlit dashboard as a child process (no Streamlit import here,
so the CLI stays light)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from replywatch.i18n import ENV_VAR as LANGUAGE_ENV_VAR
from replywatch.store.db import DB_ENV_VAR

DASHBOARD_SCRIPT = Path(__file__).resolve().parent / "dashboard.py"
#: The sidebar's default brand key and time zone (the demo sets them per language).
BRAND_ENV_VAR = "REPLYWATCH_BRAND"
TIMEZONE_ENV_VAR = "REPLYWATCH_TIMEZONE"


def run_dashboard(
    db_path: str | os.PathLike[str],
    *,
    port: int = 8501,
    address: str = "127.0.0.1",
    language: str | None = None,
    brand: str | None = None,
    timezone: str | None = None,
) -> subprocess.Popen:
    """Start ``streamlit run dashboard.py`` on ``address:port`` with the database
    at ``db_path`` and return the process. Binds to localhost unless told
    otherwise; usage statistics are off (the machine may have no network).
    ``language``, ``brand`` and ``timezone`` are the sidebar's defaults
    ($REPLYWATCH_LANGUAGE, $REPLYWATCH_BRAND, $REPLYWATCH_TIMEZONE)."""
    env = {**os.environ, DB_ENV_VAR: str(Path(db_path).resolve())}
    for name, value in (
        (LANGUAGE_ENV_VAR, language),
        (BRAND_ENV_VAR, brand),
        (TIMEZONE_ENV_VAR, timezone),
    ):
        if value:
            env[name] = value
    command = [
        sys.executable,
        "-m",
        # `streamlit run` with the pages' libraries imported while it starts
        # (views/server.py), so the first visitor does not wait for them.
        "replywatch.views.server",
        "run",
        str(DASHBOARD_SCRIPT),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--browser.gatherUsageStats",
        "false",
        "--client.disableDataExport",
        "true",
    ]
    return subprocess.Popen(command, env=env)


def stop(process: subprocess.Popen, *, timeout: float = 10) -> int | None:
    """Ask ``process`` to stop (SIGTERM), kill it if it has not stopped after
    ``timeout`` seconds, and return its exit status."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except Exception:  # noqa: BLE001 - whatever went wrong, it must not keep running
        process.kill()
        return process.wait()


def wait_dashboard(process: subprocess.Popen) -> int | None:
    """Wait for the dashboard ``process`` to end; Ctrl-C stops it
    (:func:`stop`). Returns its exit status: 0, or -15 after a stop, counts as
    a normal end (see :data:`NORMAL_EXITS`)."""
    try:
        return process.wait()
    except KeyboardInterrupt:
        return stop(process)


#: Exit statuses of a dashboard that ended normally (SIGTERM is -15).
NORMAL_EXITS = (0, -15, None)


def port_problem(address: str, port: int) -> str | None:
    """None if ``address:port`` can be listened on now, else one line saying
    why not (usually: another program holds it). Checked before anything is
    printed or started, so the URL shown is never another program's."""
    try:
        infos = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot listen on {address}:{port}: {exc.strerror}"
    family, kind, proto, _, where = infos[0]
    with socket.socket(family, kind, proto) as probe:
        # The same option Tornado (Streamlit's server) sets, so a port in
        # TIME_WAIT after a previous run counts as free, as it will be.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            return (
                f"port {port} on {address} is not available ({exc.strerror}): another "
                f"program uses it; pick another with --port"
            )
    return None


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While active, SIGTERM (``kill``, systemd stop) is handled like Ctrl-C,
    so the command's own cleanup stops the Streamlit child instead of leaving
    it running and holding the port."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
