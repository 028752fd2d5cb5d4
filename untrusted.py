"""Untrusted text on its way out of replywatch: the one rule for each place.

Customer text (posts, names, URLs, payloads) is untrusted everywhere. Two
destinations need the same rule in several layers, so each rule lives here
once, below every layer (this module imports nothing from replywatch):

- spreadsheets (CSV/XLSX exports, ``replywatch analyze --input``):
  :func:`neutralise_formula`;
- links (dashboard "open post" links, alert messages): :func:`safe_url`;
- anything stored (payloads, URLs, dead letters, error texts of every
  channel): :func:`scrub_credentials` removes access tokens, secrets and
  authorization headers a platform put in its answer (a Graph API ``paging``
  URL carries the caller's ``access_token`` and ``appsecret_proof``).

Markdown and terminal escaping stay with the one layer that renders them
(``views.safe_text``, ``notify.format``). docs/security.md explains the rules.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

#: A cell starting with one of these is run as a formula by Excel, LibreOffice
#: and Google Sheets (CSV injection), unless the whole cell is a plain number.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: ... also after leading whitespace (spaces, line breaks: spreadsheets trim
#: them), and in their full-width forms (＝＋－＠, which Japanese and Chinese
#: input methods type and spreadsheets read as the ASCII signs).
FORMULA_SIGNS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# A signed decimal number, with "." or "," separators: spreadsheets read it as
# a number, never as a formula, so it keeps its value ("-3", "+1.5", "-1,234.5").
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)")
#: Longer links are refused (browsers and chat services cut or reject them).
MAX_URL_LENGTH = 2048


def neutralise_formula(value: Any) -> Any:
    """Return ``value`` with a leading ``'`` if it is text that a spreadsheet
    would run as a formula: it starts with tab or CR, or with ``=``, ``+``,
    ``-``, ``@`` or their full-width forms (``＝`` ...), also after leading
    spaces or line breaks, and is not a plain signed number. A leading ``@``
    is guarded even in plain text such as ``@LojaAurora obrigado`` (a reply's
    usual start): Excel, LibreOffice and Sheets take a cell starting with
    ``@`` as a formula (``@SUM(...)`` runs; plain text opens as an error), so
    the ``'`` is both safer and what shows the text; JSON and Parquet exports
    keep text as written. Plain numbers ("-3", "+1.5") are left alone because
    spreadsheets read them as numbers, and prefixing them would turn data
    into text; non-text values (numbers, None) come back unchanged."""
    if (
        isinstance(value, str)
        and (value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_SIGNS))
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def safe_url(url: Any, hosts: tuple[str, ...] | None = None) -> str | None:
    """Return ``url`` if it is an absolute http(s) URL with a host name, at most
    :data:`MAX_URL_LENGTH` characters, with no whitespace and no control or
    format characters (bidi overrides, zero-width characters); else None.
    Refuses ``javascript:``, ``data:``, relative, scheme-relative and malformed
    URLs. Nothing is trimmed or repaired: a URL with surrounding spaces is
    refused rather than guessed at. With ``hosts``, the URL's host must also
    be one of them or a subdomain of one (``www.x.com`` for ``x.com``): a
    post's link goes only to its own platform (``hosts=()`` refuses all)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        return None
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if hosts is not None and not any(host == h or host.endswith("." + h) for h in hosts):
        return None
    return url


#: Names of query parameters and JSON keys whose value is a credential.
CREDENTIAL_NAMES = (
    "access_token",
    "refresh_token",
    "oauth_token",
    "oauth_signature",
    "client_secret",
    "password",
    "bearer_token",
    "appsecret_proof",
    "app_secret",
    "fb_exchange_token",
)
# Each name holds one of these, lower-cased: a text without any of them is
# returned at once (a string search costs well under a microsecond; the
# patterns below cost tens of microseconds per message of a 100k-row import).
_CREDENTIAL_HINTS = ("token", "secret", "password", "signature", "proof", "authorization")
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:bearer|basic|oauth)\s+[^\s'\",}]+"),
    # name=value in a query string (also percent-encoded inside another URL:
    # %3D for "=", value up to %26 "&"), "name": "value" in JSON.
    re.compile(
        r"(?i)((?:" + "|".join(CREDENTIAL_NAMES) + r")['\"]?\s*(?:[=:]|%3d)\s*['\"]?)"
        r"(?:(?!%26)[^\s&'\",}\\])+"
    ),
)
SCRUBBED = "***"


def scrub_credentials(text: str | None) -> str | None:
    """Return ``text`` with the value of every credential replaced by ``***``:
    ``access_token=...`` and the other :data:`CREDENTIAL_NAMES` as query
    parameters (plain or percent-encoded) or JSON keys, and ``Authorization:
    Bearer ...`` headers. The one rule for everything replywatch stores from a
    platform or a file (raw payloads, post URLs, dead letters), used by every
    channel through the store. None stays None."""
    if not text:
        return text
    lowered = text.lower()
    if not any(hint in lowered for hint in _CREDENTIAL_HINTS):
        return text
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + SCRUBBED, text)
    return text
