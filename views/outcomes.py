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
from replywatch.views.i18n import N_, _, keep, labels, translated
from replywatch.views.safe_text import preview

BREAKDOWNS = {
    "brand": N_("Brand"),
    "channel": N_("Channel"),
    "agent": N_("Agent"),
    "platform": N_("Platform"),
}
#: Drill-down choices: label -> figure key of metrics.outcome_conversations.
FIGURES = {
    N_("Worsened"): "worsened",
    N_("Recovered"): "recovered",
    N_("Unchanged"): "unchanged",
    N_("Customer silent after the reply"): "silent",
    N_("Resolved at first contact"): "first_contact_resolved",
    N_("Resolved (any)"): "resolved",
    N_("Resolved by the customer's thank-you"): "resolved_by_customer",
    N_("Resolved by an agent closing it"): "resolved_by_close",
    N_("Not resolved"): "unresolved",
    N_("Customer came back (repeat contact)"): "repeat_contact",
}
# The four outcome series: (label, report column, line dash).
SERIES = (
    (N_("left happier"), "recovery_rate", None),
    (N_("left unhappier"), "worsened_share", "dot"),
    (N_("solved at first reply"), "first_contact_resolution_rate", "dash"),
    (N_("came back"), "repeat_contact_rate", "dashdot"),
)
# Breakdown table: header -> report column, shown as a percentage.
RATE_COLUMNS = (
    (N_("left happier"), "recovery_rate"),
    (N_("left unhappier"), "worsened_share"),
    (N_("silent after reply"), "silent_share"),
    (N_("resolved"), "resolution_rate"),
    (N_("solved at first reply"), "first_contact_resolution_rate"),
    (N_("came back"), "repeat_contact_rate"),
)


@st.cache_data(ttl=60, show_spinner=False)
def _call(path: str, name: str, **kwargs: Any) -> Any:
    return getattr(metrics, name)(common.conn(), **kwargs)


def _share(value: float | None) -> str:
    return common.percent(value)


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
    cols[4].metric(
        _("Median first response"),
        common.duration(row.get("first_response_median_s")),
        help=_(
            "The same figure as the Response times page (one definition: the median "
            "calendar first response of the period's answered conversations). Each page "
            "keeps its figures up to a minute, so during a live feed they can differ by "
            "the last minute's replies."
        ),
    )
    # The denominators, under each share: each rate is of a different group.
    spoke_again = sum(row.get(k) or 0 for k in ("recovered", "unchanged", "worsened"))
    of = _("of {count} conversations where the customer wrote again after the reply")
    cols[0].caption(of.format(count=common.number(spoke_again)))
    cols[1].caption(of.format(count=common.number(spoke_again)))
    cols[2].caption(
        _("of {count} resolved conversations").format(count=common.number(row.get("resolved") or 0))
    )
    cols[3].caption(
        _("of {count} conversations").format(count=common.number(row.get("conversations") or 0))
    )


def _over_time(rows: list[dict[str, Any]], key: str) -> go.Figure:
    figure = go.Figure()
    x = [common.day_text(r[key]) for r in rows]
    for name, column, dash in SERIES:
        figure.add_scatter(
            x=x,
            y=[r[column] for r in rows],
            mode="lines+markers",
            name=_(name),
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
    # Figures are formatted here (the session's locale), not by the grid, whose
    # number formats follow the browser and mixed decimal marks on one screen.
    return pd.DataFrame(
        [
            {
                _(BREAKDOWNS[key]): common.group_label(key, r[key]),
                _("conversations"): common.number(r["conversations"]),
                **{_(label): common.percent(r[column]) for label, column in RATE_COLUMNS},
                _("customer messages to resolve"): common.number(
                    r["mean_effort_customer_messages"], 1
                ),
                _("median first response"): common.duration(r["first_response_median_s"]),
            }
            for r in rows
        ]
    )


def _breakdown_chart(rows: list[dict[str, Any]], key: str) -> go.Figure:
    # Brand keys and agent names are typed by people: common.plotly_chart escapes them.
    names = [common.group_label(key, r[key]) for r in rows]
    figure = go.Figure()
    for name, column, _dash in SERIES:
        figure.add_bar(x=names, y=[r[column] for r in rows], name=_(name))
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
        x=common.bucket_names(buckets),
        y=[b["median_recovery"] for b in buckets],
        customdata=[[b["conversations"]] for b in buckets],
        hovertemplate=_("first response")
        + " %{x}<br>"
        + _("median recovery")
        + " %{y:+.2f}<br>%{customdata[0]} "
        + _("conversations")
        + "<extra></extra>",
        name=_("median mood recovery"),
    )
    figure.update_layout(
        height=300,
        margin={"t": 30, "b": 10},
        xaxis_title=_("first response time"),
        yaxis_title=_("median mood recovery"),
    )
    return figure


def _drilldown(window: dict[str, Any], rows_by: list[dict[str, Any]], key: str) -> None:
    st.subheader(_("Conversations behind a figure"))
    cols = st.columns([3, 3, 4])
    label = cols[0].selectbox(
        _("Figure"), list(FIGURES), format_func=labels(translated(FIGURES)), key="outcome_figure"
    )
    groups = [ALL] + [None if r[key] is None else str(r[key]) for r in rows_by]
    shown = {g: _("all") if g == ALL else common.group_label(key, g) for g in groups}
    group = cols[1].selectbox(
        _(BREAKDOWNS[key]), groups, format_func=labels(shown), key="outcome_group"
    )
    kwargs = dict(window)
    if group is not None and group != ALL:
        kwargs["agent" if key == "agent" else key] = group
    rows = _call(
        common.db_path(), "outcome_conversations", figure=FIGURES[label], limit=200, **kwargs
    )
    if group is None:
        rows = [r for r in rows if r["assignee" if key == "agent" else key] is None]
    if not rows:
        st.info(_("No conversations behind this figure in the period."))
        return
    st.dataframe(
        pd.DataFrame([_drill_row(r) for r in rows]),
        hide_index=True,
        column_config={
            _("first message"): st.column_config.TextColumn(width="large"),
            _("customer's last message"): st.column_config.TextColumn(width="large"),
        },
    )


ALL = "\0all"  # the drill-down's "every group" choice (no group is named so)


def _drill_row(r: dict[str, Any]) -> dict[str, Any]:
    """One conversation of the drill-down, headers and values in the session's
    language (customer text as written)."""
    return {
        _("conversation"): r["id"],
        _("brand"): common.brand_name(r["brand"]),
        _("agent"): r["assignee"] or "",
        _("date"): common.day_text(r["local_date"]),
        _("first response"): common.duration(r["first_response_seconds"]),
        _("mood before"): common.number(r["mood_before"], 2, signed=True),
        _("mood after"): common.number(r["mood_after"], 2, signed=True),
        _("recovery"): _(r["recovery_label"]) if r["recovery_label"] else "—",
        _("resolved by"): _(r["resolved_by"]) if r["resolved_by"] else "—",
        _("customer messages"): r["effort_customer_messages"],
        _("brand replies"): r["effort_brand_replies"],
        _("came back in"): r["repeat_contact_id"],
        _("first message"): preview(r["first_text"]),
        _("customer's last message"): preview(r["last_customer_text"]),
    }


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
        format_func=labels({k: _(v) for k, v in BREAKDOWNS.items()}),
        horizontal=True,
        key=keep("outcome_by"),
    )
    rows_by = _call(path, "outcome_report", by=key, **window)
    common.plotly_chart(_breakdown_chart(rows_by, key), key="outcome_breakdown")
    st.dataframe(
        _breakdown_table(rows_by, key),
        hide_index=True,
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
