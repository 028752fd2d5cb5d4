"""Response times: KPI tiles, trend, distribution, hour-of-week heatmap and
breakdowns, in calendar or business time. Numbers come from ``metrics``."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from replywatch import i18n, metrics
from replywatch.views import _common as common
from replywatch.views import _reports as reports
from replywatch.views.i18n import N_, _, current_language, keep, labels, number, percent
from replywatch.views.safe_text import escape_markdown

NO_REPLIES = N_("no replies in the last 7 days")
BREAKDOWNS = {
    "brand": N_("Brand"),
    "platform": N_("Platform"),
    "channel": N_("Channel"),
    "agent": N_("Agent"),
}


@st.cache_data(ttl=60, show_spinner=False)
def _call(path: str, name: str, **kwargs: Any) -> Any:
    return getattr(metrics, name)(common.conn(), **kwargs)


def _minutes(seconds: float | None) -> str:
    return common.duration(seconds)


def _share(value: float | None) -> str:
    return "—" if value is None else percent(value)


def _tiles(kpis: dict[str, Any], badge: dict[str, Any] | None) -> None:
    # Two rows of three: six tiles in one row cut labels and values at 1440 px
    # ("Mediana da primeira re...", "1 h 59 ...").
    cols = [*st.columns(3), *st.columns(3)]
    cols[0].metric(_("Median first response"), _minutes(kpis.get("first_response_median_s")))
    cols[1].metric(_("p90 first response"), _minutes(kpis.get("first_response_p90_s")))
    cols[2].metric(_("Response rate"), _share(kpis.get("response_rate")))
    cols[3].metric(_("Within SLA"), _share(kpis.get("within_sla")))
    waiting = kpis.get("waiting", kpis.get("open"))
    resolved = kpis.get("probably_resolved")
    cols[4].metric(
        _("Waiting now"),
        "—" if waiting is None else number(waiting),
        help=_(
            "Customers waiting for a reply. Conversations whose customer's latest word "
            "is a thank-you or 'solved' after a reply are not waiting: they are counted "
            "apart as probably resolved."
        ),
    )
    if resolved:
        # Escaped: a caption starting with "+ " would render as a Markdown bullet.
        cols[4].caption(
            escape_markdown(_("+ {count} probably resolved").format(count=number(resolved)))
        )
    if badge:
        typical = badge.get("typical_response_s", badge.get("typical_seconds"))
        cols[5].metric(
            _("Public badge (7 days)"),
            _share(badge.get("response_rate")),
            help=_(
                "Share of last week's conversations answered, and the typical "
                "(median) first response customers saw."
            ),
        )
        label = str(badge.get("label") or NO_REPLIES)
        cols[5].caption(_(label) + (f" ({_minutes(typical)})" if typical is not None else ""))


#: Columns of the Messenger badge table (machine names; shown translated).
BADGE_COLUMNS = (
    N_("page"),
    N_("badge"),
    N_("response rate"),
    N_("response time"),
    N_("new messages"),
    N_("answered"),
    N_("pending (< 24 h)"),
    N_("spam excluded"),
    N_("how far"),
)


def _badge_distance(page: dict[str, Any]) -> str:
    """How far a page is from earning the badge, or how much room it has."""
    margin = page["time_margin_s"]
    if page["has_badge"]:
        return _(
            "keeps it through {misses} more unanswered new message(s); "
            "{headroom} of response-time headroom"
        ).format(misses=page["misses_allowed"], headroom=_minutes(margin))
    needs = []
    if not page["rate_ok"]:
        needs.append(
            _("answer the next {count} new message(s)").format(count=page["answers_needed"])
        )
    if margin is None:
        needs.append(_("answer a new message"))
    elif not page["time_ok"]:
        needs.append(_("average {faster} faster").format(faster=_minutes(-margin)))
    return _("needs to: {steps}").format(steps="; ".join(needs))


def _messenger_badges(pages: list[dict[str, Any]]) -> None:
    """Facebook's own "Very responsive to messages" rule, per page, beside
    the 7-day public badge: whether each page has it and how far it is."""
    if not pages:
        return
    # Named as the rule it is, not as a claim: the table says whether each page has it.
    st.subheader(_('Facebook\'s "Very responsive to messages" badge: who has it'))
    st.caption(
        _(
            "Facebook's rule over the last 7 days of Messenger: response rate of at least "
            "90% and response time of at most 15 min (average of the fastest 90% of first "
            "responses; a message counts when it is the first after 24 h of silence; spam "
            "excluded). Away status cannot be seen here: docs/metrics.md."
        )
    )
    rows = [
        {
            "page": common.brand_name(page["brand"]),
            "badge": _("yes") if page["has_badge"] else _("no"),
            "response rate": _share(page["response_rate"]),
            "response time": _minutes(page["response_time_s"]),
            "new messages": page["counted"],
            "answered": page["answered"],
            "pending (< 24 h)": page["pending"],
            "spam excluded": page["spam_excluded"],
            "how far": _badge_distance(page),
        }
        for page in pages
    ]
    frame = pd.DataFrame(rows)
    st.dataframe(
        frame,
        hide_index=True,
        column_config={c: st.column_config.Column(_(c)) for c in frame.columns},
    )


def _trend(rows: list[dict[str, Any]], prefix: str) -> go.Figure | None:
    frame = pd.DataFrame(rows)
    key = next((k for k in ("day", "week", "month") if k in frame.columns), None)
    if frame.empty or key is None:
        return None
    figure = go.Figure()
    for column, name in ((f"{prefix}_median_s", _("median")), (f"{prefix}_p90_s", _("p90"))):
        if column in frame.columns:
            figure.add_scatter(
                x=frame[key].astype(str), y=frame[column] / 60, name=name, mode="lines+markers"
            )
    if "conversations" in frame.columns:
        figure.add_bar(
            x=frame[key].astype(str),
            y=frame["conversations"],
            name=_("conversations"),
            yaxis="y2",
            opacity=0.25,
        )
    figure.update_layout(
        height=320,
        margin={"t": 30, "b": 10},
        yaxis_title=_("minutes"),
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "title": _("conversations"),
            # Counts: whole-number ticks of their own, not ticks synced to the
            # minutes axis ("54,2 44 33,9", issue 23 point 6).
            "tickmode": "auto",
            "tickformat": ",d",
            "rangemode": "tozero",
        },
        separators=i18n.plotly_separators(current_language()),
        legend={"orientation": "h", "y": 1.15},
    )
    if current_language() != "en":
        figure.update_xaxes(tickformat="%d/%m")  # day first, not "Nov 30"
    return figure


def _distribution(rows: Any) -> go.Figure | None:
    frame = pd.DataFrame(rows if isinstance(rows, list) else [])
    if frame.empty or not {"bucket", "count"} <= set(frame.columns):
        return None
    figure = go.Figure(
        go.Bar(
            x=common.bucket_names(frame.to_dict("records")),
            y=frame["count"],
            customdata=frame["share"] if "share" in frame.columns else None,
            hovertemplate="%{x}: %{y} "
            + _("conversations")
            + (" (%{customdata:.0%})" if "share" in frame.columns else "")
            + "<extra></extra>",
        )
    )
    figure.update_layout(
        height=320,
        margin={"t": 20, "b": 10},
        xaxis_title=_("first response time"),
        yaxis_title=_("answered conversations"),
        separators=i18n.plotly_separators(current_language()),
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
        if metric in frame.columns and frame[metric].notna().any()
        else None
    )
    # The hover's median as the page writes durations ("1 h 5 min"), not "65 min".
    shown = (
        [[common.duration(None if pd.isna(v) else v) for v in row] for row in response.values]
        if response is not None
        else None
    )
    figure = go.Figure(
        go.Heatmap(
            z=volume.values,
            x=list(range(24)),
            y=i18n.weekday_names(current_language()),
            colorscale="Blues",
            customdata=shown,
            hovertemplate="%{y} %{x}:00<br>"
            + _("conversations")
            + ": %{z}"
            + ("<br>" + _("median first response") + ": %{customdata}" if shown else "")
            + "<extra></extra>",
            colorbar={"title": _("volume")},
        )
    )
    figure.update_layout(
        height=320,
        margin={"t": 20, "b": 10},
        xaxis_title=_("hour"),
        yaxis_autorange="reversed",
        separators=i18n.plotly_separators(current_language()),
    )
    return figure


st.title(_("Response times"))
if not common.has_data():
    common.empty_state()
    st.stop()

scope = common.scope()
path = common.db_path()
now = int(time.time()) // 60 * 60  # to the minute, so the cache can help
business = st.toggle(
    _("Business hours"),
    key="rt_business",
    help=_("Count only each brand's business hours (holidays excluded)."),
)
prefix = "business_first_response" if business else "first_response"
# Dates, not instants: metrics counts a conversation on the brand-local date
# of its first customer message (each brand's own calendar).
window = {"since": scope.start, "until": scope.end, "brand": scope.brand}
st.caption(
    (
        _(
            "Conversations whose first customer message falls between {start} and {end} "
            "(each brand's local date); business time. Definitions: docs/metrics.md."
        )
        if business
        else _(
            "Conversations whose first customer message falls between {start} and {end} "
            "(each brand's local date); calendar time. Definitions: docs/metrics.md."
        )
    ).format(start=common.day(scope.start), end=common.day(scope.end))
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
_messenger_badges(_call(path, "very_responsive", brand=scope.brand, now=now))

st.subheader(_("Trend"))
trend = _trend(
    _call(path, "response_time_report", by="day", business_hours=business, **window), prefix
)
if trend is None:
    st.info(_("No conversations in this period."))
else:
    common.plotly_chart(trend, key="rt_trend")

left, right = st.columns(2)
with left:
    st.subheader(_("Distribution"))
    figure = _distribution(_call(path, "frt_distribution", business_hours=business, **window))
    if figure is not None:
        common.plotly_chart(figure, key="rt_distribution")
with right:
    st.subheader(_("Volume by hour of week"))
    figure = _heatmap(_call(path, "hour_of_week", **window), prefix)
    if figure is not None:
        common.plotly_chart(figure, key="rt_heatmap")

st.subheader(_("Breakdown"))
by = (
    st.segmented_control(
        _("By"),
        list(BREAKDOWNS),
        format_func=labels({k: _(v) for k, v in BREAKDOWNS.items()}),
        key=keep("rt_by"),
        default="brand",
    )
    or "brand"
)
rows = _call(path, "response_time_report", by=by, business_hours=business, **window)
table = reports.report_table(rows, by, business=business)
if table.empty:
    st.info(_("No conversations in this period."))
else:
    shown = reports.display_table(table, by, common.report_formats())
    st.dataframe(shown, hide_index=True, column_config=reports.column_config(shown, _))
    if by == "agent":
        # Why an agent who marked a conversation replied can read "0 answered".
        st.caption(
            _(
                "Answered means a brand reply the collectors stored (docs/metrics.md). A "
                "conversation marked replied in Triage counts as answered, with its time, "
                "once its reply is collected; until then it shows as not answered."
            )
        )
