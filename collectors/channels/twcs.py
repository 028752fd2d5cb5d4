"""The "Customer Support on Twitter" (twcs.csv) file format: ``replywatch
import twcs PATH``. The reader is :func:`replywatch.collectors.imports.read_twcs`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from replywatch.collectors.imports import TWCS_SOURCE
from replywatch.collectors.registry import Channel


def read(path: str | Path, *, batch_size: int) -> Iterator[Any]:
    """Batches of row tuples (the fast path ``pipeline.import_batches`` stores)."""
    from replywatch.collectors.imports import read_twcs

    return read_twcs(path, batch_size=batch_size, as_rows=True)


CHANNEL = Channel(
    name="twcs",
    label="twcs import",
    icon="📄",
    docs="README.md",
    description='Import a "Customer Support on Twitter" (twcs.csv) file.',
    order=90,
    reader=read,
    import_source=TWCS_SOURCE,
)
