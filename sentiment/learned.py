"""A model learned from one store's own labels: intent and "urgent or not".

Pure library (no store, no I/O, no download, no shipped weights): the store
trains it from the team's labels (``replywatch.training``) and keeps its weights
as JSON (:meth:`LearnedModel.to_weights`; never pickle). Features: word 1-2-grams
and character 2-5-grams (TF-IDF) of the text, plus the rules' own outputs (their
intent, compound, closing flag) and the language. Two logistic regressions:
intent (complaint / question / thanks / other) and urgent (0/1).

:func:`train` cross-validates on the labels (stratified folds) and reports
precision, recall and F1 per intent, per language, for the model and for the
rules on the same labels; the model is *used* for a language and a decision
(intent, urgent) only where it beats the rules there, with at least
:data:`MIN_LANGUAGE_LABELS` labels. Below :data:`MIN_LABELS` no model is made
and the rules decide alone.

A learned decision explains itself with the words that weighed most for it
(reason code ``learned:'cobrado duas vezes'``).

scikit-learn is imported only when a model is trained or built, so scoring
without a model never loads it.
"""

from __future__ import annotations

import re
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from typing import Any

import numpy as np

from replywatch.sentiment.analysis import Analysis
from replywatch.sentiment.intent import INTENTS
from replywatch.sentiment.reasons import code as reason_code
from replywatch.sentiment.text import fold

#: Fewer labels than this: no model, the rules decide.
MIN_LABELS = 200
#: A language's decisions are learned only with at least this many of its labels.
MIN_LANGUAGE_LABELS = 100
#: The urgent decision is learned only with this many labels saying urgent (and not).
MIN_URGENT_EACH = 20
FOLDS = 5
#: Regularisation (SGD's alpha) of the two regressions, chosen on the DEV
#: halves (benchmarks/sentiment_eval.py --learning-dev; docs/sentiment.md).
ALPHA_INTENT = 1e-5
ALPHA_URGENT = 1e-5
WEIGHTS_FORMAT = 2
#: A word explains a decision only if at most half of the labels hold it (IDF 1 + ln 2).
EXPLAIN_MIN_IDF = 1.0 + float(np.log(2.0))
LANGUAGES = ("en", "pt", "und")

_TOKEN = r"(?u)\b\w+\b"
_MAX_FEATURES = {"word": 50_000, "char": 100_000}
_HANDLES_URLS = re.compile(r"https?://\S+|www\.\S+|@\w+")
_TOKEN_RE = re.compile(_TOKEN)


def clean(text: str) -> str:
    """The text the model reads: URLs and @handles removed (they name
    people and accounts, not what the message says)."""
    return _HANDLES_URLS.sub(" ", text or "")


def _normalised(text: str) -> str:
    """Cleaned (:func:`clean`), accent-free, case-folded text (``sentiment.text.fold``)."""
    return fold(clean(text))


