"""Where credentials come from (environment variables or
``.streamlit/secrets.toml``, never the config file), and a scrubber that keeps
them out of everything we write (database, logs, error messages). Which
credentials a channel reads is declared in its module
(:class:`replywatch.collectors.registry.Credential`); the registry reads them
(:meth:`~replywatch.collectors.registry.Channel.read_credentials`).

Never pass a credential to anything that is stored: build the client with it,
and scrub every error text with :class:`Scrubber` before recording it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from replywatch.untrusted import scrub_credentials

SECRETS_PATH = Path(".streamlit") / "secrets.toml"


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


class Scrubber:
    """Replaces known secret values (and anything shaped like an auth header or
    token parameter) with ``***`` in text that is about to be stored or shown."""

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
        return scrub_credentials(text)
