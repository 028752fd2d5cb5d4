"""Benchmarks & export: brand-vs-brand response times with a period
comparison, and download buttons for every export the CLI offers (the same
``metrics`` functions the CLI calls)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from replywatch import metrics
from replywatch.views import _common as common
from replywatch.views import _reports as reports
from replywatch.views.i18n import N_, _, current_language, keep, labels, translated

GROUPS = {
    "brand": N_("Brand"),
    "platform": N_("Platform"),
    "channel": N_("Channel"),
    "agent": N_("Agent"),
}


@st.cache_data(ttl=60, show_spinner=False)
def _report(path: str, **kwargs: Any) -> list[dict[str, Any]]:
    return metrics.response_time_report(common.conn(), **kwargs)


def _table(current: list[dict], previous: list[dict], key: str, business: bool) -> pd.DataFrame:
    frame = reports.report_table(current, key, business=business)
    before = reports.report_table(previous, key, business=business)
    if frame.empty or before.empty:
        return frame
    before = before[[key, "median (min)", "response rate"]].rename(
        columns={
            "median (min)": "median (min) (previous)",
            "response rate": "response rate (previous)",
        }
    )
    frame = frame.merge(before, on=key, how="left")
    frame["median (min) change"] = (frame["median (min)"] - frame["median (min) (previous)"]).round(
        1
    )
    frame["response rate change"] = frame["response rate"] - frame["response rate (previous)"]
    return frame


st.title(_("Benchmarks & export"))
if not common.has_data():
    common.empty_state()
    st.stop()

scope = common.scope()
path = common.db_path()
cols = st.columns([2, 2, 3])
group = cols[0].selectbox(
    _("Compare"),
    list(GROUPS),
    format_func=labels({k: _(v) for k, v in GROUPS.items()}),
    key=keep("bm_group"),
)
business = cols[1].toggle(_("Business hours"), key="bm_business")
compare = cols[2].toggle(_("Compare with the previous period"), value=True, key="bm_compare")
window = {
    "by": group,
    "business_hours": business,
    "brand": scope.brand if group != "brand" else None,
}
# Brand-local dates, both ends inclusive (see metrics.reports).
current = _report(path, since=scope.start, until=scope.end, **window)
previous_end = scope.start - timedelta(days=1)
previous_start = previous_end - timedelta(days=scope.days - 1)
previous = _report(path, since=previous_start, until=previous_end, **window) if compare else []
st.caption(
    _("{start} to {end} (each brand's local dates)").format(
        start=common.day(scope.start), end=common.day(scope.end)
    )
    + (
        _(", against {start} to {end}").format(
            start=common.day(previous_start), end=common.day(previous_end)
        )
        if compare
        else ""
    )
    + _(". Click a column header to sort.")
)
table = _table(current, previous, group, business)
if compare and current and not previous:
    # Said, not left to an absent column: the earlier period holds no data.
    st.info(
        _("No conversations from {start} to {end}: nothing to compare with.").format(
            start=common.day(previous_start), end=common.day(previous_end)
        )
    )
if table.empty:
    st.info(_("No conversations in this period."))
else:
    sort_by = st.selectbox(
        _("Sort by"),
        [c for c in table.columns if c != group],
        format_func=labels(translated(table.columns)),
        index=list(table.columns).index("conversations") - 1
        if "conversations" in table.columns
        else 0,
    )
    table = table.sort_values(
        sort_by,
        ascending=sort_by in ("median (min)", "p90 (min)", "mean (min)"),
        na_position="last",
    )
    shown = reports.display_table(table, group, common.report_formats())
    st.dataframe(shown, hide_index=True, column_config=reports.column_config(shown, _))

st.subheader(_("Downloads"))
period = (
    st.segmented_control(
        _("Benchmark rows per"),
        ["day", "week", "month"],
        default="week",
        key=keep("bm_period"),
        format_func=labels(translated(["day", "week", "month"])),
    )
    or "week"
)
st.caption(
    _(
        "The same files as `replywatch export conversations|benchmarks`, for the period "
        "and brand in the sidebar."
    )
)
people = st.toggle(
    _("Column headers in my language (CSV and XLSX)"),
    key="bm_headers",
    help=_("Off: the stable machine names scripts expect (first_response_seconds ...)."),
)
exports = reports.export_downloads(
    common.conn,
    since=scope.start,
    until=scope.end,
    brand=scope.brand,
    period=period,
    label=_,
    header_language=current_language() if people else None,
)
download_columns = st.columns(max(1, min(4, len(exports))))
for i, item in enumerate(exports):
    download_columns[i % len(download_columns)].download_button(
        item.label,
        data=item.data,
        file_name=item.file_name,
        mime=item.mime,
        key=f"bm_dl_{item.file_name}",
        on_click="ignore",
        icon=":material/download:",
    )
