"""Scoring stored messages: where the store and the pure text analysis meet.

``sentiment/`` only analyses text and ``store/`` only stores; this module joins
them (it sits above both, beside ``pipeline.py``, which calls it).

Adds what only the store knows (channel, author reach, repeated unanswered
messages from the same customer, spam and brand-authored posts) to the pure
text analysis, and saves the result. Time waiting against the SLA is not part
of a stored score since 1.3.0: the triage priority adds it live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from replywatch.sentiment.analysis import SCORER_VERSION
from replywatch.sentiment.core import TextScore, analyze_many, default_rules, finish_text_scores
from replywatch.sentiment.urgency import UrgencyContext, UrgencyRules
from replywatch.store.db import Database, database_file
from replywatch.store.models import active_model_id, model_trained_at, model_weights
from replywatch.store.scores import (
    brand_settings,
    save_scores,
    scoring_inputs,
    unscored_message_ids,
)


def _rules_by_brand(settings: dict[str, dict[str, Any]]) -> dict[str, UrgencyRules]:
    rules = {}
    for brand, brand_settings_ in settings.items():
        overrides = brand_settings_.get("urgency")
        rules[brand] = UrgencyRules.from_mapping(overrides) if overrides else default_rules()
    return rules


#: Models built from their stored weights, by (database file, model id, trained at).
_MODELS: dict[tuple[str, int, str], Any] = {}


def active_model(db: Database) -> tuple[int, Any] | None:
    """(id, ``sentiment.learned.LearnedModel``) of the store's active model,
    or None (no model: the rules decide alone, and scikit-learn is not
    loaded). Built once per process and model."""
    model_id = active_model_id(db)
    if model_id is None:
        return None
    # The training time too: a restored backup may hold another model N.
    key = (database_file(db), model_id, model_trained_at(db, model_id))
    if key not in _MODELS:
        from replywatch.sentiment.learned import LearnedModel

        if len(_MODELS) >= 2:
            _MODELS.clear()
        _MODELS[key] = LearnedModel.from_weights(model_weights(db, model_id))
    return model_id, _MODELS[key]


def scorer_version(model_id: int | None) -> str:
    """The version stored with a score: SCORER_VERSION, plus "+model.N" when
    the store's model N was active (so ``rescore`` applies a new model)."""
    return SCORER_VERSION if model_id is None else f"{SCORER_VERSION}+model.{model_id}"


def _analyse(
    items: list[dict[str, Any]],
    known: Mapping[int, TextScore] | None,
    rules: UrgencyRules,
    model: tuple[int, Any] | None,
) -> list:
    """The analyses of one group of messages (same rules): from their text
    parts when ``known`` holds them, with the store's ``model`` where active."""
    # No waiting time (1.3.0): a stored urgency is about the message, while
    # time against the SLA changes by the minute, so the triage priority adds it
    # live (store.triage). Scored at ingest it was ~0; scored late (an import, a
    # re-score) it froze "SLA breached" into the message for ever.
    contexts = [
        UrgencyContext(
            channel=item["channel"],
            author_followers=item["author_followers"],
            unanswered_from_author=item["earlier_unanswered"],
            is_spam=item["status"] == "spam",
            is_brand_author=item["direction"] == "outbound",
        )
        for item in items
    ]
    texts = [i["text"] for i in items]
    if known is not None:
        analyses = finish_text_scores(
            [known[i["id"]] for i in items], texts, contexts=contexts, rules=rules
        )
    else:
        analyses = analyze_many(
            texts, languages=[i["lang"] for i in items], contexts=contexts, rules=rules
        )
    if model is None:
        return analyses
    # The store's model decides for customer messages only (never spam or
    # the brand's own posts).
    eligible = [not (c.is_spam or c.is_brand_author) for c in contexts]
    return model[1].apply(analyses, texts, threshold=rules.threshold, eligible=eligible)


def score_messages(
    db: Database,
    message_ids: Sequence[int],
    *,
    now: float | None = None,
    text_scores: Mapping[int, TextScore] | None = None,
) -> list[int]:
    """Score the given stored messages (replacing older scores) and return the
    ids of those that are urgent. Call inside the ingest transaction.
    ``text_scores`` (by message id) holds the text part of the analysis when
    it was computed earlier (an import does it while reading the file): only
    the store context is added then; the scores are the same. ``now`` is
    accepted for callers of earlier versions and not used: stored scores no
    longer depend on the time they were made."""
    inputs = scoring_inputs(db, message_ids)
    if not inputs:
        return []
    settings = brand_settings(db)
    model = active_model(db)
    version = scorer_version(model[0] if model else None)
    rules_by_brand = _rules_by_brand(settings)
    known = text_scores or {}
    # Grouped by rules (phrase regexes resolved once per group) and by whether
    # the text part is already known.
    groups: dict[tuple[int, bool], list[dict[str, Any]]] = {}
    rule_objects: dict[int, UrgencyRules] = {}
    for item in inputs:
        rules = rules_by_brand.get(item["brand"] or "", default_rules())
        groups.setdefault((id(rules), item["id"] in known), []).append(item)
        rule_objects[id(rules)] = rules
    results = []
    urgent = []
    for (key, precomputed), items in groups.items():
        analyses = _analyse(items, known if precomputed else None, rule_objects[key], model)
        for item, analysis in zip(items, analyses, strict=True):
            results.append({"message_id": item["id"], **analysis.to_dict(), "version": version})
            if analysis.urgent:
                urgent.append(item["id"])
    save_scores(db, results)
    return urgent


def score_pending(
    db: Database,
    *,
    batch_size: int = 2000,
    rescore_old_versions: bool = False,
    on_batch: Callable[[int], None] | None = None,
    after_batch: Callable[[list[int]], None] | None = None,
) -> int:
    """Score every message without a score (and, with ``rescore_old_versions``,
    every score made by another scorer version), one transaction per batch so
    that an interruption keeps what was done. ``after_batch`` receives each
    batch's message ids inside its transaction (to refresh conversations).
    Returns how many messages were scored."""
    from replywatch.store.db import transaction

    done = 0
    last_id = 0
    model = active_model_id(db)
    version = scorer_version(model) if rescore_old_versions else None
    while True:
        with transaction(db):
            ids = unscored_message_ids(db, limit=batch_size, after_id=last_id, version=version)
            if not ids:
                return done
            last_id = ids[-1]
            score_messages(db, ids)
            if after_batch:
                after_batch(ids)
        done += len(ids)
        if on_batch:
            on_batch(len(ids))
