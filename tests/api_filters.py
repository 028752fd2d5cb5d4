"""What the real APIs send back for a request, applied to the hand-made
recordings: a response holds only the fields the request asked for.

The hand-made recordings (tests/cassettes, tests/meta_recordings.py) hold
every field of every object. Served as they are, a collector that stopped
asking for a field (``EXPANSIONS = []``, ``from{id,name}`` dropped from
``COMMENT_FIELDS``) would still get it, and no test would notice what the
real API would do: send the object without it. So every recorded answer is
filtered, at replay time, by the query of the request being answered:

* **X API v2** (:func:`x_filter`): a tweet keeps its default fields (``id``,
  ``text``, ``edit_history_tweet_ids``) and those named in ``tweet.fields``;
  a user ``id``, ``name``, ``username`` and ``user.fields``; a DM event
  ``id``, ``event_type``, ``text`` and ``dm_event.fields`` (X's documented
  defaults). ``includes.users`` holds only the users an expansion in
  ``expansions`` names (``author_id``, ``in_reply_to_user_id`` for tweets,
  ``sender_id``, ``participant_ids`` for DM events). A field named only as
  an expansion is not added to the object here: X's examples show it added,
  but the collector asks for both and the stricter reading makes a test
  fail if either goes.
* **Graph API** (:func:`graph_filter`): the ``fields`` syntax
  (``from{id,name}``, ``comments.filter(stream).limit(0).summary(true)``,
  ``messages.limit(25){...}``): an object keeps ``id`` (always returned) and
  the fields named; a nested object or edge is filtered by its own list; a
  field named without a list keeps what the recording holds (the API's
  default fields); an edge's ``summary`` comes only with ``summary(true)``
  and its ``data`` is cut to ``limit(n)``.

The request's *other* parameters (filters, limits, ``since_id``, page
tokens, search queries) are matched exactly by :func:`query_matcher`: a
recording answers only the request it was made for.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: Query parameters that choose fields, not items: served by filtering.
FIELD_PARAMS = frozenset(
    {"tweet.fields", "user.fields", "expansions", "dm_event.fields", "media.fields", "fields"}
)
X_DEFAULTS = {
    "tweet": {"id", "text", "edit_history_tweet_ids"},
    "user": {"id", "name", "username"},
    "dm_event": {"id", "event_type", "text"},
}
#: Expansion -> the field of a data item naming the user(s) it expands.
X_USER_EXPANSIONS = {
    "author_id": "author_id",
    "in_reply_to_user_id": "in_reply_to_user_id",
    "sender_id": "sender_id",
    "participant_ids": "participant_ids",
}


#: Which object each X endpoint lists (others, e.g. counts, pass unfiltered).
X_ENDPOINTS = {
    "user": re.compile(r"/2/users/(me|by/username/[^/]+|\d+)"),
    "dm_event": re.compile(r"/2/(dm_events|dm_conversations/.+/dm_events)"),
    "tweet": re.compile(
        r"/2/(users/\d+/(mentions|tweets|timelines/reverse_chronological)|tweets(/\d+)?"
        r"|tweets/search/(recent|all))"
    ),
}


def _names(query: dict[str, str], key: str) -> set[str]:
    return {n for n in query.get(key, "").split(",") if n}


def x_filter(body: Any, query: dict[str, str], path: str) -> Any:
    """An X API v2 answer as X would send it for ``query`` (see module doc)."""
    kind = next((k for k, pattern in X_ENDPOINTS.items() if pattern.fullmatch(path)), None)
    if kind is None or not isinstance(body, dict) or "data" not in body:
        return body
    keep = X_DEFAULTS[kind] | _names(query, f"{kind}.fields")
    data = body["data"]
    items = data if isinstance(data, list) else [data]
    filtered = [{k: v for k, v in item.items() if k in keep} for item in items]
    result = {**body, "data": filtered if isinstance(data, list) else filtered[0]}
    expansions = _names(query, "expansions")
    wanted: set[str] = set()
    for expansion in expansions & set(X_USER_EXPANSIONS):
        for item in items:
            value = item.get(X_USER_EXPANSIONS[expansion])
            wanted.update(map(str, value if isinstance(value, list) else [value] if value else []))
    users = (body.get("includes") or {}).get("users") or []
    user_keep = X_DEFAULTS["user"] | _names(query, "user.fields")
    kept_users = [
        {k: v for k, v in u.items() if k in user_keep} for u in users if str(u.get("id")) in wanted
    ]
    includes = {k: v for k, v in (body.get("includes") or {}).items() if k != "users"}
    if kept_users:
        includes["users"] = kept_users
    result.pop("includes", None)
    if includes:
        result["includes"] = includes
    return result


# --- Graph API fields -------------------------------------------------------------


@dataclass
class Field:
    """One entry of a Graph ``fields`` list: ``name.mod(arg)...{children}``."""

    name: str
    modifiers: dict[str, str]
    children: list[Field] | None

    def render(self) -> str:
        """Back to the ``fields`` syntax."""
        text = self.name + "".join(f".{k}({v})" for k, v in self.modifiers.items())
        return text + ("{" + render(self.children) + "}" if self.children is not None else "")


def render(fields: list[Field]) -> str:
    """A field list in the ``fields`` syntax."""
    return ",".join(f.render() for f in fields)


def parse_fields(spec: str) -> list[Field]:
    """Parse a Graph ``fields`` value (``id,from{id,name},comments.limit(0)``)."""
    fields, rest = _parse_list(spec, 0)
    if rest != len(spec):
        raise ValueError(f"unbalanced fields spec: {spec!r}")
    return fields


def _parse_list(spec: str, at: int) -> tuple[list[Field], int]:
    fields: list[Field] = []
    while at < len(spec) and spec[at] != "}":
        start = at
        while at < len(spec) and spec[at] not in ",{}.":
            at += 1
        name, modifiers, children = spec[start:at], {}, None
        while at < len(spec) and spec[at] == ".":
            close = spec.index(")", at)
            mod_name, arg = spec[at + 1 : close].split("(", 1)
            modifiers[mod_name] = arg
            at = close + 1
        if at < len(spec) and spec[at] == "{":
            children, at = _parse_list(spec, at + 1)
            at += 1  # the closing brace
        fields.append(Field(name, modifiers, children))
        if at < len(spec) and spec[at] == ",":
            at += 1
    return fields, at


def graph_filter(body: Any, spec: str | None) -> Any:
    """A Graph API answer as Meta would send it for ``fields=spec`` (see
    module doc). Error answers and requests without ``fields`` pass as they are."""
    if not spec or not isinstance(body, dict) or "error" in body:
        return body
    fields = parse_fields(spec)
    if isinstance(body.get("data"), list):  # an edge listing
        return {**body, "data": [_filter_object(i, fields) for i in body["data"]]}
    return _filter_object(body, fields)


def _filter_object(item: Any, fields: list[Field]) -> Any:
    if not isinstance(item, dict):
        return item
    result = {"id": item["id"]} if "id" in item else {}
    for field in fields:
        if field.name not in item:
            continue
        value = item[field.name]
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            value = _filter_edge(value, field)
        elif field.children is not None:
            value = _filter_object(value, field.children)
        result[field.name] = value
    return result


def _filter_edge(edge: dict[str, Any], field: Field) -> dict[str, Any]:
    items = edge["data"]
    if "limit" in field.modifiers:
        items = items[: int(field.modifiers["limit"])]
    if field.children is not None:
        items = [_filter_object(i, field.children) for i in items]
    result = {**edge, "data": items}
    if field.modifiers.get("summary") != "true":
        result.pop("summary", None)
    return result


def field_mutations(spec: str) -> Iterator[tuple[str, str]]:
    """Every way of removing one field from ``spec``: ``(what was removed,
    the spec without it)``. A nested field whose list would be left empty
    takes its parent with it (an empty ``{}`` is not a request)."""

    def walk(fields: list[Field], trail: str) -> Iterator[tuple[str, list[Field]]]:
        for index, field in enumerate(fields):
            label = f"{trail}{field.name}"
            yield label, fields[:index] + fields[index + 1 :]
            for child_label, children in walk(field.children or [], f"{label}."):
                if children:
                    changed = Field(field.name, field.modifiers, children)
                    yield child_label, fields[:index] + [changed] + fields[index + 1 :]

    for label, fields in walk(parse_fields(spec), ""):
        yield label, render(fields)


# --- replaying hand-made vcr cassettes ----------------------------------------------


def query_matcher(r1, r2) -> None:
    """vcr matcher: every query parameter except the field choices
    (:data:`FIELD_PARAMS`) must be the same in the request and the recording."""
    q1 = {k: v for k, v in r1.query if k not in FIELD_PARAMS}
    q2 = {k: v for k, v in r2.query if k not in FIELD_PARAMS}
    assert q1 == q2, f"query {q1} != recorded {q2}"


def filtered_response(request, response: dict[str, Any]) -> dict[str, Any]:
    """The recorded ``response`` (vcr's dict) to ``request`` as the API would
    send it: X bodies filtered by :func:`x_filter`, Graph by :func:`graph_filter`."""
    host = request.host
    query = dict(request.query)
    if host not in ("api.twitter.com", "api.x.com", "graph.facebook.com"):
        return response
    body = response["body"]["string"]
    text = body.decode() if isinstance(body, bytes) else body
    try:
        payload = json.loads(text)
    except ValueError:
        return response  # a truncated or non-JSON body is served as recorded
    if host == "graph.facebook.com":
        payload = graph_filter(payload, query.get("fields"))
    else:
        payload = x_filter(payload, query, request.path)
    served = copy.deepcopy(response)
    text = json.dumps(payload)
    served["body"]["string"] = text.encode() if isinstance(body, bytes) else text
    return served


@contextmanager
def filtering(cassette) -> Iterator[Any]:
    """Serve ``cassette``'s recordings through :func:`filtered_response`."""
    play = cassette.play_response
    cassette.play_response = lambda request: filtered_response(request, play(request))
    try:
        yield cassette
    finally:
        del cassette.play_response
