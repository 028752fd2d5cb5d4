"""The "Customer Support on Twitter" (twcs.csv) file format: ``replywatch
import twcs PATH``. The reader is :func:`replywatch.collectors.imports.read_twcs`."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from replywatch.collectors.imports import TWCS_SOURCE
from replywatch.collectors.registry import Channel


def read(path: str | Path, *, batch_size: int, encoding: str | None = None) -> Iterator[Any]:
    """Batches of row tuples (the fast path ``pipeline.import_batches`` stores)."""
    from replywatch.collectors.imports import read_twcs

    return read_twcs(path, batch_size=batch_size, as_rows=True, encoding=encoding)


def check(path: Path, encoding: str | None) -> None:
    """Refuse a file that is not UTF-8 unless an encoding was given (the
    message names the encoding it looks like); refuse an unknown encoding."""
    from replywatch.collectors.imports import check_encoding

    if encoding is None:
        check_encoding(path)
    else:
        codecs.lookup(encoding)


CHANNEL = Channel(
    name="twcs",
    label="twcs import",
    icon="📄",
    docs="README.md",
    description='Import a "Customer Support on Twitter" (twcs.csv) file.',
    order=90,
    reader=read,
    check=check,
    import_source=TWCS_SOURCE,
)
