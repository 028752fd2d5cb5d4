"""Alerts for urgent complaints: queued per conversation during ingestion,
sent through apprise (Slack, Teams, Telegram, e-mail, webhooks, ...) per
brand, rate-limited into digests, retried durably. See docs/alerts.md.

Importing this package imports apprise; the ingestion pipeline only needs
:func:`store.alerts.queue_urgent_alerts` and does not import it."""

from replywatch.notify.config import AlertConfig, AlertConfigError, Target, resolve_alert_config
from replywatch.notify.dispatch import (
    DeliveryError,
    DispatchResult,
    TargetCheck,
    apprise_send,
    dispatch_pending,
    queue_urgent,
    send_test,
)
from replywatch.notify.format import AlertItem, clean_text, format_alert, format_digest
from replywatch.notify.redact import redact, redact_url

__all__ = [
    "AlertConfig",
    "AlertConfigError",
    "AlertItem",
    "DeliveryError",
    "DispatchResult",
    "Target",
    "TargetCheck",
    "apprise_send",
    "clean_text",
    "dispatch_pending",
    "format_alert",
    "format_digest",
    "queue_urgent",
    "redact",
    "redact_url",
    "resolve_alert_config",
    "send_test",
]
