"""Builds the hand-made cassettes in this folder (vcrpy JSON serializer).

They follow the documented response formats (X API v2 reference: tweet,
user and dm_event objects with ``includes.users`` and ``meta`` with
``result_count``/``newest_id``/``oldest_id``/``next_token``; Reddit's
``Listing`` of ``t1``/``t3``/``t4`` things), with every field the collectors
ask for. The recorded real traffic in ../shared/data has default fields only;
these fill that gap. Re-run after editing: ``python tests/cassettes/build_cassettes.py``.
Tests also use the helpers here to write fault cassettes into a temp folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).parent
X_API = "https://api.twitter.com"
REDDIT_OAUTH = "https://oauth.reddit.com"
SNOWFLAKE_EPOCH_MS = 1288834974657

BRAND_ID = "1000000000000000001"
BRAND = {
    "id": BRAND_ID,
    "name": "Acme Help",
    "username": "AcmeHelp",
    "verified": True,
    "public_metrics": {
        "followers_count": 50210,
        "following_count": 12,
        "tweet_count": 90211,
        "listed_count": 40,
        "like_count": 5,
    },
}
ANA = {
    "id": "2001",
    "name": "Ana Souza",
    "username": "ana_s",
    "verified": False,
    "public_metrics": {
        "followers_count": 321,
        "following_count": 200,
        "tweet_count": 4000,
        "listed_count": 1,
        "like_count": 80,
    },
}
BOB = {
    "id": "2002",
    "name": "Bob",
    "username": "bobby",
    "verified": False,
    "public_metrics": {
        "followers_count": 12,
        "following_count": 30,
        "tweet_count": 50,
        "listed_count": 0,
        "like_count": 2,
    },
}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def snowflake(when: str, seq: int = 0) -> str:
    """A tweet id whose embedded time is ``when`` (as X generates them)."""
    ms = int(ts(when).timestamp() * 1000)
    return str(((ms - SNOWFLAKE_EPOCH_MS) << 22) + seq)


def tweet(
    when: str,
    text: str,
    author: dict,
    *,
    seq: int = 0,
    reply_to: str | None = None,
    reply_to_user: str | None = None,
    conversation: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    tweet_id = snowflake(when, seq)
    data: dict[str, Any] = {
        "id": tweet_id,
        "text": text,
        "edit_history_tweet_ids": [tweet_id],
        "author_id": author["id"],
        "created_at": when.replace("Z", ".000Z"),
        "conversation_id": conversation or tweet_id,
        "lang": lang,
        "public_metrics": {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 1,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 40,
        },
    }
    if reply_to:
        data["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        data["in_reply_to_user_id"] = reply_to_user
    return data


def x_page(tweets: list[dict], users: list[dict], next_token: str | None = None) -> dict:
    if not tweets:
        return {"meta": {"result_count": 0}}
    meta: dict[str, Any] = {
        "result_count": len(tweets),
        "newest_id": tweets[0]["id"],
        "oldest_id": tweets[-1]["id"],
    }
    if next_token:
        meta["next_token"] = next_token
    return {"data": tweets, "includes": {"users": users}, "meta": meta}


def interaction(
    method: str, uri: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    reason = {200: "OK", 429: "Too Many Requests", 503: "Service Unavailable", 201: "Created"}.get(
        status, ""
    )
    all_headers = {"content-type": ["application/json; charset=utf-8"]}
    for key, value in (headers or {}).items():
        all_headers[key] = [value]
    return {
        "request": {"body": None, "headers": {}, "method": method, "uri": uri},
        "response": {
            "status": {"code": status, "message": reason},
            "headers": all_headers,
            "body": {"string": text},
        },
    }


#: The filters and limits each X endpoint is asked with by the collector
#: (configuration of tests/collectors_support.acme_config: page size 100).
#: Recordings match on them (tests/api_filters.query_matcher); the field
#: choices are not here: the replay filters each answer by the request's own.
X_QUERIES = {
    "/mentions": {"max_results": "100"},
    "/tweets": {"max_results": "100", "exclude": "retweets"},
    "/2/dm_events": {"event_types": "MessageCreate", "max_results": "100"},
    "/2/tweets/search/recent": {"max_results": "100", "query": '"acme store" -is:retweet'},
}


def x_query(path: str) -> dict[str, str]:
    """The query the collector sends to ``path`` (empty for lookups)."""
    return next((dict(q) for suffix, q in X_QUERIES.items() if path.endswith(suffix)), {})


def x_get(
    path: str,
    body: Any,
    *,
    status: int = 200,
    remaining: int = 449,
    reset: int = 1_900_000_000,
    headers: dict[str, str] | None = None,
    token: str | None = None,
    since_id: str | None = None,
) -> dict:
    """An X GET answering the collector's query for ``path`` (:data:`X_QUERIES`)
    with the page ``token`` and ``since_id`` it carried (tests match on them,
    so a resumed poll must really send them)."""
    limits = {
        "x-rate-limit-limit": "450",
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(reset),
        **(headers or {}),
    }
    query = x_query(path)
    if token:
        query["next_token" if "search" in path else "pagination_token"] = token
    if since_id:
        query["since_id"] = since_id
    uri = f"{X_API}{path}" + (f"?{urlencode(query)}" if query else "")
    return interaction("GET", uri, body, status=status, headers=limits)


def write(name: str, interactions: list[dict], folder: Path = HERE) -> Path:
    path = folder / name
    path.write_text(
        json.dumps({"interactions": interactions, "version": 1}, indent=1, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    return path


# --- the X story --------------------------------------------------------------------
# Ana complains at 12:00 and again (reply in her thread) at 12:05; Acme answers
# her first tweet from the native app at 12:20 (only visible in Acme's own
# timeline). Bob talks about "acme store" without tagging (search) at 13:00.
# Ana also DMs at 14:00; Acme answers the DM at 14:30.

ANA_1 = tweet("2024-05-06T12:00:00Z", "@AcmeHelp my order #123 never arrived", ANA)
ANA_2 = tweet(
    "2024-05-06T12:05:00Z",
    "@AcmeHelp hello?? still waiting",
    ANA,
    reply_to=ANA_1["id"],
    reply_to_user=ANA["id"],
    conversation=ANA_1["id"],
)
ACME_REPLY = tweet(
    "2024-05-06T12:20:00Z",
    "@ana_s sorry Ana! DM us your order number",
    BRAND,
    reply_to=ANA_1["id"],
    reply_to_user=ANA["id"],
    conversation=ANA_1["id"],
)
ACME_POST = tweet("2024-05-06T09:00:00Z", "New spring catalogue is out", BRAND)
BOB_TALK = tweet("2024-05-06T13:00:00Z", "anyone else think acme store shipping is slow", BOB)
DM_IN = {
    "id": snowflake("2024-05-06T14:00:00Z"),
    "event_type": "MessageCreate",
    "text": "order 123, please help",
    "sender_id": ANA["id"],
    "dm_conversation_id": f"{ANA['id']}-{BRAND_ID}",
    "created_at": "2024-05-06T14:00:00.000Z",
}
DM_OUT = {
    "id": snowflake("2024-05-06T14:30:00Z"),
    "event_type": "MessageCreate",
    "text": "Found it, a new one ships today",
    "sender_id": BRAND_ID,
    "dm_conversation_id": f"{ANA['id']}-{BRAND_ID}",
    "created_at": "2024-05-06T14:30:00.000Z",
}


def x_story() -> list[dict]:
    return [
        x_get(
            "/2/users/by/username/AcmeHelp",
            {"data": {"id": BRAND_ID, "name": "Acme Help", "username": "AcmeHelp"}},
        ),
        x_get(
            "/2/users/me", {"data": {"id": BRAND_ID, "name": "Acme Help", "username": "AcmeHelp"}}
        ),
        # Mentions: two pages, newest first.
        x_get(f"/2/users/{BRAND_ID}/mentions", x_page([ANA_2], [ANA], next_token="mnt-page-2")),
        x_get(f"/2/users/{BRAND_ID}/mentions", x_page([ANA_1], [ANA]), token="mnt-page-2"),
        x_get(f"/2/users/{BRAND_ID}/tweets", x_page([ACME_REPLY, ACME_POST], [BRAND])),
        x_get(
            "/2/dm_events",
            {
                "data": [DM_OUT, DM_IN],
                "includes": {"users": [BRAND, ANA]},
                "meta": {"result_count": 2},
            },
        ),
        x_get("/2/tweets/search/recent", x_page([BOB_TALK], [BOB])),
    ]


def x_story_again() -> list[dict]:
    """A second poll of the X story: each timeline and the search ask from
    the newest id stored (``since_id``) and X has nothing newer; the DM
    listing has no ``since_id`` and lists the same two events."""
    empty = {"meta": {"result_count": 0}}
    return [
        x_get(
            "/2/users/me", {"data": {"id": BRAND_ID, "name": "Acme Help", "username": "AcmeHelp"}}
        ),
        x_get(f"/2/users/{BRAND_ID}/mentions", empty, since_id=ANA_2["id"]),
        x_get(f"/2/users/{BRAND_ID}/tweets", empty, since_id=ACME_REPLY["id"]),
        x_story()[5],  # the same DM events
        x_get("/2/tweets/search/recent", empty, since_id=BOB_TALK["id"]),
    ]


# --- the Reddit story ---------------------------------------------------------------
# u/casey posts in r/acme about "acme" (search), u/dana comments "acme refund"
# (comment scan), u/erin mentions u/AcmeHelp, u/fay replies to AcmeHelp's
# comment, u/gus sends a private message; AcmeHelp answers erin's mention as
# a comment (own comments) and gus's message (sent).


def thing(kind: str, data: dict) -> dict:
    return {"kind": kind, "data": data}


def listing(children: list[dict], after: str | None = None) -> dict:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": None,
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


def epoch(when: str) -> float:
    return ts(when).timestamp()


def comment(
    cid: str,
    author: str,
    body: str,
    when: str,
    parent: str,
    link: str,
    inbox_type: str | None = None,
) -> dict:
    data = {
        "id": cid,
        "name": f"t1_{cid}",
        "author": author,
        "author_fullname": f"t2_{author}",
        "body": body,
        "created_utc": epoch(when),
        "created": epoch(when),
        "parent_id": parent,
        "link_id": link,
        "subreddit": "acme",
        "subreddit_name_prefixed": "r/acme",
        "replies": "",
        "score": 1,
        "permalink": f"/r/acme/comments/{link[3:]}/x/{cid}/",
    }
    if inbox_type:  # inbox listings carry these instead of permalink
        del data["permalink"]
        data.update(
            type=inbox_type,
            was_comment=True,
            new=True,
            subject=inbox_type,
            context=f"/r/acme/comments/{link[3:]}/x/{cid}/?context=3",
            dest="AcmeHelp",
        )
    return thing("t1", data)


def message(
    mid: str,
    author: str,
    dest: str,
    body: str,
    when: str,
    parent: str | None = None,
    first: str | None = None,
    replies: list | None = None,
) -> dict:
    return thing(
        "t4",
        {
            "id": mid,
            "name": f"t4_{mid}",
            "author": author,
            "author_fullname": f"t2_{author}",
            "dest": dest,
            "body": body,
            "subject": "order problem",
            "created_utc": epoch(when),
            "created": epoch(when),
            "parent_id": parent,
            "first_message_name": first,
            "first_message": None,
            "was_comment": False,
            "new": True,
            "type": "unknown",
            "context": "",
            "subreddit": None,
            "replies": listing(replies) if replies else "",
        },
    )


CASEY_POST = thing(
    "t3",
    {
        "id": "p1",
        "name": "t3_p1",
        "author": "casey",
        "author_fullname": "t2_casey",
        "title": "Is acme legit?",
        "selftext": "Ordered two weeks ago, nothing yet.",
        "created_utc": epoch("2024-05-06T10:00:00Z"),
        "subreddit": "acme",
        "permalink": "/r/acme/comments/p1/is_acme_legit/",
        "num_comments": 1,
    },
)
DANA = comment("c1", "dana", "I want an acme refund now", "2024-05-06T10:30:00Z", "t3_p1", "t3_p1")
OFFTOPIC = comment("c0", "zed", "nice weather", "2024-05-06T10:20:00Z", "t3_p1", "t3_p1")
ERIN = comment(
    "c2",
    "erin",
    "u/AcmeHelp my parcel is lost",
    "2024-05-06T11:00:00Z",
    "t3_p9",
    "t3_p9",
    inbox_type="username_mention",
)
FAY = comment(
    "c3",
    "fay",
    "that did not help",
    "2024-05-06T11:10:00Z",
    "t1_c9",
    "t3_p8",
    inbox_type="comment_reply",
)
ACME_C9 = comment(
    "c9", "AcmeHelp", "Try resetting the app", "2024-05-05T09:00:00Z", "t3_p8", "t3_p8"
)
ACME_TO_ERIN = comment(
    "c4", "AcmeHelp", "Sorry Erin, sending a new one", "2024-05-06T11:45:00Z", "t1_c2", "t3_p9"
)
GUS = message("m1", "gus", "AcmeHelp", "where is my refund", "2024-05-06T12:00:00Z")
ACME_TO_GUS = message(
    "m2", "AcmeHelp", "gus", "refunded today", "2024-05-06T12:10:00Z", parent="t4_m1", first="t4_m1"
)
GUS_THREAD = message(
    "m1", "gus", "AcmeHelp", "where is my refund", "2024-05-06T12:00:00Z", replies=[ACME_TO_GUS]
)


def reddit_token() -> dict:
    return interaction(
        "POST",
        "https://www.reddit.com/api/v1/access_token",
        {
            "access_token": "<ACCESS_TOKEN>",
            "token_type": "bearer",
            "expires_in": 86400,
            "scope": "*",
        },
    )


#: The query of each Reddit listing the collector reads (praw's parameters
#: and ``raw_json=1``; a first poll is a catch-up pass of 500 items).
REDDIT_QUERIES = {
    "/r/acme/search/": {"q": "acme", "restrict_sr": "True", "sort": "new", "syntax": "lucene",
                        "t": "all", "limit": "500"},
    "/user/AcmeHelp/comments": {"sort": "new", "limit": "500"},
}  # fmt: skip


def reddit_get(
    path: str,
    body: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    limit: int = 500,
) -> dict:
    """A Reddit GET answering the collector's query for ``path``
    (:data:`REDDIT_QUERIES`, else ``limit`` only)."""
    limits = {
        "x-ratelimit-remaining": "995",
        "x-ratelimit-used": "5",
        "x-ratelimit-reset": "300",
        **(headers or {}),
    }
    query = {**REDDIT_QUERIES.get(path, {}), "limit": str(limit), "raw_json": "1"}
    return interaction(
        "GET", f"{REDDIT_OAUTH}{path}?{urlencode(query)}", body, status=status, headers=limits
    )


def reddit_story() -> list[dict]:
    return [
        reddit_token(),
        reddit_get("/r/acme/search/", listing([CASEY_POST])),
        reddit_get("/r/acme/comments/", listing([DANA, OFFTOPIC])),
        reddit_get("/user/AcmeHelp/comments", listing([ACME_TO_ERIN, ACME_C9])),
        reddit_get("/message/mentions", listing([ERIN])),
        reddit_get("/message/comments/", listing([FAY])),
        reddit_get("/message/selfreply/", listing([])),
        reddit_get("/message/messages/", listing([GUS_THREAD])),
        reddit_get("/message/sent/", listing([ACME_TO_GUS])),
    ]


def main() -> None:
    write("x_story.json", x_story())
    write("reddit_story.json", reddit_story())
    write("collect_once.json", x_story() + reddit_story())
    write("collect_again.json", x_story_again() + reddit_story())


if __name__ == "__main__":
    main()
