"""replywatch dashboard: ``streamlit run dashboard.py`` (or ``replywatch dashboard``).

Page config, the language, the shared sidebar scope and navigation over the
pages in ``views/``; each page is its own module.
"""

import streamlit as st

from replywatch.views import _common as common
from replywatch.views.auth import render_user_box, require_user
from replywatch.views.i18n import _, language_picker

st.set_page_config(page_title="replywatch", page_icon="💬", layout="wide")
# The grid toolbar's own "Download as CSV" writes customer text raw (formulas
# included): switch it off wherever the server was started from, and offer the
# pages' own neutralised downloads instead (views/_common.csv_download). The
# option reaches the browser with the next run, hence the one rerun.
if not st.get_option("client.disableDataExport"):
    st.set_option("client.disableDataExport", True)
    st.rerun()
language_picker()  # first, so the sign-in screen is in the chosen language too
user = require_user()

# Titles are translated on every run, so switching the language renames the
# pages in place (the url_path, not the title, identifies a page).
PAGES = [
    st.Page(
        "views/triage.py",
        title=_("Triage"),
        icon=":material/inbox:",
        url_path="triage",
        default=True,
    ),
    st.Page(
        "views/response_times.py",
        title=_("Response times"),
        icon=":material/timer:",
        url_path="response-times",
    ),
    st.Page(
        "views/sentiment.py", title=_("Sentiment"), icon=":material/mood:", url_path="sentiment"
    ),
    st.Page(
        "views/benchmarks.py",
        title=_("Benchmarks & export"),
        icon=":material/leaderboard:",
        url_path="benchmarks",
    ),
    st.Page("views/sources.py", title=_("Sources"), icon=":material/sensors:", url_path="sources"),
]

if user.can("admin"):
    PAGES.append(
        st.Page("views/admin.py", title=_("Admin"), icon=":material/settings:", url_path="admin")
    )
page = st.navigation(PAGES)
render_user_box(user)
common.render_sidebar()
page.run()
