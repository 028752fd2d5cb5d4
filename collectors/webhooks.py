"""The webhook receiver: one endpoint, ``/webhooks/meta``, for WhatsApp,
Facebook Pages and Instagram (``replywatch webhooks serve``).

* ``GET``: Meta's subscription handshake. ``hub.mode=subscribe`` and
  ``hub.verify_token`` equal to ``META_VERIFY_TOKEN`` answer ``hub.challenge``;
  anything else is 403.
* ``POST``: the body (at most 3 MB, else 413) must carry
  ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with
  META_APP_SECRET>``, checked in constant time before anything is parsed; a
  missing or wrong one is 403, stores nothing and counts as a signature
  rejection. A signed delivery is parsed and stored in ONE transaction
  (messages through the injected ``ingest``, events, alerts, the channel's
  delivery count) and answered 200 only after that transaction commits. A
  crash before the commit leaves nothing and Meta retries; a retry after it
  changes nothing (messages are unique on their platform id, events and
  alerts on their key). What cannot be read is dead-lettered and still
  answered 200: a retry would not make it readable.
* ``GET /healthz``: 200 when the store answers, 503 otherwise.

Every write goes through one worker thread that owns the SQLite connection,
so deliveries are stored one at a time in arrival order. Nothing secret is
logged: no bodies, no query strings (uvicorn's access log is off; the
handshake's query carries the verify token).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from replywatch.collectors import whatsapp
from replywatch.collectors.base import Rejected
from replywatch.store.db import open_database, ping, transaction
from replywatch.store.webhooks import (
    ENDPOINT,
    add_alerts,
    add_events,
    dm_thread_of,
    record_delivery,
    record_rejection,
)

#: Meta's deliveries are small; anything larger is refused before it is read whole.
MAX_BODY_BYTES = 3 * 1024 * 1024
PATH = "/webhooks/meta"
SIGNATURE_HEADER = "x-hub-signature-256"
_log = logging.getLogger("replywatch.webhooks")

#: ``object`` of a delivery -> (channel, parser). A parser takes the body,
#: that channel's ``{account id: brand key}`` and a ``whatsapp.Lookups`` (the
#: customer's stored direct-message thread, fetched mentioned comments) and
#: returns a ``whatsapp.Parsed``. The Page and Instagram parsers reuse the pollers'
#: modules, which import the Graph API client (``requests``): they are named
#: here and imported on first use, as the channel registry imports channels.
Parser = Callable[[Any, Mapping[str, str], Any], "whatsapp.Parsed"]
PARSERS: dict[str, tuple[str, str]] = {
    whatsapp.OBJECT: ("whatsapp", "replywatch.collectors.whatsapp:parse_webhook"),
    "page": ("facebook", "replywatch.collectors.meta_webhooks:parse_page"),
    "instagram": ("instagram", "replywatch.collectors.meta_webhooks:parse_instagram"),
}


def parser(name: str) -> Parser:
    """The parser function ``module:function`` of :data:`PARSERS`."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is ``sha256=`` + the HMAC-SHA256 of ``body`` keyed
    with ``secret`` (constant-time comparison)."""
    if not header or not secret:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode("utf-8", "replace"))


def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body`` (tests, benchmark)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Outcome:
    """What storing one delivery did."""

    channel: str
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    events: int = 0
    alerts: int = 0
    #: urgent-complaint alerts the new messages queued (sent after the 200)
    alerts_queued: int = 0


@dataclass
class DeliveryStore:
    """Parses and stores deliveries in one worker thread that owns the
    connection. ``accounts`` maps each channel to ``{account id: brand}``;
    ``ingest`` is ``pipeline.ingest`` (this layer may not import it)."""

    db_path: Path | str | None
    accounts: Mapping[str, Mapping[str, str]]
    ingest: Callable[..., Any]
    #: Run after a delivery whose new messages queued alerts, outside its transaction
    #: and after the 200, on a connection of its own (the CLI sends the
    #: urgent-complaint alerts queued with them, as ``collect`` does after a
    #: poll): a slow alert target never holds up deliveries.
    after_commit: Callable[[Any], None] | None = None
    #: ``[(account id, comment id)] -> {comment id: answer}``: reads the
    #: comments an Instagram ``mentions`` delivery names by id only, before
    #: the delivery is stored (None: they are stored with a placeholder).
    mention_fetcher: Callable[[list[tuple[str, str]]], dict[str, Any]] | None = None
    _db: Any = None
    _executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replywatch-webhooks")
    )
    _side_db: Any = None
    _after_waiting: threading.Event = field(default_factory=threading.Event)
    _side: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="replywatch-alerts")
    )

    def _conn(self):
        if self._db is None:
            self._db = open_database(self.db_path)
        return self._db

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` in the worker thread and wait for it."""
        return await asyncio.wrap_future(self._executor.submit(function, *args))

    def call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function(*args)`` in the worker thread and block for its result."""
        return self._executor.submit(function, *args).result()

    def close(self) -> None:
        """Stop the workers and close their connections."""
        self._side.submit(self._close_side).result()
        self._side.shutdown()
        self._executor.submit(self._close).result()
        self._executor.shutdown()

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _close_side(self) -> None:
        if self._side_db is not None:
            self._side_db.close()
            self._side_db = None

    def alerts_queued(self) -> None:
        """Queue one ``after_commit`` run (a delivery queued alerts); returns at
        once. Runs asked for while one waits are the same run."""
        if self.after_commit is not None and not self._after_waiting.is_set():
            self._after_waiting.set()
            self._side.submit(self._after)

    def _after(self) -> None:
        self._after_waiting.clear()  # what commits from now on gets a run of its own
        try:
            if self._side_db is None:
                self._side_db = open_database(self.db_path)
            self.after_commit(self._side_db)
        except Exception as exc:  # noqa: BLE001 - deliveries must go on
            _log.error("after-delivery step failed: %s", type(exc).__name__)

    def health(self) -> bool:
        """True when the store answers a query."""
        ping(self._conn())
        return True

    def rejection(self) -> None:
        """Count a POST refused for its signature."""
        db = self._conn()
        with transaction(db):
            record_rejection(db)

    def store(self, body: bytes, mentioned: dict[str, Any] | None = None) -> Outcome:
        """Parse ``body`` (a signed delivery) and store all of it in one
        transaction; raises only when the store itself fails (then nothing
        of it is stored and the caller answers 500: Meta retries)."""
        db = self._conn()
        try:
            payload = json.loads(body)
        except ValueError as exc:  # also UnicodeDecodeError
            return self._unreadable(db, body, f"not JSON: {exc}")
        kind = payload.get("object") if isinstance(payload, dict) else None
        if kind not in PARSERS:
            return self._unreadable(db, body, f"unknown object {str(kind)[:60]!r}")
        channel, name = PARSERS[kind]
        lookups = whatsapp.Lookups(
            lambda platform, customer: dm_thread_of(db, platform, customer), mentioned or {}
        )
        parsed = parser(name)(payload, self.accounts.get(channel, {}), lookups)
        outcome = Outcome(channel)
        with transaction(db):
            for source, messages, rejected in _by_source(parsed):
                result = self.ingest(db, messages, source=source, rejected=rejected)
                outcome.inserted += result.inserted
                outcome.duplicates += result.duplicates
                outcome.rejected += result.rejected
                outcome.alerts_queued += getattr(result, "alerts_queued", 0) or 0
            outcome.events = add_events(db, parsed.events)
            outcome.alerts = add_alerts(db, parsed.alerts)
            error = parsed.rejected[0][1].error if parsed.rejected else None
            record_delivery(db, channel, ok=not outcome.rejected, error=error)
        return outcome

    def _unreadable(self, db, body: bytes, error: str) -> Outcome:
        with transaction(db):
            self.ingest(db, [], source=f"{ENDPOINT}:webhook", rejected=[Rejected(body, error)])
            record_delivery(db, ENDPOINT, ok=False, error=error)
        return Outcome(ENDPOINT, rejected=1)


def _by_source(parsed: whatsapp.Parsed) -> list[tuple[str, list, list[Rejected]]]:
    groups: dict[str, tuple[list, list[Rejected]]] = {}
    for message in parsed.messages:
        groups.setdefault(message.source, ([], []))[0].append(message)
    for source, rejected in parsed.rejected:
        groups.setdefault(source, ([], []))[1].append(rejected)
    return [(source, messages, rejected) for source, (messages, rejected) in groups.items()]


@dataclass(frozen=True)
class Secrets:
    """The two values the receiver needs (never logged, never stored)."""

    app_secret: str
    verify_token: str

    def __repr__(self) -> str:
        return "Secrets(***)"


@dataclass(frozen=True)
class _Endpoints:
    """The receiver's request handlers over one store and its secrets."""

    store: DeliveryStore
    secrets: Secrets
    max_body: int

    async def handshake(self, request: Request) -> Response:
        """Meta's subscription check: echo ``hub.challenge`` for the right token."""
        params = request.query_params
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode("utf-8", "replace"), self.secrets.verify_token.encode()
        ):
            _log.info("webhook subscription verified")
            return PlainTextResponse(params.get("hub.challenge", "")[:200])
        _log.warning("webhook handshake refused (wrong mode or verify token)")
        return PlainTextResponse("forbidden", status_code=403)

    async def receive(self, request: Request) -> Response:
        """One delivery: size cap, signature, then stored before the 200."""
        store = self.store
        body = await _read_capped(request, self.max_body)
        if body is None:
            _log.warning("delivery refused: body over %d bytes", self.max_body)
            return PlainTextResponse("payload too large", status_code=413)
        header = request.headers.get(SIGNATURE_HEADER)
        if not signature_ok(self.secrets.app_secret, body, header):
            _log.warning("delivery refused: missing or wrong X-Hub-Signature-256")
            await store.run(store.rejection)
            return PlainTextResponse("forbidden", status_code=403)
        mentioned = await self._mentioned(body)
        try:
            outcome = await store.run(store.store, body, mentioned)
        except Exception as exc:  # noqa: BLE001 - answered 500: Meta retries
            _log.error("delivery not stored (Meta will retry): %s", type(exc).__name__)
            return PlainTextResponse("not stored", status_code=500)
        _log.info(
            "%s delivery: %d new, %d known, %d rejected, %d events, %d alerts",
            outcome.channel,
            outcome.inserted,
            outcome.duplicates,
            outcome.rejected,
            outcome.events,
            outcome.alerts,
        )
        if outcome.alerts_queued:
            store.alerts_queued()
        return PlainTextResponse("ok")

    async def _mentioned(self, body: bytes) -> dict[str, Any]:
        """The comments an Instagram ``mentions`` delivery names, read through
        the Graph API (outside the store's worker: a slow call holds no write)."""
        if self.store.mention_fetcher is None or b'"mentions"' not in body:
            return {}
        try:
            payload = json.loads(body)
        except ValueError:
            return {}
        mentions = parser("replywatch.collectors.meta_webhooks:instagram_mentions")(payload)
        if not mentions:
            return {}
        return await asyncio.to_thread(self.store.mention_fetcher, mentions)

    async def health(self, request: Request) -> Response:
        """200 when the store answers, 503 otherwise."""
        try:
            await self.store.run(self.store.health)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return JSONResponse({"status": "error", "error": type(exc).__name__}, 503)
        return JSONResponse({"status": "ok"})


