"""Roles, local accounts and the no-authentication address rule."""

from __future__ import annotations

import pytest

from replywatch.access import (
    User,
    hash_password,
    is_local_host,
    is_loopback,
    may_serve_unauthenticated,
    role_for_email,
    verify_local_user,
)


def test_roles_include_lower_ones():
    assert User("a", "admin").can("agent") and User("a", "admin").can("viewer")
    assert User("b", "agent").can("viewer") and not User("b", "agent").can("admin")
    assert not User("c", "viewer").can("agent")


def test_local_accounts_use_bcrypt_hashes():
    stored = hash_password("correct horse battery")
    assert stored.startswith("$2") and "correct" not in stored
    users = {"ana": {"password_hash": stored, "role": "agent"}}
    assert verify_local_user(users, "ana", "correct horse battery") == User("ana", "agent")
    assert verify_local_user(users, "ana", "wrong password!") is None
    assert verify_local_user(users, "bob", "correct horse battery") is None
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


def test_plaintext_password_in_config_is_refused():
    with pytest.raises(ValueError, match="bcrypt"):
        verify_local_user({"ana": {"password_hash": "hunter2hunter2"}}, "ana", "hunter2hunter2")


def test_bad_role_is_refused():
    users = {"ana": {"password_hash": hash_password("0123456789ab"), "role": "root"}}
    with pytest.raises(ValueError, match="role must be one of"):
        verify_local_user(users, "ana", "0123456789ab")


def test_sso_roles_from_email():
    roles = {"admins": ["boss@loja.com.br"], "agents": ["@loja.com.br"], "viewers": ["@agency.pt"]}
    assert role_for_email(roles, "Boss@Loja.com.br") == "admin"
    assert role_for_email(roles, "ana@loja.com.br") == "agent"
    assert role_for_email(roles, "rui@agency.pt") == "viewer"
    assert role_for_email(roles, "eve@evil.com") is None
    assert role_for_email(roles, "eve@notloja.com.br") is None
    assert role_for_email(roles, None) is None


def test_unauthenticated_only_on_loopback_unless_overridden():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("") and not is_loopback(None)
    assert may_serve_unauthenticated("127.0.0.1", None)
    assert not may_serve_unauthenticated("0.0.0.0", None)
    assert not may_serve_unauthenticated("0.0.0.0", "yes")
    assert may_serve_unauthenticated("0.0.0.0", "1")


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("127.0.0.1:8501", True),
        ("localhost:8501", True),
        ("LOCALHOST", True),
        ("[::1]:8501", True),
        ("127.0.0.2", True),
        ("evil.example:8501", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:8501", False),
        ("", False),
        (None, False),
    ],
)
def test_only_local_host_names_are_served_without_sign_in(host, allowed):
    assert is_local_host(host, "127.0.0.1") is allowed
