"""The stored message, defined once.

:data:`MESSAGE_SPEC` lists the columns of ``messages`` that a collector or an
importer fills, in their stored order. Everything else derives from it:

* ``store.messages.MESSAGE_COLUMNS`` / ``REQUIRED_COLUMNS``, the insert
  statement and the defaults of a row dict;
* the staging table of ``store.bulk`` (:func:`column_definitions`);
* the collectors' ``Message`` dataclass (:func:`message_class`) and
  ``row_values`` (:func:`row_function`), the one mapping from message fields
  to a stored row tuple;
* the fast row builders of file importers (:func:`row_builder`), which fill
  the stored columns directly.

Adding a column is one :class:`Column` here plus its migration in
``store/schema.py`` (``tests/test_message_spec.py`` checks that they agree).
Code is generated once at import, as :mod:`dataclasses` does, so the row
functions are as fast as hand-written ones.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from replywatch.store.timeutil import check_plausible, iso_utc, to_utc, utc_now

#: The longest message text stored, in characters: the longest text any
#: supported platform lets a customer post (a Facebook post, 63,206; X allows
#: 25,000 to Premium accounts, Reddit 40,000 in a post, Instagram 2,200,
#: Messenger 2,000). A longer text read from a file is a dead letter
#: (docs/import-jsonl.md), so no page ever holds a 50 MB message.
MAX_TEXT_CHARS = 63_206


def check_text_length(text: str) -> str:
    """Return ``text``; raise ``ValueError`` if it is longer than
    :data:`MAX_TEXT_CHARS` characters."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"text is {len(text):,} characters, over the limit of {MAX_TEXT_CHARS:,} "
            "(the longest post any supported platform allows)"
        )
    return text


#: Marks a message field without a default (it must be given).
REQUIRED = dataclasses.MISSING


@dataclass(frozen=True)
class Column:
    """One stored column of ``messages``.

    ``sql`` is its type and constraints as in the table. ``field`` is the
    ``Message`` field it comes from (its own name by default; None for a
    column computed from other fields), with ``annotation`` and ``default``.
    ``prelude`` is a statement run before the row is built (once, shared by
    columns that name the same one) and ``expr`` the Python expression giving
    the stored value from the field values (default: the field itself).
    ``row_default`` is what a row dict without the column stores."""

    name: str
    sql: str
    annotation: str = "str | None"
    default: Any = None
    field: str | None = ""
    expr: str | None = None
    prelude: str | None = None
    row_default: Any = None

    @property
    def field_name(self) -> str | None:
        """The ``Message`` field this column comes from (None if computed)."""
        return self.name if self.field == "" else self.field

    @property
    def required(self) -> bool:
        """True when a row without a value for this column cannot be stored."""
        return "NOT NULL" in self.sql and self.row_default is None

    @property
    def value_expr(self) -> str:
        """The expression building the stored value."""
        return self.expr or str(self.field_name)


