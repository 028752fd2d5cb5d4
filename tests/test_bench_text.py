"""The import benchmark's generated text (benchmarks/bench_text.py): real
English and Portuguese texts, resampled and edited, at least half of them
distinct after @handle removal in each language, in a file the importer
reads without a rejected row. No timing here (figures: docs/performance.md)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from replywatch.collectors.imports import read_twcs
from replywatch.sentiment.language import detect_language

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_text  # noqa: E402
from import_bench import generate  # noqa: E402


def test_generated_text_is_varied_real_and_importable(tmp_path, shared_data):
    path = tmp_path / "generated.csv"
    shares = generate(path, 20_000, seed=3)
    for lang in ("en", "pt"):
        for side in ("customer", "brand"):
            distinct, total = shares[lang, side]
            assert total > 1_000 and distinct / total >= 0.5, (lang, side, distinct, total)
    batches = list(read_twcs(path))
    assert sum(len(b.messages) for b in batches) == 20_000
    assert not any(b.rejected for b in batches)
    texts = [m.text for b in batches for m in b.messages]
    # Customer texts come from the real data (up to the edits): most start
    # with a real tweet's or review's first words after the brand handle.
    pools = bench_text.load_pools()
    starts = {" ".join(t.split()[:3]) for t in (*pools.en_customer, *pools.pt_customer)}
    inbound = [m.text for b in batches for m in b.messages if m.direction == "inbound"]
    real_start = sum(" ".join(t.split()[1:4]) in starts for t in inbound)
    assert real_start / len(inbound) > 0.6
    # Both languages are there as the detector sees them.
    sample = random.Random(1).sample(texts, 400)
    detected = [detect_language(t) for t in sample]
    assert detected.count("pt") > 60 and detected.count("en") > 150


def test_templates_stay_available_for_comparison(tmp_path):
    shares = generate(tmp_path / "t.csv", 5_000, text="templates")
    assert shares["en", "brand"][0] == 1  # every brand reply the same text
