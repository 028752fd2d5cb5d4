"""Triage: the live queue of conversations waiting for a response."""

from __future__ import annotations

import hashlib
import json
import re
import time

import pandas as pd
import streamlit as st

from replywatch import i18n, pipeline
from replywatch.metrics import sla_state
from replywatch.sentiment.intent import intent_name
from replywatch.store import lookups
from replywatch.store import triage as store_triage
from replywatch.store.errors import StoreBusy
from replywatch.views import _common as common
from replywatch.views.i18n import (
    N_,
    _,
    current_language,
    keep,
    labels,
    number,
    reason_text,
    translated,
)
from replywatch.views.labelling import label_buttons
from replywatch.views.priority_text import priority_why
from replywatch.views.safe_text import (
    DETAIL_CHARS,
    escape_markdown,
    plain_handle,
    preview,
)

REFRESH_SECONDS = 15
PAGE_SIZE = 200
STATUS_CHOICES = ["new", "open", "replied", "closed", "spam", "ignored"]
VIEW_LABELS = {"waiting": N_("Waiting"), "probably_resolved": N_("Probably resolved")}
ACTION_NAMES = {"assign": N_("assign"), "tag": N_("tag"), "note": N_("note")}
#: A bulk action on more conversations than this asks for confirmation first.
CONFIRM_ABOVE = 3
#: What "Add conversation #" accepts: one whole id, with or without "#".
_TYPED_ID = re.compile(r"#?\s*([0-9]{1,18})")


@st.cache_data(ttl=60, show_spinner=False)
def _choices(path: str) -> dict[str, list[str]]:
    db = common.conn()
    return {
        "platforms": lookups.platforms(db),
        "languages": lookups.languages(db),
        "assignees": store_triage.assignees(db),
    }


def _filters(brand: str | None) -> store_triage.QueueFilter:
    """The queue's filters, as the two rows of widgets above it set them."""
    platform, channel, statuses, assignee, language = _filter_row()
    search, urgent, closing, view = _search_row()
    return store_triage.QueueFilter(
        brand=brand,
        platform=platform,
        channel=channel,
        statuses=tuple(statuses or ["new", "open"]),
        assignee=assignee,
        urgent_only=urgent,
        language=language,
        search=search or None,
        view=view,
        window_closing=closing,
    )


def _filter_row() -> tuple:
    """Platform, channel, statuses, assignee and language pickers."""
    choices = _choices(common.db_path())
    # The statuses get a wide column: six pills did not fit beside the pickers
    # at 1440 px and the last ones were cut off (issue 23 point 11).
    cols = st.columns(4)
    everything = _("All")
    platform = cols[0].selectbox(
        _("Platform"),
        [None, *choices["platforms"]],
        format_func=labels(
            {None: everything, **{p: common.platform_name(p) for p in choices["platforms"]}}
        ),
        key=keep("tri_platform"),
    )
    channel = cols[1].selectbox(
        _("Channel"),
        [None, "public", "private"],
        format_func=labels({None: everything, **translated(["public", "private"])}),
        key=keep("tri_channel"),
    )
    # Pills, not a multiselect: Streamlit's multiselect adds its own "Select
    # all", in English whatever the interface language. The default is set in
    # the state, not as default=, so a value kept across a language switch
    # does not clash with it.
    st.session_state.setdefault("tri_status", ["new", "open"])
    statuses = (
        st.pills(
            _("Status"),
            STATUS_CHOICES,
            selection_mode="multi",
            key=keep("tri_status"),
            format_func=labels(translated(STATUS_CHOICES)),
        )
        or []
    )
    assignee = cols[2].selectbox(
        _("Assignee"),
        [None, store_triage.UNASSIGNED, *choices["assignees"]],
        format_func=labels({None: _("Anyone"), store_triage.UNASSIGNED: _("Unassigned")}),
        key=keep("tri_assignee"),
    )
    language = cols[3].selectbox(
        _("Language"),
        [None, *choices["languages"]],
        format_func=labels(
            {
                None: everything,
                **{c: i18n.language_name(c, current_language()) for c in choices["languages"]},
            }
        ),
        key=keep("tri_language"),
    )
    return platform, channel, statuses, assignee, language


