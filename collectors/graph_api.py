"""One thin client for Meta's Graph API (Facebook Pages, Messenger, Instagram).

Built on ``requests``; everything Meta-specific about *talking* to the API is
here, and nothing about what the answers mean (``facebook.py`` and
``instagram.py`` parse them).

* **Pinned version** (:data:`GRAPH_VERSION`): every path is sent as
  ``/vNN.N/...`` so a Meta default-version bump never changes a field name
  under us.
* **The token never goes into a URL.** It travels in the ``Authorization``
  header, so no URL that an exception, a log line or a ``paging.next`` might
  quote carries it. ``appsecret_proof`` (HMAC-SHA256 of the token keyed by the
  app secret) is added when an app secret is configured.
* **Cursor paging** (:meth:`GraphClient.pages`): each page says how to ask
  for the next one as plain query parameters (``paging.cursors.after``, or
  the query of ``paging.next`` without credentials), so a caller can commit
  that with the page's data and resume there after a crash or a stop.
* **Rate limits**: error codes 4, 17, 32, 613 and 80001-80014 are waits, not
  failures; the ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers are
  read on every answer: above ``slow_down_at`` percent of any budget the
  client spaces its calls out, and while Meta reports a time to regain access
  it waits that long before calling again (or, if that is longer than
  ``max_rate_limit_wait_s``, stops with :class:`RateLimited` so the source
  keeps its place and resumes on a later poll).
* **Faults**: 5xx, timeouts, connection errors, ``is_transient`` errors and
  truncated JSON are retried with jittered backoff; a body that stays
  unreadable raises :class:`BadPayload` (the runner dead-letters it raw).
* **Health**: an expired or revoked token (code 190, 102) raises
  :class:`TokenInvalid` and a missing permission (10, 200-299) raises
  :class:`PermissionMissing`, both with a message saying what to do
  ("re-authorise ..."), never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from replywatch.collectors.ratelimit import (
    BadPayload,
    RateLimited,
    Sleep,
    Verdict,
    WaitLog,
    call_with_retries,
    real_clock,
    real_sleep,
)

#: The Graph API version every request is pinned to (docs/collectors.md says
#: how to move it).
GRAPH_VERSION = "v21.0"
GRAPH_HOST = "graph.facebook.com"
GRAPH_URL = f"https://{GRAPH_HOST}"

#: Throttling: 4 app, 17 user, 32 page, 613 "calls within one hour",
#: 80001-80014 business-use-case (pages, Instagram, Messenger ...).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80001, 80015)})
#: Token expired, revoked, password changed, session invalid.
TOKEN_CODES = frozenset({190, 102})
#: Permission missing or not granted for this object.
PERMISSION_CODES = frozenset({3, 10, *range(200, 300)})
#: "Unknown error" / "service temporarily unavailable".
TRANSIENT_CODES = frozenset({1, 2})
#: Query parameters that are credentials: never stored, never echoed.
SECRET_PARAMS = frozenset({"access_token", "appsecret_proof"})


class GraphError(Exception):
    """An error answer from the Graph API (the JSON ``error`` object)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        http_status: int | None = None,
        transient: bool = False,
    ):
        super().__init__(message)
        self.code, self.subcode = code, subcode
        self.http_status = http_status
        self.transient = transient


class TokenInvalid(GraphError):
    """The access token expired or was revoked: someone must re-authorise."""


class PermissionMissing(GraphError):
    """The token lacks a permission this part needs (e.g. ``pages_messaging``)."""


