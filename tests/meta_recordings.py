"""Hand-made Graph API recordings for the full-field requests replywatch
sends, built to Meta's documented formats (Pages feed and comments with
``filter=stream``, ``/{page-id}/conversations`` with nested ``messages``,
Instagram media / comments / replies / tags, the error object, the
``X-App-Usage`` and ``X-Business-Use-Case-Usage`` headers), and served to the
real ``requests`` session by the ``responses`` library.

The shared recordings (../shared/data/meta_api) lack these: a paged
conversations list, Instagram DMs, ``from``/``parent`` on comments, rate-limit
and token errors (its README lists them as gaps). Times are relative to the
moment the story is built, so the look-back window always covers it.

The story (brand ``acme``, Portuguese-speaking customers):

* Facebook post ``P1`` by the page: Carlos complains, the page answers him
  10 minutes later, Bia asks something (unanswered), Carlos writes again
  under the page's reply. Two pages of comments.
* Joana's visitor post ``V1`` on the page, answered by the page 20 minutes later.
* Messenger: thread ``t_1`` (Rui, answered 25 min after his first message),
  ``t_2`` (Sofia, unanswered), ``t_3`` (two days old, answered): two pages.
* Instagram media ``G0`` (20 days old: outside the look-back window, its
  comments are never read) and ``G1``: ana.souza's comment answered by
  @acmebr in a nested reply 10 minutes later; pedro.lima's later comment
  unanswered.
* Instagram ``/tags``: lucas.m mentions @acmebr under his own photo;
  Facebook ``/tagged``: Marta's post tags the page.
* Instagram DM thread: mari.r, answered by @acmebr 15 minutes later.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import responses

from replywatch.collectors.graph_api import GRAPH_VERSION
from replywatch.store.timeutil import utc_now
from tests.api_filters import graph_filter

PAGE = "1000000000001"
IG = "17841400000000001"
IG_USER = "acmebr"
P1, P2, V1 = f"{PAGE}_2001", f"{PAGE}_2002", f"{PAGE}_2003"
G1, G0 = "17900000000000001", "17900000000000000"
GRAPH = re.compile(rf"https://graph\.facebook\.com/{re.escape(GRAPH_VERSION)}/.*")

CONFIG = f"""
[collector]
page_size = 25

[brands.acme]
name = "Acme"
timezone = "America/Sao_Paulo"

[brands.acme.facebook]
page_id = "{PAGE}"

[brands.acme.instagram]
account_id = "{IG}"
username = "{IG_USER}"
page_id = "{PAGE}"
"""

FAKE_META_ENV = {
    "META_ACCESS_TOKEN": "EAAGpagetoken-SECRET-1",
    "META_APP_SECRET": "appsecret-SECRET-2",
}


def graph_time(moment: datetime) -> str:
    """Meta's format: ``2021-08-10T18:45:03+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def buc_header(percent: int, regain_minutes: int, kind: str = "pages") -> dict[str, str]:
    """An ``X-Business-Use-Case-Usage`` header as Meta documents it."""
    usage = {"type": kind, "call_count": percent, "total_cputime": percent,
             "total_time": percent, "estimated_time_to_regain_access": regain_minutes}  # fmt: skip
    return {"X-Business-Use-Case-Usage": json.dumps({PAGE: [usage]})}


def graph_error(code: int, message: str, subcode: int | None = None, **extra) -> dict:
    """Meta's documented error object."""
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": {**error, **extra}}


#: Parameters a route does not match on: the route's own keys (``after``,
#: ``platform``), the fields (answers are cut to them) and the proof.
UNMATCHED_PARAMS = frozenset({"after", "platform", "fields", "appsecret_proof"})


def expected_query(path: str) -> dict[str, str]:
    """The filters and limits the collectors send to ``path`` (page size 25
    in :data:`CONFIG`): a request with others is answered as unknown."""
    if path.startswith(f"{PAGE}_") and path.endswith("/comments"):
        return {"filter": "stream", "order": "chronological", "limit": "25"}
    return {"limit": "25"}


@dataclass
class Reply:
    """One recorded answer."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: An exception raised instead of answering (timeouts, resets).
    raises: BaseException | None = None


@dataclass
class Call:
    """One request the client made."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]
    url: str


