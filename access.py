"""Who may use the dashboard and what they may do. No Streamlit here: the
dashboard reads its secrets and calls these functions.

Three roles, each including the ones before it:

- ``viewer``: dashboards and exports;
- ``agent``: triage actions too (assign, tag, note, change status);
- ``admin``: configuration and users.

Two ways to sign in, both configured in ``.streamlit/secrets.toml``:

- single sign-on through Streamlit's ``st.login`` (OpenID Connect, an
  ``[auth]`` table), with roles mapped from e-mail addresses in
  ``[replywatch.roles]``;
- local accounts for small teams in ``[replywatch.users.NAME]`` with a bcrypt
  ``password_hash`` (made by ``replywatch hash-password``) and a ``role``.
  Passwords are never stored in plain text.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import bcrypt

ROLES = ("viewer", "agent", "admin")
ALLOW_UNAUTHENTICATED_ENV = "REPLYWATCH_ALLOW_UNAUTHENTICATED"


@dataclass(frozen=True)
class User:
    """A signed-in person and their role."""

    name: str
    role: str

    def can(self, role: str) -> bool:
        """True if this user has ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    """Return a bcrypt hash of ``password`` for ``[replywatch.users.NAME]``.
    Refuses passwords shorter than 10 characters."""
    if len(password) < 10:
        raise ValueError("use a password of at least 10 characters")
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def _role(value: Any, where: str) -> str:
    if value not in ROLES:
        raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, got {value!r}")
    return value


def verify_local_user(users: Mapping[str, Any], name: str, password: str) -> User | None:
    """Check ``name``/``password`` against the ``[replywatch.users]`` table.
    Returns the user, or None for an unknown name or a wrong password (the two
    are not told apart). Raises ValueError for a malformed entry."""
    entry = users.get(name)
    if not isinstance(entry, Mapping):
        # Spend the same time as a real check so names cannot be probed by timing.
        bcrypt.checkpw(b"x", b"$2b$12$" + b"." * 53)
        return None
    stored = str(entry.get("password_hash", ""))
    if not stored.startswith("$2"):
        raise ValueError(
            f"replywatch.users.{name}: password_hash must be a bcrypt hash "
            "(make one with `replywatch hash-password`)"
        )
    if not bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii")):
        return None
    return User(name=name, role=_role(entry.get("role", "viewer"), f"replywatch.users.{name}"))


def role_for_email(roles: Mapping[str, Any], email: str | None) -> str | None:
    """Map a single-sign-on e-mail to a role with ``[replywatch.roles]``:
    ``admins``, ``agents`` and ``viewers`` lists of addresses or ``@domain``
    suffixes. Returns the highest role that matches, or None (no access)."""
    if not email:
        return None
    address = email.strip().lower()
    for role, key in (("admin", "admins"), ("agent", "agents"), ("viewer", "viewers")):
        for pattern in roles.get(key, ()) or ():
            pattern = str(pattern).strip().lower()
            if address == pattern or (pattern.startswith("@") and address.endswith(pattern)):
                return role
    return None


def is_loopback(address: str | None) -> bool:
    """True if the server only listens on this machine. An empty address means
    all interfaces to Streamlit, so it is not loopback."""
    if not address:
        return False
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_serve_unauthenticated(address: str | None, override: str | None) -> bool:
    """With no sign-in configured, serve only on a loopback address, unless the
    operator explicitly set ``REPLYWATCH_ALLOW_UNAUTHENTICATED=1``."""
    return is_loopback(address) or (override or "").strip() == "1"


def request_host(host_header: str | None) -> str:
    """The host name of an HTTP ``Host`` header, without port or brackets,
    lower-cased (``"[::1]:8501"`` -> ``"::1"``)."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):  # IPv6 literal: [::1]:8501
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_local_host(host_header: str | None, address: str | None) -> bool:
    """With no sign-in, a page may only be served to a request whose ``Host``
    names this machine: ``localhost``, a loopback address or the address the
    server was started on. Anything else (``evil.example`` resolved to
    127.0.0.1 by DNS rebinding) is refused."""
    host = request_host(host_header)
    if not host:
        return False
    if host == "localhost" or host == (address or "").strip().lower():
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
