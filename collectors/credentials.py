"""Platform credentials, read only from environment variables or
``.streamlit/secrets.toml``, and a scrubber that keeps them out of everything
we write (database, logs, error messages).

Never pass a credential to anything that is stored: build the client with it,
and scrub every error text with :class:`Scrubber` before recording it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

SECRETS_PATH = Path(".streamlit") / "secrets.toml"

X_ENV = {
    "bearer_token": "X_BEARER_TOKEN",
    "api_key": "X_API_KEY",
    "api_secret": "X_API_SECRET",
    "access_token": "X_ACCESS_TOKEN",
    "access_token_secret": "X_ACCESS_TOKEN_SECRET",
}
#: praw reads these itself (and praw.ini); secrets.toml ``[reddit]`` may hold the same keys.
REDDIT_KEYS = ("client_id", "client_secret", "username", "password", "refresh_token",
               "user_agent")  # fmt: skip


@dataclass(frozen=True)
class XCredentials:
    """Credentials for tweepy. ``bearer_token`` allows app-only reads; the four
    OAuth 1.0a values act as the account (needed for direct messages)."""

    bearer_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    access_token: str | None = None
    access_token_secret: str | None = None

    @property
    def has_user_context(self) -> bool:
        """True when all four OAuth 1.0a values are present."""
        return all((self.api_key, self.api_secret, self.access_token, self.access_token_secret))

    @property
    def usable(self) -> bool:
        """True when some form of authentication is possible."""
        return bool(self.bearer_token) or self.has_user_context

    def values(self) -> list[str]:
        """Every secret value (for the scrubber)."""
        return [
            v
            for v in (
                self.bearer_token,
                self.api_key,
                self.api_secret,
                self.access_token,
                self.access_token_secret,
            )
            if v
        ]

    def __repr__(self) -> str:  # never print the values
        present = [k for k in X_ENV if getattr(self, k)]
        return f"XCredentials(present={present})"


def read_secrets_file(path: Path | None = None) -> dict:
    """Return the parsed ``.streamlit/secrets.toml`` (empty if absent). A file
    that is not valid TOML raises ``ValueError`` without quoting its content."""
    path = path or SECRETS_PATH
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message can quote the offending line (a secret): drop it.
        line = re.search(r"line (\d+)", str(exc))
        where = f" (line {line.group(1)})" if line else ""
        raise ValueError(f"{path} is not valid TOML{where}") from None


def x_credentials(
    env: Mapping[str, str] | None = None, secrets: Mapping | None = None
) -> XCredentials:
    """X credentials from ``env`` (default ``os.environ``) or, per value, from
    the ``[x]`` table of secrets.toml (env wins)."""
    env = os.environ if env is None else env
    table = (secrets or {}).get("x", {}) if secrets is not None else {}
    values = {}
    for field_name, env_name in X_ENV.items():
        value = env.get(env_name) or table.get(field_name) or table.get(env_name)
        values[field_name] = str(value).strip() if value else None
    return XCredentials(**values)


def reddit_settings(secrets: Mapping | None = None) -> dict[str, str]:
    """praw keyword arguments from the ``[reddit]`` table of secrets.toml. Values
    absent there are left to praw, which reads ``praw_*`` environment variables
    and ``praw.ini`` itself."""
    table = (secrets or {}).get("reddit", {})
    return {k: str(table[k]) for k in REDDIT_KEYS if table.get(k)}


def reddit_secret_values(
    env: Mapping[str, str] | None = None, secrets: Mapping | None = None
) -> list[str]:
    """Reddit secret values known to us (env and secrets.toml) for the scrubber."""
    env = os.environ if env is None else env
    found = [env.get(f"praw_{k}") for k in ("client_secret", "password", "refresh_token")]
    found += [
        reddit_settings(secrets).get(k) for k in ("client_secret", "password", "refresh_token")
    ]
    return [v for v in found if v]


class Scrubber:
    """Replaces known secret values (and anything shaped like an auth header or
    token parameter) with ``***`` in text that is about to be stored or shown."""

    _PATTERNS = (
        re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic|oauth)\s+[^\s'\",}]+"),
        re.compile(
            r"(?i)((?:access_token|refresh_token|oauth_token|oauth_signature|"
            r"client_secret|password|bearer_token)['\"]?\s*[=:]\s*['\"]?)[^\s&'\",}]+"
        ),
    )

    def __init__(self, secrets: Iterable[str] = ()):
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, values: Iterable[str]) -> None:
        """Also scrub ``values``."""
        self._secrets = sorted(
            set(self._secrets) | {v for v in values if v and len(v) >= 4}, key=len, reverse=True
        )

    def __call__(self, text: str | None) -> str | None:
        """Return ``text`` with secrets replaced (None stays None)."""
        if text is None:
            return None
        for secret in self._secrets:
            text = text.replace(secret, "***")
        for pattern in self._PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "***", text)
        return text
