"""Import speed, memory and lock hold: `replywatch import twcs` (the default,
scored path and `--no-score`) on a generated twcs-format file, into an empty
store and into a store that already holds part of the file, against a naive
peer, all in one run.

    python benchmarks/import_bench.py [--rows 1000000] [--prior-rows 50000]
                                      [--peer-rows 5000] [--no-probe]
                                      [--text real|templates]

The file's texts (``--text real``, the default) are the real English customer
and brand tweets of ../shared/data/twcs/twcs_head5000.csv and the Portuguese
reviews of ../shared/data/sentiment/b2w_reviews_10k_pt.csv, resampled and
edited (benchmarks/bench_text.py); the share of distinct texts per language
is printed. ``--text templates`` writes the first version's two templates
(about 9% distinct at 100k rows, every brand reply the same), to compare.

Prints, for each run, rows/s and peak RSS of the import (run as a child
process, so its peak memory is measured alone: the largest of the importer
and its reader process, and the summed RSS of its process tree), then the
ratios: scored / `--no-score` rate (empty and non-empty store) and scored /
naive peer (per-row sqlite-utils insert of the message and of its plain
VADER score, one transaction each, on the first ``--peer-rows`` rows, with
sqlite-utils' default journal and again with WAL).

The non-empty store holds a random ``--prior-rows`` rows of the same file
(imported and scored beforehand, not timed): the import skips them as
duplicates, joins their conversations and threads replies to them. During
both imports into it, a probe process changes a conversation's status as an
agent would (``pipeline.set_status``) and another ingests 50 new messages
as a collector would (``pipeline.ingest``), each once a second; the worst
latency of each (waiting for the write lock included) and any failure are
printed.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_text  # noqa: E402 - the benchmarks folder is not a package

HEADER = ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id",
          "in_response_to_tweet_id"]  # fmt: skip


#: Share of generated threads written in Portuguese (the rest in English).
PT_SHARE = 0.3
#: The two templates of the first version of this benchmark (``--text
#: templates``, kept to compare with figures measured on them).
TEMPLATES = (
    "@{brand} my order #{n} is late, please help",
    "@{customer} Sorry about that, please DM us. ^AB",
)


def generate(
    path: Path, rows: int, *, brands: int = 76, seed: int = 1, text: str = "real"
) -> bench_text.Shares:
    """Write a twcs-format file of ``rows`` tweets: threads of a customer tweet,
    brand replies and customer follow-ups, ids newest-first like the real file.
    ``text="real"``: English and Portuguese texts resampled and edited from
    the shared real data (:mod:`bench_text`); ``"templates"``: the two
    templates of the benchmark's first version. Returns the distinct-text
    shares (:func:`bench_text.distinct_share`)."""
    rng = random.Random(seed)
    maker = bench_text.TextMaker(bench_text.load_pools(), rng) if text == "real" else None
    start = datetime(2017, 10, 1, tzinfo=UTC)
    brand_names = [f"Brand{i}" for i in range(brands)]
    out: list[list[str]] = []
    languages: list[tuple[str, str]] = []
    next_id = 1
    while len(out) < rows:
        brand = rng.choice(brand_names)
        customer = str(100000 + rng.randint(0, 500000))
        when = start + timedelta(seconds=rng.randint(0, 60 * 86400))
        lang = "pt" if maker and rng.random() < PT_SHARE else "en"
        parent = ""
        for turn in range(min(rng.choice([1, 2, 2, 3, 4]), rows - len(out))):
            inbound = turn % 2 == 0
            tweet_id = str(next_id)
            next_id += 1
            if maker is None:
                body = TEMPLATES[0 if inbound else 1].format(
                    brand=brand, customer=customer, n=rng.randint(1000, 9999)
                )
            elif inbound:
                body = f"@{brand} {maker.customer(lang)}"
            else:
                body = f"@{customer} {maker.brand(lang)}"
            out.append(
                [
                    tweet_id,
                    customer if inbound else brand,
                    str(inbound),
                    when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
                    body,
                    "",
                    f"{parent}.0" if parent else "",
                ]
            )
            languages.append((lang, "customer" if inbound else "brand"))
            parent = tweet_id
            when += timedelta(minutes=rng.randint(1, 600))
    shares = bench_text.distinct_share(
        (lang, side, row[4]) for (lang, side), row in zip(languages, out, strict=True)
    )
    order = list(range(len(out)))
    rng.shuffle(order)  # the real file is not in time order either
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(out[i] for i in order[:rows])
    return shares


def sample_file(source: Path, path: Path, rows: int, *, seed: int = 2) -> None:
    """Write a random ``rows`` of ``source`` (one record per line, as
    :func:`generate` writes them) to ``path``, in file order."""
    with open(source, encoding="utf-8", newline="") as handle:
        header, *lines = handle.readlines()
    keep = sorted(random.Random(seed).sample(range(len(lines)), min(rows, len(lines))))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        handle.writelines(lines[i] for i in keep)


def _tree_rss_mib(root: int) -> float:
    """Summed RSS of ``root`` and its descendants (shared pages counted in
    each process, so an upper bound), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total / 2**20


