"""What the Facebook and Instagram channel modules share: the Graph API
credentials, ``[collector]`` keys, error hints and config helpers. A module
starting with ``_`` is not a channel (the registry skips it); like every
channel module it imports nothing heavy (``requests`` is imported in
:func:`client_factory`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from replywatch.collectors.config_values import ConfigError, flag
from replywatch.collectors.registry import ChannelContext, Credential, Hint, Setting
from replywatch.i18n import N_

if TYPE_CHECKING:
    from replywatch.collectors.graph_api import GraphClient
    from replywatch.collectors.meta import SweepSettings

#: A token for every watched page (a long-lived Page token, or a System User
#: token with access to all of them), per-page tokens ("PAGE_ID=TOKEN,..."; a
#: page's own wins) and the app secret for appsecret_proof.
CREDENTIALS = (
    Credential("access_token", "META_ACCESS_TOKEN"),
    Credential("page_tokens", "META_PAGE_TOKENS"),
    Credential("app_secret", "META_APP_SECRET"),
)
CREDENTIALS_HELP = (
    "Set META_ACCESS_TOKEN (a long-lived Page token) or META_PAGE_TOKENS "
    "(PAGE_ID=TOKEN,...), and META_APP_SECRET"
)


#: What ``replywatch webhooks serve`` reads: the app secret that signs every
#: delivery (X-Hub-Signature-256) and the token Meta's subscription handshake
#: echoes (chosen by the shop, typed in the app's webhook settings).
WEBHOOK_CREDENTIALS = (
    Credential("app_secret", "META_APP_SECRET"),
    Credential("verify_token", "META_VERIFY_TOKEN"),
)
WEBHOOK_CREDENTIALS_HELP = "Set META_APP_SECRET and META_VERIFY_TOKEN"


def usable(found: Any) -> bool:
    """Some token is configured."""
    return "access_token" in found or "page_tokens" in found


SETTINGS = (
    Setting("meta_lookback_days", 14.0, "posts / media this recent have their comments followed"),
    Setting("meta_catch_up_hours", 6.0, "how often every post of that window is re-read"),
    Setting(
        "meta_slow_down_at_percent", 75.0, "above this share of a Graph API budget, calls slow down"
    ),
)
HINTS = (
    Hint(
        r"access token is expired or revoked|code 190",
        N_("re-authorise: generate a new long-lived Page token and set META_ACCESS_TOKEN"),
    ),
    Hint(
        r"missing permission|PermissionMissing",
        N_("re-authorise with the permission this part needs (see the channel's docs page)"),
    ),
    Hint(r"access returns in", N_("Meta's rate limit: the source resumes by itself")),
)


def graph_id(value: Any, where: str, label: str) -> str:
    """A numeric Graph API id (digits, as text); ``ConfigError`` otherwise."""
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not text.isdigit():
        raise ConfigError(f'{where}: {label} must be a numeric Graph API id (e.g. "1234567890")')
    return text


def flag_of(table: dict[str, Any], key: str, where: str, prefix: str) -> bool:
    """``table[key]`` as true/false (default true)."""
    return flag(table.get(key, True), where, f"{prefix}.{key}")


def page_tokens(ctx: ChannelContext) -> dict[str, str]:
    """``META_PAGE_TOKENS`` (``PAGE_ID=TOKEN,PAGE_ID=TOKEN``) as a dict. Each
    token is scrubbed on its own; a malformed entry is reported by position,
    never echoed."""
    text = ctx.credentials.get("page_tokens") or ""
    found: dict[str, str] = {}
    for number, entry in enumerate(filter(None, (e.strip() for e in text.split(","))), 1):
        page_id, sep, token = (part.strip() for part in entry.partition("="))
        if not sep or not page_id.isdigit() or not token:
            ctx.warn(f"META_PAGE_TOKENS: entry {number} is not PAGE_ID=TOKEN; ignored")
            continue
        found[page_id] = token
    ctx.add_secrets(list(found.values()))
    return found


def client_factory(ctx: ChannelContext):
    """``client_for(page_id)``: the Graph API client for a page's requests
    (its own token from META_PAGE_TOKENS, else META_ACCESS_TOKEN), one per
    token, or None when there is no token for that page. ``requests`` is
    imported here."""
    from replywatch.collectors.graph_api import GraphClient

    settings = ctx.settings
    own = page_tokens(ctx)
    default = ctx.credentials.get("access_token")
    clients: dict[str, GraphClient] = {}

    def client_for(page_id: str | None) -> GraphClient | None:
        token = own.get(page_id or "") or default
        if not token:
            return None
        if token not in clients:
            clients[token] = GraphClient(
                token,
                app_secret=ctx.credentials.get("app_secret"),
                timeout=settings.http_timeout_s,
                attempts=settings.retry_attempts,
                max_rate_limit_wait_s=settings.max_rate_limit_wait_s,
                slow_down_at=settings.meta_slow_down_at_percent,
                clock=ctx.clock,
                sleep=ctx.sleep,
            )
            ctx.add_secrets(clients[token].secrets())  # with the derived appsecret_proof
        return clients[token]

    return client_for


def brands_with_clients(ctx: ChannelContext, no_token: Callable[[Any, Any], str]) -> Iterator:
    """``(brand, watch, client)`` for every brand of the channel whose page has a
    token; a brand without one is left out with the warning ``no_token(brand,
    watch)`` (the other brands go on). ``requests`` is imported here."""
    client_for = client_factory(ctx)
    for brand, watch in ctx.brands:
        client = client_for(watch.page_id)
        if client is None:
            ctx.warn(no_token(brand, watch))
            continue
        yield brand, watch, client


def sweep_settings(ctx: ChannelContext) -> SweepSettings:
    """Paging and look-back settings for the Meta sources."""
    from replywatch.collectors.meta import SweepSettings

    settings = ctx.settings
    return SweepSettings(
        page_size=settings.page_size,
        max_pages=settings.max_pages_per_poll,
        lookback_days=settings.meta_lookback_days,
        catch_up_hours=settings.meta_catch_up_hours,
    )
