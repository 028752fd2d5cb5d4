"""The JSONL file format for any other channel: ``replywatch import jsonl
PATH``. The reader is :func:`replywatch.collectors.imports.read_jsonl`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from replywatch.collectors.imports import JSONL_SOURCE
from replywatch.collectors.registry import Channel


def read(path: str | Path, *, batch_size: int) -> Iterator[Any]:
    """Batches of messages read from a JSONL file (docs/import-jsonl.md)."""
    from replywatch.collectors.imports import read_jsonl

    return read_jsonl(path, batch_size=batch_size)


CHANNEL = Channel(
    name="jsonl",
    label="JSONL import",
    icon="🗂️",
    docs="docs/import-jsonl.md",
    description="Import messages from a JSONL file (schema: docs/import-jsonl.md).",
    order=91,
    reader=read,
    import_source=JSONL_SOURCE,
)
