"""Run ``replywatch collect`` in this process against recorded traffic, for
tests that need it as a real subprocess (the crash-safety test kills it).

    python -m tests.replay_collect WORKDIR [--latency-ms N] -- collect --once --db DB

Replays ``tests/cassettes/collect_once.json`` through the project's vcr
configuration (:func:`tests.collectors_support.story_cassette`), with the fake
credentials of ``tests/test_collect_story.py`` and ``time.sleep`` a no-op
(prawcore's rate limiter sleeps). ``WORKDIR`` becomes the working directory,
so ``replywatch.toml`` is read from there and no ``.streamlit/secrets.toml``
of the checkout is seen. ``--latency-ms`` delays every replayed HTTP request
by that much real time (a stand-in for network latency) so that a run lasts
long enough to be killed between its per-page commits.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CASSETTE = REPO_ROOT / "tests" / "cassettes" / "collect_once.json"


def main(argv: list[str] | None = None) -> int:
    """Parse ``WORKDIR [--latency-ms N] -- CLI ARGS`` and run the CLI; returns
    its exit code (click's SystemExit code, 0 on success)."""
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        raise SystemExit(
            "usage: python -m tests.replay_collect WORKDIR [--latency-ms N] -- CLI ARGS"
        )
    split = argv.index("--")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv[:split])
    cli_args = argv[split + 1 :]

    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import requests

    from replywatch import cli
    from tests.collectors_support import story_cassette
    from tests.test_collect_story import FAKE_ENV

    os.environ.update(FAKE_ENV)
    real_sleep = time.sleep
    time.sleep = lambda seconds: None  # replayed traffic: no rate-limit waits
    if args.latency_ms > 0:
        delay = args.latency_ms / 1000
        send = requests.Session.send

        def slow_send(self, request, **kwargs):
            real_sleep(delay)
            return send(self, request, **kwargs)

        requests.Session.send = slow_send
    os.chdir(args.workdir)
    with story_cassette(CASSETTE):
        try:
            cli.main(cli_args, standalone_mode=True)
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
