"""File importers: the Kaggle "Customer Support on Twitter" CSV (twcs) and a
documented JSONL format for any other channel.

Both stream: they read a batch of rows, hand it over, and move on, so memory
stays flat however large the file is. Rows that cannot be parsed come back as
:class:`~collectors.base.Rejected` items with the reason and the raw text.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any

from replywatch.collectors.base import Message, Rejected, extract_mentions, fetched_now
from replywatch.store.message_spec import check_text_length, row_builder
from replywatch.store.messages import MESSAGE_COLUMNS
from replywatch.store.timeutil import check_plausible

TWCS_COLUMNS = ["tweet_id", "author_id", "inbound", "created_at", "text",
                "response_tweet_id", "in_response_to_tweet_id"]  # fmt: skip
TWCS_SOURCE = "import:twcs"
JSONL_SOURCE = "import:jsonl"
DEFAULT_BATCH_SIZE = 5_000
_DIRECTION, _HANDLE, _BRAND = (
    MESSAGE_COLUMNS.index(c) for c in ("direction", "author_handle", "brand")
)

# twcs has bare carriage returns inside unquoted fields (tweet 3399). The csv
# module refuses them, so they are swapped for a private-use character while
# parsing and restored afterwards: the text is kept exactly as published. The
# stand-in is one that does not occur in the record, so a tweet that really
# contains that character keeps it.
_BARE_CR = re.compile(r"\r(?!\n)")
_STAND_INS = tuple(chr(c) for c in range(0xE000, 0xE100))


def _stand_in_for(text: str) -> str:
    return next(c for c in _STAND_INS if c not in text)


@dataclass
class ImportBatch:
    """One batch read from a file: messages, rejected rows, brand accounts seen
    (``(platform, handle, brand)``) and how far into the file the reader is."""

    #: Message objects, or row tuples when the reader was asked for rows.
    messages: list[Message | tuple] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    brand_accounts: set[tuple[str, str, str]] = field(default_factory=set)
    bytes_read: int = 0
    #: Opaque per-message results computed beside the reader (an import's
    #: text scores, see ``pipeline.with_text_scores``), or None.
    text_scores: list[str] | None = None


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_TWITTER_TIME = re.compile(
    r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$"
)


def _twcs_time(value: str) -> datetime:
    """Parse Twitter's ``Tue Oct 31 22:10:47 +0000 2017``. A regex and a month
    table are ~8x faster than ``strptime``, which dominated import time."""
    match = _TWITTER_TIME.match(value)
    if not match or match[1] not in _MONTHS:
        raise ValueError(f"not a Twitter timestamp: {value!r}")
    month, day, hh, mm, ss, sign, oh, om, year = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
    return datetime(
        int(year), _MONTHS[month], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset)
    )


def _tweet_id(value: str) -> str:
    """Tweet ids appear as "123" or, where pandas wrote floats, "123.0"."""
    if value.isascii() and value.isdigit():  # the usual case, already clean
        return value
    value = value.strip()
    if value.endswith(".0"):
        value = value[:-2]
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a tweet id: {value!r}")
    return value


def _twcs_fields(record: dict[str, str]) -> tuple[str, str, bool, datetime, str | None, str]:
    """Validate one twcs record: (tweet id, author, inbound, created, parent id, text)."""
    tweet_id, author, inbound, created_at, parent, text = _twcs_checked(
        record.get("tweet_id") or "",
        record.get("author_id") or "",
        record.get("inbound") or "",
        record.get("created_at") or "",
        record.get("in_response_to_tweet_id") or "",
        record.get("text") or "",
    )
    try:
        created = _twcs_time(created_at)
        check_plausible(int(created.timestamp()))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"bad created_at {record.get('created_at')!r}: {exc}") from exc
    return tweet_id, author, inbound, created, parent, text


def _twcs_checked(
    tweet_id: str, author: str, inbound_flag: str, created_at: str, parent: str, text: str
) -> tuple[str, str, bool, str, str | None, str]:
    """The validation every twcs record goes through (the timestamp is parsed
    by the caller). Raises ``ValueError`` with the reason."""
    tweet_id = _tweet_id(tweet_id)
    author = author.strip()
    if not author:
        raise ValueError("author_id is empty")
    inbound_flag = inbound_flag.strip()
    if inbound_flag not in ("True", "False"):
        raise ValueError(f"inbound must be True or False, got {inbound_flag!r}")
    parent = parent.strip()
    return (
        tweet_id,
        author,
        inbound_flag == "True",
        created_at.strip(),
        _tweet_id(parent) if parent else None,
        check_text_length(text),
    )


#: "Tue Oct 31 2017" (a timestamp without its clock and offset) -> (unix
#: seconds at 00:00 UTC, ISO date), for dates already checked; bounded.
_UTC_DAYS: dict[str, tuple[int, str]] = {}


def _twcs_utc(value: str) -> tuple[int, str]:
    """(unix seconds, ISO ``YYYY-MM-DDTHH:MM:SSZ``) of a Twitter timestamp,
    exactly as ``row_values`` stores ``_twcs_time(value)``. The whole twcs
    file is in UTC, so the usual case (a date seen before, +0000, an ASCII
    clock) is a cached date lookup and a few string slices instead of a
    regex and two datetimes per row."""
    day_key = value[:11] + value[26:]
    if len(value) == 30 and value[19:26] == " +0000 " and value[13] == ":" == value[16]:
        date = _UTC_DAYS.get(day_key)
        hh, mm, ss = value[11:13], value[14:16], value[17:19]
        if (
            date is not None
            and (hh + mm + ss).isascii()
            and (hh + mm + ss).isdigit()
            and hh < "24"
            and mm < "60"
            and ss < "60"
        ):
            return date[0] + int(hh) * 3600 + int(mm) * 60 + int(ss), f"{date[1]}T{value[11:19]}Z"
    match = _TWITTER_TIME.match(value)
    if not match or match[1] not in _MONTHS:
        raise ValueError(f"not a Twitter timestamp: {value!r}")
    month, day, hh, mm, ss, sign, oh, om, year = match.groups()
    if oh != "00" or om != "00" or int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
        created = _twcs_time(value).astimezone(UTC)  # raises for an impossible time
        return (
            int(created.timestamp()),
            created.replace(tzinfo=None).isoformat(timespec="seconds") + "Z",
        )
    date = _UTC_DAYS.get(day_key)
    if date is None:
        midnight = datetime(int(year), _MONTHS[month], int(day), tzinfo=UTC)  # checks the day
        if len(_UTC_DAYS) > 100_000:
            _UTC_DAYS.clear()
        # A regex match is 30 characters long, so day_key is the checked date.
        date = _UTC_DAYS[day_key] = (int(midnight.timestamp()), midnight.date().isoformat())
    h, m, s = int(hh), int(mm), int(ss)  # \d also matches non-ASCII digits
    return date[0] + h * 3600 + m * 60 + s, f"{date[1]}T{h:02d}:{m:02d}:{s:02d}Z"


def _twcs_kind(inbound: bool, parent: str | None) -> str:
    return ("reply" if parent else "mention") if inbound else "reply"


def parse_twcs_row(record: dict[str, str], raw: str | None = None) -> Message:
    """Turn one twcs record into a :class:`Message`, keeping ``raw`` (the CSV
    text of the record) as its payload; raises ``ValueError`` with a readable
    reason if a field is unusable."""
    tweet_id, author, inbound, created, parent, text = _twcs_fields(record)
    return Message(
        platform="x",
        external_id=tweet_id,
        created_at=created,
        text=text,
        direction="inbound" if inbound else "outbound",
        kind=_twcs_kind(inbound, parent),
        channel="public",
        source=TWCS_SOURCE,
        author_id=author,
        author_handle=author,
        brand=None if inbound else author,
        in_reply_to_id=parent,
        raw=raw,
    )


def parse_twcs_values(record: dict[str, str], raw: str | None = None) -> tuple:
    """Like :func:`parse_twcs_row`, but return the stored row as a tuple
    (what ``collectors.base.row_values`` makes of the same message) without
    building a :class:`Message`: the bulk import path."""
    return _twcs_values(
        record.get("tweet_id") or "",
        record.get("author_id") or "",
        record.get("inbound") or "",
        record.get("created_at") or "",
        record.get("in_response_to_tweet_id") or "",
        record.get("text") or "",
        raw,
        fetched_now(),
    )


def _twcs_values(
    tweet_id: str,
    author: str,
    inbound_flag: str,
    created_at: str,
    parent: str,
    text: str,
    raw: str | None,
    fetched_at: str,
) -> tuple:
    tweet_id, author, inbound, created_at, parent, text = _twcs_checked(
        tweet_id, author, inbound_flag, created_at, parent, text
    )
    try:
        created_ts, created_iso = _twcs_utc(created_at)
        check_plausible(created_ts)
    except (ValueError, OverflowError) as exc:
        # OverflowError: "... -0100 9999" is past year 9999 in UTC. One bad
        # row is a dead letter, never the end of the import.
        raise ValueError(f"bad created_at {created_at!r}: {exc}") from exc
    return _twcs_row(
        tweet_id,
        _twcs_kind(inbound, parent),
        "inbound" if inbound else "outbound",
        None if inbound else author,
        author,
        author,
        text,
        " ".join(extract_mentions(text)) if "@" in text else "",
        created_iso,
        created_ts,
        parent,
        fetched_at,
        raw,
    )


#: The stored row of a twcs record, built from the columns it fills (the
#: others take their defaults from ``store.message_spec``).
_twcs_row = row_builder(
    ("external_id", "kind", "direction", "brand", "author_id", "author_handle", "text",
     "mentions", "created_at", "created_ts", "in_reply_to_id", "fetched_at", "raw"),
    {"platform": "x", "channel": "public", "source": TWCS_SOURCE},
)  # fmt: skip


class _RecordingLines:
    """Feeds lines to ``csv.reader`` while remembering the raw text and line
    numbers of the current record (for dead letters), the bytes consumed (for
    progress), and lines pushed back to be read again."""

    def __init__(self, binary: io.BufferedReader, encoding: str = "utf-8-sig"):
        self._binary = binary
        # surrogateescape: a byte the encoding cannot decode is kept (as a lone
        # surrogate) instead of being replaced by U+FFFD; such a record is
        # dead-lettered with its original bytes (see read_twcs).
        self._text = io.TextIOWrapper(
            binary, encoding=encoding, errors="replywatch-keep", newline="\n"
        )
        self._pushed: list[tuple[int, str]] = []  # a stack: last item is read next
        self._line_number = 0
        self.current: list[tuple[int, str]] = []
        self.stand_in: str | None = None  # replaced bare CRs in the current record
        self.ambiguous = False  # a later line of the record contains the stand-in

    def __iter__(self) -> Iterator[str]:
        # A fresh generator per csv.reader; all state lives on self, so a new
        # reader can continue where a previous one stopped.
        readline, current, pushed = self._text.readline, self.current, self._pushed
        while True:
            if pushed:
                number, line = pushed.pop()
            else:
                line = readline()
                if not line:
                    return
                self._line_number += 1
                number = self._line_number
            if self.stand_in is not None and self.stand_in in line:
                self.ambiguous = True
            current.append((number, line))
            if "\r" in line and _BARE_CR.search(line):
                if self.stand_in is None:
                    self.stand_in = _stand_in_for("".join(text for _, text in current))
                line = _BARE_CR.sub(self.stand_in, line)
            yield line

    def take_record(self) -> tuple[str, int, int, str | None, bool]:
        """Return (raw text, first line, last line, stand-in, ambiguous) of the
        record just read, and start a new one."""
        lines = self.current
        if len(lines) == 1:  # the usual record: one line
            number, text = lines[0]
            record = (text, number, number, self.stand_in, self.ambiguous)
        elif lines:
            record = (
                "".join(text for _, text in lines),
                lines[0][0],
                lines[-1][0],
                self.stand_in,
                self.ambiguous,
            )
        else:
            record = ("", self._line_number, self._line_number, self.stand_in, self.ambiguous)
        self._last_lines = lines.copy()
        lines.clear()  # the same list: the line generator appends to it
        self.stand_in, self.ambiguous = None, False
        return record

    def reread_after_first_line(self) -> int:
        """Push back every line of the record just taken except its first, so
        they are parsed again as records of their own. Returns how many."""
        rest = self._last_lines[1:]
        self._pushed.extend(reversed(rest))
        return len(rest)

    @property
    def bytes_read(self) -> int:
        return self._binary.tell()


def _reparse(raw: str) -> list[str]:
    """Parse one record's raw text alone, with a stand-in for bare CRs chosen
    knowing the whole record (the streaming choice turned out ambiguous)."""
    stand_in = _stand_in_for(raw)
    rows = list(csv.reader(io.StringIO(_BARE_CR.sub(stand_in, raw), newline="\n")))
    row = rows[0] if len(rows) == 1 else []
    return [field.replace(stand_in, "\r") for field in row]


def _suspect_multiline(row: list[str], raw: str, index: dict[str, int], width: int) -> str | None:
    """Only a tweet's text may run over several lines. Return why a multi-line
    record is really several rows glued by a stray quote, or None if it is a
    genuine multi-line tweet."""
    text_at = index["text"]
    if any("\n" in value for i, value in enumerate(row) if i != text_at):
        return "line break inside a field other than text (a stray quote?)"
    for line in raw.split("\n")[1:]:
        if ("True," in line or "False," in line) and _is_twcs_row(line, index, width):
            return "a later line of this record is a row of its own (a stray quote?)"
    return None


def _is_twcs_row(line: str, index: dict[str, int], width: int) -> bool:
    try:
        rows = list(csv.reader([line]))
        if len(rows) != 1 or len(rows[0]) != width:
            return False
        parse_twcs_row({name: rows[0][i] for name, i in index.items()})
    except (csv.Error, ValueError):
        return False
    return True


#: How much of a file is checked for its encoding before importing.
ENCODING_SAMPLE_BYTES = 1 << 20
_UNDECODED = re.compile("[\udc80-\udcff]")


#: Set once any file's decoder met a byte it could not decode; until then no
#: record is searched for the stand-ins (the usual file costs nothing).
_UNDECODABLE_SEEN = [False]


def _keep_undecodable(exc: UnicodeError) -> tuple[str, int]:
    _UNDECODABLE_SEEN[0] = True
    return codecs.lookup_error("surrogateescape")(exc)


codecs.register_error("replywatch-keep", _keep_undecodable)


def _original(raw: str, encoding: str) -> str | bytes:
    """A rejected record's payload: its text, or its original bytes if some of
    them did not decode (so nothing is lost or rewritten)."""
    if _UNDECODABLE_SEEN[0] and _UNDECODED.search(raw):
        return raw.encode(encoding.removesuffix("-sig"), "surrogateescape")
    return raw


def check_encoding(path: str | Path, encoding: str = "utf-8-sig") -> None:
    """Raise ``ValueError`` if the file's first MiB does not decode as
    ``encoding``, naming the first bad byte, the encoding the file looks like
    (charset-normalizer) and the ``--encoding`` option. The import command
    runs this before a file given without ``--encoding``: a latin-1 file is
    refused whole rather than imported with its accented rows dead-lettered."""
    with open(path, "rb") as binary:
        sample = binary.read(ENCODING_SAMPLE_BYTES)
        complete = not binary.read(1)
    try:
        sample.decode(encoding)
        return
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(sample) - 4:
            return  # a character cut by the end of the sample
        line = sample.count(b"\n", 0, exc.start) + 1
        bad = sample[exc.start : exc.start + 1].hex()
    except LookupError as exc:
        raise ValueError(f"unknown encoding {encoding!r}") from exc
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = best.encoding if best is not None else None
    hint = (
        f"it looks like {guess}: re-run with --encoding {guess}"
        if guess and guess.replace("_", "-") not in ("utf-8", "utf-8-sig")
        else "re-run with --encoding NAME (e.g. cp1252, latin-1)"
    )
    hint += " (or --encoding utf-8 to import it and dead-letter the rows that are not)"
    name = "UTF-8" if encoding.startswith("utf-8") else encoding
    raise ValueError(f"{path}: not {name} (byte 0x{bad} on line {line}); {hint}")


def read_twcs(  # noqa: C901 - tests/test_code_size.py
    path: str | Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    as_rows: bool = False,
    encoding: str | None = None,
) -> Iterator[ImportBatch]:
    """Stream a twcs-format CSV as batches. Accepts the Kaggle file (header
    ``tweet_id,…``) and variants with a leading index column. Raises
    ``ValueError`` if the header lacks a twcs column. With ``as_rows`` the
    batches hold row tuples (:func:`parse_twcs_values`) instead of
    :class:`Message` objects: cheaper, and what ``pipeline.ingest`` stores.

    A rejected record that spans several lines (typically a stray quote that
    made the CSV parser read the following rows into one field) is
    dead-lettered by its first line only; the lines after it are parsed again,
    so one broken row never takes its neighbours with it.

    The file is read as UTF-8 (a byte-order mark, as Excel writes, is
    skipped) unless ``encoding`` names another; a record with bytes that do
    not decode is dead-lettered with its original bytes. No text is ever
    rewritten (see :func:`check_encoding` for refusing a whole file)."""
    encoding = encoding or "utf-8-sig"
    codecs.lookup(encoding)  # LookupError for an unknown name, before reading
    with open(path, "rb") as binary:
        lines = _RecordingLines(binary, encoding)
        reader = csv.reader(lines)
        try:
            header = next(reader)
        except StopIteration:
            return
        lines.take_record()
        if header and header[0].startswith("\ufeff"):  # a BOM with --encoding utf-8
            header[0] = header[0][1:]
        missing = [c for c in TWCS_COLUMNS if c not in header]
        if missing:
            raise ValueError(f"{path}: not a twcs file, header lacks {', '.join(missing)}")
        index = {name: header.index(name) for name in TWCS_COLUMNS}
        width = len(header)
        # The fields _twcs_values takes, in its parameter order.
        values_fields = itemgetter(
            *(
                index[name]
                for name in (
                    "tweet_id",
                    "author_id",
                    "inbound",
                    "created_at",
                    "in_response_to_tweet_id",
                    "text",
                )
            )
        )
        batch = ImportBatch()
        fetched_at = fetched_now()  # once per batch: the clock is not read per row
        while True:
            error = None
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row, error = [], f"unreadable CSV: {exc}"
            raw, first, last, stand_in, ambiguous = lines.take_record()
            if error is None and not row:
                continue
            if error is None and ambiguous:
                row = _reparse(raw)
            elif stand_in is not None:
                row = [value.replace(stand_in, "\r") for value in row]
            message = None
            if error is None and _UNDECODABLE_SEEN[0] and _UNDECODED.search(raw):
                error = f"bytes that are not {encoding.removesuffix('-sig')} (see --encoding)"
            if error is None and len(row) != width:
                error = f"expected {width} fields, got {len(row)}"
            if error is None and last > first:
                error = _suspect_multiline(row, raw, index, width)
            if error is None:
                try:
                    message = (
                        _twcs_values(*values_fields(row), raw, fetched_at)
                        if as_rows
                        else parse_twcs_row({name: row[i] for name, i in index.items()}, raw)
                    )
                except ValueError as exc:
                    error = str(exc)
            if message is not None:
                batch.messages.append(message)
                if as_rows:
                    if message[_DIRECTION] == "outbound":
                        batch.brand_accounts.add(("x", message[_HANDLE], message[_BRAND]))
                elif message.direction == "outbound":
                    batch.brand_accounts.add(
                        ("x", message.author_handle or "", message.brand or "")
                    )
            elif last > first:
                raw = raw.split("\n", 1)[0] + "\n"
                reread = lines.reread_after_first_line()
                batch.rejected.append(
                    Rejected(
                        _original(raw, encoding),
                        (
                            f"line {first}: {error} (the record ran on to line {last}; "
                            f"{reread} line(s) after the first read again)"
                        ),
                    )
                )
                reader = csv.reader(lines)
            else:
                batch.rejected.append(Rejected(_original(raw, encoding), f"line {first}: {error}"))
            if len(batch.messages) + len(batch.rejected) >= batch_size:
                batch.bytes_read = lines.bytes_read
                yield batch
                batch = ImportBatch()
                fetched_at = fetched_now()
        batch.bytes_read = lines.bytes_read
        if batch.messages or batch.rejected:
            yield batch


# --- JSONL ------------------------------------------------------------------

JSONL_REQUIRED = ("platform", "id", "created_at", "text", "direction")


def parse_jsonl_record(record: Any) -> Message:
    """Turn one JSONL object into a :class:`Message` (schema in docs/import-jsonl.md).
    Raises ``ValueError`` with the reason when the object does not fit."""
    if not isinstance(record, dict):
        raise ValueError("each line must be a JSON object")
    # text may be empty (an image-only post still needs an answer); the other
    # required fields may not.
    missing = [
        k for k in JSONL_REQUIRED if record.get(k) is None or (record.get(k) == "" and k != "text")
    ]
    if missing:
        raise ValueError(f"missing required fields: {', '.join(missing)}")
    direction = record["direction"]
    if direction not in ("inbound", "outbound"):
        raise ValueError(f"direction must be inbound or outbound, got {direction!r}")
    channel = record.get("channel") or "public"
    if channel not in ("public", "private"):
        raise ValueError(f"channel must be public or private, got {channel!r}")
    try:
        created = datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"created_at is not ISO-8601: {record['created_at']!r}") from exc
    if created.tzinfo is None:
        raise ValueError("created_at needs a UTC offset (e.g. 2024-05-01T12:00:00Z)")
    try:
        created.astimezone(UTC).timestamp()
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"created_at is out of range: {record['created_at']!r}") from exc
    followers = record.get("author_followers")
    if followers is not None and (type(followers) is not int or not 0 <= followers < 2**63):
        raise ValueError("author_followers must be a non-negative 64-bit integer")
    if not isinstance(record["text"], str):
        raise ValueError("text must be a string")
    check_text_length(record["text"])
    return Message(
        platform=str(record["platform"]).lower(),
        external_id=_id_text(record["id"], "id"),
        created_at=created,
        text=record["text"],
        direction=direction,
        kind=str(record.get("kind") or ("dm" if channel == "private" else "comment")),
        channel=channel,
        source=JSONL_SOURCE,
        author_id=_opt_id(record.get("author_id"), "author_id"),
        author_handle=_opt_str(record.get("author_handle")),
        author_name=_opt_str(record.get("author_name")),
        author_followers=followers,
        brand=_opt_str(record.get("brand")),
        in_reply_to_id=_opt_id(record.get("in_reply_to_id"), "in_reply_to_id"),
        thread_ref=_opt_id(record.get("thread_id"), "thread_id"),
        url=_opt_str(record.get("url")),
        lang=_opt_str(record.get("lang")),
        raw=record,
    )


def _id_text(value: Any, name: str) -> str:
    """An id as text. Ids are strings or integers; an integer is its decimal
    text, so ``1`` and ``"1"`` are the same id (platforms write the same id both
    ways, e.g. X's ``id`` and ``id_str``). Booleans, fractions, NaN, objects
    and lists are refused: Python's text for them (``True``, ``{'a': 1}``) is
    not an id anyone wrote."""
    if isinstance(value, str) and value.strip():
        return value
    if type(value) is int:
        return str(value)
    raise ValueError(f"{name} must be a string or an integer, got {json.dumps(value)[:80]}")


def _opt_id(value: Any, name: str) -> str | None:
    return None if value in (None, "") else _id_text(value, name)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


# A JSON string can spell an unpaired UTF-16 surrogate ("\ud800"), which
# Python accepts but UTF-8 (and so SQLite) cannot store.
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _refuse_lone_surrogates(record: Any) -> None:
    """Raise ``ValueError`` if any string in ``record`` has an unpaired surrogate."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text contains an unpaired UTF-16 surrogate escape") from exc