PAGE = os.sysconf("SC_PAGE_SIZE")


def run_import(
    csv_path: Path, db_path: Path, *, score: bool, probe: bool = False
) -> tuple[float, float, float, dict[str, list]]:
    """Run the real CLI in a child process; return (seconds, peak RSS MiB of
    the largest process, peak summed RSS MiB of the importer's process tree:
    it parses in a second process, probe results: see :func:`_probe`)."""
    probes = []
    if probe:
        context = multiprocessing.get_context("fork")
        stop = context.Event()
        results = context.Queue()
        probes = [
            context.Process(target=_probe, args=(kind, db_path, stop, results), daemon=True)
            for kind in ("agent", "collector")
        ]
        for process in probes:
            process.start()
        time.sleep(1.5)  # both probes connected and past their first operation
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "replywatch",  # the `replywatch` command itself (replywatch/__main__.py)
            "import",
            "twcs",
            str(csv_path),
            "--db",
            str(db_path),
            "--score" if score else "--no-score",
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
    )
    tree_peak = 0.0
    while True:
        # wait4 gives this child's own rusage (its ru_maxrss covers it and its
        # reader process), not the maximum over every child this script ran.
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        tree_peak = max(tree_peak, _tree_rss_mib(process.pid))
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    probe_results: dict[str, list] = {}
    if probes:
        stop.set()
        for _ in probes:
            kind, outcomes = results.get(timeout=120)
            probe_results[kind] = outcomes
        for probe_process in probes:
            probe_process.join()
    if process.returncode:
        raise SystemExit(f"import failed with exit code {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, tree_peak, probe_results


#: Messages per probe ingest: what one collector poll typically brings.
PROBE_BATCH = 50


def _probe(kind: str, db_path: Path, stop, results) -> None:
    """Once a second until ``stop``: change a conversation's status (``agent``)
    or ingest :data:`PROBE_BATCH` new messages (``collector``) through the
    store's own functions, on its own connection. Sends ``(kind, [(seconds,
    error or None), ...])``."""
    from replywatch.collectors.base import Message
    from replywatch.pipeline import ingest, set_status
    from replywatch.store.db import open_database

    db = open_database(db_path)
    top = db.execute("SELECT max(id) FROM conversations").fetchone()[0] or 1
    rng = random.Random(kind)
    outcomes: list[tuple[float, str | None]] = []
    number = 0
    while not stop.is_set():
        tick = time.perf_counter()
        try:
            if kind == "agent":
                for attempt in range(3):
                    # a stored conversation; the import may merge it away
                    # before the change gets the lock: pick another then
                    (conversation,) = db.execute(
                        "SELECT id FROM conversations WHERE id >= ? ORDER BY id LIMIT 1",
                        (rng.randint(1, top),),
                    ).fetchone()
                    try:
                        set_status(
                            db, [conversation], rng.choice(["closed", "open"]), actor="probe"
                        )
                        break
                    except ValueError:
                        if attempt == 2:
                            raise
            else:
                now = datetime.now(UTC)
                batch = []
                for _ in range(PROBE_BATCH):
                    number += 1
                    batch.append(
                        Message(
                            platform="x",
                            external_id=f"probe-{number}",
                            created_at=now,
                            text="@Brand1 my parcel never arrived, any news?",
                            direction="inbound",
                            kind="mention",
                            channel="public",
                            source="probe",
                            author_handle=f"probe{number % 97}",
                        )
                    )
                ingest(db, batch, source="probe")
            outcomes.append((time.perf_counter() - tick, None))
        except Exception as exc:  # noqa: BLE001 - every failure is a result here
            outcomes.append((time.perf_counter() - tick, f"{type(exc).__name__}: {exc}"))
        time.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))
    results.put((kind, outcomes))


