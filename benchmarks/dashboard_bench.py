"""Dashboard speed and memory on a large database.

Builds (once; reused when present) a database of ``--messages`` messages
(default 1,000,000) with conversations and scores written directly with
executemany, starts the real server (``dashboard_launcher.run_dashboard``,
the code path of ``replywatch dashboard``), and measures in Debian's chromium
through Playwright the time from request to the Triage page fully rendered
(queue table drawn, script run finished). The same run measures a 9-message database as
the baseline, and reads the server's peak resident memory (VmHWM).

Three timings per database: the very first visit (server caches cold), a
visit from a new browser context (no HTTP cache, new session) and a reload
(static files cached, new session); the last two are medians of ``--runs``.

    python benchmarks/dashboard_bench.py            # 1,000,000 messages
    python benchmarks/dashboard_bench.py --messages 200000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from replywatch.dashboard_launcher import run_dashboard  # noqa: E402
from replywatch.store.db import open_database, transaction  # noqa: E402
from replywatch.store.triage import QueueFilter, queue, queue_count  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEXTS = [
    "@{b} my order {n} never arrived, this is terrible",
    "@{b} where is my refund for order {n}? still waiting",
    "@{b} thanks for the quick help with {n}!",
    "@{b} meu pedido {n} não chegou, péssimo atendimento",
    "@{b} cobrança indevida no cartão, pedido {n}",
    "@{b} the app keeps crashing when I pay, order {n}",
    "@{b} love the new collection",
    "@{b} can you help me change my delivery address? {n}",
]
REPLIES = [
    "@{c} sorry to hear that, please DM us",
    "@{c} lamentamos, chama no direct",
    "@{c} glad we could help!",
]


def build(path: Path, messages: int, *, seed: int = 7) -> dict:
    """Write ``messages`` messages (about 2.5 per conversation, 76 brands,
    60 days up to now, 12 % of conversations waiting) with scores."""
    rng = random.Random(seed)
    db = open_database(path)
    brands = [f"brand{i:02d}" for i in range(76)]
    now = int(time.time())
    start = now - 60 * 86400
    fetched = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    message_rows, conversation_rows, score_rows = [], [], []
    message_id = conversation_id = 0
    started = time.perf_counter()
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO brands (key, name) VALUES (?, ?)", [(b, b.title()) for b in brands]
        )
        while message_id < messages:
            conversation_id += 1
            brand = rng.choice(brands)
            customer = f"user{rng.randrange(300_000)}"
            first = rng.randrange(start, now - 600)
            waiting = rng.random() < 0.12
            size = rng.choice((1, 2, 2, 3, 3, 4)) if waiting else rng.choice((2, 2, 3, 4))
            size = min(messages - message_id, size)
            ts = first
            awaiting = None
            inbound = outbound = 0
            first_response = None
            max_urgency = 0
            last_compound = None
            last_customer = last_brand = None
            root = message_id + 1
            for k in range(size):
                message_id += 1
                # Answered conversations end with the brand, waiting ones with
                # the customer.
                customer_turn = (
                    (k % 2 == 0 or k == size - 1)
                    if waiting
                    else (k % 2 == 0 and k != size - 1) or size == 1
                )
                ts += rng.randrange(30, 4 * 3600) if k else 0
                if customer_turn:
                    text = rng.choice(TEXTS).format(b=brand, n=rng.randrange(10**6))
                    inbound += 1
                    last_customer = ts
                    awaiting = awaiting or ts
                    label = rng.choice(("negative", "negative", "neutral", "positive"))
                    compound = {"negative": -0.6, "neutral": 0.0, "positive": 0.7}[label]
                    urgency = rng.randrange(100) if label == "negative" else rng.randrange(30)
                    max_urgency = max(max_urgency, urgency)
                    last_compound = compound
                    score_rows.append(
                        (
                            message_id,
                            rng.choice(("en", "en", "pt")),
                            compound,
                            label,
                            urgency,
                            int(urgency >= 80),
                            '["refund"]',
                            "bench",
                            "1",
                            fetched,
                        )
                    )
                else:
                    text = rng.choice(REPLIES).format(c=customer)
                    outbound += 1
                    last_brand = ts
                    awaiting = None
                    if first_response is None:
                        first_response = ts
                message_rows.append(
                    (
                        message_id,
                        "x",
                        str(message_id),
                        "mention" if k == 0 else "reply",
                        "public",
                        "inbound" if customer_turn else "outbound",
                        None if customer_turn else brand,
                        customer if customer_turn else brand,
                        customer if customer_turn else brand,
                        None,
                        text,
                        None,
                        brand if customer_turn else customer,
                        datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        ts,
                        str(message_id - 1) if k else None,
                        f"https://x.com/{customer}/status/{message_id}",
                        "bench",
                        fetched,
                        conversation_id,
                    )
                )
            status = "new" if awaiting and not outbound else ("open" if awaiting else "replied")
            conversation_rows.append(
                (
                    conversation_id,
                    "x",
                    root,
                    brand,
                    "public",
                    customer,
                    status,
                    int(inbound > 0),
                    size,
                    inbound,
                    outbound,
                    first,
                    first,
                    first_response,
                    (first_response - first) if first_response else None,
                    last_customer,
                    last_brand,
                    awaiting,
                    max_urgency,
                    last_compound,
                    (awaiting + 3600) if awaiting else None,
                )
            )
            if len(message_rows) >= 50_000:
                _flush(db, message_rows, conversation_rows, score_rows)
        _flush(db, message_rows, conversation_rows, score_rows)
    db.execute("ANALYZE")
    db.close()
    return {
        "messages": message_id,
        "conversations": conversation_id,
        "build_s": round(time.perf_counter() - started, 1),
    }


def _flush(db, message_rows, conversation_rows, score_rows) -> None:
    db.conn.executemany(
        "INSERT INTO messages (id, platform, external_id, kind, channel, direction, brand, "
        "author_handle, author_name, author_followers, text, lang, mentions, created_at, "
        "created_ts, in_reply_to_id, url, source, fetched_at, conversation_id) "
        "VALUES (" + ",".join("?" * 20) + ")",
        message_rows,
    )
    db.conn.executemany(
        "INSERT INTO conversations (id, platform, root_message_id, brand, channel, "
        "customer_handle, status, needs_response, message_count, inbound_count, "
        "outbound_count, first_message_at, first_customer_at, first_response_at, "
        "first_response_seconds, last_customer_at, last_brand_at, awaiting_since, "
        "max_urgency, last_compound, sla_due_at) VALUES (" + ",".join("?" * 21) + ")",
        conversation_rows,
    )
    db.conn.executemany(
        "INSERT INTO scores (message_id, language, compound, label, urgency, urgent, reasons, "
        "scorer, version, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        score_rows,
    )
    message_rows.clear()
    conversation_rows.clear()
    score_rows.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(db_path: Path, runs: int, chromium: str) -> dict:
    """Cold and warm request-to-rendered times of the Triage page (seconds)
    and the server's peak RSS (MB)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    process = run_dashboard(db_path, port=port)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        fresh, reloads = [], []
        rendered = (
            '[data-testid="stDataFrame"] canvas',
            '[data-testid="stApp"][data-test-script-state="notRunning"]',
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for _ in range(runs + 1):
                # A new context: empty HTTP cache, new Streamlit session.
                context = browser.new_context(viewport={"width": 1500, "height": 1000})
                page = context.new_page()
                page.set_default_timeout(120_000)
                started = time.perf_counter()
                page.goto(base + "/")
                for selector in rendered:
                    page.wait_for_selector(selector)
                fresh.append(time.perf_counter() - started)
                # A reload: cached static files, new Streamlit session.
                started = time.perf_counter()
                page.reload()
                for selector in rendered:
                    page.wait_for_selector(selector)
                reloads.append(time.perf_counter() - started)
                context.close()
            browser.close()
        return {
            "first_visit_s": fresh[0],
            "new_browser_s": statistics.median(fresh[1:]),
            "reload_s": statistics.median(reloads),
            "reload_all_s": reloads,
            "peak_rss_mb": peak_rss_mb(process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="warm visits after the cold one")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database to build/reuse (default benchmarks/out/dashboard_N.db)",
    )
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    path = args.db or REPO_ROOT / "benchmarks" / "out" / f"dashboard_{args.messages}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        built = {"messages": args.messages, "reused": str(path)}
    else:
        built = build(path, args.messages)
    db = open_database(path)
    t = time.perf_counter()
    waiting = queue_count(db, QueueFilter())
    rows = queue(db, QueueFilter(), limit=200)
    queue_sql_s = time.perf_counter() - t
    t = time.perf_counter()
    searched = queue(db, QueueFilter(search="refund"), limit=200)
    search_sql_s = time.perf_counter() - t
    db.close()

    from tests.dashboard_seed import seed  # the 9-message test dataset, as the baseline

    small = Path(tempfile.mkdtemp()) / "baseline.db"
    seed(small)
    baseline = measure(small, args.runs, chromium)
    large = measure(path, args.runs, chromium)
    result = {
        "database": built,
        "waiting_conversations": waiting,
        "queue_rows": len(rows),
        "queue_sql_s": round(queue_sql_s, 3),
        "search_sql_s": round(search_sql_s, 3),
        "search_rows": len(searched),
        "baseline_9_messages": {
            k: (round(v, 3) if isinstance(v, float) else v)
            for k, v in baseline.items()
            if k != "reload_all_s"
        },
        "large": {
            k: (
                round(v, 3)
                if isinstance(v, float)
                else [round(x, 3) for x in v]
                if isinstance(v, list)
                else v
            )
            for k, v in large.items()
        },
        "reload_ratio_large_to_baseline": round(large["reload_s"] / baseline["reload_s"], 2),
        "targets": {"triage_rendered_s": 2.0, "peak_rss_mb": 500},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
