"""Benchmarks & export: brand-vs-brand response times with a period
comparison, and download buttons for every export the CLI offers (the same
``metrics`` functions the CLI calls)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from views import _common as common
from views import _metrics_api as metrics_api

GROUPS = {"brand": "Brand", "platform": "Platform", "channel": "Channel", "agent": "Agent"}
COMPARED = ("first_response_median_s", "first_response_p90_s", "response_rate")


@st.cache_data(ttl=60, show_spinner=False)
def _report(path: str, **kwargs: Any) -> list[dict[str, Any]]:
    return metrics_api.call("response_time_report", common.conn(), **kwargs)


def _table(current: list[dict], previous: list[dict], key: str, prefix: str) -> pd.DataFrame:
    frame = pd.DataFrame(current)
    if frame.empty:
        return frame
    before = pd.DataFrame(previous)
    for name in COMPARED:
        column = name.replace("first_response", prefix)
        if before.empty or column not in before.columns or column not in frame.columns:
            continue
        merged = frame[[key]].merge(before[[key, column]], on=key, how="left")
        frame[f"{column} (previous)"] = merged[column].to_numpy()
        frame[f"{column} change"] = frame[column] - merged[column].to_numpy()
    for column in [c for c in frame.columns if "_s" in c and frame[c].dtype != object]:
        frame[column] = frame[column] / 60
    frame.columns = [c.replace("_s", " (min)") if "_s" in c else c for c in frame.columns]
    return frame


st.title("Benchmarks & export")
if not metrics_api.available("response_time_report"):
    common.empty_state(f"{metrics_api.UNAVAILABLE_MESSAGE}: benchmarks and exports land with "
                       "the metrics module.")
    for module, error in metrics_api.import_errors().items():
        st.caption(f"metrics.{module}: {error}")
    st.stop()
if not common.has_data():
    common.empty_state()
    st.stop()

scope = common.scope()
path = common.db_path()
cols = st.columns([2, 2, 3])
group = cols[0].selectbox("Compare", list(GROUPS), format_func=GROUPS.get, key="bm_group")
business = cols[1].toggle("Business hours", key="bm_business")
compare = cols[2].toggle("Compare with the previous period", value=True, key="bm_compare")
prefix = "business_first_response" if business else "first_response"
length = scope.until - scope.since
window = {"by": group, "business_hours": business,
          "brand": scope.brand if group != "brand" else None}
current = _report(path, since=scope.since, until=scope.until, **window)
previous = (_report(path, since=scope.since - length, until=scope.since, **window)
            if compare else [])
st.caption(f"{scope.start} to {scope.end} ({scope.timezone})"
           + (f", against the {scope.days} days before" if compare else "")
           + ". Click a column header to sort.")
table = _table(current, previous, group, prefix)
if table.empty:
    st.info("No conversations in this period.")
else:
    st.dataframe(table, hide_index=True, column_config={
        "response_rate": st.column_config.NumberColumn(format="percent"),
        "response_rate (previous)": st.column_config.NumberColumn(format="percent"),
        "response_rate change": st.column_config.NumberColumn(format="percent")})

st.subheader("Downloads")
exports = metrics_api.export_downloads(since=scope.since, until=scope.until, brand=scope.brand,
                                       business_hours=business)
if not exports:
    st.info(f"{metrics_api.UNAVAILABLE_MESSAGE}: exports land with the metrics module.")
download_columns = st.columns(max(1, min(4, len(exports))))
for i, item in enumerate(exports):
    download_columns[i % len(download_columns)].download_button(
        item.label, data=item.data, file_name=item.file_name, mime=item.mime,
        key=f"bm_dl_{item.file_name}", on_click="ignore", icon=":material/download:")
