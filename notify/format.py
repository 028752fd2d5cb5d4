"""Plain-text alert and digest messages (pure functions, no I/O).

Customer text is untrusted: control and format characters (bidi overrides,
zero-width tricks, terminal escapes) are removed, line breaks are folded so a
message cannot fake extra lines of the alert, and it is truncated. Messages
are sent with apprise's TEXT body format, which escapes what each service
would otherwise interpret (Slack ``<!channel>``, markup)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from replywatch.untrusted import safe_url

TEXT_LIMIT = 280
DIGEST_TEXT_LIMIT = 120
DIGEST_TOP = 5
_ZWJ = "\u200d"  # kept: it joins emoji sequences and is harmless on its own


@dataclass(frozen=True)
class AlertItem:
    """What one alert shows about an urgent conversation."""

    alert_id: int
    brand_name: str
    platform: str
    text: str
    reasons: tuple[str, ...]
    urgency: int
    waiting_seconds: int
    url: str | None = None
    conversation_id: int | None = None


def clean_text(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line: control/format characters dropped, any run of
    whitespace or line breaks folded to one space, cut to ``limit`` characters
    (ending in "…" when cut)."""
    kept = []
    for ch in unicodedata.normalize("NFC", text or ""):
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category in ("Cc", "Cs", "Co") or (category == "Cf" and ch != _ZWJ):
            continue
        else:
            kept.append(ch)
    line = " ".join("".join(kept).split())
    if len(line) > limit:
        line = line[: max(limit - 1, 0)].rstrip() + "…"
    return line


def format_waiting(seconds: int | float) -> str:
    """A short human duration: "<1 min", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(int(seconds), 0)
    minutes = seconds // 60
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _reasons(item: AlertItem, limit: int | None = None) -> str:
    reasons = [clean_text(r, 80) for r in item.reasons if r]
    reasons = [r for r in reasons if r][:limit]
    return "; ".join(reasons)


def format_alert(item: AlertItem) -> tuple[str, str]:
    """Title and plain-text body of the alert for one urgent conversation:
    brand, platform, urgency, waiting time, the (cleaned, truncated) text,
    the urgency reasons and the link when it is http(s)."""
    brand = clean_text(item.brand_name, 80) or "no brand"
    title = f"Urgent complaint for {brand}"
    lines = [
        f"Urgency {int(item.urgency)}/100 · {clean_text(item.platform, 30)} · "
        f"waiting {format_waiting(item.waiting_seconds)}",
        f'"{clean_text(item.text, TEXT_LIMIT)}"',
    ]
    reasons = _reasons(item)
    if reasons:
        lines.append(f"Why: {reasons}")
    link = safe_url(item.url)
    if link:
        lines.append(f"Link: {link}")
    if item.conversation_id is not None:
        lines.append(f"replywatch conversation #{item.conversation_id}")
    return title, "\n".join(lines)


def format_digest(
    items: Sequence[AlertItem], brand_name: str, *, top: int = DIGEST_TOP
) -> tuple[str, str]:
    """Title and body of one digest for several urgent conversations: the
    count ("7 urgent complaints for Loja Aurora") and the ``top`` most urgent
    (longest waiting first among equals), one line each. Refuses an empty
    ``items`` with ValueError."""
    if not items:
        raise ValueError("a digest needs at least one alert")
    brand = clean_text(brand_name, 80) or "no brand"
    ranked = sorted(items, key=lambda i: (-int(i.urgency), -int(i.waiting_seconds), i.alert_id))
    count = len(items)
    noun = "complaint" if count == 1 else "complaints"
    title = f"{count} urgent {noun} for {brand}"
    shown = ranked[:top]
    lines = [
        f"{count} {'conversation' if count == 1 else 'conversations'} became urgent "
        "since the last alert. "
        f"Most urgent first (top {len(shown)}):"
    ]
    for number, item in enumerate(shown, 1):
        line = (
            f"{number}. [{int(item.urgency)}] {clean_text(item.platform, 30)} · waiting "
            f"{format_waiting(item.waiting_seconds)} — "
            f'"{clean_text(item.text, DIGEST_TEXT_LIMIT)}"'
        )
        reasons = _reasons(item, 3)
        if reasons:
            line += f" ({reasons})"
        link = safe_url(item.url)
        if link:
            line += f" {link}"
        lines.append(line)
    if count > len(shown):
        lines.append(f"…and {count - len(shown)} more in the replywatch triage queue.")
    return title, "\n".join(lines)
