"""Helpers for the alert tests: a local webhook receiver and message builders."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from replywatch.collectors.base import Message
from replywatch.store.brands import ensure_brand_accounts, upsert_brands
from replywatch.store.db import transaction

#: A fake token: what a real webhook URL would carry. It must never reach the
#: database or the logs.
TOKEN = "FAKE-tok3n-9f8e7d6c5b4a3921"
ENV_NAME = "REPLYWATCH_ALERTS_AURORA"


class Receiver:
    """What the local webhook endpoint received; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.port = 0
        self._lock = threading.Lock()

    def record(self, path: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append({"path": path, "json": payload})

    @property
    def url(self) -> str:
        """The apprise URL of this endpoint, with the fake token in its path."""
        return f"json://127.0.0.1:{self.port}/hooks/{TOKEN}"


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on a free 127.0.0.1 port recording every POST."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length = int(self.headers.get("Content-Length") or 0)
            receiver.record(self.path, json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def setup_brand(
    db,
    *,
    alerts: dict[str, Any] | None = None,
    key: str = "aurora",
    name: str = "Loja Aurora",
    handle: str = "LojaAurora",
) -> None:
    """Create a brand with its X handle and ``alerts`` settings."""
    settings = {"alerts": {"urls_env": ENV_NAME, **(alerts or {})}}
    with transaction(db):
        upsert_brands(db, [{"key": key, "name": name, "settings": settings}])
        ensure_brand_accounts(db, [("x", handle, key)])


def complaint(
    external_id: str,
    at: datetime,
    *,
    text: str | None = None,
    parent: str | None = None,
    handle: str = "LojaAurora",
    author: str | None = None,
) -> Message:
    """An inbound public mention that the real scorer finds urgent."""
    return Message(
        platform="x",
        external_id=external_id,
        created_at=at,
        text=text
        or (
            f"@{handle} Worst service ever, order {external_id} never arrived, I want a refund now"
        ),
        direction="inbound",
        kind="mention",
        channel="public",
        source="test",
        author_handle=author or f"cust{external_id}",
        in_reply_to_id=parent,
        url=f"https://x.com/cust{external_id}/status/{external_id}",
    )


def minutes_ago(now: datetime, minutes: float) -> datetime:
    return now - timedelta(minutes=minutes)