def word_grams(text: str) -> list[str]:
    """Word 1-2-grams of a :func:`_normalised` text."""
    tokens = _TOKEN_RE.findall(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


#: Bits of a character n-gram's code (5 bytes and its length: < 6 x 2^40).
_CODE_BITS = 43


def char_codes(docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(document index, n-gram code) of every character 2-5-gram of the
    :func:`_normalised` ``docs`` (spaces collapsed, each text padded with a
    space). An n-gram's code packs its bytes (non-ASCII characters, rare once
    accents are folded, count as "?") and its length in one integer, so the
    n-grams of a whole batch are made and looked up by numpy at once."""
    joined = "\x00".join(f" {' '.join(d.split())} " for d in docs)
    chars = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8).astype(np.int64)
    breaks = chars == 0
    doc_of = np.cumsum(breaks)
    rows, codes = [], []
    for n in range(2, 6):
        count = len(chars) - n + 1
        if count <= 0:
            continue
        code = np.full(count, n, dtype=np.int64)
        crosses = np.zeros(count, dtype=bool)
        for k in range(n):
            code = (code << 8) | chars[k : k + count]
            crosses |= breaks[k : k + count]
        rows.append(doc_of[:count][~crosses])
        codes.append(code[~crosses])
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(codes)


def _tfidf(rows: np.ndarray, cols: np.ndarray, n_docs: int, idf: np.ndarray, counts=None):
    """CSR rows of sublinear TF x IDF, L2-normalised (scikit-learn's
    TfidfVectorizer(sublinear_tf=True) with smoothed IDF), from one (row,
    column) pair per n-gram occurrence, or (``counts`` given) per distinct
    (row, column) pair in row order with its count."""
    from scipy.sparse import csr_matrix

    size = len(idf)
    if counts is None:
        keys, counts = np.unique(rows * size + cols, return_counts=True)
        row, col = keys // size, keys % size
    else:
        row, col = rows, cols
    values = (1.0 + np.log(counts)) * idf[col]
    norms = np.sqrt(np.bincount(row, weights=values * values, minlength=n_docs))
    values = (values / norms[row]).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n_docs))])
    return csr_matrix((values, col, indptr), shape=(n_docs, size))


def _idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    return (np.log((1 + n_docs) / (1 + df.astype(np.float64))) + 1).astype(np.float32)


@dataclass
class Vocabulary:
    """TF-IDF over word 1-2-grams: the terms kept and their IDF weights
    (written here, not scikit-learn's vectorizer, so that scoring needs numpy
    and scipy only and a batch transforms in one pass)."""

    terms: list[str]
    idf: np.ndarray

    def __post_init__(self) -> None:
        self.index = {term: i for i, term in enumerate(self.terms)}

    @classmethod
    def fit(cls, docs: Sequence[str], *, min_df: int, max_terms: int) -> Vocabulary:
        """Keep the n-grams held by at least ``min_df`` of ``docs`` (the
        ``max_terms`` most frequent ones)."""
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(word_grams(doc)))
        kept = sorted((t for t, n in df.items() if n >= min_df), key=lambda t: (-df[t], t))
        kept = sorted(kept[:max_terms])
        return cls(kept, _idf(np.array([df[t] for t in kept]), len(docs)))

    def transform(self, docs: Sequence[str]):
        """The TF-IDF rows of ``docs`` (CSR, float32)."""
        lengths, grams = [], []
        for doc in docs:
            doc_grams = word_grams(doc)
            lengths.append(len(doc_grams))
            grams.extend(doc_grams)
        ids = np.fromiter(map(self.index.get, grams, repeat(-1)), np.int64, count=len(grams))
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        kept = ids >= 0
        return _tfidf(rows[kept], ids[kept], len(docs), self.idf)

    def to_json(self) -> dict[str, Any]:
        return {"terms": self.terms, "idf": _floats(self.idf)}


@dataclass
class CharVocabulary:
    """TF-IDF over character 2-5-grams (:func:`char_codes`): the sorted codes kept
    and their IDF weights."""

    codes: np.ndarray
    idf: np.ndarray

    @classmethod
    def fit(cls, docs: Sequence[str], *, min_df: int, max_terms: int) -> CharVocabulary:
        """Keep the n-grams held by at least ``min_df`` of ``docs`` (the
        ``max_terms`` most frequent ones)."""
        rows, codes = char_codes(docs)
        order = np.lexsort((rows, codes))
        rows, codes = rows[order], codes[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = (codes[1:] != codes[:-1]) | (rows[1:] != rows[:-1])
        unique, df = np.unique(codes[first], return_counts=True)
        keep = df >= min_df
        unique, df = unique[keep], df[keep]
        top = np.lexsort((unique, -df))[:max_terms]
        order = np.argsort(unique[top])
        return cls(unique[top][order], _idf(df[top][order], len(docs)))

    def transform(self, docs: Sequence[str]):
        """The TF-IDF rows of ``docs`` (CSR, float32): one sort gives each
        document's distinct n-grams and their counts, then each is looked up."""
        rows, codes = char_codes(docs)
        keys, counts = np.unique((rows << _CODE_BITS) | codes, return_counts=True)
        row, code = keys >> _CODE_BITS, keys & ((1 << _CODE_BITS) - 1)
        if not len(self.codes):
            return _tfidf(row[:0], code[:0], len(docs), self.idf, counts[:0])
        found = np.minimum(np.searchsorted(self.codes, code), len(self.codes) - 1)
        hit = self.codes[found] == code
        return _tfidf(row[hit], found[hit], len(docs), self.idf, counts[hit])

    def to_json(self) -> dict[str, Any]:
        return {"codes": self.codes.tolist(), "idf": _floats(self.idf)}


def rule_features(analyses: Sequence[Analysis]) -> np.ndarray:
    """The rules' outputs as features: intent one-hot, compound, closes, language one-hot."""
    out = np.zeros((len(analyses), len(INTENTS) + 2 + len(LANGUAGES)), dtype=np.float32)
    for row, a in enumerate(analyses):
        if a.intent in INTENTS:
            out[row, INTENTS.index(a.intent)] = 1.0
        out[row, len(INTENTS)] = a.compound
        out[row, len(INTENTS) + 1] = float(a.closes)
        lang = a.language if a.language in LANGUAGES else "und"
        out[row, len(INTENTS) + 2 + LANGUAGES.index(lang)] = 1.0
    return out


@dataclass
class _Head:
    """One logistic regression's weights: classes, coef (classes x features), intercept."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray

    def proba(self, x) -> np.ndarray:
        scores = np.asarray(x @ self.coef.T) + self.intercept
        if len(self.classes) == 2 and self.coef.shape[0] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)

    def class_weights(self, index: int) -> np.ndarray:
        """Weights pushing towards class ``index`` (binary: the sign of the only row)."""
        if self.coef.shape[0] == 1:
            return self.coef[0] if index == 1 else -self.coef[0]
        return self.coef[index]

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "coef": np.round(self.coef, 5).tolist(),
            "intercept": np.round(self.intercept, 5).tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> _Head:
        return cls(
            list(data["classes"]),
            np.asarray(data["coef"], dtype=np.float32),
            np.asarray(data["intercept"], dtype=np.float32),
        )


def _fit_head(x, y: Sequence[str], alpha: float) -> _Head:
    # Logistic regression (log loss) fitted by scikit-learn's SGD: the
    # L-BFGS solver took 20-45 s for one fit on 5,000 labels here (its
    # Fortran core, under load), SGD about 1 s with the same F1 on DEV.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    model = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        class_weight="balanced",
        max_iter=50,
        tol=1e-4,
        random_state=0,
    )
    with warnings.catch_warnings():
        # Few labels may stop at max_iter before SGD's tolerance: the fit is
        # still used (and cross-validated); the warning would only confuse.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(x, list(y))
    return _Head(
        [str(k) for k in model.classes_],
        model.coef_.astype(np.float32),
        model.intercept_.astype(np.float32),
    )


@dataclass
class LearnedModel:
    """A trained model: vectorizers, the intent and urgent heads, and where
    each head is used (``used[language] = {"intent": bool, "urgent": bool}``)."""

    word: Any
    char: Any
    intent: _Head
    urgent: _Head | None
    used: dict[str, dict[str, bool]]

    # -- features ---------------------------------------------------------
    def features(self, texts: Sequence[str], analyses: Sequence[Analysis]):
        """The feature matrix of ``texts`` (with their rules' analyses)."""
        from scipy.sparse import csr_matrix, hstack

        cleaned = [_normalised(t) for t in texts]
        return hstack(
            [
                self.word.transform(cleaned),
                self.char.transform(cleaned),
                csr_matrix(rule_features(analyses)),
            ],
            format="csr",
        )

    def predict(self, texts: Sequence[str], analyses: Sequence[Analysis]):
        """(intents, intent probabilities, urgent flags or None, the feature matrix)."""
        x = self.features(texts, analyses)
        p_intent = self.intent.proba(x)
        intents = [self.intent.classes[i] for i in p_intent.argmax(axis=1)]
        urgent = None
        if self.urgent is not None:
            urgent = list(self.urgent.proba(x)[:, 1] >= 0.5)
        return intents, p_intent, urgent, x

    # -- applying -----------------------------------------------------------
    def apply(
        self,
        analyses: Sequence[Analysis],
        texts: Sequence[str],
        *,
        threshold: int,
        eligible: Sequence[bool] | None = None,
    ) -> list[Analysis]:
        """``analyses`` with the learned intent / urgent decision where the
        model is used for the message's language (and ``eligible``: customer
        messages, not spam). ``threshold`` is the urgency rules' threshold: a
        learned "urgent" lifts the urgency to it, a learned "not urgent"
        keeps it below."""
        out = list(analyses)
        chosen = [
            i
            for i, a in enumerate(analyses)
            if (eligible is None or eligible[i]) and any(self.used.get(a.language, {}).values())
        ]
        if not chosen:
            return out
        sub = [analyses[i] for i in chosen]
        intents, _p, urgent, x = self.predict([texts[i] or "" for i in chosen], sub)
        for row, i in enumerate(chosen):
            out[i] = self._decide(sub[row], texts[i] or "", x, row, intents[row], urgent, threshold)
        return out

    def _decide(self, a, text, x, row, intent, urgent, threshold) -> Analysis:
        use = self.used.get(a.language, {})
        changes: dict[str, Any] = {}
        if use.get("intent") and intent != a.intent:
            # Only a decision that differs from the rules' is the model's own;
            # it explains itself with the words that weighed most for it.
            terms = self.explain(x, row, text, self.intent, self.intent.classes.index(intent))
            changes.update(
                intent=intent,
                intent_reasons=(_learned_code(terms),),
                closes=False,
            )
        if use.get("urgent") and urgent is not None and bool(urgent[row]) != a.urgent:
            flag = bool(urgent[row])
            assert self.urgent is not None
            terms = self.explain(
                x, row, text, self.urgent, self.urgent.classes.index(str(int(flag)))
            )
            learned = _learned_code(terms)
            points = max(a.urgency, threshold) if flag else min(a.urgency, threshold - 1)
            codes = (*a.reason_codes, learned)
            changes.update(urgent=flag, urgency=points, reason_codes=codes)
            changes["reasons"] = (*a.reasons, _english(learned))
        return replace(a, **changes) if changes else a

    def explain(self, x, row: int, text: str, head: _Head, index: int, top: int = 2) -> list[str]:
        """The word n-grams of ``text`` that weighed most towards class
        ``index`` of ``head``, as written in the text (at most ``top``,
        overlapping ones joined: "cobrado duas" + "duas vezes" -> "cobrado
        duas vezes")."""
        start, end = x.indptr[row], x.indptr[row + 1]
        cols, vals = x.indices[start:end], x.data[start:end]
        # Word n-grams that can explain (numbers, letters and words of more than
        # half of the labels cannot), ranked by weight x IDF once more: frequent
        # words ("the", "your", "de") may weigh but explain little.
        usable = self._explaining()
        mask = cols < len(usable)
        cols, vals = cols[mask], vals[mask]
        mask = usable[cols]
        cols, vals = cols[mask], vals[mask]
        contrib = vals * head.class_weights(index)[cols] * self.word.idf[cols]
        best = [k for k in np.argsort(-contrib)[:top] if contrib[k] > 0]
        picked = [self.word.terms[cols[k]] for k in best]
        return _as_written(_join_overlaps(picked), text)

    def _explaining(self) -> np.ndarray:
        """Per word n-gram: whether it may explain a decision (:meth:`_informative`)."""
        if getattr(self, "_usable", None) is None:
            self._usable = np.array([self._informative(t) for t in self.word.terms], dtype=bool)
        return self._usable

    def _informative(self, term: str) -> bool:
        """An n-gram explains only if one of its words is a word (not a number
        or a letter) held by at most half of the labels ("is the" does not)."""
        vocabulary, idf = self.word.index, self.word.idf
        return any(
            len(part) > 1
            and not part.isdigit()
            and (part not in vocabulary or idf[vocabulary[part]] >= EXPLAIN_MIN_IDF)
            for part in term.split()
        )

    # -- storage ------------------------------------------------------------
    def to_weights(self) -> dict[str, Any]:
        """The model as plain JSON data (what the store keeps)."""
        return {
            "format": WEIGHTS_FORMAT,
            "word": self.word.to_json(),
            "char": self.char.to_json(),
            "intent": self.intent.to_json(),
            "urgent": self.urgent.to_json() if self.urgent else None,
            "used": self.used,
        }

    @classmethod
    def from_weights(cls, data: dict[str, Any]) -> LearnedModel:
        """Rebuild a model from :meth:`to_weights` data (ValueError if the format is unknown)."""
        if data.get("format") != WEIGHTS_FORMAT:
            raise ValueError(f"unknown model format {data.get('format')!r}")
        word = Vocabulary(list(data["word"]["terms"]), np.asarray(data["word"]["idf"], np.float32))
        char = CharVocabulary(
            np.asarray(data["char"]["codes"], np.int64), np.asarray(data["char"]["idf"], np.float32)
        )
        urgent = _Head.from_json(data["urgent"]) if data.get("urgent") else None
        return cls(word, char, _Head.from_json(data["intent"]), urgent, data["used"])


def _floats(values) -> list[float]:
    return np.round(np.asarray(values, dtype=np.float64), 5).tolist()


def _english(code: str) -> str:
    # The English text without a catalogue lookup (reasons.text's hot path
    # covers argument-less codes only).
    from replywatch.sentiment.reasons import REASONS, split

    name, args = split(code)
    return REASONS[name].format(*args)


def _learned_code(terms: list[str]) -> str:
    if not terms:
        return "learned_labels"
    return reason_code("learned", ", ".join(f"'{t}'" for t in terms))


def _join_overlaps(terms: list[str]) -> list[str]:
    out: list[str] = []
    for term in terms:
        for k, kept in enumerate(out):
            a, b = kept.split(), term.split()
            if f" {kept} " in f" {term} ":
                out[k] = term
                break
            if a[-1] == b[0] and len(b) > 1:
                out[k] = " ".join(a + b[1:])
                break
            if b[-1] == a[0] and len(a) > 1:
                out[k] = " ".join(b + a[1:])
                break
            if f" {term} " in f" {kept} ":
                break
        else:
            out.append(term)
    return out


def _as_written(terms: list[str], text: str) -> list[str]:
    """Each (lower-case, accent-free) n-gram as the words appear in ``text``."""
    cleaned = clean(text)
    tokens = _TOKEN_RE.findall(cleaned)
    folded = _TOKEN_RE.findall(fold(cleaned))
    if len(folded) != len(tokens):  # folding changed a word boundary: word by word
        folded = [fold(t) for t in tokens]
    out = []
    for term in terms:
        parts = term.split()
        for start in range(len(folded) - len(parts) + 1):
            if folded[start : start + len(parts)] == parts:
                out.append(" ".join(tokens[start : start + len(parts)]))
                break
        else:
            out.append(term)
    return out


# ---------------------------------------------------------------- training


@dataclass(frozen=True)
class Example:
    """One label: the text, its language ("en", "pt", "und"), intent and urgent (None: unsaid)."""

    text: str
    language: str
    intent: str
    urgent: int | None


def fit(
    examples: Sequence[Example],
    analyses: Sequence[Analysis],
    *,
    min_df: int = 2,
    alpha_intent: float = ALPHA_INTENT,
    alpha_urgent: float = ALPHA_URGENT,
) -> LearnedModel:
    """Fit both heads on all ``examples`` (``analyses``: the rules' analysis of
    each, without store context). ``used`` is left empty: :func:`train` fills it."""
    from scipy.sparse import csr_matrix, hstack

    cleaned = [_normalised(e.text) for e in examples]
    word = Vocabulary.fit(cleaned, min_df=min_df, max_terms=_MAX_FEATURES["word"])
    char = CharVocabulary.fit(cleaned, min_df=min_df, max_terms=_MAX_FEATURES["char"])
    x = hstack(
        [word.transform(cleaned), char.transform(cleaned), csr_matrix(rule_features(analyses))],
        format="csr",
    )
    intent = _fit_head(x, [e.intent for e in examples], alpha_intent)
    known = [i for i, e in enumerate(examples) if e.urgent is not None]
    urgent_values = [str(examples[i].urgent) for i in known]
    urgent = None
    if min(urgent_values.count("0"), urgent_values.count("1")) >= MIN_URGENT_EACH:
        urgent = _fit_head(x[known], urgent_values, alpha_urgent)
    return LearnedModel(word, char, intent, urgent, {})


def prf(truth: Sequence[str], predicted: Sequence[str], positive: str) -> dict[str, float]:
    """Precision, recall, F1 and support of class ``positive``."""
    tp = sum(t == positive and p == positive for t, p in zip(truth, predicted, strict=True))
    said = sum(p == positive for p in predicted)
    real = sum(t == positive for t in truth)
    precision = tp / said if said else 0.0
    recall = tp / real if real else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": real,
    }


def _scores(truth, predicted, urgent_truth, urgent_predicted) -> dict[str, Any]:
    present = [c for c in INTENTS if c in truth]
    per = {c: prf(truth, predicted, c) for c in present}
    out: dict[str, Any] = {
        "intents": per,
        "macro_f1": round(sum(v["f1"] for v in per.values()) / len(per), 4) if per else 0.0,
    }
    pairs = [(t, p) for t, p in zip(urgent_truth, urgent_predicted, strict=True) if t is not None]
    if pairs:
        out["urgent"] = prf([str(t) for t, _ in pairs], [str(int(p)) for _, p in pairs], "1")
    return out


def cross_validated(
    examples: Sequence[Example],
    analyses: Sequence[Analysis],
    *,
    folds: int = FOLDS,
    seed: int = 0,
    **fit_args: Any,
) -> tuple[list[str], list]:
    """Out-of-fold predictions (intents, urgent flags or None) for every example."""
    from sklearn.model_selection import StratifiedKFold

    labels = [e.intent for e in examples]
    smallest = min(labels.count(c) for c in set(labels))
    splitter = StratifiedKFold(
        n_splits=max(2, min(folds, smallest)), shuffle=True, random_state=seed
    )
    intents: list[str] = [""] * len(examples)
    urgent: list[bool | None] = [None] * len(examples)
    for train_idx, test_idx in splitter.split(np.zeros(len(labels)), labels):
        model = fit([examples[i] for i in train_idx], [analyses[i] for i in train_idx], **fit_args)
        got_intents, _p, got_urgent, _x = model.predict(
            [examples[i].text for i in test_idx], [analyses[i] for i in test_idx]
        )
        for k, i in enumerate(test_idx):
            intents[i] = got_intents[k]
            urgent[i] = None if got_urgent is None else bool(got_urgent[k])
    return intents, urgent


def compare(
    examples: Sequence[Example],
    analyses: Sequence[Analysis],
    intents: Sequence[str],
    urgent: Sequence[bool | None],
) -> dict[str, Any]:
    """Per language (and "all"): the model's and the rules' figures on the labels,
    and whether the model is used there for intent and for urgent."""
    metrics: dict[str, Any] = {}
    used: dict[str, dict[str, bool]] = {}
    groups = {"all": list(range(len(examples)))}
    for lang in LANGUAGES:
        idx = [i for i, e in enumerate(examples) if e.language == lang]
        if idx:
            groups[lang] = idx
    for name, idx in groups.items():
        truth = [examples[i].intent for i in idx]
        u_truth = [examples[i].urgent for i in idx]
        model = _scores(
            truth,
            [intents[i] for i in idx],
            u_truth,
            [bool(urgent[i]) if urgent[i] is not None else False for i in idx],
        )
        rules = _scores(
            truth, [analyses[i].intent for i in idx], u_truth, [analyses[i].urgent for i in idx]
        )
        metrics[name] = {"labels": len(idx), "model": model, "rules": rules}
        if name == "all" or len(idx) < MIN_LANGUAGE_LABELS:
            continue
        has_urgent = any(u is not None for u in urgent) and "urgent" in model
        used[name] = {
            "intent": model["macro_f1"] > rules["macro_f1"],
            "urgent": bool(has_urgent and model["urgent"]["f1"] > rules["urgent"]["f1"]),
        }
    return {"metrics": metrics, "used": used}


def train(
    examples: Sequence[Example], analyses: Sequence[Analysis], *, folds: int = FOLDS
) -> tuple[LearnedModel | None, dict[str, Any]]:
    """Cross-validate against the rules, then fit on every label. Returns
    (model or None, report). None when there are fewer than :data:`MIN_LABELS`
    labels or fewer than two intents; the report says why."""
    started = time.perf_counter()
    report: dict[str, Any] = {
        "labels": len(examples),
        "min_labels": MIN_LABELS,
        "min_language_labels": MIN_LANGUAGE_LABELS,
        "folds": folds,
    }
    if len(examples) < MIN_LABELS or len({e.intent for e in examples}) < 2:
        report.update(used={}, reason="too_few_labels")
        return None, report
    intents, urgent = cross_validated(examples, analyses, folds=folds)
    report.update(compare(examples, analyses, intents, urgent))
    model = fit(examples, analyses)
    model.used = report["used"]
    report["seconds"] = round(time.perf_counter() - started, 2)
    return model, report


def is_used(report: dict[str, Any]) -> bool:
    """Whether a training report's model decides anything (beat the rules somewhere)."""
    return any(any(v.values()) for v in (report.get("used") or {}).values())
