"""background: a file read in a child process gives the same
batches as reading it here, and the reader's errors reach the caller."""

from __future__ import annotations

from functools import partial

import pytest

from replywatch.background import read_in_background
from replywatch.collectors.imports import read_twcs
from replywatch.store.messages import MESSAGE_COLUMNS

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def _write(tmp_path, rows: int):
    path = tmp_path / "twcs.csv"
    lines = [HEADER]
    for i in range(1, rows + 1):
        when = f"Tue Oct 31 22:10:{i % 60:02d} +0000 2017"
        lines.append(f'{i},cust{i},True,{when},"@Brand hi {i}",,\n')
    lines.append("x,bad,True,nope,text,,\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_background_batches_equal_direct_reading(tmp_path):
    path = _write(tmp_path, 250)
    direct = list(read_twcs(path, batch_size=40, as_rows=True))
    background = list(read_in_background(partial(read_twcs, path, batch_size=40, as_rows=True)))
    # fetched_at is the moment of reading (to the second): the two reads may straddle one
    fetched = MESSAGE_COLUMNS.index("fetched_at")

    def content(batches):
        return [[row[:fetched] + row[fetched + 1 :] for row in b.messages] for b in batches]

    assert content(background) == content(direct)
    assert [(r.payload, r.error) for b in background for r in b.rejected] == [
        (r.payload, r.error) for b in direct for r in b.rejected
    ]
    assert sum(len(b.messages) for b in background) == 250


def test_reader_errors_are_raised_in_the_caller(tmp_path):
    path = tmp_path / "not_twcs.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a twcs file"):
        list(read_in_background(partial(read_twcs, path)))


def test_stopping_early_stops_the_child(tmp_path):
    path = _write(tmp_path, 2000)
    batches = read_in_background(partial(read_twcs, path, batch_size=10, as_rows=True))
    first = next(batches)
    assert len(first.messages) == 10
    batches.close()  # runs the generator's cleanup: the child is terminated and joined
