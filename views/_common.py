"""What every page shares: the database connection, the sidebar scope (date
range, brand, time zone), formatting and empty states."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from replywatch import i18n
from replywatch.collectors import registry
from replywatch.dashboard_launcher import BRAND_ENV_VAR, TIMEZONE_ENV_VAR
from replywatch.metrics.exports import table_csv_bytes
from replywatch.metrics.reports import bucket_label
from replywatch.store import lookups
from replywatch.store.db import Database, open_database, resolve_db_path
from replywatch.untrusted import safe_url
from replywatch.views.i18n import N_, _, current_language, labels
from replywatch.views.i18n import duration as duration  # the pages' one duration format
from replywatch.views.i18n import number as number  # the pages' one number format
from replywatch.views.i18n import percent as percent
from replywatch.views.safe_text import escape_markdown, safe_figure

EMPTY_HINT = N_("no data yet: run `replywatch collect` or `replywatch demo`")
ALL = "__all__"
DEFAULT_DAYS = 30


def platform_icon(platform: str) -> str:
    """The icon of a platform's channel (declared by the channel; its name if none)."""
    return registry.platform_icon(platform)


# Badges drawn as SVG (a coloured square and a short Latin mark): no emoji font
# needed, unlike the channels' emoji icons, which show as empty boxes on
# machines without one (issue 23).
_BADGES = {
    "x": ("#000000", "X"),
    "twitter": ("#000000", "X"),
    "reddit": ("#FF4500", "r/"),
    "facebook": ("#1877F2", "f"),
    "instagram": ("#C13584", "IG"),
    "whatsapp": ("#25D366", "WA"),
    "email": ("#5F6368", "@"),
}


def platform_badge(platform: str) -> str:
    """A data: URL of an SVG badge for ``platform`` (st.column_config.ImageColumn)."""
    from urllib.parse import quote

    colour, mark = _BADGES.get(platform, ("#5F6368", (platform or "?")[:2]))
    size = 12 if len(mark) > 1 else 14
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
        f'<rect width="24" height="24" rx="5" fill="{colour}"/>'
        f'<text x="12" y="16.5" font-family="sans-serif" font-size="{size}" font-weight="700" '
        f'fill="#ffffff" text-anchor="middle">{escape_xml(mark)}</text></svg>'
    )
    return "data:image/svg+xml;utf8," + quote(svg)


def escape_xml(text: str) -> str:
    """``text`` safe inside SVG/XML text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_link(platform: str, url: str | None) -> str | None:
    """``url`` when it is a safe link to the platform's own hosts (the
    channel's ``hosts``), else None: an imported file can name any URL."""
    return safe_url(url, registry.link_hosts(platform))


# Colour-coded by cell style rather than emoji: emoji fonts are not everywhere
# (headless browsers, some Linux desktops) and the grid then shows empty boxes.
STATE_STYLES = {
    N_("ok"): "background-color: #d9f2e3; color: #135c32",
    N_("at risk"): "background-color: #ffe9c7; color: #7a4a00",
    N_("breached"): "background-color: #ffd6d6; color: #8a1010",
    N_("failing"): "background-color: #ffd6d6; color: #8a1010",
    N_("re-authorise"): "background-color: #ffd6d6; color: #8a1010",
}


def state_style(value: object) -> str:
    """Pandas Styler callback: the colours of an SLA or health state cell
    (the English state, or its translation in the session's language)."""
    text = str(value)
    if text in STATE_STYLES:
        return STATE_STYLES[text]
    return next((style for state, style in STATE_STYLES.items() if _(state) == text), "")


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


@st.cache_data(ttl=15, show_spinner=False)
def _latest_actionable(path: str) -> int | None:
    return lookups.latest_actionable(conn(), int(datetime.now().timestamp()))


def _default_period(tz: ZoneInfo) -> tuple[date, date]:
    """The last DEFAULT_DAYS days up to the newest message that is not in the
    future (so an imported 2017 file opens on its own data, a live database on
    today, and one mis-dated row in 2090 moves nothing)."""
    last = _latest_actionable(db_path())
    end = datetime.fromtimestamp(last, tz).date() if last else datetime.now(tz).date()
    return end - timedelta(days=DEFAULT_DAYS - 1), end


def render_sidebar() -> None:
    """Draw the shared selectors (brand, period, time zone) in the sidebar.
    Their values live in st.session_state, so every page sees them."""
    brands = _brands(db_path())
    with st.sidebar:
        st.markdown("### " + _("Scope"))
        options = [ALL, *[b["key"] for b in brands]]
        names = {b["key"]: b["name"] for b in brands}
        if st.session_state.get("brand") not in options:
            preset = os.environ.get(BRAND_ENV_VAR)  # e.g. the demo's brand
            st.session_state["brand"] = preset if preset in options else ALL
        st.selectbox(
            _("Brand"),
            options,
            key="brand",
            format_func=labels({ALL: _("All brands"), **names}),
        )
        zones = sorted({"UTC", *(b["timezone"] for b in brands if _valid_zone(b["timezone"]))})
        preset = os.environ.get(TIMEZONE_ENV_VAR)
        if preset and _valid_zone(preset):
            zones = sorted({*zones, preset})
        if st.session_state.get("timezone") not in zones:
            st.session_state["timezone"] = preset if preset in zones else "UTC"
        st.selectbox(_("Time zone"), zones, key="timezone")
        if "period" not in st.session_state:
            st.session_state["period"] = _default_period(ZoneInfo(st.session_state["timezone"]))
        st.date_input(_("Period"), key="period", format=_date_input_format())
        st.caption(
            _("Times shown in **{zone}** · database {name}").format(
                zone=st.session_state["timezone"], name=escape_markdown(resolve_db_path().name)
            )
        )


