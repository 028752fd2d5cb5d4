"""``replywatch.toml``: which brands to watch, where, and how often.

Loaded with :mod:`tomllib` into frozen dataclasses. Every problem is reported as
a :class:`ConfigError` naming the file and the offending key, so a typo fails
loudly instead of silently watching nothing. Credentials never live here (see
``docs/collectors.md``); a key that looks like one is refused.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from replywatch.collectors import registry

# ConfigError and the value checks live beside the channels that use them in
# their ``watch`` functions (collectors/config_values.py): config sits above
# the collectors and imports them, never the other way round.
from replywatch.collectors.config_values import (  # noqa: F401 - re-exported
    ConfigError,
    as_table,
    flag,
    only,
    string,
    strings,
)

DEFAULT_CONFIG_PATH = Path("replywatch.toml")

#: Brand-level tables owned by the metrics code: passed through untouched into
#: ``brands.settings`` (only checked to be tables).
PASS_THROUGH_TABLES = ("business_hours", "holidays", "sla", "urgency", "alerts", "outcomes")

_BRAND_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_SECRET_WORDS = ("token", "secret", "password", "api_key", "client_id")


@dataclass(frozen=True)
class BrandConfig:
    """One brand: display name, timezone, the channels it is watched on (each
    channel's own parsed settings, by channel name) and metric settings."""

    key: str
    name: str
    timezone: str = "UTC"
    channels: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def watch(self, channel: str) -> Any:
        """This brand's settings for ``channel`` (None when it is not watched there)."""
        return self.channels.get(channel)

    def __getattr__(self, name: str) -> Any:
        # ``brand.x`` reads as ``brand.watch("x")`` for every registered channel.
        if not name.startswith("_") and name in _channel_names():
            return self.channels.get(name)
        raise AttributeError(name)

    def brand_row(self) -> dict[str, Any]:
        """The row for ``store.brands.upsert_brands``."""
        return {
            "key": self.key,
            "name": self.name,
            "timezone": self.timezone,
            "settings": self.settings,
        }

    def accounts(self) -> list[tuple[str, str, str | None]]:
        """``(channel, handle, known_account_id)`` of every brand account."""
        found: list[tuple[str, str, str | None]] = []
        for channel, watch in self.channels.items():
            found += [(channel, h, i) for h, i in registry.get(channel).accounts(watch)]
        return found


#: Polling, paging and rate-limit settings shared by all sources.
SHARED_SETTINGS: dict[str, Any] = {
    "every_seconds": 300.0,
    "max_pages_per_poll": 10,
    "page_size": 100,
    "max_rate_limit_wait_s": 900.0,
    "http_timeout_s": 30.0,
    "retry_attempts": 4,
    "max_source_backoff_s": 3600.0,
}


class CollectorSettings:
    """The ``[collector]`` table: the shared settings above plus each
    channel's own (declared in its module), read as attributes. Immutable."""

    __slots__ = ("_values",)

    def __init__(self, **values: Any):
        known = {
            **SHARED_SETTINGS,
            **{n: s.default for n, s in registry.setting_defaults().items()},
        }
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise TypeError(f"unknown collector setting(s): {', '.join(unknown)}")
        object.__setattr__(self, "_values", {**known, **values})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # e.g. _values before it is set (copying)
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("CollectorSettings is immutable")

    def __reduce__(self) -> tuple:
        # copy and pickle rebuild it through __init__ (which validates).
        return (_collector_settings, (self._values,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CollectorSettings) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items(), key=lambda kv: kv[0])))

    def __repr__(self) -> str:
        return f"CollectorSettings({self._values!r})"


def _collector_settings(values: dict[str, Any]) -> CollectorSettings:
    return CollectorSettings(**values)


