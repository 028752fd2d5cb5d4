"""Labelled texts for the learning tests: a team's traffic where implicit
complaints (battery drains, invalid numbers, "is N minutes late?") are
complaints the rules miss, beside plain questions and thanks. Generated from
templates with a seeded random generator (no third-party data)."""

from __future__ import annotations

import csv
from pathlib import Path
from random import Random

GADGETS = ["phone", "tablet", "laptop", "smartwatch", "speaker", "camera", "router", "console"]
COMPLAINTS = [
    "my {g} battery drains from {a}% to {b}% in minutes",
    "the {g} battery drains from {a}% to {b}% overnight",
    "customer care number for the {g} is invalid",
    "and now order {n} is {m} minutes late?",
    "the {g} screen flickers after update {n}",
    "{g} keeps rebooting every {m} minutes since update {n}",
]
QUESTIONS = [
    "do you sell gift cards for the {g}?",
    "which colours does the {g} come in?",
    "does the {g} work with model {n}?",
    "when do you open on saturday for {g} pickups?",
]
THANKS = [
    "thanks, the {g} arrived today",
    "love my new {g}, thank you team",
    "great help with the {g} setup, cheers",
]
OTHER = ["order {n}", "ref {n} for the {g}", "ticket {n}"]
KINDS = (
    ("complaint", COMPLAINTS, 1),
    ("question", QUESTIONS, 0),
    ("thanks", THANKS, 0),
    ("other", OTHER, 0),
)


def labelled(count: int, *, seed: int = 1) -> list[dict]:
    """``count`` distinct labelled rows: text, intent, urgent, language (en)."""
    rng = Random(seed)
    rows: dict[str, dict] = {}
    while len(rows) < count:
        intent, templates, urgent = rng.choices(KINDS, weights=(4, 3, 2, 1))[0]
        text = rng.choice(templates).format(
            g=rng.choice(GADGETS),
            a=rng.randint(50, 99),
            b=rng.randint(1, 49),
            n=rng.randint(1000, 9999),
            m=rng.randint(5, 90),
        )
        rows[text] = {"text": text, "intent": intent, "urgent": urgent, "language": "en"}
    return list(rows.values())


def write_label_csv(path: Path, rows: list[dict]) -> Path:
    """Write ``rows`` as a label file (text, intent, urgent, language)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "intent", "urgent", "language"])
        writer.writeheader()
        writer.writerows(rows)
    return path
