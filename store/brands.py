"""Brands and the platform accounts that speak for them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlite_utils import Database


def upsert_brands(db: Database, brands: Iterable[Mapping[str, Any]]) -> None:
    """Insert or update brands: dicts with ``key``, ``name``, optional
    ``timezone`` and ``settings`` (a JSON-able dict, never secrets)."""
    db.conn.executemany(
        """
        INSERT INTO brands (key, name, timezone, settings)
        VALUES (:key, :name, :timezone, :settings)
        ON CONFLICT (key) DO UPDATE SET name = excluded.name,
            timezone = excluded.timezone, settings = excluded.settings
        """,
        [
            {
                "key": b["key"],
                "name": b.get("name") or b["key"],
                "timezone": b.get("timezone") or "UTC",
                "settings": json.dumps(b.get("settings") or {}, sort_keys=True),
            }
            for b in brands
        ],
    )


def ensure_brand_accounts(db: Database, accounts: Iterable[tuple[str, str, str]]) -> int:
    """Make sure each ``(platform, handle, brand_key)`` exists, creating the brand
    with default settings if it is new. Returns how many accounts were added."""
    added = 0
    for platform, handle, brand in accounts:
        db.conn.execute(
            "INSERT INTO brands (key, name) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (brand, brand),
        )
        added += db.conn.execute(
            "INSERT INTO brand_accounts (platform, handle, brand) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, handle) DO NOTHING",
            (platform, handle.lstrip("@"), brand),
        ).rowcount
    return added


def brand_handles(db: Database, platform: str) -> dict[str, str]:
    """Map lower-case handle -> brand key for one platform."""
    return {
        handle.lower(): brand
        for handle, brand in db.execute(
            "SELECT handle, brand FROM brand_accounts WHERE platform = ?", (platform,)
        )
    }


def account_ids(db: Database, platform: str) -> dict[str, str]:
    """Map lower-case handle -> stored platform account id (only known ids)."""
    return {
        handle.lower(): account_id
        for handle, account_id in db.execute(
            "SELECT handle, account_id FROM brand_accounts "
            "WHERE platform = ? AND account_id IS NOT NULL",
            (platform,),
        )
    }


def set_account_id(db: Database, platform: str, handle: str, account_id: str) -> None:
    """Remember the platform's numeric id of a brand account (saves lookups)."""
    db.conn.execute(
        "UPDATE brand_accounts SET account_id = ? WHERE platform = ? AND handle = ?",
        (account_id, platform, handle.lstrip("@")),
    )


def load_brand_accounts(db: Database) -> dict[tuple[str, str], str]:
    """Map (platform, lower-case handle) -> brand key of every brand account."""
    return {
        (platform, handle.lower()): brand
        for platform, handle, brand in db.execute(
            "SELECT platform, handle, brand FROM brand_accounts"
        )
    }
