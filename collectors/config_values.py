"""The configuration's error type and value checks, shared by ``config.py``
and the channel modules' ``watch`` functions (each channel validates its own
``[brands.<key>.<name>]`` table). Below config: it imports nothing from
replywatch, so config can read the channel registry without an import cycle."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a bad value."""


def only(table: dict[str, Any], allowed: set[str], where: str, prefix: str) -> None:
    """Refuse keys of ``table`` outside ``allowed`` (naming them and the allowed ones)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        place = f"[{prefix}]" if prefix else "top level"
        raise ConfigError(
            f"{where}: {place}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def as_table(value: Any, where: str, label: str) -> dict[str, Any]:
    """``value`` when it is a TOML table, else a ConfigError."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {label} must be a table")
    return value


def string(value: Any, where: str, label: str) -> str:
    """``value`` stripped, when it is a non-empty string, else a ConfigError."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {label} must be a non-empty string")
    return value.strip()


def strings(value: Any, where: str, label: str) -> tuple[str, ...]:
    """A string or a list of strings as a tuple, else a ConfigError."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {label} must be a list of strings")
    return tuple(string(v, where, label) for v in value)


def flag(value: Any, where: str, label: str) -> bool:
    """``value`` when it is true or false, else a ConfigError."""
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {label} must be true or false")
    return value
