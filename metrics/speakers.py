"""Who speaks for the brand, shared by the conversation engine and the
outcomes (``metrics.engine`` imports ``metrics.outcomes``, never the reverse;
both import this)."""

from __future__ import annotations

from collections.abc import Mapping

from replywatch.store.db import Database

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


def load_brand_accounts(db: Database) -> dict[tuple[str, str], str]:
    """Map (platform, lower-case handle) -> brand key of every brand account."""
    return {
        (platform, handle.lower()): brand
        for platform, handle, brand in db.execute(
            "SELECT platform, handle, brand FROM brand_accounts"
        )
    }
