"""The channel registry: every channel (X, Reddit, a file format ...) is one
module declaring a :class:`Channel`, and everything else reads this registry.

A channel module in ``replywatch/collectors/channels/`` defines ``CHANNEL``;
the registry finds it there by itself (no list to edit). It declares:

* ``name`` (its ``[brands.<key>.<name>]`` config table and source prefix),
  ``label`` and ``icon`` (Sources page, CLI messages) and its ``docs`` page;
* ``watch``: parses and validates that config table (raising ``ConfigError``),
  and ``accounts``: the brand's own accounts in it;
* ``settings``: its ``[collector]`` keys, with defaults;
* ``credentials``: the names it reads from the environment or its
  ``.streamlit/secrets.toml`` table, which of them are secrets (scrubbed from
  everything stored), and ``usable`` (enough of them to run);
* ``brand_match``: how the brand's own replies are recognised (the author's
  account ``"id"`` or ``"handle"`` is one of the brand's accounts);
* ``sources``: what it polls and with which cursor (documentation and the
  Sources page), and ``open``: builds those sources for a run;
* ``hints``: advice shown with a source's error (``token expired`` ->
  ``re-authorise ...``);
* or, for a file format, ``reader`` and ``import_source``.

Channel modules must import nothing heavy at import time (tweepy, praw,
requests): config loading and the dashboard read this registry. Import the SDK
inside ``open``. Polling code shares :mod:`replywatch.collectors.paging`.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pathlib import Path

    from replywatch.collectors.base import Source
    from replywatch.config import BrandConfig, CollectorSettings
    from replywatch.store.db import Database

CHANNELS_PACKAGE = "replywatch.collectors.channels"


@dataclass(frozen=True)
class Credential:
    """One credential a channel reads: ``key`` in its secrets.toml table,
    ``env`` (the environment variable; wins over the file), ``secret`` when the
    value must be scrubbed from everything stored or shown."""

    key: str
    env: str | None = None
    secret: bool = True


class Credentials(Mapping[str, str]):
    """The credential values found for a channel (only those present)."""

    def __init__(self, values: dict[str, str], secret_keys: frozenset[str] = frozenset()):
        self._values = values
        self._secret_keys = secret_keys

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def secrets(self) -> list[str]:
        """Every secret value (for the scrubber)."""
        return [v for k, v in self._values.items() if k in self._secret_keys]

    def __repr__(self) -> str:  # never print the values
        return f"Credentials(present={sorted(self._values)})"


@dataclass(frozen=True)
class Setting:
    """One ``[collector]`` key a channel adds, with its default. Numbers must be
    positive unless ``allow_zero``; ``zero_is_off`` stores 0 as None (no cap)."""

    name: str
    default: Any
    help: str = ""
    allow_zero: bool = False
    zero_is_off: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """One kind of source a channel polls: its name pattern, what it reads and
    the cursor it keeps."""

    pattern: str
    polls: str
    cursor: str


@dataclass(frozen=True)
class Hint:
    """Advice for an error whose text matches ``pattern`` (case-insensitive)."""

    pattern: str
    advice: str


@dataclass
class BrandAccounts:
    """The brand's own accounts on one channel, and the rule that recognises a
    message they wrote (a brand reply): by author account ``id`` or ``handle``."""

    match: Literal["id", "handle"]
    #: account id -> handle
    ids: dict[str, str] = field(default_factory=dict)
    #: lower-case handle -> brand key
    handles: dict[str, str] = field(default_factory=dict)

    def add(self, handle: str, brand: str, account_id: str | None = None) -> None:
        """Record one brand account (``account_id`` once known)."""
        self.handles[handle.lower()] = brand
        if account_id:
            self.ids[str(account_id)] = handle

    def is_brand(self, author_id: str | None = None, handle: str | None = None) -> bool:
        """True when the author is one of the brand's accounts."""
        if self.match == "id":
            return bool(author_id) and str(author_id) in self.ids
        return bool(handle) and handle.lower() in self.handles


@dataclass
class ChannelContext:
    """What a channel's ``open`` gets for one run."""

    channel: Channel
    db: Database
    #: ``(brand, its parsed watch settings)`` for every brand with this channel.
    brands: list[tuple[BrandConfig, Any]]
    settings: CollectorSettings
    credentials: Credentials
    accounts: BrandAccounts
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    warnings: list[str] = field(default_factory=list)
    #: Secret values found or derived while opening (e.g. Meta's
    #: appsecret_proof): the runner adds them to the scrubber.
    secrets: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        """Report something the user should fix; the run goes on."""
        self.warnings.append(text)

    def add_secrets(self, values: list[str]) -> None:
        """Scrub ``values`` from everything stored or shown, like the
        declared credentials."""
        self.secrets.extend(v for v in values if v)

    def remember_account_id(self, handle: str, account_id: str) -> None:
        """Store an account id looked up now, so the next run needs no lookup."""
        from replywatch.store.brands import set_account_id
        from replywatch.store.db import transaction

        with transaction(self.db):
            set_account_id(self.db, self.channel.name, handle, account_id)
        brand = self.accounts.handles.get(handle.lower())
        if brand:
            self.accounts.add(handle, brand, account_id)


