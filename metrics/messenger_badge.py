"""Facebook's "Very responsive to messages" badge, simulated per page.

Facebook's published rule (Meta Business Help Center, "Learn how Facebook
Pages get the Very responsive to messages badge" and its definitions of
response rate and response time): over the last 7 days, a **response rate of
90 %** and a **response time of 15 minutes**, where

* a message *counts* when it is the first one a person sends the page after
  neither side wrote in that thread for at least 24 hours;
* the response rate is the share of counted messages the page answered;
* the response time is the **average of the fastest 90 %** of the page's
  first responses to counted messages;
* messages marked spam do not count; while the page is set to *away* the
  clock starts when it becomes available again (replywatch cannot see away
  status: docs/metrics.md says what the simulator follows and where it
  cannot).

Only Messenger threads count (``platform = 'facebook'``, private channel),
one page per brand. :func:`very_responsive` also says how far each page is
from earning the badge, or how much room it has before losing it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from replywatch.store.db import Database
from replywatch.store.messenger import messenger_timeline
from replywatch.store.timeutil import unix_seconds

WINDOW = timedelta(days=7)
SILENCE = timedelta(hours=24)
RATE_TARGET = 0.90
TIME_TARGET_S = 15 * 60
FASTEST_SHARE = 0.90


def very_responsive(
    db: Database, *, brand: str | None = None, now: datetime | int | float | None = None
) -> list[dict[str, Any]]:
    """One dict per brand with Messenger messages in the last 7 days before
    ``now``: ``brand``, ``since``/``until`` (unix s), ``counted`` (messages
    that count), ``answered``, ``pending`` (counted, unanswered, received in
    the last 24 h: still answerable), ``spam_excluded``, ``response_rate``,
    ``response_time_s`` (mean of the fastest 90 % of first responses),
    ``rate_ok``, ``time_ok``, ``has_badge``, and the distance to the badge:
    ``misses_allowed`` (more unanswered new messages it can take and keep the
    rate; 0 when below it), ``answers_needed`` (consecutive answered new
    messages that would lift the rate to 90 %; 0 when met) and
    ``time_margin_s`` (900 minus the response time: headroom when positive,
    how much faster the average must get when negative)."""
    until = unix_seconds(now)
    since = until - int(WINDOW.total_seconds())
    silence = int(SILENCE.total_seconds())
    pages: dict[str, _Page] = {}
    thread_key: tuple[str, str] | None = None
    last_ts: int | None = None
    waiting: list[int | None] | None = None  # [start, response] of the open counted message
    for brand_key, thread, ts, direction, spam in messenger_timeline(
        db, since - silence, until, brand
    ):
        page = pages.setdefault(brand_key, _Page())
        key = (brand_key, thread or "")
        if key != thread_key:
            thread_key, last_ts, waiting = key, None, None
        if spam:
            # Spam does not count, and does not break the silence either.
            if direction == "inbound" and ts >= since:
                page.spam += 1
            continue
        if direction == "inbound":
            if last_ts is None or ts - last_ts >= silence:
                # A new message; counted only inside the window.
                waiting = [ts, None] if ts >= since else None
                if waiting is not None:
                    page.counted.append(waiting)
        elif waiting is not None and waiting[1] is None:
            waiting[1] = ts - waiting[0]  # the page's first response
            waiting = None
        last_ts = ts
    return [pages[key].summary(key, since, until) for key in sorted(pages) if pages[key].counted]


class _Page:
    """What one page's counted messages add up to."""

    def __init__(self) -> None:
        self.counted: list[list[int | None]] = []
        self.spam = 0

    def summary(self, brand: str, since: int, until: int) -> dict[str, Any]:
        counted = len(self.counted)
        responses = sorted(r for _, r in self.counted if r is not None)
        answered = len(responses)
        silence = int(SILENCE.total_seconds())
        pending = sum(1 for ts, r in self.counted if r is None and until - ts < silence)
        rate = answered / counted
        fastest = responses[: max(1, math.ceil(FASTEST_SHARE * answered))]
        time_s = sum(fastest) / len(fastest) if answered else None
        # Integer arithmetic: 9 of 10 is exactly 90 %.
        rate_ok = answered * 10 >= counted * 9
        time_ok = time_s is not None and time_s <= TIME_TARGET_S
        return {
            "brand": brand,
            "since": since,
            "until": until,
            "counted": counted,
            "answered": answered,
            "pending": pending,
            "spam_excluded": self.spam,
            "response_rate": rate,
            "response_time_s": time_s,
            "rate_ok": rate_ok,
            "time_ok": time_ok,
            "has_badge": rate_ok and time_ok,
            # answered / (counted + k) >= 0.9  <=>  k <= answered * 10 / 9 - counted
            "misses_allowed": max(0, answered * 10 // 9 - counted),
            # (answered + m) / (counted + m) >= 0.9  <=>  m >= 9 * counted - 10 * answered
            "answers_needed": max(0, 9 * counted - 10 * answered),
            "time_margin_s": None if time_s is None else TIME_TARGET_S - time_s,
        }
