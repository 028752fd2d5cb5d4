"""Webhook receiver load test: signed WhatsApp deliveries against a real
``replywatch webhooks serve`` process on 127.0.0.1, bounded in count,
concurrency and time.

    python benchmarks/webhook_load.py [--deliveries 2000] [--concurrency 20]
                                      [--retries 0.1] [--max-seconds 60]

Starts the command as installed (uvicorn, one worker, a fresh SQLite file),
sends ``--deliveries`` distinct signed deliveries (one customer message each,
2 customers in 10 share a number, so conversations grow) at ``--concurrency``
in flight, plus a share ``--retries`` of them sent again (what Meta does for
a delivery it saw no 200 for), then checks the store: lost = delivered with
200 but not stored, duplicated = stored more than once. Prints p50/p95/p99/max
latency of the POSTs and the throughput. Gives up after ``--max-seconds``
(reported, not hidden). Loopback only: nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.workload import percentiles  # noqa: E402
from replywatch.collectors.webhooks import PATH, sign  # noqa: E402

NUMBER = "106540352242922"
SECRET, TOKEN = "bench-app-secret", "bench-verify-token"
CONFIG = f"""
[brands.loja]
name = "Loja"
timezone = "America/Sao_Paulo"

[brands.loja.whatsapp]
phone_number_id = "{NUMBER}"
"""


def delivery(index: int, start: int) -> bytes:
    """One WhatsApp delivery with one customer text (Meta's format)."""
    customer = f"55119{index % (max(1, index // 10) + 1):07d}"
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "5511999990000",
                                "phone_number_id": NUMBER,
                            },
                            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": customer}],
                            "messages": [
                                {
                                    "from": customer,
                                    "id": f"wamid.bench{index:07d}",
                                    "timestamp": str(start + index),
                                    "type": "text",
                                    "text": {"body": f"Meu pedido #{index} ainda não chegou"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_receiver(folder: Path, port: int) -> subprocess.Popen:
    """``replywatch webhooks serve`` on 127.0.0.1:port, ready (30 s at most)."""
    (folder / "replywatch.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "META_APP_SECRET": SECRET, "META_VERIFY_TOKEN": TOKEN}
    command = [sys.executable, "-m", "replywatch", "webhooks", "serve", "--port", str(port)]
    command += ["--db", str(folder / "bench.db"), "--config", str(folder / "replywatch.toml")]
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"receiver did not start: {(folder / 'server.log').read_text()[-1000:]}")


async def send_all(url: str, bodies: list[tuple[int, bytes]], concurrency: int, max_seconds: float):
    """POST every ``(index, body)`` with at most ``concurrency`` in flight;
    returns the latencies (s), ``(index, status)`` pairs and whether the time
    limit cut it short."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    statuses: list[tuple[int, int | str]] = []
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(index: int, body: bytes) -> None:
            async with gate:
                started = time.perf_counter()
                headers = {"X-Hub-Signature-256": sign(SECRET, body)}
                try:
                    response = await client.post(url, content=body, headers=headers)
                    statuses.append((index, response.status_code))
                except httpx.TransportError as exc:
                    statuses.append((index, type(exc).__name__))
                latencies.append(time.perf_counter() - started)

        tasks = [asyncio.create_task(one(i, b)) for i, b in bodies]
        done, pending = await asyncio.wait(tasks, timeout=max_seconds)
        for task in pending:
            task.cancel()
    return latencies, statuses, bool(pending)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--retries", type=float, default=0.1, help="share sent twice")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="replywatch-webhook-bench-"))
    port = free_port()
    process = start_receiver(folder, port)
    start = int(time.time()) - args.deliveries - 60
    bodies = [(i, delivery(i, start)) for i in range(args.deliveries)]
    retried = bodies[:: max(1, round(1 / args.retries))] if args.retries > 0 else []
    try:
        began = time.perf_counter()
        latencies, statuses, cut = asyncio.run(
            send_all(
                f"http://127.0.0.1:{port}{PATH}",
                bodies + retried,
                args.concurrency,
                args.max_seconds,
            )
        )
        seconds = time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)
    conn = sqlite3.connect(folder / "bench.db")
    ids = [
        r[0] for r in conn.execute("SELECT external_id FROM messages WHERE platform = 'whatsapp'")
    ]
    conn.close()
    stored = set(ids)
    acknowledged = {i for i, status in statuses if status == 200}
    ok = sum(1 for _, status in statuses if status == 200)
    lost = sum(1 for i in acknowledged if f"wamid.bench{i:07d}" not in stored)
    p = percentiles(latencies)
    print(
        f"webhook load: {args.deliveries:,} deliveries + {len(retried):,} retries, "
        f"{args.concurrency} concurrent, 127.0.0.1, one uvicorn process, SQLite WAL"
    )
    print(
        f"  sent {len(statuses):,} in {seconds:.1f} s ({len(statuses) / seconds:,.0f}/s); "
        f"200: {ok:,}; other: {len(statuses) - ok:,}{'; CUT at the time limit' if cut else ''}"
    )
    print(
        f"  latency p50 {p['p50']:.1f} ms  p95 {p['p95']:.1f} ms  p99 {p['p99']:.1f} ms  "
        f"max {p['max']:.1f} ms"
    )
    print(
        f"  stored {len(ids):,} messages ({len(stored):,} distinct ids) for "
        f"{len(acknowledged):,} acknowledged: lost {lost}, duplicated {len(ids) - len(stored)}"
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
