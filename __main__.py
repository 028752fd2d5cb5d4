"""The ``replywatch`` command (console script and ``python -m replywatch``).

sqlite-utils imports pandas whenever it is installed (Streamlit installs it),
only to map ``pandas.Timestamp`` to a column type. No command of this process
uses pandas (the dashboard runs in its own Streamlit process), and importing it
costs about 50 MB of memory in every command, a file import's peak included
(docs/performance.md). So pandas is marked unavailable here, before anything
imports sqlite-utils; importing ``replywatch.cli`` directly (tests, other
programs) changes nothing.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line without pandas loaded."""
    sys.modules.setdefault("pandas", None)  # type: ignore[assignment]
    from replywatch.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
