"""The store's model (sentiment/learned.py) on real labelled sets: a learning
curve, the "done when" check through the product's own path, and its speed.

Run from the repository root (the figures are in docs/sentiment.md):

    python benchmarks/sentiment_eval.py --learning-dev     # choose alpha on DEV only
    python benchmarks/sentiment_eval.py --learning-curve   # TEST, once
    python benchmarks/sentiment_eval.py --learning-speed   # throughput, latency, training

Sets (../shared/data/sentiment; licences in docs/sentiment.md): the airline tweets
(English tweets to airline support accounts; test use only) and B2W-Reviews01
(Portuguese product reviews; CC BY-NC-SA 4.0). Nothing trained here is kept or
shipped: each model lives in memory (or a temporary store) for one run.

Labels are *stand-ins*, not the issue's held-out complaint set (which is not
available here): airline complaint = annotators' label negative, urgent = negative
with an actionable reason (sentiment_eval.ACTIONABLE); B2W complaint = 1-2 stars,
otherwise thanks (4-5 stars; 3 stars left out). Each set is split once into DEV and
TEST halves by a seeded hash (the airline split is sentiment_eval.split_of, the one
used since 1.2.0). Training labels are drawn from DEV only; figures are on TEST,
disjoint from every training draw. Hyper-parameters (the regularisation alpha) are
chosen on DEV with DEV's own fit/validation split.
"""

from __future__ import annotations

import csv
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

from replywatch.sentiment import analyze_many, clear_caches
from replywatch.sentiment.learned import Example, fit, prf, train

SIZES = (250, 500, 1000, 2000)
SEEDS = (1, 2, 3)
ALPHA_CANDIDATES = (1e-5, 3e-5, 1e-4, 3e-4)


@dataclass(frozen=True)
class Item:
    """One labelled text of a set: language, intent label, urgent (None: unknown), split."""

    text: str
    language: str
    intent: str
    urgent: int | None
    split: str


def _half(key: str, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}:{key}".encode()).hexdigest()
    return "DEV" if int(digest[:8], 16) % 2 == 0 else "TEST"


