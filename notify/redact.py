"""Keeping apprise URLs (which carry tokens and passwords) out of logs, the
database and error messages.

Two layers: every string we store or log goes through :func:`redact`, and a
logging filter does the same to records of the libraries that see the URL
while sending (apprise logs it at DEBUG, urllib3 logs the request path)."""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

#: Loggers that print the target URL or parts of it while a notification is sent.
SENDER_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.util.retry", "requests")

# Any URL-looking token: scheme://anything-up-to-whitespace-or-quote.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]{0,20})://[^\s'\"<>]+")
# Fragments shorter than this are not registered on their own: they would
# shred ordinary words in log lines, and no real token is that short.
_MIN_FRAGMENT = 4

_lock = threading.Lock()
_fragments: set[str] = set()
_pattern: re.Pattern[str] | None = None


def redact_url(url: str) -> str:
    """The displayable form of a target URL: its scheme and ``://***``
    (``slack://***``). Refuses nothing; an unparsable string gives ``***``."""
    match = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.\-]{0,20})://", url or "")
    return f"{match.group(1).lower()}://***" if match else "***"


def register_secret(url: str) -> None:
    """Remember the secret-bearing parts of ``url`` (the whole URL, its
    user/password, host part, path segments and query values, raw and
    percent-decoded) so :func:`redact` removes them wherever they appear."""
    parts = {url.strip()}
    try:
        split = urlsplit(url.strip())
    except ValueError:
        split = None
    if split is not None:
        parts.add(split.netloc)
        userinfo, _, _hostport = split.netloc.rpartition("@")
        parts.update(userinfo.split(":"))
        parts.update(split.path.split("/"))
        parts.update(value for _, value in parse_qsl(split.query, keep_blank_values=True))
        parts.add(split.path + ("?" + split.query if split.query else ""))
    parts |= {unquote(p) for p in parts}
    fresh = {p for p in parts if len(p) >= _MIN_FRAGMENT}
    global _pattern
    with _lock:
        if fresh <= _fragments:
            return
        _fragments.update(fresh)
        # Longest first, so a whole URL is replaced before its pieces.
        ordered = sorted(_fragments, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(p) for p in ordered))


def redact(text: str) -> str:
    """``text`` with every URL reduced to ``scheme://***`` and every registered
    secret fragment replaced by ``***``."""
    text = _URL.sub(lambda m: f"{m.group(1).lower()}://***", str(text))
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub("***", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through :func:`redact` (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None
        return True


_FILTER = RedactingFilter()


def install_log_filter() -> None:
    """Attach the redacting filter to the loggers in :data:`SENDER_LOGGERS`
    (idempotent). A filter on a logger only sees records created by that very
    logger, which is why each one is named."""
    for name in SENDER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
