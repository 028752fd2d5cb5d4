"""Sending pending urgent-complaint alerts through apprise, rate-limited into
digests, with durable retry.

The collector loop calls :func:`dispatch_pending` after each ingest commits.
One short write transaction decides what to send and takes a lease per
brand+target; the sends run in worker threads under a deadline with no
transaction open; a second short transaction records the outcome. A crash
between the two leaves the alerts pending, so they are sent again after the
lease expires: delivery is at least once, never lost, and a duplicate needs
a crash or a send that outlives its deadline in that narrow window.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from replywatch.notify.config import AlertConfig, AlertConfigError, Target, resolve_alert_config
from replywatch.notify.format import AlertItem, format_alert, format_digest
from replywatch.notify.redact import install_log_filter, redact, redact_url, register_secret
from replywatch.store.alerts import (
    DEFAULT_MAX_AGE_SECONDS,
    SETTLED_STATUSES,
    brand_settings_of,
    claim_target,
    complete_alerts,
    delivered_targets,
    pending_alerts,
    queue_urgent_alerts,
    record_delivery,
    record_failure,
    release_target,
    skip_alerts,
    target_states,
)
from replywatch.store.db import Database, in_transaction, transaction
from replywatch.store.timeutil import to_utc, utc_now

log = logging.getLogger(__name__)

#: Seconds one dispatch may spend sending, in total (the collector waits for it).
DEFAULT_TIMEOUT = 8.0
#: Connect and read timeout handed to each apprise notification (both together
#: stay under DEFAULT_TIMEOUT, so a slow target is cut by its own timeout).
SEND_TIMEOUT = 3.0
#: Backoff after a failed send to a target: 30 s, 1 min, 2 min, ... capped at 1 h.
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
#: Failed attempts after which an alert is marked ``failed`` (about 3 h of backoff).
MAX_ATTEMPTS = 10
#: How long a dispatcher owns a brand+target while sending (crash recovery).
LEASE_SECONDS = 120
MAX_WORKERS = 4

#: ``send(url, title, body, timeout)``: deliver or raise (the message is redacted).
Sender = Callable[[str, str, str, float], None]


class DeliveryError(RuntimeError):
    """A notification could not be delivered (message free of secrets)."""


@dataclass
class DispatchResult:
    """What one :func:`dispatch_pending` run did."""

    notifications: int = 0  # single alerts or digests delivered
    alerts_sent: int = 0  # alerts now delivered to all their targets
    failures: int = 0  # notifications that failed (will be retried)
    timed_out: int = 0  # notifications still running at the deadline (counted as failed)
    deferred: int = 0  # alerts waiting for a rate-limit window or backoff
    skipped: int = 0  # alerts dropped: spam/ignored/answered, duplicate, expired
    gave_up: int = 0  # alerts marked failed after MAX_ATTEMPTS
    unrouted: int = 0  # alerts left pending because their brand has no target
    errors: list[str] = field(default_factory=list)  # redacted
    seconds: float = 0.0


@dataclass
class _Job:
    brand: str
    target: Target
    alert_ids: list[int]
    title: str
    body: str


def queue_urgent(db: Database, message_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Queue pending alerts for the urgent inbound messages among
    ``message_ids`` (see :func:`store.alerts.queue_urgent_alerts`): at most one
    per conversation, never for spam/ignored ones. Returns how many."""
    return queue_urgent_alerts(db, message_ids, now=now)


def apprise_send(url: str, title: str, body: str, timeout: float = SEND_TIMEOUT) -> None:
    """Send one plain-text notification to one apprise ``url``, waiting at
    most about ``timeout`` seconds to connect and as long to read. Raises
    :class:`DeliveryError` (secret-free) when the URL is not a usable apprise
    URL or the service refuses or cannot be reached."""
    from apprise import Apprise, AppriseAsset, NotifyFormat, NotifyType

    install_log_filter()
    register_secret(url)
    # No plugin directories (no code loaded from ~/.apprise) and no disk cache.
    asset = AppriseAsset(plugin_paths=[], storage_mode="memory")
    plugin = Apprise.instantiate(url, asset=asset)
    if plugin is None:
        raise DeliveryError(f"not a valid or supported apprise URL ({redact_url(url)})")
    plugin.socket_connect_timeout = min(float(plugin.socket_connect_timeout), timeout)
    plugin.socket_read_timeout = min(float(plugin.socket_read_timeout), timeout)
    notifier = Apprise(asset=asset)
    notifier.add(plugin)
    entries: list[Any] = []
    ok = notifier.notify(
        body=body,
        title=title,
        body_format=NotifyFormat.TEXT,
        notify_type=NotifyType.WARNING,
        timeout=2 * timeout + 1,
        log_callback=lambda entry, _service: entries.append(entry),
    )
    if not ok:
        problems = [
            str(e.message)
            for e in entries
            if getattr(e, "level", "") in ("WARNING", "ERROR", "CRITICAL")
        ]
        raise DeliveryError(redact("; ".join(problems) or "the service reported a failure"))


