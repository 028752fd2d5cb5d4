"""Calling a rate-limited API politely: a per-second throttle, sleeping until a
429's reset time, backing off with jitter on 5xx/network errors, and a monthly
read budget. Time is injected (``clock``, ``sleep``) so tests never wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]


def real_sleep(seconds: float) -> None:
    """``time.sleep`` looked up at call time (so tests can patch it)."""
    time.sleep(seconds)


def real_clock() -> float:
    """``time.time`` looked up at call time."""
    return time.time()


class RateLimited(Exception):
    """A 429 whose reset is further away than we are willing to wait."""

    def __init__(self, reset_at: float | None, message: str):
        super().__init__(message)
        self.reset_at = reset_at


class BudgetExhausted(Exception):
    """The monthly read cap would be exceeded by the next request."""


class BadPayload(Exception):
    """A response body that is not the JSON we expect (e.g. truncated), kept raw
    so it can be dead-lettered."""

    def __init__(self, body: str, error: str):
        super().__init__(error)
        self.body = body


@dataclass
class WaitLog:
    """Seconds slept, split by reason (for collector health)."""

    rate_limit_s: float = 0.0
    throttle_s: float = 0.0
    backoff_s: float = 0.0
    retries: int = 0

    def take(self) -> WaitLog:
        """Return the totals so far and reset them."""
        taken = WaitLog(self.rate_limit_s, self.throttle_s, self.backoff_s, self.retries)
        self.rate_limit_s = self.throttle_s = self.backoff_s = 0.0
        self.retries = 0
        return taken


class Throttle:
    """Keeps at least ``min_interval`` seconds between calls (X enforces an
    undocumented per-second limit on top of the 15-minute windows)."""

    def __init__(
        self,
        min_interval: float,
        *,
        clock: Clock = real_clock,
        sleep: Sleep = real_sleep,
        log: WaitLog | None = None,
    ):
        self.min_interval = min_interval
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self.log = log or WaitLog()

    def wait(self) -> None:
        """Sleep just long enough to respect the interval, then mark a call."""
        now = self._clock()
        if self._last is not None:
            gap = self._last + self.min_interval - now
            if gap > 0:
                self._sleep(gap)
                self.log.throttle_s += gap
                now += gap
        self._last = now


@dataclass
class ReadBudget:
    """Posts read this calendar month (UTC) against an optional cap. Persisted
    as the cursor of a pseudo-source so it survives restarts."""

    cap: int | None
    month: str = ""
    reads: int = 0
    clock: Clock = field(default=real_clock, repr=False)

    def _roll(self) -> None:
        month = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m")
        if month != self.month:
            self.month, self.reads = month, 0

    def check(self, upcoming: int) -> None:
        """Raise :class:`BudgetExhausted` if reading ``upcoming`` more posts could
        pass the cap (a page may hold up to ``upcoming``)."""
        self._roll()
        if self.cap is not None and self.reads + upcoming > self.cap:
            raise BudgetExhausted(
                f"monthly read cap reached: {self.reads:,} of {self.cap:,} posts read in "
                f"{self.month}; X sources pause until next month (collector.x_monthly_read_cap)"
            )

    def add(self, count: int) -> None:
        """Count ``count`` posts read."""
        self._roll()
        self.reads += count

    def state(self) -> dict[str, Any]:
        """The persisted form."""
        return {"month": self.month, "reads": self.reads, "cap": self.cap}

    def load(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state` output (other months start from zero)."""
        self._roll()
        if state.get("month") == self.month:
            self.reads = int(state.get("reads") or 0)


#: What :func:`call_with_retries` should do with an exception: ``("rate_limit",
#: reset_unix_seconds_or_None)``, ``("transient", None)`` or ``("fatal", None)``.
Verdict = tuple[str, float | None]


def call_with_retries(
    fn: Callable[[], T],
    *,
    classify: Callable[[BaseException], Verdict],
    attempts: int,
    max_rate_limit_wait: float,
    clock: Clock = real_clock,
    sleep: Sleep = real_sleep,
    log: WaitLog | None = None,
) -> T:
    """Call ``fn``; on a rate-limit error sleep until its reset time (60 s if the
    reset is unknown), on a transient error back off exponentially with jitter;
    give up after ``attempts`` tries and re-raise the last error. Fatal errors
    are re-raised at once. A reset further away than ``max_rate_limit_wait``
    raises :class:`RateLimited` instead of sleeping (the caller keeps its place
    and tries again on a later poll)."""
    log = log if log is not None else WaitLog()
    backoff = wait_exponential_jitter(initial=1, max=60, jitter=1)

    def retryable(exc: BaseException) -> bool:
        return classify(exc)[0] in ("rate_limit", "transient")

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        kind, reset = classify(exc) if exc is not None else ("transient", None)
        if kind == "rate_limit":
            # +1 s: the reset second itself may still be inside the window.
            seconds = max(1.0, (reset + 1 - clock()) if reset is not None else 60.0)
            if seconds > max_rate_limit_wait:
                raise RateLimited(
                    reset, f"rate limited until {_when(reset)}; not waiting {seconds:.0f}s now"
                ) from exc
            log.rate_limit_s += seconds
        else:
            seconds = backoff(state)
            log.backoff_s += seconds
        log.retries += 1
        return seconds

    retrying = Retrying(
        retry=retry_if_exception(retryable),
        wait=wait,
        stop=stop_after_attempt(max(1, attempts)),
        sleep=sleep,
        reraise=True,
    )
    return retrying(fn)


def _when(reset: float | None) -> str:
    if reset is None:
        return "an unknown time"
    return datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
