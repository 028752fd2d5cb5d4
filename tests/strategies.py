"""Reusable hypothesis strategies for hostile input: well-formed records with
awkward content, garbage lines and mutations of real rows.

Collector tests can reuse :func:`hostile_text`, :func:`garbage_line` and
:func:`mutated` for API payloads.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

TWCS_HEADER = ["tweet_id", "author_id", "inbound", "created_at", "text",
               "response_tweet_id", "in_response_to_tweet_id"]  # fmt: skip

# Characters that break naive parsers, mixed into otherwise ordinary text.
NASTY_CHARS = ['"', ",", "\n", "\r", "\r\n", "\x00", "\t", "\\", "'", "\ue000", "\ufeff",
               "\u2028", "😀", "ç", "ã", "\ufffd", "<script>", "=cmd|", "@", "#"]  # fmt: skip


def hostile_text(max_size: int = 300) -> st.SearchStrategy[str]:
    """Unicode text (no lone surrogates: it must be storable) salted with
    quotes, separators, line breaks, NULs, BOMs and emoji."""
    pieces = st.one_of(st.text(max_size=40), st.sampled_from(NASTY_CHARS))
    return st.lists(pieces, max_size=max_size // 10 or 1).map("".join).map(lambda s: s[:max_size])


handles = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    min_size=1,
    max_size=15,
)

twitter_times = st.datetimes(
    min_value=datetime(2006, 3, 21), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@st.composite
def twcs_records(draw, ids: st.SearchStrategy[int]) -> dict[str, str]:
    """One well-formed twcs record (as the CSV writer's field strings) with a
    unique ``tweet_id`` drawn from ``ids``."""
    tweet_id = draw(ids)
    parent = draw(
        st.one_of(
            st.just(""),
            st.integers(1, 10**18).map(str),
            st.integers(1, 10**18).map(lambda i: f"{i}.0"),
        )
    )
    offset = draw(st.sampled_from([0, 0, 0, -3 * 60, 5 * 60 + 30]))
    moment = draw(twitter_times).astimezone(timezone(timedelta(minutes=offset)))
    return {
        "tweet_id": str(tweet_id),
        "author_id": draw(handles),
        "inbound": draw(st.sampled_from(["True", "False"])),
        "created_at": moment.strftime("%a %b %d %H:%M:%S %z %Y"),
        "text": draw(hostile_text()),
        "response_tweet_id": draw(
            st.one_of(
                st.just(""),
                st.lists(st.integers(1, 10**12).map(str), min_size=1, max_size=3).map(",".join),
            )
        ),
        "in_response_to_tweet_id": parent,
    }


def twcs_line(record: dict[str, str], *, index: int | None = None) -> str:
    """The CSV text of ``record`` as the Kaggle file writes it (``\\n`` line
    ends, minimal quoting), with a leading index column if ``index`` is set."""
    out = io.StringIO()
    values = [record[c] for c in TWCS_HEADER]
    csv.writer(out, lineterminator="\n").writerow(
        values if index is None else [str(index), *values]
    )
    return out.getvalue()


def garbage_line() -> st.SearchStrategy[bytes]:
    """A line of junk: random bytes (invalid UTF-8, NULs, quotes) or text that
    is almost CSV, ending in a newline."""
    junk = st.one_of(
        st.binary(min_size=1, max_size=200),
        st.text(max_size=120).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.lists(
            st.sampled_from(['"', ",", "x", "1", "True", "\x00", "\r"]), min_size=1, max_size=30
        ).map(lambda p: "".join(p).encode()),
    )
    return junk.map(lambda b: b.replace(b"\n", b" ").rstrip(b"\r") + b"\n").filter(
        lambda b: b.strip() != b""
    )


@st.composite
def mutated(draw, line: bytes) -> bytes:
    """``line`` with a few random byte-level edits: insertions (quotes, NULs,
    invalid UTF-8, separators, line breaks), deletions, truncation, a huge
    field."""
    data = bytearray(line.rstrip(b"\n"))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "truncate", "huge", "flip"]))
        at = draw(st.integers(0, len(data)))
        if kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b'"', b",", b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b'""', b"\xed\xa0\x80"]
                )
            )
        elif kind == "delete" and data:
            del data[max(0, at - 1) : at + draw(st.integers(0, 5))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "huge":
            data[at:at] = b"A" * draw(st.sampled_from([1000, 140_000]))
        elif kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
    return bytes(data) + b"\n"


# --- JSONL --------------------------------------------------------------------


@st.composite
def jsonl_records(draw, ids: st.SearchStrategy[int]) -> dict:
    """One well-formed JSONL message object (docs/import-jsonl.md) with a
    unique id drawn from ``ids`` and hostile text in every free-text field."""
    channel = draw(st.sampled_from(["public", "private"]))
    record = {
        "platform": draw(st.sampled_from(["facebook", "instagram", "email", "x"])),
        "id": f"j{draw(ids)}",
        "created_at": draw(twitter_times).isoformat().replace("+00:00", "Z"),
        "text": draw(hostile_text()),
        "direction": draw(st.sampled_from(["inbound", "outbound"])),
        "channel": channel,
    }
    optional = {
        "author_handle": handles,
        "author_name": hostile_text(60),
        "author_followers": st.integers(0, 2**62),
        "brand": handles,
        "thread_id": handles,
        "url": hostile_text(80),
        "lang": st.sampled_from(["en", "pt", "und"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            record[key] = draw(strategy)
    return record


def jsonl_garbage() -> st.SearchStrategy[bytes]:
    """Lines a JSONL importer must reject without crashing: junk bytes, JSON
    that is not an object, objects with wrong types, lone surrogates, huge
    numbers, deep nesting."""
    base = {
        "platform": "x",
        "id": "g1",
        "created_at": "2024-05-01T10:00:00Z",
        "text": "hi",
        "direction": "inbound",
    }
    broken_objects = st.sampled_from(
        [
            {**base, "direction": "sideways"},
            {**base, "created_at": "yesterday"},
            {**base, "created_at": "2024-05-01T10:00:00"},
            {**base, "created_at": "9999-12-31T23:59:59-14:00"},
            {**base, "author_followers": 10**30},
            {**base, "author_followers": True},
            {**base, "text": None},
            {**base, "text": 5},
            {**base, "channel": "dm"},
            {k: v for k, v in base.items() if k != "id"},
        ]
    ).map(lambda o: json.dumps(o).encode())
    special = st.sampled_from(
        [
            b'{"platform": "x", "id": "s1", "created_at": "2024-05-01T10:00:00Z", '
            b'"text": "lone \\ud800 surrogate", "direction": "inbound"}',
            b'{"platform": "x", "id": "s2", "created_at": "2024-05-01T10:00:00Z", '
            b'"text": "ok", "direction": "inbound", "author_name": "\\udfff"}',
            b"[" * 100_000 + b"]" * 100_000,
            b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
            b"1" * 5000,
            b"NaN",
            b'"just a string"',
            b"\xff\xfe{}",
        ]
    )
    return st.one_of(broken_objects, special, garbage_line().map(lambda b: b.rstrip(b"\n")))
