"""Items that could not be parsed or stored, kept with their error."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlite_utils import Database

from replywatch.store.timeutil import iso_utc, utc_now
from replywatch.untrusted import scrub_credentials


def add_dead_letter(db: Database, source: str, payload: Any, error: str) -> bool:
    """Keep ``payload`` (text, bytes or JSON-able) with ``error``. The same payload
    from the same source is kept once, so re-running an import does not pile up
    copies. Returns True if it was new."""
    if isinstance(payload, bytes):
        text = payload.decode("utf-8", errors="backslashreplace")
    elif isinstance(payload, str):
        text = payload
    else:
        text = json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True)
    # A rejected platform answer can carry the caller's token (a paging URL).
    text = scrub_credentials(text)
    key = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Unpaired surrogates cannot be stored as UTF-8: keep them visible as
        # escapes rather than lose the payload.
        text = text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    cursor = db.conn.execute(
        "INSERT INTO dead_letters (source, received_at, error, payload, payload_key) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, payload_key) DO NOTHING",
        (
            source,
            iso_utc(utc_now()),
            scrub_credentials(error[:2000]).encode("utf-8", "backslashreplace").decode("utf-8"),
            text,
            key,
        ),
    )
    return cursor.rowcount == 1