def _backoff(failures_before: int) -> int:
    return min(BACKOFF_BASE_SECONDS * 2**failures_before, BACKOFF_CAP_SECONDS)


def _item(alert: Mapping[str, Any], now_ts: int) -> AlertItem:
    waiting_from = alert["awaiting_since"] or alert["message_ts"]
    return AlertItem(
        alert_id=alert["id"],
        brand_name=alert["brand_name"] or alert["brand"] or "no brand",
        platform=alert["platform"],
        text=alert["text"],
        reasons=tuple(alert["reasons"]),
        urgency=alert["urgency"],
        waiting_seconds=max(now_ts - int(waiting_from), 0),
        url=alert["url"],
        conversation_id=alert["conversation_id"],
    )


def _plan(  # noqa: C901 - tests/test_code_size.py
    db: Database, env: Mapping[str, str], moment: datetime, result: DispatchResult
) -> tuple[list[_Job], dict[int, list[str]]]:
    """Inside the planning transaction: skip what is pointless, find each
    brand+target that is due, claim it. Returns the claimed jobs and, per live
    alert, the target keys it must reach before it counts as sent."""
    now_ts = int(moment.timestamp())
    pending = pending_alerts(db)
    configs: dict[str, AlertConfig | None] = {}
    skips: dict[int, str] = {}
    live: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for alert in pending:
        brand = alert["brand"] or ""
        if brand not in configs:
            try:
                configs[brand] = resolve_alert_config(alert["brand"], alert["settings"], env)
            except AlertConfigError as exc:
                message = redact(str(exc))
                log.error("alerts not sent: %s", message)
                result.errors.append(message)
                configs[brand] = None
        config = configs[brand]
        max_age = (alert["settings"].get("alerts") or {}).get("max_age_seconds")
        max_age = max_age if isinstance(max_age, int | float) else DEFAULT_MAX_AGE_SECONDS
        if alert["conversation_status"] in SETTLED_STATUSES:
            skips[alert["id"]] = f"conversation is {alert['conversation_status']}"
        elif alert["duplicate_of"] is not None:
            skips[alert["id"]] = f"conversation merged; alert #{alert['duplicate_of']} covers it"
        elif config is not None and not config.enabled:
            skips[alert["id"]] = "alerts are disabled for this brand"
        elif now_ts - alert["queued_ts"] > max_age:
            skips[alert["id"]] = "expired before it could be sent"
        elif config is None or not config.targets:
            result.unrouted += 1
        else:
            live[brand].append(alert)
    skip_alerts(db, skips)
    result.skipped += len(skips)

    required: dict[int, list[str]] = {}
    ids = [a["id"] for alerts in live.values() for a in alerts]
    delivered = delivered_targets(db, ids)
    states = target_states(db)
    jobs: list[_Job] = []
    deferred: set[int] = set()
    for brand, alerts in live.items():
        config = configs[brand]
        assert config is not None
        for alert in alerts:
            required[alert["id"]] = [t.key for t in config.targets]
        for target in config.targets:
            todo = [a for a in alerts if target.key not in delivered.get(a["id"], set())]
            if not todo:
                continue
            state = states.get((brand, target.key), {})
            last_sent = state.get("last_sent_ts")
            due = max(
                -math.inf if last_sent is None else last_sent + config.min_interval_seconds,
                state.get("next_attempt_ts") or -math.inf,
            )
            if now_ts < due or not claim_target(
                db, brand, target.key, now_ts=now_ts, lease_until=now_ts + LEASE_SECONDS
            ):
                deferred.update(a["id"] for a in todo)
                continue
            items = [_item(a, now_ts) for a in todo]
            if len(items) == 1:
                title, body = format_alert(items[0])
            else:
                title, body = format_digest(items, items[0].brand_name)
            jobs.append(_Job(brand, target, [a["id"] for a in todo], title, body))
    result.deferred = len(deferred - {i for job in jobs for i in job.alert_ids})
    # Alerts already delivered everywhere (a target was removed since) are done.
    result.alerts_sent += complete_alerts(db, required, now=moment)
    return jobs, required


def dispatch_pending(
    db: Database,
    *,
    now: datetime | None = None,
    send: Sender | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    send_timeout: float = SEND_TIMEOUT,
) -> DispatchResult:
    """Send what is due among the pending alerts and return what happened.

    Per brand and target at most one notification per ``min_interval_seconds``:
    a single alert, or a digest of everything that became urgent since. A
    failed send leaves its alerts pending (error kept, redacted) and backs
    the target off; after :data:`MAX_ATTEMPTS` they are marked failed. Sends
    run in parallel threads and the call returns after at most about
    ``timeout`` seconds of sending, whatever the targets do. ``send`` replaces
    apprise (tests); ``env`` replaces ``os.environ``. Never raises for a
    target's failure; database errors do propagate. Refuses (RuntimeError)
    to run inside an open transaction: sending would hold the write lock."""
    if in_transaction(db):
        raise RuntimeError("dispatch_pending must run after the ingest transaction commits")
    started = time.monotonic()
    moment = to_utc(now or utc_now())
    now_ts = int(moment.timestamp())
    result = DispatchResult()
    with transaction(db):
        jobs, required = _plan(db, os.environ if env is None else env, moment, result)
    if jobs:
        outcomes = _send_all(jobs, send or apprise_send, timeout, send_timeout)
        with transaction(db):
            for job, error in zip(jobs, outcomes, strict=True):
                _record(db, job, error, moment, now_ts, result)
            result.alerts_sent += complete_alerts(db, required, now=moment)
    result.seconds = time.monotonic() - started
    return result