class GraphFake:
    """Serves recorded answers keyed by (path, platform, after), to requests
    with the filters and limits of :func:`expected_query`: a route's
    answers are given in order, the last one repeats, each cut to the
    ``fields`` of the request (:func:`tests.api_filters.graph_filter`: the
    recordings hold every field). Every call is kept."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str | None, str | None], list[Reply]] = {}
        self.calls: list[Call] = []
        self.unknown: list[str] = []

    def add(self, path: str, *replies: Reply, after: str | None = None, platform=None) -> None:
        """Answer GET ``path`` (with ``after`` / ``platform`` params) with ``replies``."""
        self.routes[(path, platform, after)] = list(replies)

    def prepend(self, path: str, *replies: Reply, after: str | None = None, platform=None):
        """Put ``replies`` (faults) before the route's recorded answers."""
        key = (path, platform, after)
        self.routes[key] = [*replies, *self.routes[key]]

    def install(self, mock: responses.RequestsMock) -> None:
        """Serve every Graph API request through this fake."""
        mock.add_callback(responses.GET, GRAPH, callback=self._answer)

    def _answer(self, request: requests.PreparedRequest):
        parts = urlsplit(request.url)
        path = parts.path.split("/", 2)[2]
        params = dict(parse_qsl(parts.query))
        self.calls.append(Call(path, params, dict(request.headers), request.url))
        key = (path, params.get("platform"), params.get("after"))
        queue = self.routes.get(key)
        asked = {k: v for k, v in params.items() if k not in UNMATCHED_PARAMS}
        if not queue or asked != expected_query(path):
            self.unknown.append(f"{path} {params}")
            return 400, {}, json.dumps(graph_error(100, "Unsupported get request."))
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.raises is not None:
            raise reply.raises
        # As Meta answers: only the fields the request asked for.
        served = (
            reply.body
            if isinstance(reply.body, str)
            else graph_filter(reply.body, params.get("fields"))
        )
        body = served if isinstance(served, str) else json.dumps(served)
        return reply.status, {"Content-Type": "application/json", **reply.headers}, body

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [c.path for c in self.calls]


def page_of(items: list, *, after: str | None = None, next_after: str | None = None, path=""):
    """An edge answer: ``data`` and ``paging`` with ``cursors`` and, when
    there is a next page, ``next`` (a full URL carrying the token, as Meta
    sends it: the client must not store or follow it blindly)."""
    paging: dict[str, Any] = {"cursors": {"before": "QVFIUbefore", "after": next_after or after}}
    if next_after:
        paging["next"] = (
            f"https://graph.facebook.com/{GRAPH_VERSION}/{path}?access_token=EAAGpagetoken-SECRET-1"
            f"&limit=25&after={next_after}"
        )
    if not (next_after or after):
        paging = {}
    return {"data": items, "paging": paging} if paging else {"data": items}


@dataclass
class Story:
    """The recorded traffic of one poll of every Meta source, and the ids
    and times the tests check."""

    now: datetime
    fake: GraphFake
    ids: dict[str, str]

    def at(self, minutes_ago: float) -> str:
        return graph_time(self.now - timedelta(minutes=minutes_ago))


