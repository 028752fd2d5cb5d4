"""``replywatch webhooks serve``: the receiver of Meta's webhooks (WhatsApp,
Facebook Pages, Instagram) at ``/webhooks/meta``."""

from __future__ import annotations

from pathlib import Path

import click

from replywatch.commands.options import config_option, console, db_option
from replywatch.config import ConfigError, load_config
from replywatch.store.db import open_database


@click.group(name="webhooks")
def webhooks_group() -> None:
    """Receive Meta's real-time webhooks (WhatsApp, Facebook Pages, Instagram)."""


@webhooks_group.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(1, 65535))
@config_option("Brands and the accounts whose deliveries they own.")
@db_option
def serve(host: str, port: int, config_path: Path, db_path: Path | None) -> None:
    """Serve /webhooks/meta (behind HTTPS: a reverse proxy or a tunnel; see
    docs/channels/whatsapp.md). Needs META_APP_SECRET and META_VERIFY_TOKEN."""
    from replywatch.collectors import registry
    from replywatch.collectors.credentials import read_secrets_file
    from replywatch.collectors.runner import register_brands
    from replywatch.collectors.webhooks import (
        DeliveryStore,
        Secrets,
        brand_accounts,
        mention_fetcher,
    )
    from replywatch.collectors.webhooks import serve as run_receiver
    from replywatch.commands.collect import dispatch_alerts
    from replywatch.pipeline import ingest

    try:
        config = load_config(config_path)
        secrets = read_secrets_file()
        found = registry.get("whatsapp").read_credentials(None, secrets)
    except (ConfigError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if "app_secret" not in found or "verify_token" not in found:
        raise click.ClickException(
            "set META_APP_SECRET and META_VERIFY_TOKEN (environment or .streamlit/secrets.toml)"
        )
    db = open_database(db_path)
    register_brands(db, config)
    db.close()
    accounts = brand_accounts(config)
    if not accounts:
        console.print(
            "warning: no brand configures a webhook account ([brands.<key>.whatsapp] "
            "phone_number_id, or facebook / instagram): every delivery is dead-lettered"
        )
    store = DeliveryStore(db_path, accounts, ingest, after_commit=dispatch_alerts)
    # With a Graph API token, Instagram comments that @mention a brand (named
    # by id only in the webhook) are read in full; else a placeholder.
    meta = registry.get("facebook").read_credentials(None, secrets)
    if "access_token" in meta and "instagram" in accounts:
        store.mention_fetcher = mention_fetcher(meta["access_token"], meta.get("app_secret"))
    run_receiver(store, Secrets(found["app_secret"], found["verify_token"]), host=host, port=port)
