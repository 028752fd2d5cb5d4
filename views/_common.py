"""What every page shares: the database connection, the sidebar scope (date
range, brand, time zone), formatting and empty states."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from sqlite_utils import Database

from replywatch.metrics.formatting import duration as format_duration
from replywatch.store import lookups
from replywatch.store.db import open_database, resolve_db_path
from replywatch.views.safe_text import escape_markdown

EMPTY_HINT = "no data yet: run `replywatch collect` or `replywatch demo`"
ALL = "__all__"
DEFAULT_DAYS = 30
PLATFORM_ICONS = {
    "x": "𝕏",
    "twitter": "𝕏",
    "reddit": "👽",
    "instagram": "📷",
    "facebook": "📘",
    "email": "✉️",
}
# Colour-coded by cell style rather than emoji: emoji fonts are not everywhere
# (headless browsers, some Linux desktops) and the grid then shows empty boxes.
STATE_STYLES = {
    "ok": "background-color: #d9f2e3; color: #135c32",
    "at risk": "background-color: #ffe9c7; color: #7a4a00",
    "breached": "background-color: #ffd6d6; color: #8a1010",
    "failing": "background-color: #ffd6d6; color: #8a1010",
}


def state_style(value: object) -> str:
    """Pandas Styler callback: the colours of an SLA or health state cell."""
    return STATE_STYLES.get(str(value), "")


_local = threading.local()


def db_path() -> str:
    """The database this dashboard reads ($REPLYWATCH_DB or the default)."""
    return str(resolve_db_path())


@st.cache_resource
def _migrated(path: str) -> bool:
    # Migrations run once per process and path; afterwards each thread only
    # opens a connection.
    open_database(path).close()
    return True


def conn() -> Database:
    """A connection for the current thread. SQLite connections must not be
    shared between threads, and Streamlit runs each session's script in its
    own thread, so one is kept per thread (closed when the thread ends)."""
    path = db_path()
    _migrated(path)
    cached = getattr(_local, "dbs", None)
    if cached is None:
        cached = _local.dbs = {}
    if path not in cached:
        cached[path] = open_database(path, migrate=False)
    return cached[path]


@dataclass(frozen=True)
class Scope:
    """The shared page scope chosen in the sidebar."""

    start: date
    end: date  # inclusive
    brand: str | None
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def since(self) -> int:
        """Start of ``start`` in the chosen time zone, unix seconds."""
        return int(datetime.combine(self.start, datetime.min.time(), self.tz).timestamp())

    @property
    def until(self) -> int:
        """End (exclusive) of ``end`` in the chosen time zone, unix seconds."""
        return int(
            datetime.combine(self.end + timedelta(days=1), datetime.min.time(), self.tz).timestamp()
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@st.cache_data(ttl=60, show_spinner=False)
def _brands(path: str) -> list[dict]:
    return lookups.brands(conn())


@st.cache_data(ttl=15, show_spinner=False)
def _span(path: str) -> tuple[int | None, int | None]:
    return lookups.data_span(conn())


def brand_options() -> dict[str, str]:
    """brand key -> display name."""
    return {b["key"]: b["name"] for b in _brands(db_path())}


def _default_period(tz: ZoneInfo) -> tuple[date, date]:
    """The last DEFAULT_DAYS days up to the newest message (so an imported
    2017 file opens on its own data, a live database on today)."""
    _, last = _span(db_path())
    end = datetime.fromtimestamp(last, tz).date() if last else datetime.now(tz).date()
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def render_sidebar() -> None:
    """Draw the shared selectors (brand, period, time zone) in the sidebar.
    Their values live in st.session_state, so every page sees them."""
    brands = _brands(db_path())
    with st.sidebar:
        st.markdown("### Scope")
        options = [ALL, *[b["key"] for b in brands]]
        names = {b["key"]: b["name"] for b in brands}
        if st.session_state.get("brand") not in options:
            st.session_state["brand"] = ALL
        st.selectbox(
            "Brand",
            options,
            key="brand",
            format_func=lambda k: "All brands" if k == ALL else names.get(k, k),
        )
        zones = sorted({"UTC", *(b["timezone"] for b in brands if _valid_zone(b["timezone"]))})
        if st.session_state.get("timezone") not in zones:
            st.session_state["timezone"] = "UTC"
        st.selectbox("Time zone", zones, key="timezone")
        if "period" not in st.session_state:
            st.session_state["period"] = _default_period(ZoneInfo(st.session_state["timezone"]))
        st.date_input("Period", key="period")
        st.caption(
            f"Times shown in **{st.session_state['timezone']}** · database "
            f"{escape_markdown(resolve_db_path().name)}"
        )


def _valid_zone(name: str | None) -> bool:
    try:
        ZoneInfo(name or "")
    except (KeyError, ValueError):
        return False
    return True


def scope() -> Scope:
    """The sidebar's current choice (defaults if the sidebar was not drawn)."""
    timezone = st.session_state.get("timezone") or "UTC"
    period = st.session_state.get("period")
    if not period:
        period = _default_period(ZoneInfo(timezone))
    if isinstance(period, date):
        period = (period,)
    start = period[0]
    end = period[1] if len(period) > 1 else period[0]  # mid-selection: one day
    brand = st.session_state.get("brand")
    return Scope(
        start=start, end=end, brand=None if brand in (None, ALL) else brand, timezone=timezone
    )


def has_data() -> bool:
    """True once the database holds any message."""
    return _span(db_path())[1] is not None


def empty_state(message: str = EMPTY_HINT) -> None:
    """Tell the user there is nothing to show and what to do about it."""
    st.info(message, icon=":material/inbox:")


def duration(seconds: float | int | None) -> str:
    """Human duration: 45s, 12m, 3h 05m, 2d 4h; '—' for None."""
    return format_duration(seconds)


def when(ts: int | None, tz: ZoneInfo) -> str:
    """Unix seconds as 'YYYY-MM-DD HH:MM' in ``tz``; '' for None."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M") if ts else ""


def actor() -> str:
    """Who is acting, for the audit log: the signed-in user, else "local"."""
    user = st.session_state.get("auth_user")
    return user.name if user is not None else "local"


def can(role: str) -> bool:
    """True if the signed-in user (or local access) has ``role`` or higher."""
    user = st.session_state.get("auth_user")
    return user is None or user.can(role)
