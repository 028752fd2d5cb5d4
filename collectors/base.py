"""What every collector shares: the unified message model and a poll result.

Collectors turn platform payloads into :class:`Message` objects; they never
write SQL themselves. Anything that cannot become a message is reported as a
:class:`Rejected` item, which the caller keeps in ``dead_letters``.

:class:`Message` and :func:`row_values` are generated from the one definition
of the stored message, ``store.message_spec.MESSAGE_SPEC``: a new column is
added there (plus its migration), not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime  # noqa: F401 - named by Message's field annotations
from typing import Any, Literal

from replywatch.store.message_spec import (
    MESSAGE_SPEC,
    extract_mentions,
    fetched_now,
    message_class,
    row_function,
)

__all__ = ["Message", "PollResult", "Rejected", "Source", "extract_mentions", "fetched_now",
           "row_values"]  # fmt: skip

Direction = Literal["inbound", "outbound"]
Channel = Literal["public", "private"]

#: One post, comment or direct message, inbound or outbound, on any platform:
#: one keyword-only field per ``MESSAGE_SPEC`` column that has one, with
#: ``to_values()`` (the stored row tuple) and ``to_row()`` (the row dict).
Message = message_class(MESSAGE_SPEC, module=__name__)
Message.__doc__ = "One post, comment or direct message, inbound or outbound, on any platform."

#: The one mapping from message fields (every ``Message`` field, positionally,
#: in spec order) to a ``messages`` row tuple in ``MESSAGE_COLUMNS`` order.
#: ``Message.to_values`` and the bulk importers (which skip building
#: ``Message`` objects) both use it.
row_values = row_function(MESSAGE_SPEC)


@dataclass(slots=True)
class Rejected:
    """An item that could not be turned into a message, with why."""

    payload: Any
    error: str


@dataclass
class PollResult:
    """What one poll of one source produced: messages, rejects, the cursor to
    save with them, and counters. Errors are collected, not raised."""

    source: str
    messages: list[Message] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    cursor: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    rate_limit_wait_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    #: Cursors of other (pseudo-)sources to save in the same transaction, e.g.
    #: the X monthly read counter.
    extra_cursors: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Source:
    """One pollable stream with its own cursor (e.g. the mentions of one X
    account). ``poll(cursor)`` yields :class:`PollResult` batches; the caller
    stores each batch together with its cursor before asking for the next, so
    a crash loses nothing and repeats nothing that was committed."""

    name: str
    platform: str
    poll: Callable[[dict[str, Any]], Iterator[PollResult]]