def peer_per_row(csv_path: Path, db_path: Path, rows: int, *, wal: bool = False) -> float:
    """The naive peer: for each of the first ``rows`` rows, insert the message
    with sqlite-utils' ``insert()`` and its plain VADER score (vaderSentiment's
    own analyzer) the same way, one transaction each, with sqlite-utils'
    defaults (rollback journal, full sync: what a naive script gets) or, with
    ``wal``, the journal settings replywatch's store uses. Returns rows/s."""
    sys.path.insert(0, str(REPO))
    from sqlite_utils import Database
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from replywatch.collectors.imports import read_twcs

    db = Database(db_path)
    if wal:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    messages, scores = db["messages"], db["scores"]
    vader = SentimentIntensityAnalyzer()
    done = 0
    started = time.perf_counter()
    for batch in read_twcs(csv_path, batch_size=1000):
        for message in batch.messages:
            messages.insert(message.to_row(), alter=True)
            polarity = vader.polarity_scores(message.text)
            scores.insert({"external_id": message.external_id, **polarity})
            done += 1
            if done >= rows:
                return done / (time.perf_counter() - started)
    return done / (time.perf_counter() - started)


def _latency_line(kind: str, outcomes: list) -> str:
    if not outcomes:
        return f"  {kind:9}: no operation ran"
    seconds = [s for s, _ in outcomes]
    failed = [e for _, e in outcomes if e]
    line = (
        f"  {kind:9}: {len(outcomes)} operations, {len(failed)} failed, worst "
        f"{max(seconds):.2f} s, median {sorted(seconds)[len(seconds) // 2]:.3f} s"
    )
    return line + (f" (first failure: {failed[0]})" if failed else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--prior-rows", type=int, default=50_000)
    parser.add_argument("--peer-rows", type=int, default=5_000)
    parser.add_argument("--no-probe", action="store_true", help="no concurrent agent/collector")
    parser.add_argument(
        "--generate", nargs=2, metavar=("PATH", "ROWS"), help="only write a generated file and exit"
    )
    parser.add_argument(
        "--text",
        choices=("real", "templates"),
        default="real",
        help="real: resampled and edited real English/Portuguese texts (default); "
        "templates: the first version's two templates, to compare",
    )
    args = parser.parse_args()
    if args.generate:
        shares = generate(Path(args.generate[0]), int(args.generate[1]), text=args.text)
        print(f"text ({args.text}): distinct texts per language")
        print("\n".join(bench_text.share_lines(shares)))
        return
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path, prior_path = folder / "file.csv", folder / "prior.csv"
        # In a child process: generating holds the whole file in memory, and
        # a later fork of this process would count it in the importer's
        # ru_maxrss (that was the "445 MB peak").
        subprocess.run(
            [sys.executable, __file__, "--generate", str(csv_path), str(args.rows)]
            + ["--text", args.text],
            check=True,
        )
        sample_file(csv_path, prior_path, args.prior_rows)
        prior_db = folder / "prior.db"
        run_import(prior_path, prior_db, score=True)  # not timed: the store in use
        size = csv_path.stat().st_size / 2**20
        print(
            f"file: {args.rows:,} generated rows ({size:,.0f} MiB); non-empty store: "
            f"{args.prior_rows:,} of them, imported and scored beforehand"
        )
        rates = {}
        for store in ("empty", "non-empty"):
            for score in (False, True):
                db_path = folder / f"{store}-{score}.db"
                if store == "non-empty":
                    shutil.copy(prior_db, db_path)
                probe = store == "non-empty" and not args.no_probe
                seconds, peak, tree, probes = run_import(
                    csv_path, db_path, score=score, probe=probe
                )
                rates[store, score] = args.rows / seconds
                mode = "scored (default)" if score else "--no-score      "
                print(
                    f"{store:9} store, {mode}: {seconds:6.1f} s = {args.rows / seconds:>8,.0f} "
                    f"rows/s, peak RSS {peak:,.0f} MiB (process tree {tree:,.0f} MiB)"
                )
                for kind in ("agent", "collector"):
                    if kind in probes:
                        print(_latency_line(kind, probes[kind]))
        peer = peer_per_row(csv_path, folder / "peer.db", args.peer_rows)
        peer_wal = peer_per_row(csv_path, folder / "peer-wal.db", args.peer_rows, wal=True)
        print(
            f"naive peer (sqlite-utils insert + plain VADER per row, one transaction each, "
            f"first {args.peer_rows:,} rows): {peer:,.0f} rows/s with sqlite-utils' defaults, "
            f"{peer_wal:,.0f} rows/s with WAL and synchronous=NORMAL"
        )
        for store in ("empty", "non-empty"):
            print(
                f"ratio scored / --no-score ({store} store): "
                f"{rates[store, True] / rates[store, False]:.2f}x"
            )
        print(
            f"ratio scored (empty store) / naive peer: {rates['empty', True] / peer:.1f}x "
            f"(against the peer with WAL: {rates['empty', True] / peer_wal:.1f}x)"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