@dataclass
class Usage:
    """What the usage headers of the latest answer said."""

    #: Highest percentage of any budget (app or business use case) in use.
    percent: float = 0.0
    #: Minutes Meta says it takes to regain access (0: not blocked).
    regain_minutes: float = 0.0
    #: The header values as read (numbers only), for the Sources page.
    app: dict[str, float] = field(default_factory=dict)
    business: dict[str, float] = field(default_factory=dict)


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Read ``X-App-Usage`` (``{"call_count": 28, "total_time": 25,
    "total_cputime": 25}``, percentages) and ``X-Business-Use-Case-Usage``
    (``{"<id>": [{"type": "pages", "call_count": 100, ...,
    "estimated_time_to_regain_access": 19}]}``, minutes). A header that is
    absent or not JSON counts as zero use (Meta omits them on light use)."""
    usage = Usage()
    app = _json_header(headers, "x-app-usage")
    if isinstance(app, dict):
        usage.app = {k: float(v) for k, v in app.items() if _number(v)}
    business = _json_header(headers, "x-business-use-case-usage")
    if isinstance(business, dict):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                for key, value in entry.items():
                    if _number(value):
                        usage.business[key] = max(usage.business.get(key, 0.0), float(value))
    regain = usage.business.pop("estimated_time_to_regain_access", 0.0)
    for key in ("call_count", "total_time", "total_cputime"):
        usage.percent = max(usage.percent, usage.app.get(key, 0.0), usage.business.get(key, 0.0))
    usage.regain_minutes = regain
    return usage


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    value = headers.get(name) or headers.get(name.title())
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of ``token`` keyed by ``app_secret``, hex (Meta's
    "Securing requests")."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass
class Page:
    """One page of an edge: its items and how to continue."""

    items: list[Any]
    #: ``paging.cursors.after`` of this page (also on the last page: where new
    #: items will appear for an edge in chronological order).
    after: str | None
    #: Query parameters that fetch the next page, or None on the last page.
    next_params: dict[str, str] | None
    raw: dict[str, Any]


class GraphClient:
    """Calls the Graph API with one access token; see the module docstring.
    ``clock`` and ``sleep`` are injected so tests never wait."""

    def __init__(
        self,
        token: str,
        *,
        app_secret: str | None = None,
        session: requests.Session | None = None,
        version: str = GRAPH_VERSION,
        timeout: float = 30.0,
        attempts: int = 4,
        max_rate_limit_wait_s: float = 900.0,
        slow_down_at: float = 75.0,
        max_pace_s: float = 30.0,
        clock: Callable[[], float] = real_clock,
        sleep: Sleep = real_sleep,
    ):
        if not token:
            raise ValueError("a Graph API access token is required")
        self._token = token
        self._proof = appsecret_proof(token, app_secret) if app_secret else None
        self.session = session or requests.Session()
        self.version = version
        self.timeout, self.attempts = timeout, attempts
        self.max_rate_limit_wait_s = max_rate_limit_wait_s
        self.slow_down_at, self.max_pace_s = slow_down_at, max_pace_s
        self.clock, self.sleep = clock, sleep
        self.usage = Usage()
        self.log = WaitLog()
        self.requests = 0
        #: Highest usage percentage seen since :meth:`reset_peak`.
        self.peak = 0.0
        self._rate_limited = False
        self._answered_at = 0.0

    def secrets(self) -> list[str]:
        """Values the scrubber must hide (the token and its proof)."""
        return [v for v in (self._token, self._proof) if v]

    def usage_details(self) -> dict[str, Any]:
        """``collector_health.details`` for the budgets: the highest usage
        seen since :meth:`reset_peak` and the current time to regain access."""
        return {
            "api_usage_percent": round(self.peak, 1),
            "api_regain_minutes": round(self.usage.regain_minutes, 1),
        }

    def reset_peak(self) -> None:
        """Start measuring the highest usage afresh (a source's poll begins)."""
        self.peak = 0.0

    # -- requests --

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET ``/{version}/{path}`` with ``params``; returns the JSON object.
        Waits out rate limits, retries transient faults, raises
        :class:`TokenInvalid`, :class:`PermissionMissing`, :class:`GraphError`,
        :class:`RateLimited` or :class:`BadPayload` (see the module docstring)."""
        url = f"{GRAPH_URL}/{self.version}/{path.lstrip('/')}"
        query = {k: str(v) for k, v in (params or {}).items() if k not in SECRET_PARAMS}
        if self._proof:
            query["appsecret_proof"] = self._proof

        def call() -> dict[str, Any]:
            self._before_call()
            return self._send(url, query)

        return call_with_retries(
            call,
            classify=self._classify,
            attempts=self.attempts,
            max_rate_limit_wait=self.max_rate_limit_wait_s,
            clock=self.clock,
            sleep=self.sleep,
            log=self.log,
        )

    def follow(self, next_url: str) -> dict[str, Any]:
        """GET a ``paging.next`` URL from an earlier answer. Only Graph API
        URLs are followed (the token is never sent elsewhere); credentials in
        the URL are dropped and our own added."""
        path, params = split_next_url(next_url)
        return self.get(path, params)

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, resume: Mapping | None = None
    ) -> Iterator[Page]:
        """The pages of an edge, lazily: the first (or the one ``resume``
        points at, as given by an earlier :attr:`Page.next_params`), then each
        next page while there is one."""
        query: dict[str, Any] = {**(params or {}), **(resume or {})}
        while True:
            page = to_page(self.get(path, query))
            yield page
            if page.next_params is None:
                return
            query = {**(params or {}), **page.next_params}

    # -- internals --

    def _send(self, url: str, query: dict[str, str]) -> dict[str, Any]:
        self.requests += 1
        response = self.session.get(
            url,
            params=query,
            headers={"Authorization": f"OAuth {self._token}"},
            timeout=self.timeout,
            # The Graph API answers or fails; it does not redirect a data
            # request. A redirect is not followed (another host's body is not
            # data, and the query carries appsecret_proof): it is an error.
            allow_redirects=False,
        )
        if response.is_redirect:
            target = urlsplit(response.headers.get("Location") or "").hostname or "?"
            raise GraphError(
                f"Graph API answered HTTP {response.status_code}, a redirect to {target!r}: "
                "not followed",
                http_status=response.status_code,
            )
        self.usage = parse_usage(response.headers)
        self.peak = max(self.peak, self.usage.percent)
        self._answered_at = self.clock()
        try:
            body = response.json()
        except ValueError:
            if response.status_code >= 500:
                raise GraphError(
                    f"Graph API HTTP {response.status_code}", http_status=response.status_code
                ) from None
            raise BadPayload(
                response.text[:20_000], f"Graph API answer is not JSON ({len(response.text)} bytes)"
            ) from None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise to_error(body["error"], response.status_code)
        if response.status_code >= 400:
            raise GraphError(
                f"Graph API HTTP {response.status_code}", http_status=response.status_code
            )
        if not isinstance(body, dict):
            raise BadPayload(response.text[:20_000], "Graph API answer is not a JSON object")
        return body

    def _before_call(self) -> None:
        """Slow down before the wall: wait out a reported lock-out, and pace
        calls once any budget is past ``slow_down_at`` percent."""
        if self._rate_limited:
            # The retry already waited until access returned (see _classify).
            self._rate_limited = False
            self.usage = Usage()
        elif self.usage.regain_minutes > 0:
            seconds = self.usage.regain_minutes * 60
            if seconds > self.max_rate_limit_wait_s:
                raise RateLimited(
                    self.clock() + seconds,
                    f"Graph API budget used up; access returns in {self.usage.regain_minutes:.0f} "
                    "min, more than collector.max_rate_limit_wait_s: resuming on a later poll",
                )
            self.sleep(seconds)
            self.log.rate_limit_s += seconds
            self.usage = Usage()
        elif self.usage.percent >= self.slow_down_at:
            # Linear from 0 s at the threshold to max_pace_s at 100 %.
            share = min(1.0, (self.usage.percent - self.slow_down_at) / (100 - self.slow_down_at))
            seconds = self.max_pace_s * share
            if seconds > 0:
                self.sleep(seconds)
                self.log.throttle_s += seconds

    def _classify(self, exc: BaseException) -> Verdict:
        if isinstance(exc, TokenInvalid | PermissionMissing):
            return ("fatal", None)
        if isinstance(exc, GraphError):
            if exc.code in RATE_LIMIT_CODES:
                regain = self.usage.regain_minutes
                self._rate_limited = True
                return ("rate_limit", self._answered_at + regain * 60 if regain > 0 else None)
            if (
                exc.transient
                or exc.code in TRANSIENT_CODES
                or (exc.http_status or 0) >= 500
                or exc.http_status == 429
            ):
                return ("transient", None)
            return ("fatal", None)
        if isinstance(exc, BadPayload | requests.Timeout | requests.ConnectionError):
            return ("transient", None)
        return ("fatal", None)


def to_error(error: Mapping[str, Any], http_status: int | None = None) -> GraphError:
    """The exception for a Graph API ``error`` object. The message is Meta's
    own (it never contains the token) plus the codes and what to do."""
    code = error.get("code") if _number(error.get("code")) else None
    subcode = error.get("error_subcode") if _number(error.get("error_subcode")) else None
    text = str(error.get("error_user_msg") or error.get("message") or "unknown error")[:500]
    codes = f"code {code}" + (f"/{subcode}" if subcode else "")
    kwargs = {"code": code, "subcode": subcode, "http_status": http_status}
    if code in TOKEN_CODES:
        return TokenInvalid(
            f"re-authorise: the access token is expired or revoked ({codes}: {text}); "
            "generate a new long-lived Page token (docs/collectors.md)",
            **kwargs,
        )
    lowered = text.lower()
    if code in PERMISSION_CODES or (
        code == 100 and ("permission" in lowered or "app secret proof" in lowered)
    ):
        return PermissionMissing(
            f"re-authorise with the missing permission ({codes}: {text}); "
            "docs/collectors.md lists what each part needs",
            **kwargs,
        )
    return GraphError(
        f"Graph API error {codes}: {text}", transient=bool(error.get("is_transient")), **kwargs
    )


def to_page(body: dict[str, Any]) -> Page:
    """A :class:`Page` from an edge answer (``data`` + ``paging``). An answer
    without a ``data`` list is refused as :class:`BadPayload`."""
    items = body.get("data")
    if not isinstance(items, list):
        raise BadPayload(json.dumps(body)[:20_000], "Graph API edge answer has no data list")
    paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
    cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
    after = cursors.get("after") if isinstance(cursors.get("after"), str) else None
    next_params: dict[str, str] | None = None
    if isinstance(paging.get("next"), str):
        # "If next is not included, you're at the last page" (Meta's paging
        # docs). Prefer the after cursor; time-based edges only give a URL.
        next_params = {"after": after} if after else split_next_url(paging["next"])[1]
    return Page(items=items, after=after, next_params=next_params, raw=body)


def split_next_url(next_url: str) -> tuple[str, dict[str, str]]:
    """``(path without version, query without credentials)`` of a Graph API
    ``paging.next`` URL. Raises ``ValueError`` for any other host."""
    parts = urlsplit(next_url)
    if parts.scheme != "https" or parts.hostname != GRAPH_HOST:
        raise ValueError(f"refusing to follow a paging link to {parts.hostname!r}")
    path = parts.path.lstrip("/")
    first, _, rest = path.partition("/")
    if first.startswith("v") and first[1:].replace(".", "").isdigit():
        path = rest
    params = {k: v for k, v in parse_qsl(parts.query) if k not in SECRET_PARAMS}
    return path, params
