"""Where a brand's alerts go: targets from environment variables, rate limit
from ``brands.settings["alerts"]``.

Apprise URLs carry tokens, and ``brands.settings`` is stored in the database,
so the settings may only *name* an environment variable holding the URLs
(``"urls_env": "REPLYWATCH_ALERTS_AURORA"``, or ``"urls": "env:NAME"``).
Literal URLs found in the settings are ignored with a warning. Brands without
a reference (and alerts without a brand) fall back to ``REPLYWATCH_ALERT_URLS``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apprise.utils.parse import parse_urls

from replywatch.notify.redact import redact_url, register_secret

log = logging.getLogger(__name__)

GLOBAL_URLS_ENV = "REPLYWATCH_ALERT_URLS"
DEFAULT_MIN_INTERVAL_SECONDS = 300
#: Only variables with this prefix may be referenced, so a settings file cannot
#: point alerts at an unrelated secret such as a cloud access key.
ENV_PREFIX = "REPLYWATCH_"
_ENV_NAME = re.compile(r"^REPLYWATCH_[A-Z0-9_]+$")
_warned_literal: set[str] = set()


class AlertConfigError(ValueError):
    """The ``alerts`` settings of a brand are unusable (message names the key)."""


@dataclass(frozen=True)
class Target:
    """One notification target. ``key`` (env var, position, scheme) names it
    in the database and logs; ``url`` is the secret and is never shown."""

    key: str
    display: str
    url: str = field(repr=False)


@dataclass(frozen=True)
class AlertConfig:
    """Resolved alert settings of one brand."""

    brand: str
    targets: tuple[Target, ...]
    min_interval_seconds: int = DEFAULT_MIN_INTERVAL_SECONDS
    enabled: bool = True
    source: str | None = None  # the env var the URLs came from


def _env_reference(brand: str, alerts: Mapping[str, Any]) -> str | None:
    name = alerts.get("urls_env")
    urls = alerts.get("urls")
    if name is None and isinstance(urls, str) and urls.startswith("env:"):
        name = urls[4:]
    elif urls is not None and brand not in _warned_literal:
        # The config loader has already written them to brands.settings; we
        # can only refuse to use them (and say so, once, without echoing them).
        _warned_literal.add(brand)
        log.warning(
            "brand %s: literal alert URLs in settings are ignored — secrets must not "
            "live in the config file or database; put them in an environment variable "
            'and set "urls_env"',
            brand,
        )
    if name is None:
        return None
    name = str(name).strip()
    if not _ENV_NAME.match(name):
        raise AlertConfigError(
            f"brand {brand}: alerts.urls_env must name an environment variable starting with "
            f"{ENV_PREFIX} (upper case, digits, underscores), got {name!r}"
        )
    return name


def resolve_alert_config(
    brand: str | None, settings: Mapping[str, Any] | None, env: Mapping[str, str]
) -> AlertConfig:
    """The alert configuration of ``brand`` (None: alerts without a brand)
    from its settings dict and the environment ``env``. Returns a config with
    no targets when nothing is configured or the brand set ``enabled: false``;
    raises :class:`AlertConfigError` for an invalid env-var name or interval."""
    key = brand or ""
    alerts = (settings or {}).get("alerts") or {}
    if not isinstance(alerts, Mapping):
        raise AlertConfigError(f"brand {key}: settings.alerts must be a mapping")
    interval = alerts.get("min_interval_seconds", DEFAULT_MIN_INTERVAL_SECONDS)
    if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
        raise AlertConfigError(f"brand {key}: alerts.min_interval_seconds must be a number >= 0")
    if alerts.get("enabled", True) is False:
        return AlertConfig(key, (), int(interval), enabled=False)
    source = _env_reference(key, alerts) or GLOBAL_URLS_ENV
    raw = env.get(source, "")
    targets = []
    for index, url in enumerate(parse_urls(raw)):
        register_secret(url)
        display = redact_url(url)
        scheme = display.split("://", 1)[0]
        targets.append(Target(key=f"{source}#{index}:{scheme}", display=display, url=url))
    return AlertConfig(key, tuple(targets), int(interval), source=source)
