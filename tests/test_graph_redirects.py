"""Issue 27 item 4: the Graph API client follows no redirect. A 302 from the
Graph host to another host was followed and the other host's body stored as
data (and the request's appsecret_proof sent along); now the answer is an
error of that source, nothing from the other host is read or stored."""

from __future__ import annotations

import json

import responses

from tests.meta_recordings import PAGE, Reply, build_story
from tests.test_meta_collect import FakeTime, db, run  # noqa: F401 - the db fixture

EVIL = "https://evil.example/v21.0/conversations"


def test_a_redirect_to_another_host_is_not_followed(db):  # noqa: F811 - fixture
    story = build_story()
    route = (f"{PAGE}/conversations", "messenger", None)
    hostile = {
        "data": [
            {
                "id": "t_evil",
                "updated_time": story.at(5),
                "messages": {
                    "data": [
                        {
                            "id": "m_evil",
                            "created_time": story.at(5),
                            "from": {"id": "666", "name": "Evil"},
                            "message": "planted by another host",
                        }
                    ]
                },
            }
        ]
    }
    story.fake.routes[route] = [Reply({}, status=302, headers={"Location": EVIL})]
    followed: list[str] = []
    install = story.fake.install

    def install_with_the_other_host(mock: responses.RequestsMock) -> None:
        install(mock)

        def answer(request):
            followed.append(request.url)
            return 200, {"Content-Type": "application/json"}, json.dumps(hostile)

        mock.add_callback(responses.GET, EVIL, callback=answer)

    story.fake.install = install_with_the_other_host
    outcomes = run(db, FakeTime(), story, only="facebook:acme:messenger")
    assert followed == []
    outcome = outcomes["facebook:acme:messenger"]
    assert not outcome.ok and "redirect" in (outcome.error or "")
    stored = db.execute("SELECT count(*) FROM messages WHERE external_id = 'm_evil'").fetchone()
    assert stored == (0,)
    assert "planted" not in json.dumps(db.execute("SELECT * FROM dead_letters").fetchall())