#: The longest JSONL line read whole: a message's text is at most
#: MAX_TEXT_CHARS (63,206) characters, up to 6 bytes each as a JSON escape,
#: plus its other fields. A longer line is a dead letter keeping its first
#: LONG_LINE_KEPT bytes; the rest is skipped without being held in memory.
MAX_LINE_BYTES = 1 << 20
LONG_LINE_KEPT = 64 * 1024


def _duplicate_keys_refused(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for JSONL records: a key given twice is an error,
    not a silent "last one wins" (``{"id":"k1","id":"k2"}`` would be stored as
    k2, and a second ``created_at`` could slip past the date check)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        twice = sorted({key for key, _ in pairs if key in seen or seen.add(key)})
        raise ValueError(f"duplicate keys in one object: {', '.join(twice)}")
    return record


def _wide_encoding(sample: bytes) -> str | None:
    """ "UTF-16" or "UTF-32" when ``sample`` is JSON text in that encoding (its
    first character, after any byte-order mark and blanks, is ``{``), else None."""
    head = sample[:400]
    for codec in ("utf-32", "utf-16", "utf-16-be"):
        width = 4 if "32" in codec else 2
        try:
            text = head[: len(head) - len(head) % width].decode(codec)
        except UnicodeDecodeError:
            continue
        if text.lstrip().startswith("{"):
            return "UTF-32" if width == 4 else "UTF-16"
    return None


def check_jsonl_encoding(path: str | Path) -> None:
    """Raise ``ValueError`` for a JSONL file in UTF-16 or UTF-32, with how to
    convert it: JSON files are UTF-8 (RFC 8259), and reading one of these line
    by line would reject every line, plus a stray one for the bytes after the
    last line break."""
    with open(path, "rb") as binary:
        sample = binary.read(ENCODING_SAMPLE_BYTES)
    guess = _wide_encoding(sample)
    if guess:
        raise ValueError(
            f"{path}: not UTF-8: it looks like {guess}; JSONL files are UTF-8: convert it "
            f"first (e.g. iconv -f {guess} -t UTF-8 {Path(path).name} > utf8.jsonl)"
        )


def _jsonl_lines(binary: io.BufferedReader) -> Iterator[tuple[int, bytes, str | None]]:
    """``(line number, line, error)`` of each line; a line over
    :data:`MAX_LINE_BYTES` comes cut to :data:`LONG_LINE_KEPT` bytes with its
    error, its rest read past in bounded pieces."""
    number = 0
    while line := binary.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) <= MAX_LINE_BYTES:
            yield number, line, None
            continue
        head, size = line[:LONG_LINE_KEPT], len(line)
        while not line.endswith(b"\n") and (line := binary.readline(MAX_LINE_BYTES)):
            size += len(line)
        yield (
            number,
            head,
            (
                f"line {number}: {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit of a line "
                f"(only its first {LONG_LINE_KEPT:,} bytes are kept here)"
            ),
        )