MESSAGE_SPEC: tuple[Column, ...] = (
    Column("platform", "TEXT NOT NULL", "str", REQUIRED),
    Column("external_id", "TEXT NOT NULL", "str", REQUIRED, expr="str(external_id)"),
    Column("kind", "TEXT NOT NULL", "str", REQUIRED),
    Column(
        "channel", "TEXT NOT NULL CHECK (channel IN ('public', 'private'))", "Channel", REQUIRED
    ),
    Column(
        "direction",
        "TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound'))",
        "Direction",
        REQUIRED,
    ),
    Column("brand", "TEXT"),
    Column("author_id", "TEXT"),
    Column("author_handle", "TEXT"),
    Column("author_name", "TEXT"),
    Column("author_followers", "INTEGER", "int | None"),
    Column("text", "TEXT NOT NULL", "str", REQUIRED, prelude='text = text or ""', row_default=""),
    Column("lang", "TEXT"),
    # Most texts have no @: the regex is skipped for them.
    Column(
        "mentions",
        "TEXT NOT NULL",
        field=None,
        expr='" ".join(extract_mentions(text)) if "@" in text else ""',
        row_default="",
    ),
    Column(
        "created_at",
        "TEXT NOT NULL",
        "datetime",
        REQUIRED,
        prelude="created = to_utc(created_at)",
        expr='created.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"',
    ),
    # check_plausible: a time before 2000 or after 2099 is refused (ValueError),
    # so it becomes a dead letter instead of moving every default period.
    Column(
        "created_ts",
        "INTEGER NOT NULL",
        field=None,
        expr="check_plausible(int(created.timestamp()))",
    ),
    Column("in_reply_to_id", "TEXT", expr="str(in_reply_to_id) if in_reply_to_id else None"),
    Column("thread_ref", "TEXT", expr="str(thread_ref) if thread_ref else None"),
    Column("url", "TEXT"),
    Column("source", "TEXT NOT NULL", "str", REQUIRED),
    Column(
        "fetched_at",
        "TEXT NOT NULL",
        "datetime | None",
        expr="iso_cached(fetched_at or batch_now())",
    ),
    Column(
        "raw",
        "TEXT",
        "Any",
        prelude=(
            "raw = raw if raw is None or isinstance(raw, str) "
            "else json.dumps(raw, ensure_ascii=False, default=str)"
        ),
    ),
    Column("is_demo", "INTEGER NOT NULL", "bool", False, expr="int(is_demo)", row_default=0),
)


# --- what derives from a spec -------------------------------------------------------


def column_names(spec: tuple[Column, ...] = MESSAGE_SPEC) -> tuple[str, ...]:
    """The stored columns, in order."""
    return tuple(c.name for c in spec)


def required_columns(spec: tuple[Column, ...] = MESSAGE_SPEC) -> tuple[str, ...]:
    """The columns a row must have a value for."""
    return tuple(c.name for c in spec if c.required)


def row_defaults(spec: tuple[Column, ...] = MESSAGE_SPEC) -> dict[str, Any]:
    """What a row dict without a column stores in it."""
    return {c.name: c.row_default for c in spec}


def column_definitions(spec: tuple[Column, ...] = MESSAGE_SPEC) -> str:
    """``name TYPE constraints, ...`` for a ``CREATE TABLE`` (the bulk stage)."""
    return ",\n    ".join(f"{c.name} {c.sql}" for c in spec)


def message_fields(spec: tuple[Column, ...] = MESSAGE_SPEC) -> list[Column]:
    """The columns that are ``Message`` fields, in order."""
    return [c for c in spec if c.field_name]


@lru_cache(maxsize=16)
def _iso_cached(moment: datetime) -> str:
    # A batch shares one fetched_at: format it once, not once per message.
    return iso_utc(moment)


def batch_now() -> datetime:
    """utc_now() to the second: equal for a whole batch, so the ISO text of
    ``fetched_at`` is formatted once per batch."""
    return utc_now().replace(microsecond=0)


def fetched_now() -> str:
    """``fetched_at`` for a message read now, as :func:`row_function` stores it."""
    return _iso_cached(batch_now())


_HANDLE = re.compile(r"(?<![\w@])@(\w{1,50})")


def extract_mentions(text: str) -> tuple[str, ...]:
    """Return the @handles in ``text``, lower-cased, without the @, in order."""
    found = _HANDLE.findall(text or "")
    if len(found) == 1:  # the usual case, e.g. a reply to one brand
        return (found[0].lower(),)
    return tuple(dict.fromkeys(m.lower() for m in found))


def _namespace() -> dict[str, Any]:
    return {
        "json": json,
        "to_utc": to_utc,
        "check_plausible": check_plausible,
        "iso_cached": _iso_cached,
        "batch_now": batch_now,
        "extract_mentions": extract_mentions,
    }


