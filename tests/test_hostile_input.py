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

from replywatch.collectors.imports import (
    JSONL_SOURCE,
    TWCS_SOURCE,
    check_encoding,
    read_jsonl,
    read_twcs,
)
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
                # Bytes that are not UTF-8 are kept as bytes, shown escaped
                # (\x80), never replaced by U+FFFD (issue 18.7).
                assert junk.decode("utf-8", "backslashreplace").rstrip("\n") in payloads, junk

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
                text = line.decode("utf-8", "backslashreplace")  # as dead letters keep it
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


# --- issue 18: dates, encodings, ids ------------------------------------------------

GOOD_TWCS = {
    "tweet_id": "1",
    "author_id": "cust",
    "inbound": "True",
    "created_at": "Tue Oct 31 22:10:47 +0000 2017",
    "text": "help",
    "response_tweet_id": "",
    "in_response_to_tweet_id": "",
}


def _twcs_file(path: Path, *records: dict) -> Path:
    path.write_text(
        ",".join(TWCS_HEADER) + "\n" + "".join(twcs_line(r) for r in records), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("as_rows", [True, False])
def test_an_overflowing_twcs_date_is_a_dead_letter_not_the_end_of_the_import(
    db, tmp_path: Path, as_rows
):
    """Issue 18.6: ``-0100 9999`` is past year 9999 in UTC; it raised
    OverflowError and nothing of the file was stored."""
    bad = {**GOOD_TWCS, "tweet_id": "2", "created_at": "Fri Dec 31 23:59:59 -0100 9999"}
    path = _twcs_file(tmp_path / "overflow.csv", GOOD_TWCS, bad, {**GOOD_TWCS, "tweet_id": "3"})
    totals = import_batches(db, read_twcs(path, as_rows=as_rows), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (2, 1)
    payload, error = _dead_letters(db)[0]
    assert "-0100 9999" in payload and "line 3: bad created_at" in error


def test_implausible_dates_are_dead_letters_in_every_importer(db, tmp_path: Path):
    """Issue 18.8: one 9999-12-31 message moved every default period to year
    9999. Times outside 2000-01-01..2099-12-31 are refused with the reason."""
    far = {**GOOD_TWCS, "tweet_id": "2", "created_at": "Fri Dec 31 23:59:59 +0000 9999"}
    old = {**GOOD_TWCS, "tweet_id": "3", "created_at": "Sat Jan 01 00:00:00 +0000 1999"}
    path = _twcs_file(tmp_path / "far.csv", GOOD_TWCS, far, old)
    totals = import_batches(db, read_twcs(path, as_rows=True), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (1, 2)
    jsonl = tmp_path / "far.jsonl"
    base = {"platform": "x", "text": "hi", "direction": "inbound"}
    jsonl.write_text(
        "\n".join(
            json.dumps({**base, "id": i, "created_at": when})
            for i, when in (("a", "2024-05-01T10:00:00Z"), ("b", "9999-12-31T00:00:00Z"))
        ),
        encoding="utf-8",
    )
    totals = import_batches(db, read_jsonl(jsonl), source=JSONL_SOURCE)
    assert (totals.inserted, totals.rejected) == (1, 1)
    errors = [e for _, e in _dead_letters(db)]
    assert sum("outside the plausible range 2000-01-01 to 2099-12-31" in e for e in errors) == 3
    assert db.execute("SELECT max(created_ts) FROM messages").fetchone()[0] < 2**31


def test_jsonl_ids_are_strings_or_integers_and_a_conflicting_duplicate_is_reported(
    db, tmp_path: Path
):
    """Issue 18.11: dicts, booleans and NaN became ids Python-style (``True``,
    ``{'a': 1}``), and a duplicate id with different text was counted as
    "already stored" without a word. Integers are the same id as their text."""
    base = {"platform": "x", "created_at": "2024-05-01T10:00:00Z", "direction": "inbound"}
    lines = [
        json.dumps({**base, "id": 1, "text": "first"}),
        json.dumps({**base, "id": "1", "text": "first"}),  # the same message again
        json.dumps({**base, "id": "1", "text": "another message"}),
        json.dumps({**base, "id": True, "text": "bool"}),
        json.dumps({**base, "id": {"a": 1}, "text": "dict"}),
        '{"platform": "x", "created_at": "2024-05-01T10:00:00Z", "direction": "inbound", '
        '"id": NaN, "text": "nan"}',
        json.dumps({**base, "id": 2, "text": "second", "in_reply_to_id": [1]}),
    ]
    path = tmp_path / "ids.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals = import_batches(db, read_jsonl(path), source=JSONL_SOURCE)
    assert (totals.inserted, totals.duplicates, totals.rejected) == (1, 1, 5)
    assert db.execute("SELECT external_id, text FROM messages").fetchall() == [("1", "first")]
    errors = sorted(e for _, e in _dead_letters(db))
    assert sum("must be a string or an integer" in e for e in errors) == 4
    [conflict] = [(p, e) for p, e in _dead_letters(db) if "duplicate id" in e]
    assert "another message" in conflict[0]
    assert "x:1 with different text than the message earlier in the file" in conflict[1]
    # The same id with other text in a later file: reported, the stored one kept.
    later = tmp_path / "later.jsonl"
    later.write_text(json.dumps({**base, "id": 1, "text": "edited"}) + "\n", encoding="utf-8")
    totals = import_batches(db, read_jsonl(later), source=JSONL_SOURCE)
    assert (totals.inserted, totals.duplicates, totals.rejected) == (0, 0, 1)
    assert any("already stored" in e and "x:1" in e for _, e in _dead_letters(db))
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps({**base, "id": "1", "text": "first"}) + "\n", encoding="utf-8")
    totals = import_batches(db, read_jsonl(again), source=JSONL_SOURCE)
    assert (totals.inserted, totals.duplicates, totals.rejected) == (0, 1, 0)
    assert db.execute("SELECT text FROM messages").fetchall() == [("first",)]


ACCENTED = ["Não recebi o pedido", "cobrança indevida", "péssimo atendimento", "Olá!", "ação"]


def _accented_records() -> list[dict]:
    return [{**GOOD_TWCS, "tweet_id": str(i + 1), "text": t} for i, t in enumerate(ACCENTED)]


def test_a_latin1_twcs_file_is_refused_with_a_hint_and_imports_exactly_with_encoding(
    db, tmp_path: Path
):
    """Issue 18.7: a latin-1 file imported "5 new, 0 rejected" with every accent
    replaced by U+FFFD in text and raw. It is refused (nothing stored, the
    message names --encoding), and with --encoding its text is kept exactly."""
    from click.testing import CliRunner

    from replywatch.cli import main

    path = tmp_path / "latin1.csv"
    body = ",".join(TWCS_HEADER) + "\n" + "".join(twcs_line(r) for r in _accented_records())
    path.write_bytes(body.encode("latin-1"))
    with pytest.raises(ValueError, match=r"not UTF-8 \(byte 0xe3 on line 2\).*--encoding"):
        check_encoding(path)
    result = CliRunner().invoke(
        main, ["import", "twcs", str(path), "--db", str(tmp_path / "cli.db"), "--no-score"]
    )
    assert result.exit_code == 1 and "--encoding" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    # The reader itself never rewrites: without the right encoding every
    # accented row is a dead letter holding its original bytes.
    with _import(path.read_bytes(), read_twcs, TWCS_SOURCE, batch_size=5000) as (other, totals):
        assert (totals.inserted, totals.rejected) == (0, 5)
        assert all("\ufffd" not in p and "\\x" in p for p, _ in _dead_letters(other))
    totals = import_batches(
        db, read_twcs(path, as_rows=True, encoding="latin-1"), source=TWCS_SOURCE
    )
    assert (totals.inserted, totals.rejected) == (5, 0)
    stored = [r[0] for r in db.execute("SELECT text FROM messages ORDER BY id")]
    assert stored == ACCENTED
    assert "\ufffd" not in "".join(r[0] for r in db.execute("SELECT raw FROM messages"))


def test_a_stray_undecodable_byte_after_the_sample_is_a_dead_letter_with_its_bytes(
    db, tmp_path: Path, monkeypatch
):
    from replywatch.collectors import imports

    monkeypatch.setattr(imports, "ENCODING_SAMPLE_BYTES", 200)
    records = [{**GOOD_TWCS, "tweet_id": str(i), "text": f"ok {i} ação"} for i in range(1, 8)]
    body = (",".join(TWCS_HEADER) + "\n" + "".join(twcs_line(r) for r in records)).encode()
    body = body.replace("ok 6 ação".encode(), "ok 6 a\xe7\xe3o".encode("latin-1"))
    path = tmp_path / "stray-byte.csv"
    path.write_bytes(body)
    totals = import_batches(db, read_twcs(path, as_rows=True), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (6, 1)
    [(payload, error)] = _dead_letters(db)
    assert "line 7: bytes that are not utf-8" in error
    assert "ok 6 a\\xe7\\xe3o" in payload  # the original bytes, escaped, never U+FFFD
    assert "\ufffd" not in "".join(r[0] for r in db.execute("SELECT text FROM messages"))


def test_utf8_bom_files_import_in_both_formats(db, tmp_path: Path):
    """Issue 18.7: a UTF-8 BOM twcs file without the index column (how Excel
    saves the Kaggle file) was refused as "header lacks tweet_id"; in JSONL the
    BOM dead-lettered line 1."""
    path = tmp_path / "bom.csv"
    body = ",".join(TWCS_HEADER) + "\n" + "".join(twcs_line(r) for r in _accented_records())
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    totals = import_batches(db, read_twcs(path, as_rows=True), source=TWCS_SOURCE)
    assert (totals.inserted, totals.rejected) == (5, 0)
    jsonl = tmp_path / "bom.jsonl"
    record = {"platform": "email", "id": "m1", "created_at": "2024-05-01T10:00:00Z",
              "text": "Olá", "direction": "inbound"}  # fmt: skip
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps(record).encode() + b"\n")
    totals = import_batches(db, read_jsonl(jsonl), source=JSONL_SOURCE)
    assert (totals.inserted, totals.rejected) == (1, 0)
