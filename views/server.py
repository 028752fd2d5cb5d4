"""The dashboard's server process: ``python -m replywatch.views.server run
dashboard.py [streamlit options]`` is ``streamlit run`` with the pages'
heavy libraries imported while the server starts.

Streamlit runs every session's script in the server process, so the first
visitor used to pay for importing pandas, pyarrow, Plotly, the scorer and the
metrics (seconds on a loaded machine: docs/performance.md, "Dashboard"). They
are imported before the server starts listening, so they are in
``sys.modules`` when the first page runs. Not in a background thread beside
the starting server: Streamlit's own imports then met a partly initialised
pandas (measured: the server died with "partially initialized module
'pandas'"). ``replywatch dashboard`` waits for the server's health check
anyway. Started by ``dashboard_launcher.run_dashboard``.
"""

from __future__ import annotations

import importlib
import sys

#: What the pages import, heaviest first (the Triage page needs the first four).
WARM_MODULES = (
    "pandas",
    "pyarrow",
    "replywatch.pipeline",
    "replywatch.store.triage",
    "plotly.graph_objects",
    "replywatch.metrics",
    "replywatch.metrics.trends",
    "replywatch.metrics.exports",
)


def warm_imports(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` (what cannot be imported is left to the page that
    needs it, which then reports the error itself)."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the page's own import reports it
            continue


def main() -> None:
    """Import the pages' libraries, then run Streamlit's command line."""
    warm_imports()
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