def _compile(source: str, name: str, **extra: Any) -> Callable[..., Any]:
    namespace = {**_namespace(), **extra}
    exec(compile(source, f"<message_spec {name}>", "exec"), namespace)  # noqa: S102 - generated
    return namespace[name]


def row_function(spec: tuple[Column, ...] = MESSAGE_SPEC) -> Callable[..., tuple]:
    """``row_values(<every Message field, in spec order>)``: the stored row tuple
    (UTC ISO and unix times, mentions extracted, ids as text, ``raw`` as JSON
    text). Raises ``OverflowError``/``ValueError`` for an unrepresentable time."""
    fields = [c.field_name for c in message_fields(spec)]
    preludes = list(dict.fromkeys(c.prelude for c in spec if c.prelude))
    body = [f"    {p}" for p in preludes]
    body.append(f"    return ({', '.join(c.value_expr for c in spec)},)")
    source = f"def row_values({', '.join(fields)}):\n" + "\n".join(body) + "\n"
    function = _compile(source, "row_values")
    function.__doc__ = row_function.__doc__
    return function


def row_builder(
    columns: tuple[str, ...],
    constants: dict[str, Any] | None = None,
    spec: tuple[Column, ...] = MESSAGE_SPEC,
) -> Callable[..., tuple]:
    """A function taking the stored values of ``columns`` positionally and
    returning the full row tuple, with ``constants`` (literals: text, numbers,
    None) and every other column's ``row_default`` filled in: the fast path of
    file importers, which compute stored values (ISO time, unix time,
    mentions) themselves. Raises ``ValueError`` at build time for a name that
    is not a column, a required column left out, or a constant that is not a
    literal."""
    constants = dict(constants or {})
    names = column_names(spec)
    unknown = [n for n in (*columns, *constants) if n not in names]
    if unknown:
        raise ValueError(f"not message columns: {', '.join(unknown)}")
    values = []
    for column in spec:
        if column.name in columns:
            values.append(column.name)
        elif column.name in constants:
            literal = repr(constants[column.name])
            if eval(literal, {}) != constants[column.name]:  # noqa: S307 - our own repr
                raise ValueError(f"constant for {column.name!r} is not a literal")
            values.append(literal)  # compiled in: no lookup per row
        elif column.required:
            raise ValueError(f"row builder leaves out the required column {column.name!r}")
        else:
            values.append(repr(column.row_default))
    source = f"def build_row({', '.join(columns)}):\n    return ({', '.join(values)},)\n"
    return _compile(source, "build_row")


def message_class(
    spec: tuple[Column, ...] = MESSAGE_SPEC, *, name: str = "Message", module: str | None = None
) -> type:
    """The ``Message`` dataclass of ``spec``: one keyword-only field per column
    that has one, with ``to_values()`` (the row tuple) and ``to_row()`` (the
    row dict)."""
    row_values = row_function(spec)
    columns = column_names(spec)
    fields_ = message_fields(spec)

    def to_row(self) -> dict[str, Any]:
        """The row stored in ``messages`` (UTC timestamps, mentions extracted)."""
        return dict(zip(columns, self.to_values(), strict=True))

    # A generated accessor: one attribute read per field, no loop.
    getter = _compile(
        "def to_values(self):\n    return row_values("
        + ", ".join(f"self.{c.field_name}" for c in fields_)
        + ")\n",
        "to_values",
        row_values=row_values,
    )
    getter.__doc__ = "The row stored in ``messages`` as a tuple in column order."
    cls = dataclasses.make_dataclass(
        name,
        [
            (c.field_name, c.annotation, dataclasses.field(default=c.default))
            if c.default is not REQUIRED
            else (c.field_name, c.annotation)
            for c in fields_
        ],
        namespace={"to_values": getter, "to_row": to_row},
        slots=True,
        kw_only=True,
    )
    if module:  # for pickling (batches cross processes) and reprs
        cls.__module__ = module
    return cls
