"""The statistics every response-time figure uses, in one place.

- **median**: the middle value of the sorted values; with an even count, the
  mean of the two middle values (so it can end in .5).
- **p90**: nearest rank: the value at 1-based rank ``ceil(0.9 * n)`` of the
  sorted values (always one of the observed values; for n < 10 it is the
  maximum).
- **mean**: arithmetic mean.
- **within(t)**: share of the values that are ``<= t`` seconds.

Values are integer seconds held in sorted numpy ``int64`` arrays (the rollup
stores them that way), so every figure is exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

#: Default "answered within" thresholds (seconds) and their report keys.
DEFAULT_THRESHOLDS: tuple[int, ...] = (15 * 60, 3600, 24 * 3600)


def threshold_key(seconds: int) -> str:
    """Report key for a threshold: 900 -> 'within_15m', 3600 -> 'within_1h',
    86400 -> 'within_24h', 90 -> 'within_90s'."""
    if seconds % 3600 == 0:
        return f"within_{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"within_{seconds // 60}m"
    return f"within_{seconds}s"


def sorted_values(parts: Iterable[np.ndarray] | np.ndarray) -> np.ndarray:
    """Concatenate arrays of seconds and sort them (int64)."""
    if isinstance(parts, np.ndarray):
        merged = parts
    else:
        chunks = [p for p in parts if len(p)]
        if not chunks:
            return np.empty(0, dtype=np.int64)
        merged = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
        if len(chunks) == 1:
            return merged  # already sorted (rollup values are stored sorted)
    return np.sort(merged, kind="stable")


def median(values: np.ndarray) -> float | None:
    """Median of sorted ``values`` (None if empty)."""
    n = len(values)
    if n == 0:
        return None
    return (int(values[(n - 1) // 2]) + int(values[n // 2])) / 2


def p90(values: np.ndarray) -> int | None:
    """Nearest-rank 90th percentile of sorted ``values`` (None if empty)."""
    n = len(values)
    if n == 0:
        return None
    # ceil(0.9 n) in integers, avoiding float rounding: (9n + 9) // 10
    return int(values[(9 * n + 9) // 10 - 1])


def mean(values: np.ndarray) -> float | None:
    """Arithmetic mean of ``values`` (None if empty), summed exactly in int64."""
    n = len(values)
    if n == 0:
        return None
    return int(values.sum(dtype=np.int64)) / n


def within_shares(values: np.ndarray, thresholds: Sequence[int]) -> list[float | None]:
    """For each threshold t, the share of sorted ``values`` that are <= t."""
    n = len(values)
    if n == 0:
        return [None for _ in thresholds]
    counts = np.searchsorted(values, np.asarray(thresholds, dtype=np.int64), side="right")
    return [int(c) / n for c in counts]
