"""Shared by the webhook tests and benchmark: the shared WhatsApp deliveries,
a configured receiver over a real SQLite file, signing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from replywatch.collectors.webhooks import DeliveryStore, Secrets, sign
from replywatch.pipeline import ingest

SECRETS = Secrets(app_secret="test-app-secret-7f3a", verify_token="test-verify-token-91c2")
#: Every business number the shared files use, owned by brand "acme"
#: (placeholders included: their shapes are real, their values are not).
NUMBERS = {
    "1122334455667": "acme",
    "106540352242922": "acme",
    "<BUSINESS_PHONE_NUMBER_ID>": "acme",
    "743897493242": "acme",
    "5483758353": "acme",
}
ACCOUNTS = {"whatsapp": NUMBERS}


def whatsapp_cases(folder: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """``(file, case) -> delivery body`` of every file of whatsapp_webhooks."""
    cases = {}
    for path in sorted(folder.glob("*.json")):
        for name, body in json.loads(path.read_text(encoding="utf-8")).items():
            cases[(path.name, name)] = body
    return cases


def new_store(db_path: Path, accounts=ACCOUNTS) -> DeliveryStore:
    """A receiver's store over ``db_path`` with the pipeline's ingest."""
    return DeliveryStore(db_path, accounts, ingest)


def signed(body: Any, secret: str = SECRETS.app_secret) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of a delivery as Meta signs it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"X-Hub-Signature-256": sign(secret, raw), "Content-Type": "application/json"}


def rows(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` read through a separate connection (what a reader sees)."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
