"""Admin: who has access and with which role, and each brand's settings
(read-only here; they come from replywatch.toml via `replywatch collect`)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from replywatch.store import lookups
from replywatch.views import _common as common
from replywatch.views.auth import _secrets
from replywatch.views.i18n import _
from replywatch.views.labelling import admin_section

st.title(_("Admin"))
if not common.can("admin"):
    st.error(_("This page needs the admin role."))
    st.stop()

settings = _secrets().get("replywatch") or {}
st.subheader(_("Local accounts"))
users = settings.get("users") or {}
if users:
    # Names and roles only: password hashes stay in secrets.toml.
    st.dataframe(
        pd.DataFrame(
            [
                {"user": name, "role": _((entry or {}).get("role", "viewer"))}
                for name, entry in users.items()
            ]
        ),
        hide_index=True,
        column_config={"user": _("user"), "role": _("role")},
    )
else:
    st.caption(_("None configured ([replywatch.users.NAME] in .streamlit/secrets.toml)."))
st.subheader(_("Single sign-on roles"))
roles = settings.get("roles") or {}
if roles:
    st.dataframe(
        pd.DataFrame(
            [
                {"role": key, "addresses": ", ".join(map(str, values))}
                for key, values in roles.items()
            ]
        ),
        hide_index=True,
        column_config={"role": _("role"), "addresses": _("addresses")},
    )
else:
    st.caption(_("None configured ([replywatch.roles] admins/agents/viewers)."))

st.subheader(_("Brands"))
for brand in lookups.brand_details(common.conn()):
    with st.expander(f"{brand['name']} ({brand['key']}) — {brand['timezone']}"):
        st.code(json.dumps(brand["settings"], indent=2, ensure_ascii=False), language="json")
admin_section()
st.caption(_("Database: {path}").format(path=common.db_path()))
