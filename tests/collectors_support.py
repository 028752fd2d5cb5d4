"""Shared helpers for the collector tests: locating the real recorded traffic,
VCR configurations that replay it, a fake clock, and small builders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import vcr

from replywatch.config import parse_config
from tests.api_filters import filtering, query_matcher

REPO_ROOT = Path(__file__).resolve().parent.parent
CASSETTES = Path(__file__).resolve().parent / "cassettes"


def x_vcr(**kwargs) -> vcr.VCR:
    """Replays the tweepy YAML cassettes (gzip bodies need decoding)."""
    return vcr.VCR(
        decode_compressed_response=True, match_on=("method", "path"), record_mode="none", **kwargs
    )


PAGE_TOKENS = ("pagination_token", "next_token")


def page_token_matcher(r1, r2) -> None:
    """Requests match only if they carry the same page token (or none)."""
    q1, q2 = dict(r1.query), dict(r2.query)
    for name in PAGE_TOKENS:
        assert q1.get(name) == q2.get(name), f"{name}: {q1.get(name)} != {q2.get(name)}"


def json_vcr(**kwargs) -> vcr.VCR:
    """Replays the REAL JSON cassettes of ../shared/data (praw's recordings,
    made with praw's own queries): method + path, and the page token."""
    config = vcr.VCR(
        serializer="json",
        decode_compressed_response=True,
        match_on=("method", "path", "page_token"),
        record_mode="none",
        **kwargs,
    )
    config.register_matcher("page_token", page_token_matcher)
    return config


def story_vcr(**kwargs) -> vcr.VCR:
    """Replays OUR hand-made JSON cassettes (tests/cassettes) as the APIs
    would answer: a recording answers only a request with the same method,
    host, path and query (filters, limits, ``since_id``, page tokens; the
    field choices aside), and its body is cut to the fields the request
    asked for (:mod:`tests.api_filters`). Use :func:`story_cassette`."""
    config = vcr.VCR(
        serializer="json",
        decode_compressed_response=True,
        match_on=("method", "host", "path", "query_except_fields"),
        record_mode="none",
        **kwargs,
    )
    config.register_matcher("query_except_fields", query_matcher)
    return config


@contextmanager
def story_cassette(path: Path | str, **kwargs) -> Iterator[vcr.cassette.Cassette]:
    """Play a hand-made cassette through :func:`story_vcr`, answers filtered."""
    with story_vcr(**kwargs).use_cassette(str(path)) as cassette, filtering(cassette):
        yield cassette


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, "negative sleep"
        self.sleeps.append(seconds)
        self.now += seconds


def acme_config(**collector):
    """The configuration the hand-made cassettes were written for."""
    return parse_config(
        {
            "collector": {"x_min_request_interval_s": 1.0, **collector},
            "brands": {
                "acme": {
                    "name": "Acme",
                    "timezone": "America/Sao_Paulo",
                    "business_hours": {"mon": ["09:00", "18:00"]},
                    "sla": {"first_response_minutes": 60},
                    "x": {
                        "handles": ["AcmeHelp"],
                        "keywords": ["acme store"],
                        "direct_messages": True,
                    },
                    "reddit": {"account": "AcmeHelp", "subreddits": ["acme"], "keywords": ["acme"]},
                }
            },
        }
    )