def _search_row() -> tuple:
    """The search box, the urgent-only and window-closing toggles, the view."""
    cols = st.columns([3, 1.3, 1.5, 2])
    search = cols[0].text_input(
        _("Search text or author"),
        key=keep("tri_search"),
        placeholder=_('e.g. refund, "order 123", @someone'),
    )
    urgent = cols[1].toggle(_("Urgent only"), key=keep("tri_urgent"))
    closing = cols[2].toggle(
        _("Window closing"),
        key=keep("tri_window"),
        help=_(
            "WhatsApp, Messenger and Instagram direct conversations whose 24-hour window "
            "closes within {hours} hours: after it, only a paid, pre-approved template "
            "can reach the customer."
        ).format(hours=store_triage.WINDOW_CLOSING_SECONDS // 3600),
    )
    view = cols[3].radio(
        _("Show"),
        list(store_triage.VIEWS),
        format_func=labels({v: _(label) for v, label in VIEW_LABELS.items()}),
        key=keep("tri_view"),
        horizontal=True,
        help=_(
            "Probably resolved: the customer's latest word is a thank-you or 'solved' "
            "after a reply. Not waiting; close it or reopen it in one click."
        ),
    )
    return search, urgent, closing, view


# --- actions (run as callbacks, before the fragment redraws) -------------------


def _selected() -> list[int]:
    return list(st.session_state.get("tri_selected") or [])


def _add_typed() -> None:
    """'Add conversation #': adds exactly the typed id ("542" or "#542") to the
    selection when that conversation is in the list shown; anything else adds
    nothing and says why. There is no partial matching, so "542" never means
    #5420 or #1542."""
    typed = (st.session_state.get("tri_add") or "").strip()
    st.session_state["tri_add"] = ""
    if not typed:
        return
    match = _TYPED_ID.fullmatch(typed)
    if not match:
        # The typed text is not echoed: it would be rendered as Markdown.
        st.session_state["tri_add_result"] = (
            "error",
            _("Type a conversation number such as 542 or #542: nothing was added."),
        )
        return
    conversation_id = int(match.group(1))
    if conversation_id not in (st.session_state.get("tri_listed") or ()):
        st.session_state["tri_add_result"] = (
            "error",
            _(
                "No conversation #{id} in this list (check the filters above): nothing was added."
            ).format(id=conversation_id),
        )
        return
    selected = _selected()
    if conversation_id not in selected:
        selected.append(conversation_id)
    st.session_state["tri_selected"] = selected
    st.session_state["tri_add_result"] = (
        "success",
        _("Conversation #{id} selected ({count} in all).").format(
            id=conversation_id, count=len(selected)
        ),
    )


def _request(kind: str, value: str | None = None) -> None:
    """An action button: runs at once on a few conversations; on more than
    CONFIRM_ABOVE it waits for the person to confirm."""
    ids = _selected()
    if len(ids) > CONFIRM_ABOVE:
        st.session_state["tri_pending"] = (kind, value, tuple(ids))
        return
    _act(kind, value)


def _confirm() -> None:
    pending = st.session_state.pop("tri_pending", None)
    if pending and tuple(_selected()) == pending[2]:
        _act(pending[0], pending[1])
    elif pending:
        st.session_state["tri_flash"] = ("error", _("the selection changed: nothing was done"))


def _cancel() -> None:
    st.session_state.pop("tri_pending", None)
    st.session_state["tri_flash"] = ("success", _("cancelled: nothing was changed"))


def _act(kind: str, value: str | None = None) -> None:
    ids = _selected()
    db = common.conn()
    try:
        if not common.can("agent"):
            raise ValueError(_("triage actions need the agent role"))
        if not ids:
            raise ValueError(_("select one or more conversations first"))
        who = common.actor()
        if kind == "status":
            n = pipeline.set_status(db, ids, value or "", actor=who)
            message = _("{count} conversation(s) marked {status}").format(
                count=n, status=_(value or "")
            )
            if n < len(ids):
                message += _("; {count} unchanged").format(count=len(ids) - n)
        elif kind == "assign":
            assignee = st.session_state.get("tri_assign_to") or None
            n = store_triage.assign(db, ids, assignee, actor=who)
            # st.success renders Markdown: the typed name is escaped.
            message = _("{count} conversation(s) assigned to {name}").format(
                count=n, name=escape_markdown(assignee) if assignee else _("nobody")
            )
            _choices.clear()
        elif kind == "tag":
            n = store_triage.add_tag(db, ids, st.session_state.get("tri_tag") or "", actor=who)
            message = _("tag added to {count} conversation(s)").format(count=n)
        elif kind == "note":
            n = store_triage.add_note(db, ids, st.session_state.get("tri_note") or "", actor=who)
            st.session_state["tri_note"] = ""
            message = _("note added to {count} conversation(s)").format(count=n)
        else:
            raise ValueError(_("unknown action {kind}").format(kind=kind))
    except ValueError as exc:
        st.session_state["tri_flash"] = ("error", str(exc))
    except StoreBusy:
        # Another writer (a large file import commits in one long transaction)
        # held the database past the busy timeout; the action wrote nothing.
        st.session_state["tri_flash"] = (
            "error",
            _(
                "The database is busy: another writer, such as a large import, held it "
                "longer than the wait allows. Nothing was changed; try again in a minute."
            ),
        )
    else:
        st.session_state["tri_flash"] = ("success", message)


# Column headers (the frames keep these machine names; the grid shows them translated).
HEADERS = (
    N_("SLA"),
    N_("waiting"),
    N_("customer"),
    N_("message"),
    N_("lang"),
    N_("sentiment"),
    N_("urgency"),
    N_("urgent"),
    N_("priority"),
    N_("peak"),
    N_("why this position"),
    N_("intent"),
    N_("reasons"),
    N_("status"),
    N_("assignee"),
    N_("tags"),
    N_("brand"),
    N_("since"),
    N_("post"),
    N_("at"),
    N_("from"),
    N_("author"),
    N_("text"),
    N_("action"),
    N_("actor"),
    N_("detail"),
    N_("24h window"),
    N_("events"),
)
#: WhatsApp delivery states of a brand message (shown translated).
DELIVERY_STATES = (N_("sent"), N_("delivered"), N_("read"), N_("played"), N_("failed"))


def _headers(frame: pd.DataFrame) -> dict:
    """column_config giving each machine-named column its translated header."""
    return {c: st.column_config.Column(_(c)) for c in frame.columns if c and c != "id"}


def _sla_label(row: dict, now: int) -> str | None:
    state = sla_state(row, now)
    return state.replace("_", " ") if isinstance(state, str) else state


def _window(row: dict, now: int) -> str:
    """Time left to answer with free text (WhatsApp, Messenger, Instagram DMs)."""
    ends = row.get("window_ends_at")
    if ends is None or row["status"] not in ("new", "open"):
        return ""
    if ends <= now:
        return _("closed: template only")
    return _("{duration} left").format(duration=common.duration(ends - now))


def _frame(rows: list[dict], now: int, tz, *, waiting: bool = True) -> pd.DataFrame:
    """The queue as a table; ``waiting`` False (Probably resolved): no SLA
    state and no waiting time, since those conversations are not waiting."""
    records = []
    for r in rows:
        open_ = waiting and r["status"] in ("new", "open")
        sla = _sla_label(r, now) if open_ else None
        compound = r.get("compound")
        records.append(
            {
                "id": r["id"],
                "priority": int(r.get("priority") or 0),
                "platform": common.platform_badge(r["platform"]),
                "SLA": _(sla) if sla else "",
                "waiting": common.duration(r["waiting_seconds"]) if waiting else "",
                "24h window": _window(r, now),
                "customer": r.get("author_name") or r.get("customer_handle") or "",
                "message": preview(r.get("text")).replace("\r", " ").replace("\n", " "),
                "lang": r.get("language") or "",
                "sentiment": (
                    f"{_(r['label'])} {number(compound, 2, signed=True)}"
                    if r.get("label") and compound is not None
                    else (_(r["label"]) if r.get("label") else "")
                ),
                "intent": intent_name(r.get("intent"), current_language()),
                "urgency": int(r["urgency"] or 0),
                "urgent": "⚠️" if r["urgent"] else "",
                "peak": int(r.get("peak_urgency") or 0),
                "reasons": reason_text(
                    r.get("reason_codes"), r.get("reasons") or [], r.get("reason_language")
                ),
                "why this position": priority_why(r, now, current_language()),
                "status": _(r["status"]),
                "assignee": r.get("assignee") or "",
                "tags": ", ".join(r.get("tags") or []),
                "brand": r.get("brand") or "",
                "since": common.when(r.get("awaiting_since") or r.get("first_customer_at"), tz),
                "post": common.post_link(r["platform"], r.get("url")),
            }
        )
    return pd.DataFrame.from_records(records)


def _announce_urgent(flt: store_triage.QueueFilter) -> None:
    """Toast conversations that became urgent since the last refresh."""
    ids = set(store_triage.urgent_waiting_ids(common.conn(), flt))
    seen = st.session_state.get("tri_seen_urgent")
    if seen is not None:
        new = ids - seen
        if new:
            listed = ", ".join(f"#{i}" for i in sorted(new)[:5])
            st.toast(
                _("{count} new urgent conversation(s): {ids}").format(count=len(new), ids=listed),
                icon="🚨",
            )
    st.session_state["tri_seen_urgent"] = ids


def _action_buttons() -> None:
    """Status, assign, tag and note actions on the selected conversations."""
    cols = st.columns(5)
    for col, (label, status) in zip(
        cols,
        [
            (_("Mark replied"), "replied"),
            (_("Close"), "closed"),
            (_("Spam"), "spam"),
            (_("Ignore"), "ignored"),
            (_("Reopen"), "open"),
        ],
        strict=True,
    ):
        col.button(
            label,
            key=f"tri_btn_{status}",
            on_click=_request,
            args=("status", status),
            width="stretch",
            type="primary" if status == "replied" else "secondary",
        )
    cols = st.columns(3)
    with cols[0]:
        st.text_input(_("Assign to"), key="tri_assign_to", placeholder=_("name (empty: unassign)"))
        st.button(_("Assign"), key="tri_btn_assign", on_click=_request, args=("assign",))
    with cols[1]:
        st.text_input(_("Tag"), key="tri_tag", placeholder=_("e.g. refund"))
        st.button(_("Add tag"), key="tri_btn_tag", on_click=_request, args=("tag",))
    with cols[2]:
        st.text_area(_("Note"), key="tri_note", height=68)
        st.button(_("Add note"), key="tri_btn_note", on_click=_request, args=("note",))


def _open(conversation_id: int) -> None:
    st.session_state["tri_selected"] = [conversation_id]


def _found_by_id(db, flt: store_triage.QueueFilter, rows: list[dict]) -> None:
    """A search for a conversation's number ("542", "#542") finds it whatever
    the filters: when the list does not show it (another status, another
    view), say which status it has and offer to open it."""
    match = _TYPED_ID.fullmatch((flt.search or "").strip())
    if not match:
        return
    conversation_id = int(match.group(1))
    if any(r["id"] == conversation_id for r in rows):
        return
    status = store_triage.conversation_status(db, conversation_id)
    if status is None:
        return
    cols = st.columns([4, 1])
    cols[0].info(
        _("Conversation #{id} is {status}: not in this list with these filters.").format(
            id=conversation_id, status=_(status)
        )
    )
    cols[1].button(
        _("Open #{id}").format(id=conversation_id),
        key="tri_open_found",
        on_click=_open,
        args=(conversation_id,),
    )


@st.fragment(run_every=REFRESH_SECONDS)
def live_queue(flt: store_triage.QueueFilter, tz) -> None:
    """The queue, the selection and the actions; refreshes on its own."""
    db = common.conn()
    now = int(time.time())
    flash = st.session_state.pop("tri_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    try:
        _announce_urgent(flt)
        total = store_triage.queue_count(db, flt)
        rows = store_triage.queue(db, flt, now=now, limit=PAGE_SIZE)
    except store_triage.SearchTooBroad:
        st.warning(
            _(
                "The search took longer than {seconds} s and was stopped: use longer words "
                "or fewer prefix terms (word*)."
            ).format(seconds=f"{store_triage.SEARCH_BUDGET_SECONDS:g}")
        )
        return
    st.caption(
        _(
            "{total} conversation(s) match · showing the first {shown} · highest priority "
            "first (current urgency + time against the SLA; see 'why this position') · "
            "refreshed {time} ({seconds}s)"
        ).format(
            total=number(total),
            shown=number(len(rows)),
            time=common.when(now, tz)[-5:],
            seconds=REFRESH_SECONDS,
        )
    )
    _found_by_id(db, flt, rows)
    if not rows:
        st.info(
            _("Nothing is waiting for a response with these filters.")
            if flt.view == "waiting"
            else _("No conversation is probably resolved with these filters."),
            icon="✅",
        )
    elif flt.view == "probably_resolved":
        st.caption(
            _(
                "The customer's latest word is a thank-you or 'solved' after a reply: not "
                "waiting. Select and Close to resolve, or Reopen to put it back in the queue."
            )
        )
    frame = _frame(rows, now, tz, waiting=flt.view == "waiting")
    ids = [r["id"] for r in rows]
    if rows:
        _queue_table(frame, rows, ids)
    _selection_box(rows, ids)
    _agent_actions()
    chosen = _selected()
    if chosen:
        _detail(chosen[0], tz, rows)


def _queue_table(frame, rows: list[dict], ids: list[int]) -> None:
    """The queue grid (ticking rows selects them) and its CSV download."""
    # The table widget is keyed by the rows it shows: when a refresh changes
    # them, the old row-index selection cannot point at the wrong rows.
    table_key = "tri_table_" + hashlib.sha1(repr(ids).encode()).hexdigest()[:12]
    event = st.dataframe(
        frame.style.map(common.state_style, subset=["SLA"]),
        key=table_key,
        hide_index=True,
        on_select="rerun",
        selection_mode="multi-row",
        column_config={
            **_headers(frame),
            "id": st.column_config.NumberColumn("#", width="small", format="%d"),
            "platform": st.column_config.ImageColumn(_("platform"), width="small"),
            "message": st.column_config.TextColumn(_("message"), width="large"),
            "priority": st.column_config.NumberColumn(
                _("priority"),
                format="%d",
                help=_("current urgency + up to 50 for time against the SLA"),
            ),
            "urgency": st.column_config.ProgressColumn(
                _("urgency"),
                min_value=0,
                max_value=100,
                format="%d",
                help=_("urgency of the customer's messages since the last reply"),
            ),
            "peak": st.column_config.NumberColumn(
                _("peak"), format="%d", help=_("highest urgency this conversation ever had")
            ),
            "why this position": st.column_config.TextColumn(_("why this position"), width="large"),
            "post": st.column_config.LinkColumn(_("post"), display_text=_("open ↗")),
        },
    )
    # The file names the platform ("Reddit"), where the grid draws its badge.
    names = [common.platform_name(r["platform"]) for r in rows]
    common.csv_download(frame.assign(platform=names), "triage-queue.csv", key="tri_csv")
    picked = [ids[i] for i in event.selection.rows if i < len(ids)]
    last = st.session_state.get("tri_table_last")
    if last and last[0] == table_key and last[1] != picked:
        st.session_state["tri_selected"] = picked
    st.session_state["tri_table_last"] = (table_key, picked)


def _selection_box(rows: list[dict], ids: list[int]) -> None:
    """The selected conversations and the box that adds one by its number."""
    labels = {r["id"]: f"#{r['id']} @{plain_handle(r.get('customer_handle'))}" for r in rows}
    selected = [i for i in _selected() if isinstance(i, int)]
    st.session_state["tri_selected"] = selected
    # What "Add conversation #" may add: the conversations this list shows.
    st.session_state["tri_listed"] = frozenset(ids)
    options = list(dict.fromkeys([*ids, *selected]))
    cols = st.columns([3, 1])
    cols[0].multiselect(
        _("Selected conversations"),
        options,
        key="tri_selected",
        format_func=lambda i: labels.get(i, f"#{i}"),
        placeholder=_("tick rows in the table, or add one by its # on the right"),
        # No typing in this box: every Streamlit filter mode (fuzzy, contains,
        # prefix) offered #5420..#5429 for "542", and none matches exactly. An id
        # is typed in "Add conversation #" instead, which takes that one id only.
        # No "Select all / Select N matches" either: a bulk selection is made row
        # by row, and a bulk action asks first (CONFIRM_ABOVE).
        filter_mode=None,
        select_all=False,
    )
    cols[1].text_input(
        _("Add conversation #"),
        key="tri_add",
        placeholder=_("e.g. 542, then Enter"),
        on_change=_add_typed,
        help=_("Selects exactly the conversation with this number, if this list shows it."),
    )
    added = st.session_state.pop("tri_add_result", None)
    if added:
        (st.success if added[0] == "success" else st.error)(added[1])


def _agent_actions() -> None:
    """A bulk action waiting for confirmation, and the action buttons (agents)."""
    if not common.can("agent"):
        st.info(_("Your role can view the queue; triage actions need the agent role."))
        return
    pending = st.session_state.get("tri_pending")
    if pending:
        kind, value, pending_ids = pending
        what = (
            _("mark {status}").format(status=_(value or ""))
            if kind == "status"
            else _(ACTION_NAMES.get(kind, kind))
        )
        st.warning(
            _("Apply '{action}' to {count} conversations? This changes all of them.").format(
                action=what, count=len(pending_ids)
            )
        )
        cols = st.columns(2)
        cols[0].button(
            _("Yes, apply to {count}").format(count=len(pending_ids)),
            key="tri_confirm",
            on_click=_confirm,
            type="primary",
        )
        cols[1].button(_("Cancel"), key="tri_cancel", on_click=_cancel)
    _action_buttons()


def _events(events: dict) -> str:
    """A message's reactions, edits, deletion and delivery state, as text."""
    parts = []
    if events.get("reaction"):
        parts.append(_("reaction {emoji}").format(emoji=events["reaction"]))
    if "edited" in events:
        parts.append(_("edited: {text}").format(text=events["edited"]))
    if events.get("revoked"):
        parts.append(_("deleted by its author"))
    if events.get("status"):
        parts.append(_(events["status"]))
    return " · ".join(parts)


def _detail(conversation_id: int, tz, rows: list[dict]) -> None:
    """Messages, notes and audit trail of one conversation, as inert text."""
    try:
        detail = store_triage.conversation_detail(common.conn(), conversation_id)
    except ValueError:
        return
    with st.expander(_("Conversation #{id}").format(id=conversation_id), expanded=True):
        row = next((r for r in rows if r["id"] == conversation_id), {})
        url = common.post_link(row.get("platform") or "", row.get("url"))
        if url:
            st.link_button(_("Open original post ↗"), url)
        elif row.get("url"):
            st.caption(_("Link to another site, not opened (plain text):"))
            st.text(preview(str(row["url"])))
        latest = next(
            (m for m in reversed(detail["messages"]) if m["direction"] == "inbound"), None
        )
        if detail["failed_delivery"] is not None:
            st.error(
                _("A message to this customer was not delivered: {error}").format(
                    error=detail["failed_delivery"] or _("no reason given")
                )
            )
        if latest:
            st.caption(_("Latest customer message (plain text)"))
            st.text(preview(latest["text"], DETAIL_CHARS))
        label_buttons(detail["messages"], key=f"tri_label_{conversation_id}")
        messages = pd.DataFrame(
            [
                {
                    "at": common.when(m["created_ts"], tz),
                    "from": _(m["direction"]),
                    "author": m["author"] or "",
                    "text": preview(m["text"]),
                    "events": _events(m["events"]),
                    "sentiment": _(m["label"]) if m["label"] else "",
                    "urgency": m["urgency"],
                }
                for m in detail["messages"]
            ]
        )
        st.dataframe(messages, hide_index=True, column_config=_headers(messages))
        common.csv_download(
            messages, f"conversation-{conversation_id}.csv", key=f"tri_detail_csv_{conversation_id}"
        )
        if detail["notes"]:
            st.markdown("**" + _("Notes") + "**")
            notes = pd.DataFrame(
                [
                    {"at": _iso_when(n["at"], tz), "author": _actor(n["author"]), "text": n["text"]}
                    for n in detail["notes"]
                ]
            )
            st.dataframe(notes, hide_index=True, column_config=_headers(notes))
        if detail["audit"]:
            st.markdown("**" + _("History") + "**")
            audit = pd.DataFrame([_history_row(a, tz) for a in detail["audit"]])
            st.dataframe(audit, hide_index=True, column_config=_headers(audit))


# Headers of the history table (shown through _headers).
HISTORY_HEADERS = (N_("at"), N_("by"), N_("action"), N_("change"), N_("probably resolved"))
# Audit actions (store.audit) as the history names them.
HISTORY_ACTIONS = {
    "status": N_("status changed"),
    "assign": N_("assigned"),
    "tag": N_("tag added"),
    "untag": N_("tag removed"),
    "note": N_("note added"),
    "label.set": N_("message labelled"),
}


def _iso_when(value: str | None, tz) -> str:
    return common.iso_when(value, tz)


def _actor(name: str | None) -> str:
    """Who did it; "local" is the store's name for the dashboard without sign-in."""
    return _("this computer (no sign-in)") if name == "local" else name or ""


def _word(value: object) -> str:
    # A status or other store word, translated; names and tags as written.
    if value is None or value == "":
        return "—"
    text = str(value)
    return _(text) if text in STATUS_WORDS else text


STATUS_WORDS = {*STATUS_CHOICES, "probably resolved"}


def _history_row(entry: dict, tz) -> dict:
    """One audit entry in words: "nova → respondida", not its JSON detail."""
    try:
        detail = json.loads(entry.get("detail") or "{}")
    except ValueError:
        detail = {}
    action = entry.get("action") or ""
    if action == "status" or action == "assign":
        what = f"{_word(detail.get('from'))} → {_word(detail.get('to'))}"
        if detail.get("result") not in (None, detail.get("to")):
            what += " " + _("(now {status})").format(status=_word(detail["result"]))
    elif action in ("tag", "untag"):
        what = str(detail.get("tag", ""))
    elif action == "note":
        what = ""
    elif action == "label.set":  # the store's learning labels (store/labels.py)
        intent = detail.get("intent")
        what = _(intent) if intent else "—"
        if detail.get("urgent") is not None:
            what += " · " + (_("urgent") if detail["urgent"] else _("not urgent"))
    else:
        what = ", ".join(_word(v) for v in detail.values()) if isinstance(detail, dict) else ""
    return {
        "at": _iso_when(entry.get("at"), tz),
        "by": _actor(entry.get("actor")),
        "action": _(HISTORY_ACTIONS[action]) if action in HISTORY_ACTIONS else action,
        "change": what,
    }


st.title(_("Triage"))
if not common.has_data():
    common.empty_state()
else:
    current = common.scope()
    st.caption(
        _(
            "Conversations waiting for a response, whatever the period in the sidebar. "
            "Times in {zone}."
        ).format(zone=current.timezone)
    )
    live_queue(_filters(current.brand), current.tz)