@dataclass(frozen=True)
class Config:
    """The whole configuration file."""

    brands: tuple[BrandConfig, ...]
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    path: Path | None = None

    def brand(self, key: str) -> BrandConfig:
        """Return the brand ``key``; raises ``KeyError`` if it is not configured."""
        for brand in self.brands:
            if brand.key == key:
                return brand
        raise KeyError(key)


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate ``path`` (default ``./replywatch.toml``). Returns a
    :class:`Config`; raises :class:`ConfigError` for a missing file, bad TOML, an
    unknown key, a wrong type or a value that looks like a credential."""
    path = Path(path) if path else DEFAULT_CONFIG_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found (copy replywatch.example.toml "
            f"to {path} and edit it)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, path=path)


def parse_config(data: dict[str, Any], *, path: Path | None = None) -> Config:
    """Validate an already-parsed TOML document (see :func:`load_config`)."""
    where = str(path) if path else "config"
    _refuse_secrets(data, where, "")
    only(data, {"brands", "collector"}, where, "")
    collector = _collector(as_table(data.get("collector", {}), where, "collector"), where)
    brands_table = as_table(data.get("brands", {}), where, "brands")
    if not brands_table:
        raise ConfigError(f"{where}: no brands configured (add a [brands.<key>] table)")
    brands = tuple(
        _brand(key, as_table(value, where, f"brands.{key}"), where)
        for key, value in brands_table.items()
    )
    seen: dict[tuple[str, str], str] = {}
    for brand in brands:
        for platform, handle, _ in brand.accounts():
            other = seen.setdefault((platform, handle.lower()), brand.key)
            if other != brand.key:
                raise ConfigError(
                    f"{where}: {platform} account {handle!r} is listed under "
                    f"both brands.{other} and brands.{brand.key}"
                )
    return Config(brands=brands, collector=collector, path=path)


def _brand(key: str, table: dict[str, Any], where: str) -> BrandConfig:
    prefix = f"brands.{key}"
    if not _BRAND_KEY.match(key):
        raise ConfigError(
            f"{where}: [{prefix}]: brand keys are lower-case letters, digits, '-' or '_' (max 40)"
        )
    watched = {c.name: c for c in registry.channels() if c.watch is not None}
    only(table, {"name", "timezone", *watched, *PASS_THROUGH_TABLES}, where, prefix)
    name = string(table.get("name", key), where, f"{prefix}.name")
    timezone = string(table.get("timezone", "UTC"), where, f"{prefix}.timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: {prefix}.timezone: unknown timezone {timezone!r} "
            "(use an IANA name such as 'America/Sao_Paulo')"
        ) from None
    settings = {}
    for name_ in PASS_THROUGH_TABLES:
        if name_ in table:
            settings[name_] = as_table(table[name_], where, f"{prefix}.{name_}")
    if "alerts" in settings:
        _refuse_alert_urls(settings["alerts"], where, f"{prefix}.alerts")
    if "outcomes" in settings:
        _outcomes(settings["outcomes"], where, f"{prefix}.outcomes")
    channels = {
        channel.name: channel.watch(
            as_table(table[channel.name], where, f"{prefix}.{channel.name}"),
            where,
            f"{prefix}.{channel.name}",
        )
        for channel in watched.values()
        if channel.name in table
    }
    return BrandConfig(key=key, name=name, timezone=timezone, channels=channels, settings=settings)


def _outcomes(table: dict[str, Any], where: str, prefix: str) -> None:
    # Outcome settings (docs/metrics.md, Outcomes): the repeat-contact window.
    only(table, {"repeat_contact_days"}, where, prefix)
    days = table.get("repeat_contact_days", 7)
    if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
        raise ConfigError(
            f"{where}: {prefix}.repeat_contact_days: a positive number of days, got {days!r}"
        )


def _collector(table: dict[str, Any], where: str) -> CollectorSettings:
    declared = registry.setting_defaults()
    defaults = {**SHARED_SETTINGS, **{n: s.default for n, s in declared.items()}}
    only(table, set(defaults), where, "collector")
    values: dict[str, Any] = {}
    for key, value in table.items():
        default, setting = defaults[key], declared.get(key)
        label = f"collector.{key}"
        if isinstance(default, str):
            values[key] = string(value, where, label)
            continue
        if setting is not None and setting.zero_is_off and value in (0, False):
            values[key] = None  # 0 switches it off (e.g. no read cap on paid plans)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {label} must be a number")
        if value < 0 or (value == 0 and not (setting is not None and setting.allow_zero)):
            raise ConfigError(f"{where}: {label} must be positive")
        if isinstance(default, int) and not isinstance(default, bool) and key != "every_seconds":
            if value != int(value):
                raise ConfigError(f"{where}: {label} must be a whole number")
            value = int(value)
        values[key] = value
    if values.get("page_size", defaults["page_size"]) > 100:
        raise ConfigError(f"{where}: collector.page_size: the APIs return at most 100 per page")
    return CollectorSettings(**values)


def _refuse_secrets(data: Any, where: str, prefix: str) -> None:
    """Credentials belong in the environment or .streamlit/secrets.toml, never here."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        label = f"{prefix}.{key}" if prefix else key
        if any(word in key.lower() for word in _SECRET_WORDS):
            raise ConfigError(
                f"{where}: {label}: credentials are not read from this file; set them as "
                "environment variables or in .streamlit/secrets.toml (docs/collectors.md)"
            )
        _refuse_secrets(value, where, label)


def _refuse_alert_urls(table: dict[str, Any], where: str, prefix: str) -> None:
    """Apprise URLs carry tokens and brands.settings is stored in the database:
    the alerts table may only name an environment variable (docs/alerts.md).
    The offending value is never echoed."""
    urls = table.get("urls")
    literal = urls is not None and not (isinstance(urls, str) and urls.startswith("env:"))
    if literal or any(isinstance(v, str) and "://" in v for v in table.values()):
        raise ConfigError(
            f"{where}: {prefix}: alert URLs carry secrets and are not read from this file; "
            'put them in an environment variable and set urls_env = "REPLYWATCH_ALERTS_..." '
            "(docs/alerts.md)"
        )


def _channel_names() -> set[str]:
    return {c.name for c in registry.channels()}
