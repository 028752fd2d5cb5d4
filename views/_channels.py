"""The Sources page's "Channels" table: for each channel that brings messages
in (X, Reddit, Facebook, Instagram, WhatsApp ...), its state, the next step
and the guide to follow. Credentials are read only to say which are missing,
never shown."""

from __future__ import annotations

import os
from typing import Any

from replywatch.collectors import registry
from replywatch.views.i18n import N_, _, current_language

# Guides a shop owner can follow, per language of the interface.
GUIDES_PT = {
    "facebook": "docs/channels/facebook-instagram.pt-BR.md",
    "instagram": "docs/channels/facebook-instagram.pt-BR.md",
    "whatsapp": "docs/channels/whatsapp.pt-BR.md",
}
STATES = (
    N_("working"),
    N_("error"),
    N_("missing credential"),
    N_("not configured"),
)


def _secrets() -> dict:
    import streamlit as st

    try:
        return {k: dict(v) for k, v in st.secrets.items() if hasattr(v, "items")}
    except Exception:  # noqa: BLE001 - no secrets.toml: environment variables only
        return {}


def _missing(channel: registry.Channel, secrets: dict) -> list[str]:
    """The names to set for ``channel`` (environment variables, else the
    secrets.toml keys) when its credentials are not usable; [] when they are."""
    found = channel.read_credentials(os.environ, secrets)
    if channel.usable(found):
        return []
    return [c.env or f"[{channel.name}] {c.key}" for c in channel.credentials if c.key not in found]


def _guide(channel: registry.Channel) -> str:
    if current_language().startswith("pt") and channel.name in GUIDES_PT:
        return GUIDES_PT[channel.name]
    return channel.docs


def channel_rows(health: list[dict[str, Any]], when) -> list[dict[str, str]]:
    """One row per channel that brings messages in: ``channel``, ``state``,
    ``last poll``, ``next step``, ``guide``. ``health`` is
    store.sources.collector_health; ``when`` formats its ISO UTC times."""
    secrets = _secrets()
    rows = []
    for channel in registry.channels():
        if not (channel.polled or getattr(channel, "webhook", False)):
            continue  # a file format (imports), not a channel to connect
        mine = [h for h in health if h["source"].split(":", 1)[0] == channel.name]
        failing = [h for h in mine if h["consecutive_failures"] > 0]
        last = max((h["last_poll_at"] or "" for h in mine), default="")
        if failing:
            state, step = _("error"), failing[0]["last_error"] or ""
            if "re-authorise" in step:
                step = _("re-authorise: generate a new token (see the guide)") + f" · {step}"
        elif mine:
            state, step = _("working"), ""
        elif missing := _missing(channel, secrets):
            state = _("missing credential") + ": " + ", ".join(missing)
            step = _("set {names} (environment or .streamlit/secrets.toml)").format(
                names=", ".join(missing)
            )
        else:
            state = _("not configured")
            step = _("add [brands.<key>.{name}] to replywatch.toml and run replywatch collect")
            step = step.format(name=channel.name)
        rows.append(
            {
                "channel": channel.label,
                "state": state,
                "last poll": when(last) if last else "—",
                "next step": step,
                "guide": _guide(channel),
            }
        )
    return rows


HEADERS = (N_("channel"), N_("state"), N_("last poll"), N_("next step"), N_("guide"))