def load_airline(folder: Path, split_of: Callable[[str], str], actionable) -> list[Item]:
    """Airline tweets: complaint = negative; urgent = negative with an actionable reason."""
    out = []
    with open(folder / "airline_tweets.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            negative = row["airline_sentiment"] == "negative"
            urgent = int(negative and row["negativereason"] in actionable)
            out.append(
                Item(
                    row["text"],
                    "en",
                    "complaint" if negative else "other",
                    urgent,
                    split_of(row["tweet_id"]),
                )
            )
    return out


def load_b2w(folder: Path) -> list[Item]:
    """B2W reviews: complaint = 1-2 stars, thanks = 4-5 stars (3 left out); no urgent."""
    out = []
    with open(folder / "b2w_reviews_10k_pt.csv", encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.DictReader(f)):
            stars = int(row["overall_rating"])
            if stars == 3:
                continue
            text = f"{row['review_title']}. {row['review_text']}"
            out.append(
                Item(
                    text,
                    "pt",
                    "complaint" if stars <= 2 else "thanks",
                    None,
                    _half(str(number), "replywatch-learning-b2w-v1"),
                )
            )
    return out


def _examples(items: Sequence[Item]) -> list[Example]:
    return [Example(i.text, i.language, i.intent, i.urgent) for i in items]


def _analyses(items: Sequence[Item]) -> list:
    return analyze_many([i.text for i in items], languages=[i.language for i in items])


def _complaint(truth: Sequence[str], predicted: Sequence[str]) -> dict:
    return prf(truth, predicted, "complaint")


def _draw(items: Sequence, n: int, seed: int) -> list:
    return Random(seed).sample(list(items), min(n, len(items)))


def choose_alpha(name: str, items: list[Item]) -> float:
    """Complaint F1 on DEV's validation part for each regularisation alpha (fit on
    1,000 DEV labels)."""
    dev = [i for i in items if i.split == "DEV"]
    fit_part = [i for i in dev if _half(i.text, "replywatch-learning-val") == "DEV"]
    val = [i for i in dev if _half(i.text, "replywatch-learning-val") == "TEST"]
    val_analyses = _analyses(val)
    truth = [i.intent for i in val]
    drawn = _draw(fit_part, 1000, 7)
    drawn_analyses = _analyses(drawn)
    rules = _complaint(truth, [a.intent for a in val_analyses])
    print(f"\n[{name}] DEV: fit on 1,000 of {len(fit_part):,}, validate on {len(val):,}")
    print(f"  rules            complaint F1 {rules['f1']:.3f}")
    best = (-1.0, ALPHA_CANDIDATES[0])
    for alpha in ALPHA_CANDIDATES:
        model = fit(_examples(drawn), drawn_analyses, alpha_intent=alpha, alpha_urgent=alpha)
        predicted, _p, _u, _x = model.predict([i.text for i in val], val_analyses)
        f1 = _complaint(truth, predicted)["f1"]
        print(f"  model alpha={alpha:<7g} complaint F1 {f1:.3f}")
        best = max(best, (f1, alpha))
    print(f"  chosen on DEV: alpha={best[1]:g}")
    return best[1]


def curve(name: str, items: list[Item], *, alpha: float) -> None:
    """Train on SIZES labels drawn from DEV (SEEDS draws each), test on all of TEST."""
    dev = [i for i in items if i.split == "DEV"]
    test = [i for i in items if i.split == "TEST"]
    test_analyses = _analyses(test)
    truth = [i.intent for i in test]
    rules = _complaint(truth, [a.intent for a in test_analyses])
    print(
        f"\n[{name}] TEST {len(test):,} texts (complaints {truth.count('complaint'):,}); "
        f"training labels drawn from DEV ({len(dev):,}), alpha={alpha:g}, {len(SEEDS)} draws each"
    )
    print("  labels   complaint P / R / F1 (mean of draws)   F1 min-max   macro-F1")
    print(f"  rules    {rules['precision']:.3f} / {rules['recall']:.3f} / {rules['f1']:.3f}")
    for n in SIZES:
        runs = []
        for seed in SEEDS:
            drawn = _draw(dev, n, seed)
            model = fit(_examples(drawn), _analyses(drawn), alpha_intent=alpha, alpha_urgent=alpha)
            predicted, _p, _u, _x = model.predict([i.text for i in test], test_analyses)
            runs.append((_complaint(truth, predicted), _macro(truth, predicted)))
        f1s = [r[0]["f1"] for r in runs]
        mean = {k: statistics.mean(r[0][k] for r in runs) for k in ("precision", "recall", "f1")}
        print(
            f"  {n:>6,}   {mean['precision']:.3f} / {mean['recall']:.3f} / {mean['f1']:.3f}"
            f"          {min(f1s):.3f}-{max(f1s):.3f}    {statistics.mean(r[1] for r in runs):.3f}"
        )


def _macro(truth: Sequence[str], predicted: Sequence[str]) -> float:
    classes = sorted(set(truth))
    return statistics.mean(prf(truth, predicted, c)["f1"] for c in classes)


def done_when(items: list[Item], size: int = 860) -> None:
    """The issue's check through the product's path: ``labels import`` of ``size``
    DEV labels into a new store, ``model train``, then ``analyze --db --input`` on
    the TEST texts (unseen), complaint F1 from the written CSV."""
    from replywatch.cli_support import analyze_csv
    from replywatch.scoring import active_model
    from replywatch.sentiment.core import default_rules
    from replywatch.store.db import open_database
    from replywatch.store.labels import import_labels
    from replywatch.training import train_store_model

    dev = [i for i in items if i.split == "DEV"]
    test = [i for i in items if i.split == "TEST"]
    drawn = _draw(dev, size, 1)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "store.db")
        rows = {
            i.text: {"text": i.text, "intent": i.intent, "urgent": i.urgent, "language": i.language}
            for i in drawn
        }
        import_labels(db, list(rows.values()), actor="benchmark")
        report = train_store_model(db, actor="benchmark")
        found = active_model(db)
        source, out = Path(folder) / "test.csv", Path(folder) / "out.csv"
        with open(source, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text"])
            writer.writerows([i.text] for i in test)
        learned = None
        if found is not None:
            threshold = default_rules().threshold
            learned = lambda a, t: found[1].apply(a, t, threshold=threshold)  # noqa: E731
        analyze_csv(source, "text", out, learned=learned)
        with open(out, encoding="utf-8", newline="") as f:
            written = list(csv.DictReader(f))
        db.close()
    truth = [i.intent for i in test]
    got = _complaint(truth, [r["intent"] for r in written])
    urgent = prf(
        [str(i.urgent) for i in test], ["1" if r["urgent"] == "yes" else "0" for r in written], "1"
    )
    figures = report["metrics"]["en"]
    print(
        f"\n[done when] {len(rows):,} airline DEV labels imported, model {report['model_id']} "
        f"used for {report['used'].get('en')}"
    )
    print(
        f"  cross-validated on the labels: model macro-F1 {figures['model']['macro_f1']:.3f}, "
        f"rules {figures['rules']['macro_f1']:.3f}"
    )
    print(
        f"  analyze --db on {len(test):,} unseen TEST tweets: complaint P {got['precision']:.3f} "
        f"R {got['recall']:.3f} F1 {got['f1']:.3f}; urgent P {urgent['precision']:.3f} "
        f"R {urgent['recall']:.3f} F1 {urgent['f1']:.3f}"
    )


def speed(items: list[Item], texts: list[str], *, batch: int = 5000) -> None:
    """Batch scoring with and without the model (same run), one live message, training."""
    dev = [i for i in items if i.split == "DEV"]
    drawn = _draw(dev, 5000, 1)
    analyses = _analyses(drawn)
    started = time.perf_counter()
    model, report = train(_examples(drawn), analyses)
    trained = time.perf_counter() - started
    assert model is not None
    model.used = {"en": {"intent": True, "urgent": True}, "pt": {"intent": True, "urgent": True}}
    sample = texts[:batch]
    rules_s, learned_s = [], []
    for _ in range(3):
        clear_caches()
        t0 = time.perf_counter()
        got = analyze_many(sample)
        t1 = time.perf_counter()
        model.apply(got, sample, threshold=35)
        t2 = time.perf_counter()
        rules_s.append(t1 - t0)
        learned_s.append(t2 - t0)
    rules_rate, learned_rate = len(sample) / min(rules_s), len(sample) / min(learned_s)
    single = []
    for text in sample[:300]:
        t0 = time.perf_counter()
        one = analyze_many([text])
        model.apply(one, [text], threshold=35)
        single.append(time.perf_counter() - t0)
    print("\n[speed] measured under load (parallel work), ratio from the same run")
    print(
        f"  training on {len(drawn):,} labels (5-fold CV + final fit, as `model train`): "
        f"{trained:.1f} s (target < 30 s)"
    )
    print(
        f"  batch of {len(sample):,} texts: rules {rules_rate:,.0f}/s, rules + model "
        f"{learned_rate:,.0f}/s = {learned_rate / rules_rate:.2f}x (target >= 0.5x)"
    )
    single.sort()
    print(
        f"  one live message (rules + model): median {1000 * statistics.median(single):.1f} ms, "
        f"p95 {1000 * single[int(0.95 * len(single))]:.1f} ms (target < 20 ms)"
    )


def import_rescore(items: list[Item], twcs_path: Path) -> None:
    """Batch scoring of an import through the store: the twcs slice imported
    once, then every message re-scored (``rescore --all``: store context, the
    analysis, saving) by the rules alone and by the rules + a model trained on
    1,000 airline DEV labels, alternately, same run."""
    from replywatch.collectors.imports import read_twcs
    from replywatch.importing import import_file
    from replywatch.pipeline import rescore
    from replywatch.store.db import open_database
    from replywatch.store.labels import import_labels
    from replywatch.store.models import activate_model, active_model_id
    from replywatch.training import train_store_model

    dev = [i for i in items if i.split == "DEV"]
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "store.db")
        import_file(db, twcs_path, read_twcs, source="twcs", score=True, batch_size=1000)
        rows = {
            i.text: {"text": i.text, "intent": i.intent, "urgent": i.urgent, "language": i.language}
            for i in _draw(dev, 1000, 1)
        }
        import_labels(db, list(rows.values()), actor="benchmark")
        train_store_model(db, actor="benchmark")
        model_id = active_model_id(db)
        assert model_id is not None
        timings: dict[str, list[float]] = {"rules": [], "model": []}
        count = 0
        for _ in range(3):
            for name, active in (("rules", None), ("model", model_id)):
                activate_model(db, active, actor="benchmark")
                clear_caches()
                started = time.perf_counter()
                count = rescore(db, everything=True)
                timings[name].append(time.perf_counter() - started)
        db.close()
    rules, model = count / min(timings["rules"]), count / min(timings["model"])
    print(
        f"  import re-score ({count:,} twcs messages, customers' and brands', store context "
        f"and saving; best of 3): rules {rules:,.0f}/s, rules + model {model:,.0f}/s = "
        f"{model / rules:.2f}x (target >= 0.5x)"
    )
