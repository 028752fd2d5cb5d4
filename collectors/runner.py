"""The poll loop: every configured source, cursors, backoff, health, progress.

Each batch a source yields is stored with its cursor in ONE transaction via
the injected ``ingest`` function (``pipeline.ingest``; this module never
imports the pipeline, metrics or sentiment), so a crash at any point loses
nothing and duplicates nothing: re-running fetches whatever was not
committed. A failing source is recorded in ``collector_health``, retried with
exponential backoff on later polls, and never stops the others.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replywatch.collectors import registry
from replywatch.collectors.base import Rejected, Source
from replywatch.collectors.credentials import Scrubber, read_secrets_file
from replywatch.collectors.ratelimit import BadPayload, Sleep, real_clock, real_sleep
from replywatch.store.brands import (
    account_ids,
    ensure_brand_accounts,
    set_account_id,
    upsert_brands,
)
from replywatch.store.db import Database, transaction
from replywatch.store.state import get_cursor, record_health, set_cursor

if TYPE_CHECKING:  # types only: config imports the collectors, not the reverse
    from replywatch.config import Config

Ingest = Callable[..., Any]
_log = logging.getLogger("replywatch.collect")


@dataclass(frozen=True)
class Event:
    """A line the runner reports while polling (the CLI prints it): ``kind`` is
    ``"warning"``, ``"page"`` (one stored page) or ``"error"``. Texts are
    already scrubbed of secrets but hold untrusted API text: escape them."""

    kind: str
    text: str
    source: str | None = None


def log_event(event: Event) -> None:
    """The default reporter: the ``replywatch.collect`` logger."""
    level = {"warning": logging.WARNING, "error": logging.ERROR}.get(event.kind, logging.INFO)
    _log.log(level, "%s", event.text)


@dataclass
class Platform:
    """A platform's collector, prepared lazily: ``prepare(db)`` returns its
    sources (and may fail, e.g. offline; it is then retried next poll)."""

    name: str
    prepare: Callable[[Database], list[Source]]
    warnings: list[str] = field(default_factory=list)


@dataclass
class SourceOutcome:
    """What one poll of one source did."""

    name: str
    ok: bool = True
    fetched: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    rate_limit_wait_s: float = 0.0
    error: str | None = None
    skipped: bool = False


def register_brands(db: Database, config: Config) -> None:
    """Write the configured brands (settings passed through as-is) and their
    accounts (with any ids given in the config) to the store."""
    with transaction(db):
        upsert_brands(db, [brand.brand_row() for brand in config.brands])
        accounts = [(p, h, b.key) for b in config.brands for p, h, _ in b.accounts()]
        ensure_brand_accounts(db, accounts)
        for brand in config.brands:
            for platform, handle, known_id in brand.accounts():
                if known_id:
                    set_account_id(db, platform, handle, known_id)


def matches(name: str, wanted: str | None) -> bool:
    """True when source ``name`` is selected by ``--source wanted`` (the exact
    name or any prefix ending at a ':' boundary; None selects everything)."""
    return not wanted or name == wanted or name.startswith(wanted.rstrip(":") + ":")


class Runner:
    """Polls sources and stores what they yield; see the module docstring."""

    def __init__(
        self,
        db: Database,
        platforms: list[Platform],
        ingest: Ingest,
        *,
        only: str | None = None,
        scrub: Callable[[str | None], str | None] | None = None,
        report: Callable[[Event], None] = log_event,
        on_poll: Callable[[list[SourceOutcome]], None] | None = None,
        clock: Callable[[], float] = real_clock,
        sleep: Sleep = real_sleep,
        base_backoff_s: float = 60.0,
        max_backoff_s: float = 3600.0,
        after_poll: Callable[[], None] | None = None,
    ):
        self.db = db
        # Called after every poll, outside any transaction (the CLI sends
        # pending alerts here); collectors themselves know nothing of alerts.
        self.after_poll = after_poll
        self.platforms = [
            p for p in platforms if matches(p.name, only) or (only or "").startswith(p.name + ":")
        ]
        self.ingest = ingest
        self.only = only
        self.scrub = scrub or Scrubber()
        # The runner returns data; the caller draws it (``report`` for lines
        # while polling, ``on_poll`` for the outcomes of each poll).
        self.report, self.on_poll = report, on_poll
        self.clock, self.sleep = clock, sleep
        self.base_backoff_s, self.max_backoff_s = base_backoff_s, max_backoff_s
        self._sources: dict[str, list[Source]] = {}
        self._failures: dict[str, int] = {}
        self._not_before: dict[str, float] = {}

    # -- one poll --

    def poll_once(self) -> list[SourceOutcome]:
        """Poll every selected source once. Returns one outcome per source (or
        per platform that could not be prepared)."""
        outcomes: list[SourceOutcome] = []
        for platform in self.platforms:
            sources = self._prepared(platform, outcomes)
            for source in sources or []:
                if matches(source.name, self.only):
                    outcomes.append(self._poll_source(source))
        if self.on_poll is not None:
            self.on_poll(outcomes)
        if self.after_poll is not None:
            self.after_poll()
        return outcomes

    def _prepared(self, platform: Platform, outcomes: list[SourceOutcome]) -> list[Source]:
        if platform.name in self._sources:
            return self._sources[platform.name]
        if self._backing_off(platform.name):
            outcomes.append(SourceOutcome(platform.name, skipped=True))
            return []
        try:
            sources = platform.prepare(self.db)
        except Exception as exc:  # noqa: BLE001 - one platform must not stop the others
            error = self._error_text(exc)
            self._failed(platform.name, error, SourceOutcome(platform.name), outcomes)
            return []
        for warning in platform.warnings:
            self.report(Event("warning", self.scrub(warning) or "", platform.name))
        platform.warnings.clear()
        self._sources[platform.name] = sources
        return sources

    def _poll_source(self, source: Source) -> SourceOutcome:
        outcome = SourceOutcome(source.name)
        if self._backing_off(source.name):
            outcome.skipped = True
            return outcome
        details: dict[str, Any] = {}
        try:
            cursor = get_cursor(self.db, source.name)
            for batch in source.poll(cursor):
                rejected = [
                    Rejected(self._scrub_payload(r.payload), self.scrub(r.error) or "")
                    for r in batch.rejected
                ]
                with transaction(self.db):
                    result = self.ingest(
                        self.db,
                        batch.messages,
                        source=source.name,
                        rejected=rejected,
                        cursor=batch.cursor,
                    )
                    for other, state in batch.extra_cursors.items():
                        set_cursor(self.db, other, state)
                outcome.batches += 1
                outcome.fetched += len(batch.messages) + len(batch.rejected)
                outcome.inserted += result.inserted
                outcome.duplicates += result.duplicates
                outcome.rejected += result.rejected
                outcome.rate_limit_wait_s += batch.rate_limit_wait_s
                details = _merge_details(details, batch.details)
                for warning in batch.warnings:
                    self.report(Event("warning", self.scrub(warning) or "", source.name))
                self.report(
                    Event(
                        "page",
                        f"{source.name}: page {outcome.batches}: {result.inserted} new, "
                        f"{result.duplicates} known, {result.rejected} rejected",
                        source.name,
                    )
                )
        except BadPayload as exc:
            # The body could not be read even after retries: keep it, raw.
            with transaction(self.db):
                self.ingest(
                    self.db,
                    [],
                    source=source.name,
                    rejected=[Rejected(self.scrub(exc.body) or "", self.scrub(str(exc)) or "")],
                )
            outcome.rejected += 1
            self._failed(source.name, self._error_text(exc), outcome, None, details)
            return outcome
        except Exception as exc:  # noqa: BLE001 - a failing source must not stop the others
            self._failed(source.name, self._error_text(exc), outcome, None, details)
            return outcome
        with transaction(self.db):
            record_health(
                self.db,
                source.name,
                ok=True,
                items=outcome.fetched,
                rate_limit_wait_s=outcome.rate_limit_wait_s,
                details=details,
            )
        self._failures.pop(source.name, None)
        self._not_before.pop(source.name, None)
        return outcome

    def _failed(
        self,
        name: str,
        error: str,
        outcome: SourceOutcome,
        outcomes: list[SourceOutcome] | None,
        details: dict | None = None,
    ) -> None:
        outcome.ok, outcome.error = False, error
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        # Exponential backoff with jitter between polls of a failing source.
        delay = min(self.max_backoff_s, self.base_backoff_s * 2 ** (failures - 1))
        self._not_before[name] = self.clock() + delay * random.uniform(0.8, 1.2)
        with transaction(self.db):
            record_health(
                self.db,
                name,
                ok=False,
                items=outcome.fetched,
                error=error,
                rate_limit_wait_s=outcome.rate_limit_wait_s,
                details={**(details or {}), "consecutive_failures": failures},
            )
        self.report(Event("error", f"{name}: {error}", name))
        if outcomes is not None:
            outcomes.append(outcome)

    def _backing_off(self, name: str) -> bool:
        return self.clock() < self._not_before.get(name, 0.0)

    def _error_text(self, exc: BaseException) -> str:
        return self.scrub(f"{type(exc).__name__}: {exc}")[:2000]

    def _scrub_payload(self, payload: Any) -> Any:
        return self.scrub(payload) if isinstance(payload, str) else payload

    # -- the loop --

    def run(self, every: float, *, polls: int | None = None) -> None:
        """Poll every ``every`` seconds; ``polls`` limits the number of polls
        (None: until interrupted)."""
        done = 0
        while polls is None or done < polls:
            started = self.clock()
            self.poll_once()
            done += 1
            if polls is not None and done >= polls:
                return
            self.sleep(max(0.0, every - (self.clock() - started)))


def _merge_details(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if (
            key in ("throttle_wait_s", "backoff_wait_s", "retries", "listed")
            and isinstance(value, int | float)
            and isinstance(old.get(key), int | float)
        ):
            merged[key] = old[key] + value
        else:
            merged[key] = value
    return merged


# --- wiring: registry -> credentials -> platforms ----------------------------------


def build_platforms(
    config: Config,
    *,
    env: Mapping[str, str] | None = None,
    secrets_path: Path | None = None,
    clock: Callable[[], float] = real_clock,
    sleep: Sleep = real_sleep,
    warn: Callable[[str], None] = _log.warning,
) -> tuple[list[Platform], Scrubber]:
    """A platform for every registered channel some brand watches and whose
    credentials are usable, and a scrubber for every secret found. A channel
    with no credentials is left out with one clear message (``warn``); the
    others run."""
    env = os.environ if env is None else env
    try:
        secrets = read_secrets_file(secrets_path)
    except ValueError as exc:
        warn(f"error: {exc}; ignoring it")
        secrets = {}
    scrubber = Scrubber()
    platforms: list[Platform] = []
    for channel in registry.polled():
        brands = [(b, b.watch(channel.name)) for b in config.brands if b.watch(channel.name)]
        if not brands:
            continue
        found = channel.read_credentials(env, secrets)
        scrubber.add(found.secrets())
        if not channel.usable(found):
            warn(
                f"{channel.label} disabled: no credentials. "
                f"{channel.credentials_help} or a [{channel.name}] table in "
                f".streamlit/secrets.toml; see {channel.docs}"
            )
            continue
        platforms.append(
            _platform(channel, config, brands, found, clock=clock, sleep=sleep, scrubber=scrubber)
        )
    return platforms, scrubber


def _platform(
    channel: registry.Channel, config: Config, brands, found, *, clock, sleep, scrubber: Scrubber
) -> Platform:
    platform = Platform(channel.name, prepare=lambda db: [])

    def prepare(db: Database) -> list[Source]:
        accounts = registry.BrandAccounts(channel.brand_match)
        known = account_ids(db, channel.name)
        for brand, watch in brands:
            for handle, account_id in channel.accounts(watch):
                accounts.add(handle, brand.key, account_id or known.get(handle.lower()))
        ctx = registry.ChannelContext(
            channel=channel,
            db=db,
            brands=brands,
            settings=config.collector,
            credentials=found,
            accounts=accounts,
            clock=clock,
            sleep=sleep,
        )
        try:
            return channel.open(ctx)
        finally:
            platform.warnings.extend(ctx.warnings)
            scrubber.add(ctx.secrets)

    platform.prepare = prepare
    return platform