_CANCELLED = "cancelled"


def _send_all(
    jobs: list[_Job], send: Sender, timeout: float, send_timeout: float
) -> list[str | None]:
    """Run the sends in worker threads; per job None (delivered), an error
    message, or ``_CANCELLED`` when it never started before the deadline."""
    install_log_filter()  # before any thread can log a URL
    pool = ThreadPoolExecutor(
        max_workers=min(MAX_WORKERS, len(jobs)), thread_name_prefix="replywatch-alert"
    )
    futures = [pool.submit(send, job.target.url, job.title, job.body, send_timeout) for job in jobs]
    wait(futures, timeout=timeout)
    # Threads still sending are abandoned, not joined: the caller must not wait.
    pool.shutdown(wait=False, cancel_futures=True)
    outcomes: list[str | None] = []
    for future in futures:
        if future.cancelled():
            outcomes.append(_CANCELLED)
        elif not future.done():
            outcomes.append(f"timed out after {timeout:g} s")
        elif future.exception() is not None:
            exc = future.exception()
            outcomes.append(f"{type(exc).__name__}: {exc}")
        else:
            outcomes.append(None)
    return outcomes


def _record(
    db: Database,
    job: _Job,
    error: str | None,
    moment: datetime,
    now_ts: int,
    result: DispatchResult,
) -> None:
    if error is None:
        record_delivery(db, job.brand, job.target.key, job.alert_ids, now=moment)
        result.notifications += 1
        log.info(
            "alert sent to %s for brand %s (%d conversation(s))",
            job.target.display,
            job.brand or "-",
            len(job.alert_ids),
        )
        return
    if error == _CANCELLED:
        release_target(db, job.brand, job.target.key)
        return
    if error.startswith("timed out"):
        result.timed_out += 1
    message = redact(f"{job.target.display} ({job.target.key}): {error}")[:500]
    failures = target_states(db).get((job.brand, job.target.key), {}).get("failures", 0)
    retry_at = now_ts + _backoff(failures)
    gave_up = record_failure(
        db,
        job.brand,
        job.target.key,
        job.alert_ids,
        error=message,
        now=moment,
        next_attempt_ts=retry_at,
        max_attempts=MAX_ATTEMPTS,
    )
    result.gave_up += gave_up
    result.failures += 1
    result.errors.append(message)
    log.warning(
        "alert for brand %s failed (%s); retry in %d s%s",
        job.brand or "-",
        message,
        retry_at - now_ts,
        f", {gave_up} alert(s) given up" if gave_up else "",
    )


@dataclass(frozen=True)
class TargetCheck:
    """Result of a test notification to one target."""

    target: str  # redacted display form, e.g. slack://***
    key: str
    error: str | None  # None when delivered


def send_test(
    db: Database,
    brand: str,
    *,
    env: Mapping[str, str] | None = None,
    send: Sender | None = None,
    send_timeout: float = SEND_TIMEOUT,
) -> list[TargetCheck]:
    """Send a test notification to every target of ``brand`` (nothing is
    recorded, the rate limit is not touched). Raises :class:`AlertConfigError`
    for an unknown brand, alerts disabled, or no targets configured."""
    found = brand_settings_of(db, brand)
    if found is None:
        raise AlertConfigError(f"unknown brand {brand!r}")
    name, settings = found
    config = resolve_alert_config(brand, settings, os.environ if env is None else env)
    if not config.enabled:
        raise AlertConfigError(f"alerts are disabled for brand {brand} (alerts.enabled: false)")
    if not config.targets:
        raise AlertConfigError(
            f"brand {brand} has no alert targets: set {config.source} to "
            "one or more apprise URLs (comma-separated)"
        )
    sender = send or apprise_send
    title = f"replywatch test alert for {name}"
    body = (
        "This is a test. Urgent complaints for this brand will be announced here, "
        f"at most one notification every {config.min_interval_seconds} s."
    )
    outcomes = []
    for target in config.targets:
        try:
            sender(target.url, title, body, send_timeout)
        except Exception as exc:  # report every target, whatever went wrong
            outcomes.append(
                TargetCheck(target.display, target.key, redact(f"{type(exc).__name__}: {exc}"))
            )
        else:
            outcomes.append(TargetCheck(target.display, target.key, None))
    return outcomes
