"""Property-based tests: the file importers on random and mutated input.

Promises checked on every example: the import does not crash; every
well-formed row is stored exactly; every rejected item is in ``dead_letters``
with a reason; every input line ends up in a stored message or a dead letter.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replywatch.collectors.imports import JSONL_SOURCE, TWCS_SOURCE, read_jsonl, read_twcs
from replywatch.pipeline import import_batches
from replywatch.store.db import open_database
from tests.strategies import (
    TWCS_HEADER,
    garbage_line,
    jsonl_garbage,
    jsonl_records,
    mutated,
    twcs_line,
    twcs_records,
)

EXAMPLES = int(os.environ.get("REPLYWATCH_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@contextmanager
def _import(data: bytes, reader, source: str, *, batch_size: int):
    """Import ``data`` into a fresh database in a temp folder; yield (db, totals)."""
    with tempfile.TemporaryDirectory(prefix="rw-fuzz-") as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        db = open_database(Path(tmp) / "fuzz.db")
        try:
            yield db, import_batches(db, reader(path, batch_size=batch_size), source=source)
        finally:
            db.close()


def _dead_letters(db) -> list[tuple[str, str]]:
    return db.execute("SELECT payload, error FROM dead_letters").fetchall()


def _report(name: str, count: int) -> None:
    print(f"\n{name}: {count} hypothesis examples, zero loss")
    assert count > 0


def test_twcs_well_formed_rows_survive_garbage_between_them():
    ran = 0

    @FUZZ
    @given(
        records=st.lists(
            twcs_records(st.integers(1, 10**15)), max_size=25, unique_by=lambda r: r["tweet_id"]
        ),
        garbage=st.lists(garbage_line(), max_size=8),
        positions=st.lists(st.integers(0, 30), max_size=8),
        with_index=st.booleans(),
        batch_size=st.sampled_from([1, 3, 5000]),
    )
    def check(records, garbage, positions, with_index, batch_size):
        nonlocal ran
        ran += 1
        header = ["", *TWCS_HEADER] if with_index else TWCS_HEADER
        lines = [
            twcs_line(r, index=i if with_index else None).encode("utf-8")
            for i, r in enumerate(records)
        ]
        for i, junk in enumerate(garbage):
            at = positions[i] if i < len(positions) else len(lines)
            lines.insert(min(at, len(lines)), junk)
        data = (",".join(header) + "\n").encode() + b"".join(lines)
        with _import(data, read_twcs, TWCS_SOURCE, batch_size=batch_size) as (db, totals):
            stored = {
                row[0]: row[1:]
                for row in db.execute(
                    "SELECT external_id, text, author_handle, direction, in_reply_to_id, "
                    "conversation_id FROM messages"
                )
            }
            for record in records:
                parent = record["in_response_to_tweet_id"].removesuffix(".0") or None
                direction = "inbound" if record["inbound"] == "True" else "outbound"
                assert record["tweet_id"] in stored, f"valid row dropped: {record!r}"
                text, author, got_direction, got_parent, conversation = stored[record["tweet_id"]]
                assert (text, author, got_direction, got_parent) == (
                    record["text"],
                    record["author_id"],
                    direction,
                    parent,
                )
                assert conversation is not None
            assert totals.inserted == len(records)
            letters = _dead_letters(db)
            assert all(error for _, error in letters)
            payloads = "\x1e".join(p for p, _ in letters)
            for junk in garbage:
                assert junk.decode("utf-8", "replace").rstrip("\n") in payloads, junk

    check()
    _report("twcs well-formed + garbage", ran)


@pytest.fixture(scope="module")
def real_records() -> list[bytes]:
    """The CSV text of each record of the real slice (its ``raw``)."""
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "twcs" / "twcs_head5000.csv"
    if not path.is_file():
        pytest.fail(f"missing {path}")
    return [m.raw.encode("utf-8") for b in read_twcs(path) for m in b.messages]


def test_twcs_mutated_real_rows_lose_nothing(real_records):
    ran = 0
    header = open(
        Path(__file__).resolve().parents[1].parent
        / "shared"
        / "data"
        / "twcs"
        / "twcs_head5000.csv",
        "rb",
    ).readline()

    @FUZZ
    @given(
        data=st.data(), picks=st.lists(st.integers(0, 4999), min_size=1, max_size=30, unique=True)
    )
    def check(data, picks):
        nonlocal ran
        ran += 1
        lines = []
        intact = []
        for pick in picks:
            line = real_records[pick]
            if data.draw(st.booleans(), label="mutate"):
                lines.append(data.draw(mutated(line), label="mutation"))
            else:
                lines.append(line)
                intact.append(line)
        with _import(
            header + b"".join(lines),
            read_twcs,
            TWCS_SOURCE,
            batch_size=data.draw(st.sampled_from([2, 5000])),
        ) as (db, totals):
            raws = [r[0] for r in db.execute("SELECT raw FROM messages")]
            letters = _dead_letters(db)
            assert all(error for _, error in letters)
            accounted = "\x1e".join(raws + [p for p, _ in letters])
            stored_ids = {r[0] for r in db.execute("SELECT external_id FROM messages")}
            for line in b"".join(lines).split(b"\n"):
                text = line.decode("utf-8", "replace")
                if text.strip() and text not in accounted:
                    # only a row repeating an already stored id may be skipped
                    assert text.split(",")[1] in stored_ids, f"line lost: {line!r}"
            for line in intact:
                tweet_id = line.split(b",")[1].decode()
                assert tweet_id in stored_ids, f"intact real row dropped: {line!r}"
            assert totals.inserted == len(stored_ids)

    check()
    _report("twcs mutated real rows", ran)


def test_jsonl_valid_records_kept_and_every_bad_line_dead_lettered():
    ran = 0

    @FUZZ
    @given(
        records=st.lists(
            jsonl_records(st.integers(1, 10**12)),
            max_size=20,
            unique_by=lambda r: (r["platform"], r["id"]),
        ),
        garbage=st.lists(jsonl_garbage(), max_size=6),
        positions=st.lists(st.integers(0, 25), max_size=6),
        batch_size=st.sampled_from([1, 4, 5000]),
    )
    def check(records, garbage, positions, batch_size):
        nonlocal ran
        ran += 1
        lines = [
            json.dumps(r, ensure_ascii=bool(i % 2)).encode("utf-8") + b"\n"
            for i, r in enumerate(records)
        ]
        for i, junk in enumerate(garbage):
            at = positions[i] if i < len(positions) else len(lines)
            lines.insert(min(at, len(lines)), junk + b"\n")
        with _import(b"".join(lines), read_jsonl, JSONL_SOURCE, batch_size=batch_size) as (
            db,
            totals,
        ):
            for record in records:
                row = db.execute(
                    "SELECT text, author_handle, author_name, author_followers, direction, channel "
                    "FROM messages WHERE platform = ? AND external_id = ?",
                    (record["platform"], record["id"]),
                ).fetchone()
                assert row is not None, f"valid record dropped: {record!r}"
                assert row == (
                    record["text"],
                    record.get("author_handle"),
                    record.get("author_name") or None,
                    record.get("author_followers"),
                    record["direction"],
                    record["channel"],
                )
            assert totals.inserted == len(records)
            letters = _dead_letters(db)
            assert all(error for _, error in letters)
            payloads = "\x1e".join(p for p, _ in letters)
            for junk in garbage:
                assert junk.decode("utf-8", "backslashreplace") in payloads, junk[:200]

    check()
    _report("jsonl valid + garbage", ran)


def test_huge_field_is_dead_lettered_and_the_rest_imports(db, tmp_path: Path):
    good = {
        "tweet_id": "1",
        "author_id": "cust",
        "inbound": "True",
        "created_at": "Tue Oct 31 22:10:47 +0000 2017",
        "text": "help",
        "response_tweet_id": "",
        "in_response_to_tweet_id": "",
    }
    huge = {**good, "tweet_id": "2", "text": "x" * 2_000_000}
    after = {**good, "tweet_id": "3"}
    path = tmp_path / "huge.csv"
    path.write_text(
        ",".join(TWCS_HEADER) + "\n" + twcs_line(good) + twcs_line(huge) + twcs_line(after),
        encoding="utf-8",
    )
    totals = import_batches(db, read_twcs(path), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (2, 1)
    error = db.execute("SELECT error FROM dead_letters").fetchone()[0]
    assert "field larger than field limit" in error


def test_stray_quote_does_not_swallow_the_next_rows(db, tmp_path: Path, twcs_slice: Path):
    lines = twcs_slice.read_bytes().split(b"\n")
    # tweet 19's unquoted text gets an opening quote that is never closed on
    # its line: the CSV parser reads the following rows into that field.
    assert lines[20].startswith(b"19,27,Ask_Spectrum")
    lines[20] = lines[20].replace(b",@115716", b',"@115716')
    path = tmp_path / "stray.csv"
    path.write_bytes(b"\n".join(lines))
    totals = import_batches(db, read_twcs(path), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (4999, 1)
    payload = db.execute("SELECT payload FROM dead_letters").fetchone()[0]
    assert payload.startswith("19,27,Ask_Spectrum") and payload.count("\n") == 1
