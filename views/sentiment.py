"""Sentiment: volume and sentiment over time, share negative, urgent count,
language split, complaint terms, drill-down to the messages behind a point,
and the outcomes section (``views.outcomes``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from replywatch import i18n
from replywatch.metrics import trends
from replywatch.sentiment import reasons as reason_codes
from replywatch.views import _common as common
from replywatch.views import outcomes
from replywatch.views.i18n import (
    N_,
    _,
    current_language,
    keep,
    labels,
    number,
    percent,
    reason_text,
    translated,
)
from replywatch.views.safe_text import preview

LABEL_COLOURS = {
    "negative": "#d62728",
    "neutral": "#9e9e9e",
    "positive": "#2ca02c",
    "unscored": "#dddddd",
}


@st.cache_data(ttl=60, show_spinner=False)
def _hourly(path: str, since: int, until: int, brand: str | None) -> list[dict]:
    return trends.sentiment_by_hour(common.conn(), since=since, until=until, brand=brand)


@st.cache_data(ttl=60, show_spinner=False)
def _totals(path: str, since: int, until: int, brand: str | None) -> dict:
    return trends.sentiment_totals(common.conn(), since=since, until=until, brand=brand)


@st.cache_data(ttl=60, show_spinner=False)
def _languages(path: str, since: int, until: int, brand: str | None) -> list[dict]:
    return trends.language_split(common.conn(), since=since, until=until, brand=brand)


@st.cache_data(ttl=300, show_spinner=False)
def _terms(path: str, since: int, until: int, brand: str | None, language: str) -> dict:
    return trends.complaint_terms(
        common.conn(), since=since, until=until, brand=brand, language=language, top=15
    )


@st.cache_data(ttl=30, show_spinner=False)
def _messages(
    path: str, since: int, until: int, brand: str | None, label: str | None
) -> list[dict]:
    return trends.messages_between(
        common.conn(), since=since, until=until, brand=brand, label=label, limit=200
    )


def _daily(scope: common.Scope) -> pd.DataFrame:
    """Hourly SQL buckets re-bucketed to days in the chosen time zone, with
    empty days filled in."""
    hourly = pd.DataFrame(_hourly(common.db_path(), scope.since, scope.until, scope.brand))
    days = pd.Index([scope.start + timedelta(days=i) for i in range(scope.days)], name="day")
    columns = [
        "messages",
        "positive",
        "neutral",
        "negative",
        "unscored",
        "urgent",
        "compound_sum",
        "scored",
    ]
    if hourly.empty:
        return pd.DataFrame(0, index=days, columns=columns)
    hourly["day"] = (
        pd.to_datetime(hourly["hour"], unit="s", utc=True).dt.tz_convert(scope.timezone).dt.date
    )
    daily = hourly.groupby("day")[columns].sum().reindex(days, fill_value=0)
    return daily


def _day_bounds(day: date, scope: common.Scope) -> tuple[int, int]:
    start = datetime.combine(day, datetime.min.time(), scope.tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), scope.tz)
    return int(start.timestamp()), int(end.timestamp())


def _volume_chart(daily: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for label in ("negative", "neutral", "positive", "unscored"):
        figure.add_bar(
            x=[d.isoformat() for d in daily.index],
            y=daily[label],
            name=_(label),
            marker_color=LABEL_COLOURS[label],
            customdata=[[d.isoformat(), label] for d in daily.index],
            hovertemplate="%{x}<br>" + _(label) + ": %{y}<extra></extra>",
        )
    figure.update_layout(
        barmode="stack",
        height=340,
        margin={"t": 30, "b": 10},
        legend={"orientation": "h", "y": 1.12},
        xaxis_title=None,
        yaxis_title=_("customer messages"),
        clickmode="event+select",
        **_axis_locale(),
    )
    return figure


def _average_chart(daily: pd.DataFrame) -> go.Figure:
    average = daily["compound_sum"] / daily["scored"].where(daily["scored"] > 0)
    negative_share = daily["negative"] / daily["scored"].where(daily["scored"] > 0)
    figure = go.Figure()
    figure.add_scatter(
        x=[d.isoformat() for d in daily.index],
        y=average,
        mode="lines+markers",
        name=_("average sentiment (-1 to +1)"),
        connectgaps=False,
        customdata=[[d.isoformat(), None] for d in daily.index],
    )
    figure.add_scatter(
        x=[d.isoformat() for d in daily.index],
        y=negative_share,
        mode="lines",
        name=_("share negative"),
        line={"dash": "dot"},
        customdata=[[d.isoformat(), "negative"] for d in daily.index],
    )
    figure.update_layout(
        height=300,
        margin={"t": 30, "b": 10},
        yaxis_range=[-1, 1],
        legend={"orientation": "h", "y": 1.15},
        **_axis_locale(),
    )
    return figure


@st.cache_data(ttl=60, show_spinner=False)
def _reasons(path: str, since: int, until: int, brand: str | None, zone: str) -> list[dict]:
    return trends.complaint_reasons_by_day(
        common.conn(), since=since, until=until, tz=ZoneInfo(zone), brand=brand
    )


REASONS_SHOWN = 6  # the most frequent reasons get a colour; the rest are "other"


def _reasons_chart(scope: common.Scope) -> go.Figure | None:
    """Stacked bars: per local day, the complaints giving each of the most
    frequent reasons (in the session's language), the rest as "other"."""
    rows = _reasons(common.db_path(), scope.since, scope.until, scope.brand, str(scope.tz))
    frame = pd.DataFrame(rows, columns=["day", "reason", "messages"]).astype({"messages": int})
    if frame.empty:
        return None
    top = list(frame.groupby("reason")["messages"].sum().nlargest(REASONS_SHOWN).index)
    frame["reason"] = frame["reason"].where(frame["reason"].isin(top), "other")
    days = sorted(frame["day"].unique())
    figure = go.Figure()
    for reason in [*top, "other"]:
        part = frame[frame["reason"] == reason].groupby("day")["messages"].sum()
        if part.empty:
            continue
        name = _("other") if reason == "other" else reason_codes.text(reason, current_language())
        figure.add_bar(
            x=[common.day(d) for d in days], y=[int(part.get(d, 0)) for d in days], name=name
        )
    figure.update_layout(
        barmode="stack",
        height=320,
        margin={"t": 30, "b": 10},
        yaxis_title=_("complaints"),
        legend={"orientation": "h", "y": 1.2},
    )
    return figure


def _axis_locale() -> dict:
    """Plotly layout settings for the session's locale: decimal and thousands
    separators, and day/month dates on the time axis outside English."""
    language = current_language()
    separators = number(1.5, 1)[1] + number(1000)[1]
    if language == "en":
        return {"separators": separators}
    return {"separators": separators, "xaxis_tickformat": "%d/%m"}


def _picked(event) -> tuple[str | None, str | None]:
    """(day, label) of the first point selected in a chart event."""
    try:
        points = event.selection.points
    except AttributeError:
        return None, None
    for point in points or []:
        custom = point.get("customdata")
        if custom:
            return custom[0], custom[1] if len(custom) > 1 else None
    return None, None


def _drilldown(
    scope: common.Scope, daily: pd.DataFrame, picked: tuple[str | None, str | None]
) -> None:
    st.subheader(_("Messages behind a point"))
    st.caption(_("Click a bar or point above, or pick a day here."))
    day_choices = [d for d in daily.index if daily.loc[d, "messages"] > 0] or list(daily.index)
    # A chart selection persists across reruns: apply it only when it changes,
    # so the day and sentiment pickers stay usable afterwards.
    if picked[0] and st.session_state.get("sent_last_pick") != picked:
        st.session_state["sent_day"] = date.fromisoformat(picked[0])
        st.session_state["sent_label"] = picked[1] or "all"
    st.session_state["sent_last_pick"] = picked
    current = st.session_state.get("sent_day")
    if not isinstance(current, date) or not scope.start <= current <= scope.end:
        st.session_state["sent_day"] = day_choices[-1]
    cols = st.columns([2, 2, 6])
    day = cols[0].date_input(
        _("Day"),
        key="sent_day",
        min_value=scope.start,
        max_value=scope.end,
        format="YYYY/MM/DD" if current_language() == "en" else "DD/MM/YYYY",
    )
    label = cols[1].selectbox(
        _("Sentiment"),
        ["all", "negative", "neutral", "positive", "unscored"],
        key=keep("sent_label"),
        format_func=labels(
            {**translated(["negative", "neutral", "positive", "unscored"]), "all": _("all")}
        ),
    )
    since, until = _day_bounds(day, scope)
    rows = _messages(common.db_path(), since, until, scope.brand, None if label == "all" else label)
    if not rows:
        st.info(_("No customer messages on that day with that sentiment."))
        return
    frame = _drill_frame(rows, scope.tz)
    st.dataframe(
        frame,
        hide_index=True,
        column_config={
            **{c: st.column_config.Column(_(c)) for c in frame.columns},
            "text": st.column_config.TextColumn(_("text"), width="large"),
        },
    )
    common.csv_download(frame, f"messages-{day.isoformat()}.csv", key="sent_drill_csv")


def _drill_frame(rows: list[dict], tz) -> pd.DataFrame:
    """The drill-down's table: one row per customer message, text previewed."""
    return pd.DataFrame(
        [
            {
                "at": common.when(r["created_ts"], tz),
                "author": r["author"] or "",
                "text": preview(r["text"]),
                "language": r["language"] or "",
                "sentiment": _(r["label"]) if r["label"] else "",
                "compound": r["compound"],
                "urgency": r["urgency"],
                "reasons": reason_text(r["reason_codes"], r["reasons"], r["language"]),
                "conversation": r["conversation_id"],
            }
            for r in rows
        ]
    )


# Headers of the drill-down and terms tables (machine names in the frames).
HEADERS = (
    N_("at"),
    N_("author"),
    N_("text"),
    N_("language"),
    N_("sentiment"),
    N_("compound"),
    N_("urgency"),
    N_("reasons"),
    N_("conversation"),
    N_("term"),
    N_("messages"),
)


st.title(_("Sentiment"))
if not common.has_data():
    common.empty_state()
    st.stop()
scope = common.scope()
path = common.db_path()
view = st.radio(
    _("View"),
    ["mood", "outcomes"],
    format_func={"mood": _("Customer mood"), "outcomes": _("Outcomes")}.get,
    horizontal=True,
    key=keep("sent_view"),
    help=_(
        "Outcomes: mood recovery, first-contact resolution and repeat contact per "
        "conversation, next to response time."
    ),
)
if view == "outcomes":
    outcomes.render(scope)
    st.stop()
totals = _totals(path, scope.since, scope.until, scope.brand)
st.caption(
    _("Customer messages from {start} to {end} ({zone}).").format(
        start=common.day(scope.start), end=common.day(scope.end), zone=scope.timezone
    )
)
if not totals["messages"]:
    common.empty_state(
        N_(
            "No customer messages in this period: widen the period in the sidebar, "
            "or run `replywatch collect` / `replywatch demo`."
        )
    )
    st.stop()

tiles = st.columns(4)
tiles[0].metric(_("Customer messages"), number(totals["messages"]))
tiles[1].metric(
    _("Share negative"),
    "—" if totals["negative_share"] is None else percent(totals["negative_share"]),
    help=_("negative / scored messages"),
)
tiles[2].metric(_("Urgent"), number(totals["urgent"]))
tiles[3].metric(
    _("Average sentiment"),
    "—"
    if totals["average_compound"] is None
    else number(totals["average_compound"], 2, signed=True),
    help=_("average of the messages' sentiment scores, from -1 (negative) to +1 (positive)"),
)
if totals["scored"] < totals["messages"]:
    st.caption(
        _("{count} message(s) not scored yet (run the scorer).").format(
            count=number(totals["messages"] - totals["scored"])
        )
    )

daily = _daily(scope)
st.subheader(_("Volume by sentiment"))
volume_event = common.plotly_chart(
    _volume_chart(daily), key="sent_volume", on_select="rerun", selection_mode="points"
)
st.subheader(_("Average sentiment and share negative"))
average_event = common.plotly_chart(
    _average_chart(daily), key="sent_average", on_select="rerun", selection_mode="points"
)

st.subheader(_("Complaint reasons over time"))
reasons_figure = _reasons_chart(scope)
if reasons_figure is None:
    st.caption(_("No complaints in this period."))
else:
    common.plotly_chart(reasons_figure, key="sent_reasons")
left, right = st.columns([1, 2])
with left:
    st.subheader(_("Languages"))
    languages = pd.DataFrame(_languages(path, scope.since, scope.until, scope.brand))
    if len(languages) == 1:
        # One language only: a full donut says nothing a sentence does not.
        st.caption(
            _("Every customer message of the period is in {language}.").format(
                language=i18n.language_name(languages["language"][0], current_language())
            )
        )
    elif not languages.empty:
        pie = go.Figure(
            go.Pie(
                labels=[i18n.language_name(c, current_language()) for c in languages["language"]],
                values=languages["messages"],
                hole=0.45,
                textinfo="label+percent",
            )
        )
        pie.update_layout(height=300, margin={"t": 10, "b": 10}, showlegend=False, **_axis_locale())
        common.plotly_chart(pie, key="sent_languages")
with right, st.expander(_("Words in complaints"), expanded=False):
    for language, name in [("en", N_("English")), ("pt", N_("Portuguese"))]:
        found = _terms(path, scope.since, scope.until, scope.brand, language)
        if not found["sampled"]:
            continue  # no panel for a language without complaints
        st.markdown(
            f"**{_(name)}** · " + _("{count} complaint(s)").format(count=number(found["sampled"]))
        )
        if found["terms"]:
            st.dataframe(
                pd.DataFrame(found["terms"])[["term", "messages"]],
                hide_index=True,
                height=300,
                column_config={c: st.column_config.Column(_(c)) for c in ("term", "messages")},
            )

picked = _picked(volume_event)
if picked[0] is None:
    picked = _picked(average_event)
_drilldown(scope, daily, picked)
