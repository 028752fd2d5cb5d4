"""The Meta parsers on REAL Graph API answers (python-facebook's recordings in
../shared/data/meta_api/, see its README): every file a customer-care
collector reads is parsed, and the README's traps are checked one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replywatch.collectors import facebook, instagram
from replywatch.collectors.graph_api import (
    PermissionMissing,
    split_next_url,
    to_error,
    to_page,
)
from replywatch.collectors.meta import conversation_messages, inbox_message, parse_time
from replywatch.pipeline import ingest

# The page the recorded comments were written on ("Facebook for Developers").
DEV_PAGE = "19292868552"
# The page of the recorded Messenger thread ("MyLife") and its visitor.
MYLIFE_PAGE, KUN = "2121008874780932", "2711636948859886"
IG_ACCOUNT = "17841406338772941"


@pytest.fixture
def meta(shared_data: Path) -> Path:
    path = shared_data / "meta_api"
    if not path.is_dir():
        pytest.fail(f"missing {path}")
    return path


def load(meta: Path, rel: str):
    return json.loads((meta / rel).read_text(encoding="utf-8"))


def fb_ctx(page_id: str = DEV_PAGE) -> facebook.PageContext:
    return facebook.PageContext(brand="acme", page_id=page_id, source="facebook:acme:comments")


def ig_ctx(username: str | None = "acmebr") -> instagram.AccountContext:
    return instagram.AccountContext("acme", IG_ACCOUNT, username, "instagram:acme:comments")


def test_graph_times_without_colon_in_offset():
    moment = parse_time("2021-08-10T18:45:03+0000")
    assert moment.isoformat() == "2021-08-10T18:45:03+00:00"
    assert parse_time("2021-08-10T15:45:03-0300") == moment
    for bad in ("", "yesterday", "2021-08-10T18:45:03", None, 1628621103):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_recorded_comment_pages_parse_without_id_or_from(meta: Path):
    messages, recorded = [], 0
    for name in ("comments_p1.json", "comments_p2.json"):
        page = to_page(load(meta, f"facebook/apidata/comments/{name}"))
        recorded += len(page.items)
        messages += [facebook.comment_message(item, fb_ctx()) for item in page.items]
    assert recorded == len(messages) == 15
    first = messages[0]
    # The README's trap: no id, no from. The id comes from permalink_url.
    assert first.external_id == "10158407654328553_10158407835073553"
    assert first.text.startswith("Boa noite peço ajuda")
    assert first.created_at.isoformat() == "2021-08-10T18:45:03+00:00"
    assert all(m.direction == "inbound" and m.author_id is None for m in messages)
    assert all(m.url and m.url.startswith("https://www.facebook.com/") for m in messages)
    assert len({m.external_id for m in messages}) == 15


def test_paging_of_recorded_pages(meta: Path):
    p1 = to_page(load(meta, "facebook/apidata/comments/comments_p1.json"))
    p2 = to_page(load(meta, "facebook/apidata/comments/comments_p2.json"))
    assert p1.next_params == {"after": p1.after} and p1.after
    assert p2.next_params is None  # only "previous": the last page
    ig = to_page(load(meta, "instagram/apidata/medias/comments_p1.json"))
    assert ig.next_params == {"after": "after"}
    path, params = split_next_url(
        load(meta, "instagram/apidata/medias/comments_p1.json")["paging"]["next"]
    )
    assert path == "17846368219941692/comments"
    assert "access_token" not in params and params["after"] == "after"
    # A feed page whose next link has no cursors: continue from the link's query.
    feed = to_page(load(meta, "facebook/apidata/posts/feed_fields_p1.json"))
    assert feed.after is None and feed.next_params and "access_token" not in feed.next_params


def test_recorded_comment_with_from_and_single_comment(meta: Path):
    model = load(meta, "facebook/models/comment.json")
    customer = facebook.comment_message(model, fb_ctx("2121008874780932"))
    assert (customer.author_id, customer.author_name) == ("2711636948859886", "Kun Liu")
    assert customer.direction == "inbound" and customer.kind == "comment"
    # The same comment seen from the commenter's own page is a brand reply.
    own = facebook.comment_message(model, fb_ctx("2711636948859886"))
    assert own.direction == "outbound"
    single = facebook.comment_message(
        load(meta, "facebook/apidata/comments/comment_info.json"), fb_ctx()
    )
    assert single.external_id == "10158371815748553_10158371930463553"
    batch = load(meta, "facebook/apidata/comments/comments_info.json")
    assert {facebook.comment_message(v, fb_ctx()).external_id for v in batch.values()} == set(batch)


def test_recorded_feeds_hold_no_visitor_posts_and_give_counts(meta: Path):
    for name in ("feeds_default_fields_p1.json", "feeds_default_fields_p2.json",
                 "feed_fields_p1.json", "feed_fields_p2.json"):  # fmt: skip
        page = to_page(load(meta, f"facebook/apidata/posts/{name}"))
        assert page.items
        # The page's own posts (no `from`): context, not customer messages.
        assert all(facebook.post_messages(p, fb_ctx()) == [] for p in page.items)
    default = to_page(load(meta, "facebook/apidata/posts/feeds_default_fields_p1.json"))
    assert facebook.comment_count(default.items[0]) == 13
    assert (
        facebook.comment_count(load(meta, "facebook/apidata/posts/single_post_data_fields.json"))
        is None
    )
    visitor = {**default.items[0], "from": {"id": "555", "name": "Maria"}}
    [post] = facebook.post_messages(visitor, fb_ctx())
    assert (post.kind, post.direction, post.author_name) == ("post", "inbound", "Maria")


def test_recorded_messenger_messages(meta: Path):
    ctx = facebook.messenger_context("acme", MYLIFE_PAGE, "facebook:acme:messenger")
    single = inbox_message(load(meta, "facebook/apidata/messages/message_info.json"), "t_1", ctx)
    assert (single.direction, single.author_id, single.channel) == ("inbound", KUN, "private")
    assert single.thread_ref == "t_1" and single.kind == "dm"
    batch = load(meta, "facebook/apidata/messages/messages_info.json")
    parsed = [inbox_message(v, "t_1", ctx) for v in batch.values()]
    assert {m.external_id for m in parsed} == set(batch)
    model = load(meta, "facebook/models/message.json")
    assert inbox_message(model, "t_1", ctx).text == model.get("message", "")
    # The recorded threads are single objects, not a paged list: the README's
    # gap. A thread without nested messages is refused with a clear reason.
    thread = load(meta, "facebook/apidata/conversations/cvs_info.json")
    with pytest.raises(ValueError, match="no messages list"):
        conversation_messages(thread, ctx)
    assert facebook.conversation_time(thread).isoformat() == "2021-07-23T09:28:50+00:00"
    # A page-sent message is the brand's reply.
    sent = {**model, "from": {"id": MYLIFE_PAGE, "name": "MyLife"}}
    assert inbox_message(sent, "t_1", ctx).direction == "outbound"


def test_recorded_instagram_comments_replies_and_fields(meta: Path):
    messages = []
    for name in ("comments_p1.json", "comments_p2.json"):
        page = to_page(load(meta, f"instagram/apidata/medias/{name}"))
        for item in page.items:
            messages += instagram.comment_messages(item, ig_ctx(), {"id": "17846368219941692"})
    assert len(messages) == 4  # two recorded pages of two
    # Instagram's names: timestamp/text, not created_time/message.
    assert messages[0].text == "Beautiful!" and messages[0].created_at.year == 2020
    assert all(m.thread_ref == "17846368219941692" and m.direction == "inbound" for m in messages)
    model = instagram.comment_messages(load(meta, "instagram/models/ig_comment.json"), ig_ctx())
    assert [m.external_id for m in model] == ["17892250648466172", "17845747489952795"]
    assert model[1].in_reply_to_id == "17892250648466172"
    assert model[0].author_handle == "ikroskun" and model[0].thread_ref == "17846368219941692"
    # Seen from the commenter's own account, the comment is the brand's.
    own = instagram.comment_messages(
        load(meta, "instagram/models/ig_comment.json"), ig_ctx("IKROSKUN")
    )
    assert own[0].direction == "outbound"
    replies = to_page(load(meta, "instagram/apidata/comments/replies.json"))
    parsed = [
        instagram.comment_messages(r, ig_ctx(), parent_id="17892250648466172")[0]
        for r in replies.items
    ]
    assert parsed[0].in_reply_to_id == "17892250648466172"
    for name in ("apidata/comments/comment_fields.json", "models/ig_reply.json"):
        [one] = instagram.comment_messages(load(meta, f"instagram/{name}"), ig_ctx())
        assert one.author_handle and one.text
    fields = load(meta, "instagram/apidata/comments/comments_fields.json")
    assert {instagram.comment_messages(v, ig_ctx())[0].external_id for v in fields.values()} == set(
        fields
    )


def test_recorded_instagram_mentions_and_media_counts(meta: Path):
    mention = instagram.mentioned_comment_message(
        load(meta, "instagram/apidata/users/mentioned_comment.json"), ig_ctx()
    )
    assert (mention.kind, mention.direction, mention.author_handle) == (
        "mention",
        "inbound",
        "ikroskun",
    )
    tagged = to_page(load(meta, "instagram/apidata/users/tagged_medias.json"))
    found = [instagram.mention_message(m, ig_ctx()) for m in tagged.items]
    assert found and all(
        m.kind == "mention" and m.url.startswith("https://www.instagram.com/") for m in found
    )
    for name in ("medias_p1.json", "medias_p2.json"):
        media = to_page(load(meta, f"instagram/apidata/users/{name}"))
        assert all(isinstance(instagram.media_comment_count(m), int) for m in media.items)


def test_recorded_errors_become_clear_states(meta: Path):
    proof = to_error(load(meta, "base/error.json")["error"], 400)
    assert isinstance(proof, PermissionMissing) and "re-authorise" in str(proof)
    missing = to_error(load(meta, "base/error_data.json")["error"], 400)
    assert isinstance(missing, PermissionMissing) and "pages_read_engagement" in str(missing)


def test_recorded_comments_stored_and_threaded(meta: Path, db):
    items = to_page(load(meta, "facebook/apidata/comments/comments_p1.json")).items
    messages = [facebook.comment_message(i, fb_ctx()) for i in items]
    result = ingest(db, messages, source="facebook:acme:comments")
    assert result.inserted == len(items) and result.rejected == 0
    again = ingest(db, messages, source="facebook:acme:comments")
    assert (again.inserted, again.duplicates) == (0, len(items))