def _date_input_format() -> str:
    # st.date_input takes YYYY/MM/DD-style orders only: day first for Portuguese.
    return "YYYY/MM/DD" if current_language() == "en" else "DD/MM/YYYY"


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
    """Tell the user there is nothing to show and what to do about it (in the
    session's language)."""
    st.info(_(message), icon=":material/inbox:")


def bucket_names(buckets: list[dict]) -> list[str]:
    """Names of first-response-time buckets (rows with ``bucket``, ``lower_s``
    and ``upper_s``, as ``metrics`` reports them): metrics' own in English
    ("<= 5m", "5m-15m", "> 1d"), the locale's durations otherwise ("≤ 5 min",
    "5 min–15 min"), both from ``metrics.reports.bucket_label``."""
    if current_language() == "en" or any("lower_s" not in b for b in buckets):
        return [str(b["bucket"]) for b in buckets]
    names = []
    for b in buckets:
        upper = b.get("upper_s")
        upper = None if upper is None or upper != upper else int(upper)  # NaN: open
        names.append(
            bucket_label(int(b["lower_s"] or 0), upper, duration, at_most="≤ ", between="–")
        )
    return names


def when(ts: int | None, tz: ZoneInfo) -> str:
    """Unix seconds as 'YYYY-MM-DD HH:MM' in ``tz`` (the locale's short date and
    time in other languages: '02/03/2026 14:05'); '' for None."""
    if not ts:
        return ""
    moment = datetime.fromtimestamp(ts, tz)
    if current_language() == "en":
        return moment.strftime("%Y-%m-%d %H:%M")
    return i18n.format_datetime(moment, current_language(), "short")


def iso_when(value: str | None, tz: ZoneInfo) -> str:
    """An ISO UTC time from the store ("2026-12-07T14:05:00Z") as :func:`when`
    shows times: in ``tz`` and the session's locale; '' for None."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return when(int(moment.timestamp()), tz)


def day(value: date) -> str:
    """A date: ISO '2026-03-02' in English (as before), the locale's short date
    otherwise ('02/03/2026')."""
    if current_language() == "en":
        return value.isoformat()
    return i18n.format_date(value, current_language(), "short")


def day_text(value: date | str | None) -> str:
    """:func:`day` of a date or an ISO date string ("2026-12-07"); a week or
    month key ("2026-W49", "2026-12") as it is; "—" for None."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return day(value)


def brand_name(key: str | None) -> str:
    """A brand's display name ("Loja Aurora") for its key ("aurora"); the key
    when the brand is not registered; "—" for None."""
    if not key:
        return "—"
    return brand_options().get(key, key)


def platform_name(value: str | None) -> str:
    """A platform as people name it ("Reddit", "X"), from the channel registry;
    the stored value when no channel has it; "—" for None."""
    if not value:
        return "—"
    from replywatch.collectors import registry

    try:
        return registry.get(value).label
    except (KeyError, ValueError):
        return value


#: Breakdown groups whose values are the store's English words (shown translated).
TRANSLATED_GROUPS = {"channel", "status", "direction", "sentiment", "intent"}


def group_label(key: str, value: object) -> str:
    """A report group's value as shown: a brand's name, a platform's name, a
    channel translated ("público"), an agent's name as written; conversations
    with no agent are "Unassigned", other missing values "—"."""
    if value is None or value == "":
        return _("Unassigned") if key in ("agent", "assignee") else "—"
    if key == "brand":
        return brand_name(str(value))
    if key == "platform":
        return platform_name(str(value))
    if key in TRANSLATED_GROUPS:
        return _(str(value))
    return str(value)


def report_formats():
    """The session's formats for report tables (``_reports.display_table``)."""
    from replywatch.views._reports import Formats

    return Formats(number=number, percent=percent, group=group_label)


def actor() -> str:
    """Who is acting, for the audit log: the signed-in user, else "local"."""
    user = st.session_state.get("auth_user")
    return user.name if user is not None else "local"


def can(role: str) -> bool:
    """True if the signed-in user (or local access) has ``role`` or higher."""
    user = st.session_state.get("auth_user")
    return user is None or user.can(role)


def csv_download(frame, file_name: str, key: str, label: str | None = None) -> None:
    """A download button for a table shown on the page. The grid's own toolbar
    download is switched off (``client.disableDataExport``, set in
    dashboard.py) because it writes customer text raw, formulas included;
    this one goes through the exports' writer, which neutralises them. The
    bytes are written when the button is clicked (a callable), not on every
    run of the page: a triage action redraws the queue without them."""
    # Headers as the grid shows them: the frames keep machine names. Translated
    # now, in the page's run (the callable runs later, outside it).
    headers = [_(str(c)) if c else c for c in frame.columns]

    def data() -> bytes:
        return table_csv_bytes(
            headers, frame.astype(object).where(frame.notna(), None).itertuples(index=False)
        )

    st.download_button(
        label or _("Download CSV"), data, file_name=file_name, mime="text/csv", key=key
    )


def plotly_chart(figure, **kwargs):
    """``st.plotly_chart`` for every chart of the dashboard: the figure's data
    text is escaped first (:func:`safe_text.safe_figure`), since Plotly renders
    HTML in labels and hovers and the data is customer-controlled. Axis ticks
    and hover numbers use the session's decimal and group marks."""
    figure.update_layout(separators=i18n.plotly_separators(current_language()))
    return st.plotly_chart(safe_figure(figure), **kwargs)
