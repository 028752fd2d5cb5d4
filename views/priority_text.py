"""Why a triage queue row has its position, in the reader's words: the
current urgency and its main reasons, then the time points against the SLA.

The store ranks the queue (``store.triage.queue``); the wording lives here,
above the store, because it reads the reason codes' translations
(``sentiment.reasons``) and the gettext catalogues. No Streamlit: tested on
its own."""

from __future__ import annotations

from typing import Any

from replywatch import i18n
from replywatch.i18n import N_, compact_duration
from replywatch.sentiment import reasons as reason_codes


def priority_why(row: dict[str, Any], now: int, language: str | None = None) -> str:
    """Why a queue row has its position, in words: the current urgency and its
    main reasons, then the time points against the SLA. ``language`` ("pt-BR",
    "pt-PT"; default English) is the reader's: the words come from the gettext
    catalogues and the reasons from their codes (``sentiment.reasons``)."""

    def text(message: str) -> str:
        return i18n.gettext_for(language, message)

    english = i18n.locale_id(language) == "en"
    codes = reason_codes.stored_codes(row.get("reason_codes"), row.get("reasons") or [])
    # A reader's language: Portuguese messages' reasons read in Portuguese. None
    # (tests, the CLI): English throughout, as before.
    shown_in = (
        reason_codes.display_language(row.get("reason_language"), language) if language else "en"
    )
    reasons = [
        t
        for c, t in zip(codes, reason_codes.texts(codes, shown_in), strict=True)
        if not c.startswith("sla_breached") and "SLA" not in t
    ][:2]
    urgency = int(row.get("urgency") or 0)
    if reasons:
        first = text(N_("urgency {n} ({reasons})")).format(n=urgency, reasons="; ".join(reasons))
    else:
        first = text(N_("urgency {n}")).format(n=urgency)
    if urgency == 0 and row.get("intent"):
        first = text(N_("urgency 0 ({intent})")).format(intent=text(row["intent"]))
    parts = [first]

    def span(seconds: int) -> str:
        return _short(seconds) if english else i18n.duration(max(0, seconds), language)

    points = int(row.get("time_points") or 0)
    due, since = row.get("sla_due_at"), row.get("awaiting_since")
    if due is not None and since is not None:
        if now >= due:
            parts.append(
                text(N_("+{points}: SLA breached {duration} ago")).format(
                    points=points, duration=span(now - due)
                )
            )
        else:
            parts.append(
                text(N_("+{points}: waiting {waiting}, SLA due in {due}")).format(
                    points=points, waiting=span(now - since), due=span(due - now)
                )
            )
    elif since is None:
        parts.append(text(N_("not waiting")))
    return " · ".join(parts)


def _short(seconds: int) -> str:
    return compact_duration(max(0, seconds))
