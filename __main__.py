"""The ``replywatch`` command (console script and ``python -m replywatch``).

sqlite-utils imports pandas whenever it is installed (Streamlit installs it),
only to map ``pandas.Timestamp`` to a column type. No command of this process
needs pandas for that (the dashboard runs in its own Streamlit process), and
importing it costs about 50 MB of memory in every command, a file import's peak
included (docs/performance.md). So sqlite-utils is imported as if pandas were
absent, and only sqlite-utils: pandas stays importable for the libraries that
use it (scikit-learn looks pandas up in ``sys.modules`` while training, and a
``None`` left there made ``model train`` and the demo's training crash).
Importing ``replywatch.cli`` directly (tests, other programs) changes nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys


class _WithoutPandas(importlib.abc.Loader):
    """Runs the real loader of sqlite-utils while ``import pandas`` fails."""

    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def create_module(self, spec):
        return self.real.create_module(spec)

    def exec_module(self, module) -> None:
        hidden = "pandas" not in sys.modules
        if hidden:
            sys.modules["pandas"] = None  # type: ignore[assignment]
        try:
            self.real.exec_module(module)
        finally:
            if hidden and sys.modules.get("pandas", False) is None:
                del sys.modules["pandas"]


class _SqliteUtilsWithoutPandas(importlib.abc.MetaPathFinder):
    """Finds sqlite-utils as usual and wraps its loader in :class:`_WithoutPandas`
    (its ``db`` module, where pandas is looked up, runs inside the package's)."""

    def find_spec(self, name, path, target=None):
        if name != "sqlite_utils":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _WithoutPandas(spec.loader)
        return spec


def main() -> None:
    """Run the command line with sqlite-utils loaded without pandas."""
    sys.meta_path.insert(0, _SqliteUtilsWithoutPandas())
    from replywatch.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
