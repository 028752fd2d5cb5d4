"""Sources: each collector's health and the dead letters it left."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from replywatch.collectors import registry
from replywatch.store import sources
from replywatch.store import webhooks as store_webhooks
from replywatch.views import _channels as channels
from replywatch.views import _common as common
from replywatch.views.i18n import N_, _, labels, number

# Keys a collector may use in collector_health.details for the X monthly read
# budget (the X collector records its usage there).
USAGE_KEYS = ("monthly_reads", "monthly_read_usage", "reads_this_month", "monthly_usage")
CAP_KEYS = ("monthly_read_cap", "monthly_cap", "read_cap", "cap")
#: Graph API (Facebook / Instagram) sources record the highest share of any
#: rate-limit budget in use and Meta's time to regain access.
API_USAGE_KEY, API_REGAIN_KEY = "api_usage_percent", "api_regain_minutes"


def _state(row: dict) -> str:
    """ok / failing, or "re-authorise" when the last error says a token or
    permission must be renewed (the collectors put that word first); English,
    translated where shown."""
    if row["consecutive_failures"] <= 0:
        return N_("ok")
    return N_("re-authorise") if "re-authorise" in (row["last_error"] or "") else N_("failing")


def _channel(source: str) -> str:
    channel = registry.for_source(source)
    # The name only: the channels' emoji icons show as empty boxes without an
    # emoji font (issue 23).
    return channel.label if channel else ""


def _advice(source: str, error: str | None, failing: bool) -> str:
    channel = registry.for_source(source)
    advice = channel.advice(error) if channel and failing else None
    return _(advice) if advice else ""  # the channels' hints are marked for translation


# Headers of the tables (machine names in the frames; shown translated).
HEADERS = (
    N_("source"),
    N_("state"),
    N_("last poll (UTC)"),
    N_("last success (UTC)"),
    N_("items last poll"),
    N_("items total"),
    N_("rate-limit waits (s)"),
    N_("failures in a row"),
    N_("monthly reads"),
    N_("reads / cap"),
    N_("last error"),
    N_("last error at"),
    N_("dead letters"),
    N_("channel"),
    N_("what to do"),
    N_("API usage"),
    N_("access back in (min)"),
    N_("received_at"),
    N_("error"),
    N_("payload"),
    N_("event"),
    N_("summary"),
)


def _first(details: dict, keys: tuple[str, ...]) -> float | None:
    # A channel may prefix its keys with its name (the X channel records
    # x_reads_this_month / x_monthly_read_cap).
    for key in keys:
        for name, value in details.items():
            if name != key and not name.endswith(f"_{key}"):
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


st.title(_("Sources"))
db = common.conn()
health = sources.collector_health(db)
counts = sources.dead_letter_counts(db)

st.subheader(_("Channels"))
st.caption(
    _("Where each channel stands and what to do next to connect it; the guide explains every step.")
)
channel_table = pd.DataFrame(
    channels.channel_rows(health, lambda value: common.iso_when(value, common.scope().tz))
)
st.dataframe(
    channel_table,
    hide_index=True,
    column_config={c: st.column_config.Column(_(c)) for c in channel_table.columns},
)

st.subheader(_("Collectors"))
if not health and sources.has_demo_messages(db):
    st.info(
        _(
            "The demo's simulated feed writes these messages: it polls no channel, so no "
            "collector appears here. Connect a channel above to see its polls."
        ),
        icon=":material/info:",
    )
elif not health:
    common.empty_state(
        N_(
            "No collector has run yet: configure a source and run "
            "`replywatch collect` (or `replywatch demo`)."
        )
    )
else:
    table = []
    for row in health:
        used, cap = _first(row["details"], USAGE_KEYS), _first(row["details"], CAP_KEYS)
        api = _first(row["details"], (API_USAGE_KEY,))
        regain = _first(row["details"], (API_REGAIN_KEY,))
        table.append(
            {
                "channel": _channel(row["source"]),
                "source": row["source"],
                "state": _(_state(row)),
                "last poll (UTC)": row["last_poll_at"] or "",
                "last success (UTC)": row["last_success_at"] or "",
                "items last poll": row["items_fetched"],
                "items total": row["items_total"],
                "rate-limit waits (s)": round(row["rate_limit_wait_s"], 1),
                "failures in a row": row["consecutive_failures"],
                "monthly reads": (used / cap if used is not None and cap else None),
                "reads / cap": (
                    f"{number(used)} / {number(cap)}" if used is not None and cap else ""
                ),
                "API usage": None if api is None else api / 100,
                "access back in (min)": regain if regain else None,
                "last error": row["last_error"] or "",
                "what to do": _advice(
                    row["source"], row["last_error"], row["consecutive_failures"] > 0
                ),
                "last error at": row["last_error_at"] or "",
                "dead letters": counts.get(row["source"], 0),
            }
        )
    frame = pd.DataFrame(table)
    st.dataframe(
        frame.style.map(common.state_style, subset=["state"]),
        hide_index=True,
        column_config={
            **{c: st.column_config.Column(_(c)) for c in frame.columns},
            "monthly reads": st.column_config.ProgressColumn(
                _("monthly reads"),
                min_value=0.0,
                max_value=1.0,
                format="percent",
                help=_("API reads this month against the plan's cap"),
            ),
            "API usage": st.column_config.ProgressColumn(
                _("API usage"),
                min_value=0.0,
                max_value=1.0,
                format="percent",
                help=_(
                    "Graph API (Facebook / Instagram): highest share of any rate-limit "
                    "budget in use during the last poll (X-App-Usage, X-Business-Use-Case-Usage)"
                ),
            ),
            "last error": st.column_config.TextColumn(_("last error"), width="large"),
        },
    )


def _webhook_channel(name: str) -> str:
    if name == store_webhooks.ENDPOINT:
        return _("Meta endpoint (unsigned or unreadable POSTs)")
    channel = registry.for_source(name)
    return f"{channel.icon} {channel.label}" if channel else name


WEBHOOK_HEADERS = (
    N_("deliveries"),
    N_("last delivery (UTC)"),
    N_("failures"),
    N_("last failure (UTC)"),
    N_("signature rejections"),
    N_("last rejection (UTC)"),
)

st.subheader(_("Webhooks"))
webhook_rows = store_webhooks.webhook_stats(db)
if not webhook_rows:
    st.caption(
        _(
            "No webhook delivery yet. WhatsApp (and real-time Facebook / Instagram) "
            "arrive through `replywatch webhooks serve`: see docs/channels/whatsapp.md."
        )
    )
else:
    frame = pd.DataFrame(
        [
            {
                "channel": _webhook_channel(r["channel"]),
                "deliveries": r["deliveries"],
                "last delivery (UTC)": r["last_delivery_at"] or "",
                "failures": r["failures"],
                "last failure (UTC)": r["last_failure_at"] or "",
                "last error": r["last_error"] or "",
                "signature rejections": r["signature_rejections"],
                "last rejection (UTC)": r["last_rejection_at"] or "",
            }
            for r in webhook_rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            **{c: st.column_config.Column(_(c)) for c in frame.columns},
            "last error": st.column_config.TextColumn(_("last error"), width="large"),
        },
    )
    alerts = store_webhooks.account_alerts(db, limit=20)
    if alerts:
        st.caption(_("Account alerts (templates, account status, number changes), newest first"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "channel": _webhook_channel(a["channel"]),
                        "event": a["field"],
                        "summary": a["summary"],
                        "received_at": a["received_at"],
                    }
                    for a in alerts
                ]
            ).rename(columns=lambda c: _(c)),
            hide_index=True,
        )

st.subheader(_("Dead letters"))
if not counts:
    st.success(_("No dead letters: every item collected so far was stored."))
else:
    st.caption(
        _(
            "Items that could not be parsed or stored, kept with their error. "
            "Payloads are shown as plain text."
        )
    )
    choice = st.selectbox(
        _("Source"),
        [None, *counts],
        format_func=labels(
            {None: _("All sources"), **{s: f"{s} ({number(n)})" for s, n in counts.items()}}
        ),
        key="dl_source",
    )
    letters = sources.dead_letters(db, source=choice, limit=200)
    frame = pd.DataFrame([{**r, "payload": r["payload"][:500]} for r in letters])
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            **{c: st.column_config.Column(_(c)) for c in frame.columns if c != "id"},
            "error": st.column_config.TextColumn(_("error"), width="medium"),
            "payload": st.column_config.TextColumn(_("payload"), width="large"),
        },
    )
    ids = [r["id"] for r in letters]
    shown = st.selectbox(
        _("Show the full payload of"), ids, key="dl_id", format_func=lambda i: f"#{i}"
    )
    letter = next((r for r in letters if r["id"] == shown), None)
    if letter:
        st.text(letter["error"])
        st.code(letter["payload"], language=None, wrap_lines=True)
