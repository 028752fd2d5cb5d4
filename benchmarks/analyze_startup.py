"""`replywatch analyze TEXT` against a one-line VADER script, in the same run.

Agents and scripts call ``replywatch analyze`` one text at a time, so its cost
is a process start: imports plus scoring one text. The peer is the smallest
honest alternative: ``python -c`` importing vaderSentiment and scoring the same
text. Both run ``--runs`` times, alternating (so load changes hit both), each
in a fresh process; the script prints the median and best wall time of each,
the ratio of the medians, and the load average. Usage::

    python benchmarks/analyze_startup.py [--runs 15] [--text "..."]

Target (issue 26): the ratio <= 4x. Figures are printed, never asserted;
docs/performance.md records runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

TEXT = "my flight was cancelled and nobody answers, terrible service"
VADER = (
    "from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as S; "
    "print(S().polarity_scores({text!r}))"
)


def _command() -> list[str]:
    """The console script next to this interpreter, else ``python -m replywatch``
    (the same entry point, replywatch/__main__.py)."""
    script = shutil.which("replywatch", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "replywatch"]


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--text", default=TEXT)
    args = parser.parse_args()
    cli = [*_command(), "analyze", args.text]
    peer = [sys.executable, "-c", VADER.format(text=args.text)]
    for argv in (cli, peer):  # warm the page cache and .pyc files once
        _wall(argv)
    load = os.getloadavg()
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(_wall(cli))
        theirs.append(_wall(peer))
    after = os.getloadavg()
    print(f"load average before {load[0]:.2f}, after {after[0]:.2f} ({os.cpu_count()} CPUs)")
    print(f"command: {' '.join(cli[:-1])} TEXT")
    for name, times in (("replywatch analyze", ours), ("VADER one-liner", theirs)):
        print(
            f"{name:>20}: median {statistics.median(times) * 1000:.0f} ms, "
            f"best {min(times) * 1000:.0f} ms ({args.runs} runs)"
        )
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"ratio (medians): {ratio:.1f}x  [target <= 4x]")


if __name__ == "__main__":
    main()
