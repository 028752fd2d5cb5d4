"""Sign-in gate for the dashboard: single sign-on (``st.login``), local
accounts, or — with neither configured — local-only access. Role rules live
in :mod:`access`; this module only talks to Streamlit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from replywatch import access
from replywatch.access import User
from replywatch.views.i18n import _
from replywatch.views.safe_text import escape_markdown

USER_KEY = "auth_user"


def _secrets() -> Mapping[str, Any]:
    try:
        return dict(st.secrets)
    except (FileNotFoundError, Exception):  # no secrets.toml: nothing configured
        return {}


def _login_form(users: Mapping[str, Any]) -> None:
    st.title("replywatch")
    with st.form("login"):
        name = st.text_input(_("User name"))
        password = st.text_input(_("Password"), type="password")
        submitted = st.form_submit_button(_("Sign in"))
    if submitted:
        try:
            user = access.verify_local_user(users, name, password)
        except ValueError as exc:
            st.error(_("Sign-in is misconfigured: {error}").format(error=exc))
            return
        if user is None:
            st.error(_("Unknown user name or wrong password."))
            return
        st.session_state[USER_KEY] = user
        st.rerun()


def require_user() -> User:
    """Return the signed-in user, or draw the sign-in screen and stop the run."""
    secrets = _secrets()
    settings = secrets.get("replywatch") or {}
    if USER_KEY in st.session_state:
        return st.session_state[USER_KEY]
    if "auth" in secrets:  # OpenID Connect via st.login
        if not st.user.is_logged_in:
            st.title("replywatch")
            st.button(_("Sign in"), on_click=st.login, type="primary")
            st.stop()
        role = access.role_for_email(settings.get("roles") or {}, st.user.get("email"))
        if role is None:
            st.error(_("Your account has no role in replywatch. Ask an admin to add it."))
            st.button(_("Sign out"), on_click=st.logout)
            st.stop()
        user = User(str(st.user.get("email")), role)
        st.session_state[USER_KEY] = user
        return user
    users = settings.get("users")
    if users:
        _login_form(users)
        st.stop()
    address = st.get_option("server.address")
    override = os.environ.get(access.ALLOW_UNAUTHENTICATED_ENV)
    if not access.may_serve_unauthenticated(address, override):
        st.error(
            _(
                "No sign-in is configured, so replywatch only serves 127.0.0.1, but this "
                "server listens on {address}. Configure sign-in (docs/security.md), or set "
                "{variable}=1 to override."
            ).format(
                address=address or _("all addresses"), variable=access.ALLOW_UNAUTHENTICATED_ENV
            )
        )
        st.stop()
    host = _request_host()
    if (override or "").strip() != "1" and host is not None:
        if not access.is_local_host(host, address):
            # DNS rebinding: another site's name pointed at 127.0.0.1 reaches a
            # loopback server from the victim's browser. Only local names pass.
            st.error(
                _(
                    "No sign-in is configured, so replywatch only answers requests for "
                    "localhost or 127.0.0.1; this one asked for another host name. To serve "
                    "a real host name, configure sign-in (docs/security.md)."
                )
            )
            st.stop()
    return User("local", "admin")


def _request_host() -> str | None:
    """The Host header of the browser's connection, or None where there is
    none (AppTest, which has no HTTP request)."""
    try:
        headers = st.context.headers
    except Exception:  # no request context at all
        return None
    if not headers:
        return None
    return headers.get("Host") or ""


def render_user_box(user: User) -> None:
    """Who is signed in, with a sign-out button, in the sidebar."""
    with st.sidebar:
        if user.name == "local":
            st.caption(_("No sign-in configured: local access only (127.0.0.1)."))
            return
        st.caption(
            _("Signed in as {name} ({role})").format(
                name=escape_markdown(user.name), role=_(user.role)
            )
        )
        if st.button(_("Sign out"), key="auth_sign_out"):
            st.session_state.pop(USER_KEY, None)
            # st.user only knows is_logged_in when an [auth] table configures
            # single sign-on; a local account just forgets its session entry.
            if "auth" in _secrets():
                st.logout()
            st.rerun()
