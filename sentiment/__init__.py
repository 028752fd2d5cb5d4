"""Bilingual (en/pt) sentiment with explainable urgent-complaint flags.

Pure library: no I/O beyond loading the installed lexicons, no store, no UI.

    >>> from sentiment import analyze, UrgencyContext
    >>> a = analyze("Quero meu estorno, vou no Procon!", context=UrgencyContext(channel="public"))
    >>> a.language, a.urgent
    ('pt', True)
"""

from replywatch.sentiment.analysis import SCORER_VERSION, Analysis, label_for
from replywatch.sentiment.core import analyze, analyze_many, clear_caches, default_rules
from replywatch.sentiment.language import detect_language
from replywatch.sentiment.urgency import UrgencyContext, UrgencyRules

__all__ = [
    "SCORER_VERSION",
    "Analysis",
    "UrgencyContext",
    "UrgencyRules",
    "analyze",
    "analyze_many",
    "clear_caches",
    "default_rules",
    "detect_language",
    "label_for",
]
