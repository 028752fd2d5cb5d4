"""Outcomes section of the Sentiment page (executives): do customers leave
happier than they came, how many problems were solved at the first reply,
how many customers had to come back, next to response time; over time, by
brand, channel or agent; the conversations behind each figure; and median
mood recovery by first-response time. Figures come from
``metrics.outcome_reports`` (definitions: docs/metrics.md, Outcomes)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from replywatch import metrics
from replywatch.views import _common as common
from replywatch.views.i18n import _

BREAKDOWNS = {"brand": "Brand", "channel": "Channel", "agent": "Agent", "platform": "Platform"}
#: Drill-down choices: label -> figure key of metrics.outcome_conversations.
FIGURES = {
    "Worsened": "worsened",
    "Recovered": "recovered",
    "Unchanged": "unchanged",
    "Customer silent after the reply": "silent",
    "Resolved at first contact": "first_contact_resolved",
    "Resolved (any)": "resolved",
    "Resolved by the customer's thank-you": "resolved_by_customer",
    "Resolved by an agent closing it": "resolved_by_close",
    "Not resolved": "unresolved",
    "Customer came back (repeat contact)": "repeat_contact",
}


@st.cache_data(ttl=60, show_spinner=False)
def _call(path: str, name: str, **kwargs: Any) -> Any:
    return getattr(metrics, name)(common.conn(), **kwargs)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _tiles(row: dict[str, Any]) -> None:
    cols = st.columns(5)
    cols[0].metric(
        _("Left happier"),
        _share(row.get("recovery_rate")),
        help=_(
            "Recovered / conversations where the customer wrote again after the reply "
            "(mood after - mood before >= +0.25)."
        ),
    )
    cols[1].metric(
        _("Left unhappier"),
        _share(row.get("worsened_share")),
        help=_("Worsened (recovery <= -0.25) / the same conversations."),
    )
    cols[2].metric(
        _("Solved at first reply"),
        _share(row.get("first_contact_resolution_rate")),
        help=_(
            "Resolved (closed by an agent or the customer's thank-you) after exactly one "
            "brand reply and never reopened / resolved conversations."
        ),
    )
    cols[3].metric(
        _("Came back"),
        _share(row.get("repeat_contact_rate")),
        help=_(
            "Conversations followed by another one from the same customer to the same "
            "brand within the repeat-contact window (7 days unless the brand sets "
            "outcomes.repeat_contact_days) / conversations."
        ),
    )
    cols[4].metric(_("Median first response"), common.duration(row.get("first_response_median_s")))


def _over_time(rows: list[dict[str, Any]], key: str) -> go.Figure:
    figure = go.Figure()
    x = [str(r[key]) for r in rows]
    for name, column, dash in (
        ("left happier", "recovery_rate", None),
        ("left unhappier", "worsened_share", "dot"),
        ("solved at first reply", "first_contact_resolution_rate", "dash"),
        ("came back", "repeat_contact_rate", "dashdot"),
    ):
        figure.add_scatter(
            x=x,
            y=[r[column] for r in rows],
            mode="lines+markers",
            name=name,
            line={"dash": dash} if dash else None,
            connectgaps=False,
        )
    figure.update_layout(
        height=320,
        margin={"t": 30, "b": 10},
        yaxis={"tickformat": ".0%", "range": [0, 1]},
        legend={"orientation": "h", "y": 1.15},
    )
    return figure


def _breakdown_table(rows: list[dict[str, Any]], key: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                BREAKDOWNS[key]: "—" if r[key] is None else str(r[key]),
                "conversations": r["conversations"],
                "left happier": r["recovery_rate"],
                "left unhappier": r["worsened_share"],
                "silent after reply": r["silent_share"],
                "resolved": r["resolution_rate"],
                "solved at first reply": r["first_contact_resolution_rate"],
                "customer messages to resolve": r["mean_effort_customer_messages"],
                "came back": r["repeat_contact_rate"],
                "median first response": common.duration(r["first_response_median_s"]),
            }
            for r in rows
        ]
    )


def _breakdown_chart(rows: list[dict[str, Any]], key: str) -> go.Figure:
    # Brand keys and agent names are typed by people: common.plotly_chart escapes them.
    names = ["—" if r[key] is None else str(r[key]) for r in rows]
    figure = go.Figure()
    figure.add_bar(x=names, y=[r["recovery_rate"] for r in rows], name="left happier")
    figure.add_bar(x=names, y=[r["worsened_share"] for r in rows], name="left unhappier")
    figure.add_bar(
        x=names, y=[r["first_contact_resolution_rate"] for r in rows], name="solved at first reply"
    )
    figure.add_bar(x=names, y=[r["repeat_contact_rate"] for r in rows], name="came back")
    figure.update_layout(
        barmode="group",
        height=320,
        margin={"t": 30, "b": 10},
        yaxis={"tickformat": ".0%"},
        legend={"orientation": "h", "y": 1.15},
    )
    return figure


def _speed_chart(buckets: list[dict[str, Any]]) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(
        x=[b["bucket"] for b in buckets],
        y=[b["median_recovery"] for b in buckets],
        customdata=[[b["conversations"]] for b in buckets],
        hovertemplate="first response %{x}<br>median recovery %{y:+.2f}"
        "<br>%{customdata[0]} conversations<extra></extra>",
        name="median mood recovery",
    )
    figure.update_layout(
        height=300,
        margin={"t": 30, "b": 10},
        xaxis_title="first response time",
        yaxis_title="median mood recovery",
    )
    return figure


def _drilldown(window: dict[str, Any], rows_by: list[dict[str, Any]], key: str) -> None:
    st.subheader(_("Conversations behind a figure"))
    cols = st.columns([3, 3, 4])
    label = cols[0].selectbox(_("Figure"), list(FIGURES), key="outcome_figure")
    groups = ["all"] + ["—" if r[key] is None else str(r[key]) for r in rows_by]
    group = cols[1].selectbox(BREAKDOWNS[key], groups, key="outcome_group")
    kwargs = dict(window)
    if group != "all" and group != "—":
        kwargs["agent" if key == "agent" else key] = group
    rows = _call(
        common.db_path(), "outcome_conversations", figure=FIGURES[label], limit=200, **kwargs
    )
    if group == "—":
        rows = [r for r in rows if r["assignee" if key == "agent" else key] is None]
    if not rows:
        st.info(_("No conversations behind this figure in the period."))
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "conversation": r["id"],
                    "brand": r["brand"] or "",
                    "agent": r["assignee"] or "",
                    "date": r["local_date"],
                    "first response": common.duration(r["first_response_seconds"]),
                    "mood before": r["mood_before"],
                    "mood after": r["mood_after"],
                    "recovery": r["recovery_label"] or "",
                    "resolved by": r["resolved_by"] or "",
                    "customer messages": r["effort_customer_messages"],
                    "brand replies": r["effort_brand_replies"],
                    "came back in": r["repeat_contact_id"],
                    "first message": r["first_text"] or "",
                    "customer's last message": r["last_customer_text"] or "",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        column_config={
            "first message": st.column_config.TextColumn(width="large"),
            "customer's last message": st.column_config.TextColumn(width="large"),
        },
    )


def render(scope: common.Scope) -> None:
    """Draw the outcomes section for the sidebar scope (brand-local dates)."""
    path = common.db_path()
    window = {"since": scope.start, "until": scope.end, "brand": scope.brand}
    st.header(_("Outcomes"))
    st.caption(
        _(
            "From the conversations themselves, no survey: did the customer's mood recover "
            "after the reply, was the problem solved at the first reply, did they have to "
            "come back. Definitions: docs/metrics.md (Outcomes)."
        )
    )
    overall = _call(path, "outcome_report", by=None, **window)
    if not overall:
        st.info(_("No conversations needing a response in this period."))
        return
    _tiles(overall[0])
    period = "day" if scope.days <= 45 else "week"
    st.subheader(_("Over time (by day)") if period == "day" else _("Over time (by week)"))
    common.plotly_chart(
        _over_time(_call(path, "outcome_report", by=period, **window), period),
        key="outcome_trend",
    )
    key = st.radio(
        _("Break down by"),
        list(BREAKDOWNS),
        format_func=BREAKDOWNS.get,
        horizontal=True,
        key="outcome_by",
    )
    rows_by = _call(path, "outcome_report", by=key, **window)
    common.plotly_chart(_breakdown_chart(rows_by, key), key="outcome_breakdown")
    st.dataframe(
        _breakdown_table(rows_by, key),
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="percent")
            for c in (
                "left happier",
                "left unhappier",
                "silent after reply",
                "resolved",
                "solved at first reply",
                "came back",
            )
        }
        | {"customer messages to resolve": st.column_config.NumberColumn(format="%.1f")},
    )
    st.subheader(_("Do faster replies make happier customers here?"))
    st.caption(
        _(
            "Median mood recovery (mood after - mood before, -2..+2) of answered "
            "conversations where the customer wrote again, by first-response time. "
            "A correlation, not a cause."
        )
    )
    common.plotly_chart(
        _speed_chart(_call(path, "recovery_by_response_time", **window)), key="outcome_speed"
    )
    _drilldown(window, rows_by, key)
