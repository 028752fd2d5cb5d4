"""Small, fast behaviour checks on the first rows of the real datasets (not benchmarks)."""

import csv

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from replywatch.sentiment import analyze_many, detect_language


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


def test_portuguese_beats_plain_vader_on_first_200_reviews(sentiment_data):
    rows = b2w_head(sentiment_data, 200)
    vader = SentimentIntensityAnalyzer()
    ours = analyze_many([t for t, _ in rows])
    ours_ok = sum((a.compound >= 0) == pos for a, (_, pos) in zip(ours, rows, strict=True))
    vader_ok = sum((vader.polarity_scores(t)["compound"] >= 0) == pos for t, pos in rows)
    assert ours_ok > vader_ok


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
    assert langs.count("pt") <= 10
