"""Small, fast behaviour checks on the first rows of the real datasets (not benchmarks)."""

import csv
import re

from LeIA import SentimentIntensityAnalyzer as PlainLeIA

from replywatch.sentiment import analyze_many, detect_language
from replywatch.sentiment.language import clean_for_detection


def b2w_head(folder, n):
    out = []
    with open(folder / "b2w_reviews_10k_pt.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            stars = int(row["overall_rating"])
            if stars != 3:
                out.append((f"{row['review_title']}. {row['review_text']}", stars >= 4))
            if len(out) == n:
                break
    assert len(out) == n
    return out


def test_portuguese_beats_plain_leia_against_the_star_ratings(sentiment_data):
    # Oracle: the reviewers' own stars (1-2 negative, 4-5 positive). Baseline: plain LeIA,
    # the Portuguese lexicon scorer ours is built on (not English VADER run on
    # Portuguese, which any Portuguese scorer beats). Same rule as the benchmark:
    # negative iff compound <= -0.05. First 1,000 reviews in file order.
    rows = b2w_head(sentiment_data, 1000)
    leia = PlainLeIA()
    ours = analyze_many([t for t, _ in rows])
    ours_ok = sum((a.compound > -0.05) == pos for a, (_, pos) in zip(ours, rows, strict=True))
    leia_ok = sum((leia.polarity_scores(t)["compound"] > -0.05) == pos for t, pos in rows)
    assert ours_ok > leia_ok


def test_reviews_are_detected_as_portuguese(sentiment_data):
    rows = b2w_head(sentiment_data, 200)
    langs = [detect_language(t) for t, _ in rows]
    assert langs.count("pt") >= 190  # a few are just "Ok." or a model number


def test_ground_truth_tweets_are_detected_as_english(sentiment_data):
    with open(sentiment_data / "tweets_GroundTruth.txt", encoding="utf-8", newline="") as f:
        texts = [
            line.rstrip("\r\n").split("\t", 2)[2] for _, line in zip(range(200), f, strict=False)
        ]
    langs = [detect_language(t) for t in texts]
    # Every tweet with at least four words is English; what is not "en" is emoticons,
    # "WTF?", "fun!!" and the like (no language to find, or too short to tell).
    long_enough = [
        lang
        for t, lang in zip(texts, langs, strict=True)
        if len(re.findall(r"[^\W\d_]+", clean_for_detection(t))) >= 4
    ]
    assert len(long_enough) >= 150 and set(long_enough) == {"en"}