@dataclass(frozen=True)
class Channel:
    """One channel's declaration; see the module docstring."""

    name: str
    label: str
    icon: str
    docs: str
    description: str = ""
    #: Polling order among channels (lower first).
    order: int = 50
    # -- a polled channel --
    watch: Callable[[dict[str, Any], str, str], Any] | None = None
    accounts: Callable[[Any], list[tuple[str, str | None]]] = lambda watch: []
    brand_match: Literal["id", "handle"] = "id"
    settings: tuple[Setting, ...] = ()
    credentials: tuple[Credential, ...] = ()
    #: What to set when credentials are missing (one sentence).
    credentials_help: str = ""
    usable: Callable[[Credentials], bool] = lambda creds: True
    sources: tuple[SourceSpec, ...] = ()
    open: Callable[[ChannelContext], list[Source]] | None = None
    hints: tuple[Hint, ...] = ()
    # -- a file format --
    reader: Callable[..., Iterator[Any]] | None = None
    import_source: str | None = None
    #: A file format whose text encoding can vary: checks a file before it is
    #: imported, given the ``--encoding`` asked for (None: the default), and
    #: raises ValueError/LookupError with a one-line reason; the reader then
    #: takes ``encoding=`` too.
    check: Callable[[Path, str | None], None] | None = None
    # -- a channel Meta's webhooks deliver (``replywatch webhooks serve``) --
    webhook: bool = False
    #: The hosts its messages' links point at (a subdomain counts): the
    #: dashboard's "open post" links go only there (others are shown as text).
    hosts: tuple[str, ...] = ()

    @property
    def polled(self) -> bool:
        """True for a channel ``replywatch collect`` polls."""
        return self.open is not None

    def read_credentials(
        self, env: Mapping[str, str] | None = None, secrets: Mapping | None = None
    ) -> Credentials:
        """This channel's credentials from ``env`` (default ``os.environ``) or,
        per value, from its table of secrets.toml (env wins)."""
        env = os.environ if env is None else env
        table = (secrets or {}).get(self.name, {})
        values = {}
        for cred in self.credentials:
            value = (env.get(cred.env) if cred.env else None) or table.get(cred.key)
            if cred.env and not value:
                value = table.get(cred.env)
            if value:
                values[cred.key] = str(value).strip()
        return Credentials(values, frozenset(c.key for c in self.credentials if c.secret))

    @property
    def kind(self) -> str:
        """How messages arrive: "polled", "webhook", "polled + webhook" or "file import"."""
        ways = [w for w, on in (("polled", self.polled), ("webhook", self.webhook)) if on]
        return " + ".join(ways) or "file import"

    def describe(self) -> dict[str, str]:
        """What this channel is, as text (``replywatch channels``)."""
        return {
            "channel": f"{self.icon} {self.label} ({self.name})",
            "kind": self.kind,
            "config": f"[brands.<key>.{self.name}]" if self.watch else f"import {self.name} PATH",
            "credentials": ", ".join(c.env or f"[{self.name}] {c.key}" for c in self.credentials),
            "sources": ", ".join(s.pattern for s in self.sources) or (self.import_source or ""),
            "docs": self.docs,
        }

    def advice(self, error: str | None) -> str | None:
        """The hint for ``error``, if one matches."""
        for hint in self.hints:
            if error and re.search(hint.pattern, error, re.IGNORECASE):
                return hint.advice
        return None


_REGISTRY: dict[str, Channel] = {}
_discovered = False


def register(channel: Channel) -> Channel:
    """Add ``channel`` (a module in the channels package is found without it;
    tests and plugins call this). Raises ``ValueError`` for a taken name."""
    _discover()
    if channel.name in _REGISTRY and _REGISTRY[channel.name] is not channel:
        raise ValueError(f"channel {channel.name!r} is already registered")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", channel.name):
        raise ValueError(f"channel name {channel.name!r}: lower-case letters, digits, '_'")
    _REGISTRY[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    """Remove a channel (tests)."""
    _REGISTRY.pop(name, None)


def channels() -> list[Channel]:
    """Every registered channel, in polling order."""
    _discover()
    return sorted(_REGISTRY.values(), key=lambda c: (c.order, c.name))


def polled() -> list[Channel]:
    """The channels ``replywatch collect`` polls."""
    return [c for c in channels() if c.polled]


def webhooks() -> list[Channel]:
    """The channels ``replywatch webhooks serve`` receives."""
    return [c for c in channels() if c.webhook]


def importers() -> list[Channel]:
    """The file formats ``replywatch import`` reads."""
    return [c for c in channels() if c.reader is not None]


def get(name: str) -> Channel:
    """The channel ``name``; ``KeyError`` if there is none."""
    _discover()
    return _REGISTRY[name]


def for_source(source: str) -> Channel | None:
    """The channel a source name (``x:acme:mentions:acmehelp``, ``import:twcs``)
    belongs to, or None."""
    for channel in channels():
        if source == channel.import_source or source.split(":", 1)[0] == channel.name:
            return channel
    return None


def for_platform(platform: str) -> Channel | None:
    """The channel whose messages carry ``platform`` (its name), or None (a
    platform only a JSONL file names, such as ``email``)."""
    _discover()
    return _REGISTRY.get(platform)


def platform_icon(platform: str) -> str:
    """The icon of ``platform``'s channel; the platform's name when none has one."""
    channel = for_platform(platform)
    return channel.icon if channel is not None else platform


def link_hosts(platform: str) -> tuple[str, ...]:
    """The hosts a link of a ``platform`` message may point at (empty: none)."""
    channel = for_platform(platform)
    return channel.hosts if channel is not None else ()


def setting_defaults() -> dict[str, Setting]:
    """Every channel's ``[collector]`` keys."""
    return {s.name: s for c in channels() for s in c.settings}


def _discover() -> None:
    """Import every module of the channels package once; each defines CHANNEL."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    package = importlib.import_module(CHANNELS_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{CHANNELS_PACKAGE}.{info.name}")
        channel = getattr(module, "CHANNEL", None)
        if isinstance(channel, Channel):
            _REGISTRY.setdefault(channel.name, channel)
