"""A SIGKILL of the receiver process between receipt and commit, then Meta's
retry: the delivery is stored exactly once. The receiver runs as a real
uvicorn process (tests/webhook_server.py) on 127.0.0.1; its logs hold no
secret."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from replywatch.collectors.webhooks import PATH
from replywatch.store.db import open_database
from tests.conftest import SHARED_DATA
from tests.test_webhook_receiver import _batch
from tests.webhook_support import SECRETS, rows, signed, whatsapp_cases

SERVER = Path(__file__).with_name("webhook_server.py")
CASES = whatsapp_cases(SHARED_DATA / "whatsapp_webhooks")


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(db_path: Path, port: int, log: Path, marker: Path | None = None) -> subprocess.Popen:
    """Start the receiver and wait until /healthz answers (60 s at most)."""
    args = [sys.executable, str(SERVER), str(db_path), str(port)]
    handle = open(log, "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*args, *([str(marker)] if marker else [])], stdout=handle, stderr=handle
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"receiver did not start: {log.read_text(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_sigkill_between_receipt_and_commit_then_retry_stores_once(tmp_path):
    db_path, log, marker = tmp_path / "wa.db", tmp_path / "server.log", tmp_path / "paused"
    open_database(db_path).close()
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    raw, headers = signed(_batch())
    answers: list = []

    process = start(db_path, port, log, marker)
    try:
        sender = threading.Thread(
            target=lambda: answers.append(_post_or_error(url, raw, headers)), daemon=True
        )
        sender.start()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the delivery never reached the store"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
        sender.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Meta saw no 200 (the connection died), so it will retry; nothing was kept.
    assert answers and answers[0] != 200
    assert rows(db_path, "SELECT count(*) FROM messages") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM message_events") == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM webhook_stats") == [(0,)]

    process = start(db_path, port, log)
    try:
        retries = [_post_or_error(url, raw, headers) for _ in range(2)]
        handshake = httpx.get(
            url,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": SECRETS.verify_token,
                "hub.challenge": "42",
            },
        )
    finally:
        stop(process)
    assert retries == [200, 200]
    assert handshake.text == "42"
    assert rows(db_path, "SELECT count(*), count(DISTINCT external_id) FROM messages") == [(4, 4)]
    assert rows(db_path, "SELECT count(*) FROM message_events") == [(2,)]
    assert rows(db_path, "SELECT count(*) FROM conversations") == [(1,)]
    assert rows(db_path, "SELECT deliveries, failures FROM webhook_stats") == [(2, 0)]
    server_log = log.read_text(encoding="utf-8", errors="replace")
    assert "whatsapp delivery: 4 new" in server_log
    for secret in (SECRETS.verify_token, SECRETS.app_secret, headers["X-Hub-Signature-256"]):
        assert secret not in server_log


def _post_or_error(url: str, raw: bytes, headers: dict[str, str]) -> int | str:
    try:
        return httpx.post(url, content=raw, headers=headers, timeout=60).status_code
    except httpx.TransportError as exc:
        return type(exc).__name__
