"""Issue 27 item 5: "open post" links go only to the channel's own hosts
(declared by each channel, ``Channel.hosts``); any other URL from imported
data is shown as text, never as a link."""

from __future__ import annotations

import dataclasses

from streamlit.testing.v1 import AppTest

from replywatch.pipeline import ingest
from replywatch.store.db import DB_ENV_VAR, open_database
from replywatch.untrusted import safe_url
from tests.test_triage_resolved_page import APP, _m

OWN = "https://x.com/ana/status/1"
SUBDOMAIN = "https://mobile.twitter.com/bia/status/2"
OTHER = "https://x.com.evil.example/login"
LOOKALIKE = "https://evilx.com/ana/status/3"


def test_safe_url_with_hosts_takes_the_hosts_and_their_subdomains_only():
    hosts = ("x.com", "twitter.com")
    assert safe_url(OWN, hosts) == OWN
    assert safe_url(SUBDOMAIN, hosts) == SUBDOMAIN
    assert safe_url(OTHER, hosts) is None
    assert safe_url(LOOKALIKE, hosts) is None
    assert safe_url(OWN, ()) is None  # a platform without hosts: no link
    assert safe_url(OTHER) == OTHER  # without hosts: only the URL's own shape


def test_the_triage_queue_links_only_to_the_platforms_hosts(tmp_path, monkeypatch):
    path = tmp_path / "links.db"
    db = open_database(path)
    messages = [
        dataclasses.replace(_m(f"l{i}", 30 + i, f"help {i}", author=f"a{i}"), url=url)
        for i, url in enumerate((OWN, SUBDOMAIN, OTHER, LOOKALIKE))
    ]
    messages.append(
        dataclasses.replace(
            _m("e1", 50, "mail", author="eve"), platform="email", url="https://mail.example/1"
        )
    )
    ingest(db, messages, source="test")
    db.close()
    monkeypatch.setenv(DB_ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    queue = at.dataframe[0].value
    links = {
        row["customer"]: row["post"] if isinstance(row["post"], str) else None
        for _, row in queue.iterrows()
    }
    assert links == {"a0": OWN, "a1": SUBDOMAIN, "a2": None, "a3": None, "eve": None}