def build_story(now: datetime | None = None) -> Story:
    """Every answer of the story in the module docstring."""
    now = (now or utc_now()).replace(microsecond=0)
    fake = GraphFake()
    story = Story(now=now, fake=fake, ids={})
    at = story.at
    page = {"id": PAGE, "name": "Acme Brasil"}
    carlos = {"id": "3000000001", "name": "Carlos Pereira"}
    bia = {"id": "3000000002", "name": "Bia Santos"}
    joana = {"id": "3000000003", "name": "Joana Lima"}

    # --- Facebook feed: two pages, the second reaching past the window.
    def post(pid, minutes, message, count, author=None):
        item = {
            "id": pid,
            "message": message,
            "created_time": at(minutes),
            "updated_time": at(min(minutes, 30)),
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{pid.split('_')[1]}/",
            "comments": {
                "data": [],
                "summary": {"order": "chronological", "total_count": count, "can_comment": True},
            },
        }
        if author:
            item["from"] = author
        return item

    fake.add(
        f"{PAGE}/feed",
        Reply(
            page_of(
                [
                    post(V1, 120, "Comprei um fone e veio com defeito, e agora?", 1, joana),
                    post(P1, 180, "Promoção de Natal: frete grátis em todo o site!", 4, page),
                ],
                next_after="feed-a1",
                path=f"{PAGE}/feed",
            )
        ),
    )
    fake.add(
        f"{PAGE}/feed",
        Reply(page_of([post(P2, 20 * 24 * 60, "Post antigo", 9, page)], after="feed-a2")),
        after="feed-a1",
    )

    def comment(cid, minutes, author, message, parent=None):
        post_part = cid.split("_")[0]
        item = {
            "id": cid,
            "created_time": at(minutes),
            "from": author,
            "message": message,
            "permalink_url": f"https://www.facebook.com/{PAGE}/posts/{post_part}/?comment_id={cid.split('_')[1]}",
        }
        if parent:
            item["parent"] = {"id": parent, "created_time": at(minutes + 5), "message": "..."}
        return item

    c1, c2, c3, c4 = "2001_4001", "2001_4002", "2001_4003", "2001_4004"
    fake.add(
        f"{P1}/comments",
        Reply(
            page_of(
                [
                    comment(c1, 170, carlos, "Meu pedido não chegou até hoje, péssimo atendimento"),
                    comment(
                        c2, 160, page, "Oi Carlos, sentimos muito! Chama a gente no inbox?", c1
                    ),
                ],
                next_after="c-a1",
                path=f"{P1}/comments",
            )
        ),
    )
    fake.add(
        f"{P1}/comments",
        Reply(
            page_of(
                [
                    comment(c3, 100, bia, "Vocês entregam em Portugal?"),
                    comment(c4, 90, carlos, "Já mandei mensagem e nada até agora", c1),
                ],
                after="c-a2",
            )
        ),
        after="c-a1",
    )
    v1_reply = "2003_5001"
    fake.add(
        f"{V1}/comments",
        Reply(
            page_of(
                [comment(v1_reply, 100, page, "Olá Joana! Vamos trocar o seu fone, veja o inbox.")],
                after="v-a1",
            )
        ),
    )

    # --- Messenger: two pages of threads, newest first.
    def dm(mid, minutes, sender, text, to):
        return {
            "id": mid,
            "created_time": at(minutes),
            "from": {**sender, "email": f"{sender['id']}@facebook.com"},
            "to": {"data": [{**to, "email": f"{to['id']}@facebook.com"}]},
            "message": text,
        }

    rui = {"id": "3000000011", "name": "Rui Costa"}
    sofia = {"id": "3000000012", "name": "Sofia Alves"}
    leo = {"id": "3000000013", "name": "Léo Martins"}

    def thread(tid, updated, messages):
        return {
            "id": tid,
            "updated_time": at(updated),
            "link": f"/{PAGE}/inbox/{tid}/",
            "messages": {"data": messages, "paging": {"cursors": {"after": "m-end"}}},
        }

    fake.add(
        f"{PAGE}/conversations",
        Reply(
            page_of(
                [
                    thread(
                        "t_1",
                        30,
                        [
                            dm("m_13", 30, page, "Rui, o reembolso já foi feito.", rui),
                            dm("m_12", 50, rui, "Quero o reembolso!!", page),
                            dm("m_11", 55, rui, "Bom dia, cancelei o pedido 123", page),
                        ],
                    ),  # fmt: skip
                    thread("t_2", 40, [dm("m_21", 40, sofia, "Qual o prazo de entrega?", page)]),
                ],
                next_after="cv-a1",
                path=f"{PAGE}/conversations",
            )
        ),
        platform="messenger",
    )
    fake.add(
        f"{PAGE}/conversations",
        Reply(
            page_of(
                [
                    thread(
                        "t_3",
                        2 * 24 * 60,
                        [
                            dm("m_32", 2 * 24 * 60, page, "Pode sim, Léo!", leo),
                            dm("m_31", 2 * 24 * 60 + 12, leo, "Posso trocar a cor?", page),
                        ],
                    ),  # fmt: skip
                ],
                after="cv-a2",
            )
        ),
        platform="messenger",
        after="cv-a1",
    )

    # --- A customer's post tagging the page (/tagged).
    fb_tag = "3000000021_7001"
    fake.add(
        f"{PAGE}/tagged",
        Reply(
            page_of(
                [
                    {
                        "id": fb_tag,
                        "message": "Comprei na Acme Brasil e o estorno nunca caiu",
                        "created_time": at(200),
                        "from": {"id": "3000000021", "name": "Marta Rocha"},
                        "permalink_url": "https://www.facebook.com/3000000021/posts/7001/",
                    }
                ],
                after="tag-a1",
            )
        ),
    )

    # --- Instagram media, comments with nested replies, tags, DMs.
    fake.add(
        f"{IG}/media",
        Reply(
            page_of(
                [
                    {
                        "id": G1,
                        "caption": "Nova coleção de verão ☀️",
                        "timestamp": at(300),
                        "permalink": "https://www.instagram.com/p/Cacme01/",
                        "username": IG_USER,
                        "comments_count": 3,
                        "media_type": "IMAGE",
                    },
                    {  # older than the look-back window: its comments are not read
                        "id": G0,
                        "caption": "Coleção de inverno",
                        "timestamp": at(20 * 24 * 60),
                        "permalink": "https://www.instagram.com/p/Cacme00/",
                        "username": IG_USER,
                        "comments_count": 7,
                        "media_type": "IMAGE",
                    },
                ],
                after="g-a1",
            )
        ),
    )
    ig1, ig1r, ig2 = "17950000000000001", "17950000000000002", "17950000000000003"
    fake.add(
        f"{G1}/comments",
        Reply(
            page_of(
                [
                    {
                        "id": ig1,
                        "text": "Quero trocar o tamanho, como faço?",
                        "timestamp": at(240),
                        "username": "ana.souza",
                        "from": {"id": "17841400000000101", "username": "ana.souza"},
                        "replies": {
                            "data": [
                                {
                                    "id": ig1r,
                                    "text": "@ana.souza te chamamos na DM 💬",
                                    "timestamp": at(230),
                                    "username": IG_USER,
                                    "from": {"id": IG, "username": IG_USER},
                                    "parent_id": ig1,
                                }
                            ]
                        },
                    },
                    {
                        "id": ig2,
                        "text": "Cadê meu reembolso??",
                        "timestamp": at(60),
                        "username": "pedro.lima",
                        "from": {"id": "17841400000000102", "username": "pedro.lima"},
                    },
                ],
                after="gc-a1",
            )
        ),
    )
    tag = "17900000000000099"
    fake.add(
        f"{IG}/tags",
        Reply(
            page_of(
                [
                    {
                        "id": tag,
                        "caption": "@acmebr o produto veio quebrado 😡",
                        "timestamp": at(360),
                        "permalink": "https://www.instagram.com/p/Clucas01/",
                        "username": "lucas.m",
                        "comments_count": 0,
                    }
                ],
                after="tg-a1",
            )
        ),
    )
    mari = {"id": "6200000000000001", "username": "mari.r"}
    own = {"id": IG, "username": IG_USER}
    fake.add(
        f"{PAGE}/conversations",
        Reply(
            page_of(
                [
                    {
                        "id": "aWdfZAG06MTpJR01lc3NhZA",
                        "updated_time": at(10),
                        "messages": {
                            "data": [
                                {
                                    "id": "aWdfZAmid2",
                                    "created_time": at(10),
                                    "from": own,
                                    "to": {"data": [mari]},
                                    "message": "Oi Mari! Já verificamos.",
                                },
                                {
                                    "id": "aWdfZAmid1",
                                    "created_time": at(25),
                                    "from": mari,
                                    "to": {"data": [own]},
                                    "message": "Meu cupom não funciona",
                                },
                            ]  # fmt: skip
                        },
                    }
                ],
                after="ig-cv-a1",
            )
        ),
        platform="instagram",
    )
    story.ids = {
        "c1": c1, "c2": c2, "c3": c3, "c4": c4, "v1_reply": v1_reply,
        "ig1": ig1, "ig1r": ig1r, "ig2": ig2, "tag": tag, "fb_tag": fb_tag,
    }  # fmt: skip
    return story
