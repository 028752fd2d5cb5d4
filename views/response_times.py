"""Response times: KPI tiles, trend, distribution, hour-of-week heatmap and
breakdowns, in calendar or business time. Numbers come from ``metrics``."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from replywatch import metrics
from replywatch.views import _common as common
from replywatch.views import _reports as reports

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
BREAKDOWNS = {"brand": "Brand", "platform": "Platform", "channel": "Channel", "agent": "Agent"}


@st.cache_data(ttl=60, show_spinner=False)
def _call(path: str, name: str, **kwargs: Any) -> Any:
    return getattr(metrics, name)(common.conn(), **kwargs)


def _minutes(seconds: float | None) -> str:
    return common.duration(seconds)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _tiles(kpis: dict[str, Any], badge: dict[str, Any] | None) -> None:
    cols = st.columns(6)
    cols[0].metric("Median first response", _minutes(kpis.get("first_response_median_s")))
    cols[1].metric("p90 first response", _minutes(kpis.get("first_response_p90_s")))
    cols[2].metric("Response rate", _share(kpis.get("response_rate")))
    cols[3].metric("Within SLA", _share(kpis.get("within_sla")))
    waiting = kpis.get("waiting", kpis.get("open"))
    resolved = kpis.get("probably_resolved")
    cols[4].metric(
        "Waiting now",
        "—" if waiting is None else f"{waiting:,}",
        help="Customers waiting for a reply. Conversations whose customer's latest word "
        "is a thank-you or 'solved' after a reply are not waiting: they are counted "
        "apart as probably resolved.",
    )
    if resolved:
        cols[4].caption(f"+ {resolved:,} probably resolved")
    if badge:
        typical = badge.get("typical_response_s", badge.get("typical_seconds"))
        cols[5].metric(
            "Public badge (7 days)",
            _share(badge.get("response_rate")),
            help="Share of last week's conversations answered, and the typical "
            "(median) first response customers saw.",
        )
        cols[5].caption(
            str(badge.get("label") or "no replies in the last 7 days")
            + (f" ({_minutes(typical)})" if typical is not None else "")
        )


def _trend(rows: list[dict[str, Any]], prefix: str) -> go.Figure | None:
    frame = pd.DataFrame(rows)
    key = next((k for k in ("day", "week", "month") if k in frame.columns), None)
    if frame.empty or key is None:
        return None
    figure = go.Figure()
    for column, name in ((f"{prefix}_median_s", "median"), (f"{prefix}_p90_s", "p90")):
        if column in frame.columns:
            figure.add_scatter(
                x=frame[key].astype(str), y=frame[column] / 60, name=name, mode="lines+markers"
            )
    if "conversations" in frame.columns:
        figure.add_bar(
            x=frame[key].astype(str),
            y=frame["conversations"],
            name="conversations",
            yaxis="y2",
            opacity=0.25,
        )
    figure.update_layout(
        height=320,
        margin={"t": 30, "b": 10},
        yaxis_title="minutes",
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": "conversations"},
        legend={"orientation": "h", "y": 1.15},
    )
    return figure


def _distribution(rows: Any) -> go.Figure | None:
    frame = pd.DataFrame(rows if isinstance(rows, list) else [])
    if frame.empty or not {"bucket", "count"} <= set(frame.columns):
        return None
    figure = go.Figure(
        go.Bar(
            x=frame["bucket"].astype(str),
            y=frame["count"],
            customdata=frame["share"] if "share" in frame.columns else None,
            hovertemplate="%{x}: %{y} conversations"
            + (" (%{customdata:.0%})" if "share" in frame.columns else "")
            + "<extra></extra>",
        )
    )
    figure.update_layout(
        height=320,
        margin={"t": 20, "b": 10},
        xaxis_title="first response time",
        yaxis_title="answered conversations",
    )
    return figure


def _heatmap(rows: list[dict[str, Any]], prefix: str) -> go.Figure | None:
    frame = pd.DataFrame(rows)
    if frame.empty or not {"hour_of_week", "conversations"} <= set(frame.columns):
        return None
    frame["day_index"] = frame["hour_of_week"] // 24
    frame["hour_index"] = frame["hour_of_week"] % 24
    volume = frame.pivot_table(
        index="day_index", columns="hour_index", values="conversations", aggfunc="sum"
    ).reindex(index=range(7), columns=range(24))
    metric = f"{prefix}_median_s"
    response = (
        frame.pivot_table(
            index="day_index", columns="hour_index", values=metric, aggfunc="mean", dropna=False
        )
        .reindex(index=range(7), columns=range(24))
        .astype(float)
        / 60
        if metric in frame.columns and frame[metric].notna().any()
        else None
    )
    figure = go.Figure(
        go.Heatmap(
            z=volume.values,
            x=list(range(24)),
            y=WEEKDAYS,
            colorscale="Blues",
            customdata=response.values if response is not None else None,
            hovertemplate="%{y} %{x}:00<br>conversations: %{z}"
            + ("<br>median first response: %{customdata:.0f} min" if response is not None else "")
            + "<extra></extra>",
            colorbar={"title": "volume"},
        )
    )
    figure.update_layout(
        height=320, margin={"t": 20, "b": 10}, xaxis_title="hour", yaxis_autorange="reversed"
    )
    return figure


st.title("Response times")
if not common.has_data():
    common.empty_state()
    st.stop()

scope = common.scope()
path = common.db_path()
now = int(time.time()) // 60 * 60  # to the minute, so the cache can help
business = st.toggle(
    "Business hours",
    key="rt_business",
    help="Count only each brand's business hours (holidays excluded).",
)
prefix = "business_first_response" if business else "first_response"
# Dates, not instants: metrics counts a conversation on the brand-local date
# of its first customer message (each brand's own calendar).
window = {"since": scope.start, "until": scope.end, "brand": scope.brand}
st.caption(
    f"Conversations whose first customer message falls between {scope.start} and "
    f"{scope.end} (each brand's local date); "
    f"{'business' if business else 'calendar'} time. Definitions: docs/metrics.md."
)

kpis = _call(path, "kpis", **window, platform=None, now=now)
badge = _call(path, "public_badge", brand=scope.brand, now=now)
if business:  # the tiles follow the toggle where metrics provides both
    kpis = {
        **kpis,
        **{
            k.replace("business_", "", 1): v
            for k, v in kpis.items()
            if k.startswith("business_first_response")
        },
    }
_tiles(kpis, badge)

st.subheader("Trend")
trend = _trend(
    _call(path, "response_time_report", by="day", business_hours=business, **window), prefix
)
if trend is None:
    st.info("No conversations in this period.")
else:
    st.plotly_chart(trend, key="rt_trend")

left, right = st.columns(2)
with left:
    st.subheader("Distribution")
    figure = _distribution(_call(path, "frt_distribution", business_hours=business, **window))
    if figure is not None:
        st.plotly_chart(figure, key="rt_distribution")
with right:
    st.subheader("Volume by hour of week")
    figure = _heatmap(_call(path, "hour_of_week", **window), prefix)
    if figure is not None:
        st.plotly_chart(figure, key="rt_heatmap")

st.subheader("Breakdown")
by = (
    st.segmented_control(
        "By", list(BREAKDOWNS), format_func=BREAKDOWNS.get, key="rt_by", default="brand"
    )
    or "brand"
)
rows = _call(path, "response_time_report", by=by, business_hours=business, **window)
table = reports.report_table(rows, by, business=business)
if table.empty:
    st.info("No conversations in this period.")
else:
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(format="percent")
            for c in reports.PERCENT_COLUMNS
            if c in table.columns
        },
    )
