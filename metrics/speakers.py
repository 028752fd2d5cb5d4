"""Who speaks for the brand, shared by the conversation engine and the
outcomes (``metrics.engine`` imports ``metrics.outcomes``, never the reverse;
both import this)."""

from __future__ import annotations

from collections.abc import Mapping

# Read in the store (issue 24: only store/ speaks SQL); named here too, where
# the engine and the outcomes have always found it.
from replywatch.store.brands import load_brand_accounts  # noqa: F401 - re-exported

#: Conversations recomputed per statement batch.
CHUNK = 500


def speaker_is_brand(
    direction: str,
    platform: str,
    author: str | None,
    brand_by_handle: Mapping[tuple[str, str], str],
) -> bool:
    """True when a message is the brand speaking: outbound, or written by one
    of the brand accounts (platform + handle, case-insensitive). Messages are
    ordered by ``(created_ts, speaker_is_brand, id)``: at equal seconds the
    customer comes first."""
    return direction == "outbound" or (platform, (author or "").lower()) in brand_by_handle