def create_app(store: DeliveryStore, secrets: Secrets, *, max_body: int = MAX_BODY_BYTES):
    """The ASGI application (Starlette)."""
    endpoints = _Endpoints(store, secrets, max_body)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await store.run(store.health)  # open and migrate the store before the first delivery
        yield

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route(PATH, endpoints.handshake, methods=["GET"]),
            Route(PATH, endpoints.receive, methods=["POST"]),
            Route("/healthz", endpoints.health, methods=["GET"]),
        ],
    )


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is (or says it is) longer than ``limit``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def mention_fetcher(token: str, app_secret: str | None):
    """A ``DeliveryStore.mention_fetcher`` reading through the Graph API with
    ``token`` (and ``appsecret_proof``); ``requests`` is imported here."""
    graph = importlib.import_module("replywatch.collectors.graph_api")
    fetch = parser("replywatch.collectors.meta_webhooks:fetch_mentions")
    client = graph.GraphClient(token, app_secret=app_secret, attempts=2, max_rate_limit_wait_s=5)
    return lambda mentions: fetch(client, mentions)


def brand_accounts(config: Any) -> dict[str, dict[str, str]]:
    """``{channel: {account id: brand key}}`` of every webhook channel in
    ``config`` (the business number of WhatsApp, the page of Facebook, the
    account of Instagram)."""
    from replywatch.collectors import registry

    found: dict[str, dict[str, str]] = {}
    for channel in registry.webhooks():
        for brand in config.brands:
            watch = brand.watch(channel.name)
            for handle, account_id in channel.accounts(watch) if watch else []:
                found.setdefault(channel.name, {})[str(account_id or handle)] = brand.key
    return found


def serve(
    store: DeliveryStore, secrets: Secrets, *, host: str = "127.0.0.1", port: int = 8787
) -> None:
    """Run the receiver until interrupted (uvicorn, access log off)."""
    import uvicorn

    if not _log.handlers:  # one line per delivery, beside uvicorn's own lines
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        _log.addHandler(handler)
        _log.setLevel(logging.INFO)
    try:
        uvicorn.run(
            create_app(store, secrets),
            host=host,
            port=port,
            access_log=False,
            log_level="info",
            server_header=False,
        )
    finally:
        store.close()