def _jsonl_message(number: int, line: bytes) -> Message:
    """Parse one JSONL line (``ValueError``/``UnicodeDecodeError`` with the reason)."""
    # A byte-order mark (as Windows tools write) starts line 1 only.
    text = line.decode("utf-8-sig" if number == 1 else "utf-8")
    record = json.loads(text, object_pairs_hook=_duplicate_keys_refused)
    if "\\u" in text and _LONE_SURROGATE.search(text):
        _refuse_lone_surrogates(record)
    return parse_jsonl_record(record)


def read_jsonl(path: str | Path, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[ImportBatch]:
    """Stream a JSONL file (one message object per line) as batches; blank
    lines are skipped, bad lines are rejected with their line number. A file
    in UTF-16 or UTF-32 is refused whole (``ValueError``, with how to convert)."""
    check_jsonl_encoding(path)
    with open(path, "rb") as binary:
        batch = ImportBatch()
        for number, line, too_long in _jsonl_lines(binary):
            if too_long:
                batch.rejected.append(Rejected(line, too_long))
            elif not line.strip():
                continue
            else:
                try:
                    message = _jsonl_message(number, line)
                except RecursionError:
                    batch.rejected.append(Rejected(line, f"line {number}: JSON nested too deeply"))
                except (ValueError, UnicodeDecodeError) as exc:
                    batch.rejected.append(Rejected(line, f"line {number}: {exc}"))
                else:
                    batch.messages.append(message)
                    if message.direction == "outbound" and message.brand and message.author_handle:
                        batch.brand_accounts.add(
                            (message.platform, message.author_handle, message.brand)
                        )
            if len(batch.messages) + len(batch.rejected) >= batch_size:
                batch.bytes_read = binary.tell()
                yield batch
                batch = ImportBatch()
        batch.bytes_read = binary.tell()
        if batch.messages or batch.rejected:
            yield batch
