"""A file import, assembled: the format's reader parses the file in a second
process (:mod:`replywatch.background`), scoring each message's text there too
when asked (:func:`replywatch.pipeline.with_text_scores`), while this process
stores the batches (:func:`replywatch.pipeline.import_batches`). The command
line draws its progress bars from the callbacks (``cli_support``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from replywatch.background import read_in_background
from replywatch.pipeline import ImportTotals, import_batches, with_text_scores
from replywatch.store.db import Database

Callback = Callable[..., None] | None


def import_file(
    db: Database,
    path: Path,
    reader: Callable[..., Iterable[Any]],
    *,
    source: str,
    score: bool,
    batch_size: int,
    on_progress: Callback = None,
    on_storing: Callback = None,
    on_stored: Callback = None,
    on_scored: Callback = None,
) -> ImportTotals:
    """Import the file ``path`` with ``reader`` (``reader(path,
    batch_size=...)`` yields batches) under ``source``; returns the totals.
    Raises ``ValueError`` for a file the reader refuses. The callbacks are
    those of :func:`~replywatch.pipeline.import_batches`."""
    make_reader = (
        (lambda: with_text_scores(reader(path, batch_size=batch_size)))
        if score
        else partial(reader, path, batch_size=batch_size)
    )
    return import_batches(
        db,
        read_in_background(make_reader),
        source=source,
        on_progress=on_progress,
        on_storing=on_storing,
        on_stored=on_stored,
        score=score,
        on_scored=on_scored,
    )
