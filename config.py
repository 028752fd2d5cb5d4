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

DEFAULT_CONFIG_PATH = Path("replywatch.toml")

#: Brand-level tables owned by the metrics code: passed through untouched into
#: ``brands.settings`` (only checked to be tables).
PASS_THROUGH_TABLES = ("business_hours", "holidays", "sla", "urgency", "alerts")

_BRAND_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_X_HANDLE = re.compile(r"^@?\w{1,15}$")
_REDDIT_NAME = re.compile(r"^(?:u/|/u/)?[\w-]{3,20}$")
_SUBREDDIT = re.compile(r"^(?:r/|/r/)?\w{2,21}$")
_SECRET_WORDS = ("token", "secret", "password", "api_key", "client_id")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a bad value."""


@dataclass(frozen=True)
class XWatch:
    """What to watch on X for one brand."""

    handles: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    #: A full search query (X syntax) replacing the one built from ``keywords``.
    query: str | None = None
    direct_messages: bool = True
    #: Known numeric user ids by handle (saves one lookup per handle).
    user_ids: dict[str, str] = field(default_factory=dict)

    def search_query(self) -> str | None:
        """The recent-search query for this brand, or None if there is none."""
        if self.query:
            return self.query
        if not self.keywords:
            return None
        terms = [f'"{k}"' if " " in k else k for k in self.keywords]
        joined = " OR ".join(terms)
        return f"({joined}) -is:retweet" if len(terms) > 1 else f"{joined} -is:retweet"


@dataclass(frozen=True)
class RedditWatch:
    """What to watch on Reddit for one brand."""

    account: str | None = None
    subreddits: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    inbox: bool = True


@dataclass(frozen=True)
class BrandConfig:
    """One brand: display name, timezone, watched accounts and metric settings."""

    key: str
    name: str
    timezone: str = "UTC"
    x: XWatch | None = None
    reddit: RedditWatch | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def brand_row(self) -> dict[str, Any]:
        """The row for ``store.brands.upsert_brands``."""
        return {
            "key": self.key,
            "name": self.name,
            "timezone": self.timezone,
            "settings": self.settings,
        }

    def accounts(self) -> list[tuple[str, str, str | None]]:
        """``(platform, handle, known_account_id)`` of every brand account."""
        found: list[tuple[str, str, str | None]] = []
        if self.x:
            found += [("x", h, self.x.user_ids.get(h)) for h in self.x.handles]
        if self.reddit and self.reddit.account:
            found.append(("reddit", self.reddit.account, None))
        return found


@dataclass(frozen=True)
class CollectorSettings:
    """Polling, paging and rate-limit settings shared by all sources."""

    every_seconds: float = 300.0
    max_pages_per_poll: int = 10
    page_size: int = 100
    x_monthly_read_cap: int | None = 10_000
    x_min_request_interval_s: float = 1.0
    max_rate_limit_wait_s: float = 900.0
    http_timeout_s: float = 30.0
    retry_attempts: int = 4
    max_source_backoff_s: float = 3600.0
    reddit_listing_limit: int = 100
    reddit_catch_up_hours: float = 6.0
    reddit_catch_up_limit: int = 500
    reddit_user_agent: str = "replywatch/0.1 (customer-care monitor)"


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
    _only(data, {"brands", "collector"}, where, "")
    collector = _collector(_table(data.get("collector", {}), where, "collector"), where)
    brands_table = _table(data.get("brands", {}), where, "brands")
    if not brands_table:
        raise ConfigError(f"{where}: no brands configured (add a [brands.<key>] table)")
    brands = tuple(
        _brand(key, _table(value, where, f"brands.{key}"), where)
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
    _only(table, {"name", "timezone", "x", "reddit", *PASS_THROUGH_TABLES}, where, prefix)
    name = _string(table.get("name", key), where, f"{prefix}.name")
    timezone = _string(table.get("timezone", "UTC"), where, f"{prefix}.timezone")
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
            settings[name_] = _table(table[name_], where, f"{prefix}.{name_}")
    if "alerts" in settings:
        _refuse_alert_urls(settings["alerts"], where, f"{prefix}.alerts")
    x = _x(_table(table["x"], where, f"{prefix}.x"), where, f"{prefix}.x") if "x" in table else None
    reddit = (
        _reddit(_table(table["reddit"], where, f"{prefix}.reddit"), where, f"{prefix}.reddit")
        if "reddit" in table
        else None
    )
    return BrandConfig(key=key, name=name, timezone=timezone, x=x, reddit=reddit, settings=settings)


def _x(table: dict[str, Any], where: str, prefix: str) -> XWatch:
    _only(table, {"handles", "keywords", "query", "direct_messages", "user_ids"}, where, prefix)
    handles = tuple(
        h.lstrip("@") for h in _strings(table.get("handles", []), where, f"{prefix}.handles")
    )
    for handle in handles:
        if not _X_HANDLE.match(handle):
            raise ConfigError(
                f"{where}: {prefix}.handles: {handle!r} is not an X handle "
                "(letters, digits, '_', at most 15)"
            )
    keywords = _strings(table.get("keywords", []), where, f"{prefix}.keywords")
    query = table.get("query")
    if query is not None:
        query = _string(query, where, f"{prefix}.query")
    direct_messages = table.get("direct_messages", True)
    if not isinstance(direct_messages, bool):
        raise ConfigError(f"{where}: {prefix}.direct_messages must be true or false")
    ids_table = _table(table.get("user_ids", {}), where, f"{prefix}.user_ids")
    user_ids = {}
    for handle, value in ids_table.items():
        if handle.lstrip("@") not in handles:
            raise ConfigError(f"{where}: {prefix}.user_ids: {handle!r} is not in handles")
        if not str(value).isdigit():
            raise ConfigError(f"{where}: {prefix}.user_ids.{handle}: must be a numeric id")
        user_ids[handle.lstrip("@")] = str(value)
    if not handles and not keywords and not query:
        raise ConfigError(f"{where}: [{prefix}] needs handles, keywords or query")
    return XWatch(
        handles=handles,
        keywords=keywords,
        query=query,
        direct_messages=direct_messages,
        user_ids=user_ids,
    )


def _reddit(table: dict[str, Any], where: str, prefix: str) -> RedditWatch:
    _only(table, {"account", "subreddits", "keywords", "inbox"}, where, prefix)
    account = table.get("account")
    if account is not None:
        account = _string(account, where, f"{prefix}.account").split("/")[-1]
        if not _REDDIT_NAME.match(account):
            raise ConfigError(f"{where}: {prefix}.account: {account!r} is not a Reddit username")
    subreddits = _strings(table.get("subreddits", []), where, f"{prefix}.subreddits")
    for name in subreddits:
        if not _SUBREDDIT.match(name):
            raise ConfigError(f"{where}: {prefix}.subreddits: {name!r} is not a subreddit name")
    subreddits = tuple(s.split("/")[-1] for s in subreddits)
    keywords = _strings(table.get("keywords", []), where, f"{prefix}.keywords")
    if subreddits and not keywords:
        raise ConfigError(f"{where}: {prefix}: subreddits are searched for keywords; add keywords")
    inbox = table.get("inbox", True)
    if not isinstance(inbox, bool):
        raise ConfigError(f"{where}: {prefix}.inbox must be true or false")
    if not account and not subreddits:
        raise ConfigError(f"{where}: [{prefix}] needs an account or subreddits")
    return RedditWatch(account=account, subreddits=subreddits, keywords=keywords, inbox=inbox)


def _collector(table: dict[str, Any], where: str) -> CollectorSettings:
    defaults = CollectorSettings()
    allowed = set(CollectorSettings.__dataclass_fields__)
    _only(table, allowed, where, "collector")
    values: dict[str, Any] = {}
    for key, value in table.items():
        default = getattr(defaults, key)
        label = f"collector.{key}"
        if isinstance(default, str):
            values[key] = _string(value, where, label)
            continue
        if key == "x_monthly_read_cap" and value in (0, False):
            values[key] = None  # 0 switches the cap off (paid plans)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: {label} must be a number")
        if value < 0 or (value == 0 and key not in ("x_min_request_interval_s",)):
            raise ConfigError(f"{where}: {label} must be positive")
        if isinstance(default, int) and not isinstance(default, bool) and key != "every_seconds":
            if value != int(value):
                raise ConfigError(f"{where}: {label} must be a whole number")
            value = int(value)
        values[key] = value
    if values.get("page_size", defaults.page_size) > 100:
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


def _only(table: dict[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        place = f"[{prefix}]" if prefix else "top level"
        raise ConfigError(
            f"{where}: {place}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _table(value: Any, where: str, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {label} must be a table")
    return value


def _string(value: Any, where: str, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {label} must be a non-empty string")
    return value.strip()


def _strings(value: Any, where: str, label: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {label} must be a list of strings")
    return tuple(_string(v, where, label) for v in value)
