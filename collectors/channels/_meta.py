"""What the Facebook and Instagram channel modules share: the Graph API
credentials, ``[collector]`` keys, error hints and config helpers. A module
starting with ``_`` is not a channel (the registry skips it); like every
channel module it imports nothing heavy (``requests`` is imported in
:func:`open_client`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from replywatch.collectors.registry import ChannelContext, Credential, Hint, Setting
from replywatch.config import ConfigError, flag
from replywatch.i18n import N_

if TYPE_CHECKING:
    from replywatch.collectors.graph_api import GraphClient
    from replywatch.collectors.meta import SweepSettings

#: One token for every watched page (a long-lived Page token, or a System User
#: token with access to all of them) and the app secret for appsecret_proof.
CREDENTIALS = (
    Credential("access_token", "META_ACCESS_TOKEN"),
    Credential("app_secret", "META_APP_SECRET"),
)
CREDENTIALS_HELP = "Set META_ACCESS_TOKEN (a long-lived Page token) and META_APP_SECRET"
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


def open_client(ctx: ChannelContext) -> GraphClient:
    """The Graph API client for this run (``requests`` is imported here)."""
    from replywatch.collectors.graph_api import GraphClient

    settings = ctx.settings
    client = GraphClient(
        ctx.credentials["access_token"],
        app_secret=ctx.credentials.get("app_secret"),
        timeout=settings.http_timeout_s,
        attempts=settings.retry_attempts,
        max_rate_limit_wait_s=settings.max_rate_limit_wait_s,
        slow_down_at=settings.meta_slow_down_at_percent,
        clock=ctx.clock,
        sleep=ctx.sleep,
    )
    ctx.add_secrets(client.secrets())  # the appsecret_proof derived from them
    return client


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
