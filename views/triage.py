"""Triage: the live queue of conversations waiting for a response."""

from __future__ import annotations

import hashlib
import sqlite3
import time

import pandas as pd
import streamlit as st

from replywatch.metrics import sla_state
from replywatch.sentiment.intent import intent_name
from replywatch.store import lookups
from replywatch.store import triage as store_triage
from replywatch.store.db import is_busy
from replywatch.views import _common as common
from replywatch.views.i18n import current_language, reason_text
from replywatch.views.safe_text import escape_markdown, plain_handle, safe_url

REFRESH_SECONDS = 15
PAGE_SIZE = 200
STATUS_CHOICES = ["new", "open", "replied", "closed", "spam", "ignored"]
VIEW_LABELS = {"waiting": "Waiting", "probably_resolved": "Probably resolved"}
#: A bulk action on more conversations than this asks for confirmation first.
CONFIRM_ABOVE = 3


@st.cache_data(ttl=60, show_spinner=False)
def _choices(path: str) -> dict[str, list[str]]:
    db = common.conn()
    return {
        "platforms": lookups.platforms(db),
        "languages": lookups.languages(db),
        "assignees": store_triage.assignees(db),
    }


def _filters(brand: str | None) -> store_triage.QueueFilter:
    choices = _choices(common.db_path())
    cols = st.columns([1, 1, 2, 1, 1])
    platform = cols[0].selectbox(
        "Platform",
        [None, *choices["platforms"]],
        format_func=lambda v: "All" if v is None else v,
        key="tri_platform",
    )
    channel = cols[1].selectbox(
        "Channel",
        [None, "public", "private"],
        format_func=lambda v: "All" if v is None else v,
        key="tri_channel",
    )
    statuses = cols[2].multiselect(
        "Status", STATUS_CHOICES, default=["new", "open"], key="tri_status"
    )
    assignee = cols[3].selectbox(
        "Assignee",
        [None, store_triage.UNASSIGNED, *choices["assignees"]],
        format_func=lambda v: (
            "Anyone" if v is None else ("Unassigned" if v == store_triage.UNASSIGNED else v)
        ),
        key="tri_assignee",
    )
    language = cols[4].selectbox(
        "Language",
        [None, *choices["languages"]],
        format_func=lambda v: "All" if v is None else v,
        key="tri_language",
    )
    cols = st.columns([4, 1, 2])
    search = cols[0].text_input(
        "Search text or author", key="tri_search", placeholder='e.g. refund, "order 123", @someone'
    )
    urgent = cols[1].toggle("Urgent only", key="tri_urgent")
    view = cols[2].radio(
        "Show",
        list(store_triage.VIEWS),
        format_func=lambda v: VIEW_LABELS[v],
        key="tri_view",
        horizontal=True,
        help="Probably resolved: the customer's latest word is a thank-you or 'solved' "
        "after a reply. Not waiting; close it or reopen it in one click.",
    )
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
    )


# --- actions (run as callbacks, before the fragment redraws) -------------------


def _selected() -> list[int]:
    return list(st.session_state.get("tri_selected") or [])


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
        st.session_state["tri_flash"] = ("error", "the selection changed: nothing was done")


def _cancel() -> None:
    st.session_state.pop("tri_pending", None)
    st.session_state["tri_flash"] = ("success", "cancelled: nothing was changed")


def _act(kind: str, value: str | None = None) -> None:
    ids = _selected()
    db = common.conn()
    try:
        if not common.can("agent"):
            raise ValueError("triage actions need the agent role")
        if not ids:
            raise ValueError("select one or more conversations first")
        who = common.actor()
        if kind == "status":
            n = store_triage.set_status(db, ids, value or "", actor=who)
            message = f"{n} conversation(s) marked {value}"
            if n < len(ids):
                message += f"; {len(ids) - n} unchanged"
        elif kind == "assign":
            assignee = st.session_state.get("tri_assign_to") or None
            n = store_triage.assign(db, ids, assignee, actor=who)
            # st.success renders Markdown: the typed name is escaped.
            message = (
                f"{n} conversation(s) assigned to "
                f"{escape_markdown(assignee) if assignee else 'nobody'}"
            )
            _choices.clear()
        elif kind == "tag":
            n = store_triage.add_tag(db, ids, st.session_state.get("tri_tag") or "", actor=who)
            message = f"tag added to {n} conversation(s)"
        elif kind == "note":
            n = store_triage.add_note(db, ids, st.session_state.get("tri_note") or "", actor=who)
            st.session_state["tri_note"] = ""
            message = f"note added to {n} conversation(s)"
        else:
            raise ValueError(f"unknown action {kind}")
    except ValueError as exc:
        st.session_state["tri_flash"] = ("error", str(exc))
    except sqlite3.OperationalError as exc:
        if not is_busy(exc):
            raise
        # Another writer (a large file import commits in one long transaction)
        # held the database past the busy timeout; the action wrote nothing.
        st.session_state["tri_flash"] = (
            "error",
            (
                "The database is busy: another writer, such as a large import, held it "
                "longer than the wait allows. Nothing was changed; try again in a minute."
            ),
        )
    else:
        st.session_state["tri_flash"] = ("success", message)


def _sla_label(row: dict, now: int) -> str | None:
    state = sla_state(row, now)
    return state.replace("_", " ") if isinstance(state, str) else state


def _frame(rows: list[dict], now: int, tz) -> pd.DataFrame:
    records = []
    for r in rows:
        sla = _sla_label(r, now) if r["status"] in ("new", "open") else None
        compound = r.get("compound")
        records.append(
            {
                "id": r["id"],
                "priority": int(r.get("priority") or 0),
                "": common.PLATFORM_ICONS.get(r["platform"], r["platform"]),
                "SLA": sla or "",
                "waiting": common.duration(r["waiting_seconds"]),
                "customer": r.get("author_name") or r.get("customer_handle") or "",
                "message": (r.get("text") or "").replace("\r", " ").replace("\n", " "),
                "lang": r.get("language") or "",
                "sentiment": (
                    f"{r['label']} {compound:+.2f}"
                    if r.get("label") and compound is not None
                    else (r.get("label") or "")
                ),
                "intent": intent_name(r.get("intent"), current_language()),
                "urgency": int(r["urgency"] or 0),
                "urgent": "⚠️" if r["urgent"] else "",
                "peak": int(r.get("peak_urgency") or 0),
                "reasons": reason_text(
                    r.get("reason_codes"), r.get("reasons") or [], r.get("reason_language")
                ),
                "why this position": r.get("priority_why") or "",
                "status": r["status"],
                "assignee": r.get("assignee") or "",
                "tags": ", ".join(r.get("tags") or []),
                "brand": r.get("brand") or "",
                "since": common.when(r.get("awaiting_since") or r.get("first_customer_at"), tz),
                "post": safe_url(r.get("url")),
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
            st.toast(f"{len(new)} new urgent conversation(s): {listed}", icon="🚨")
    st.session_state["tri_seen_urgent"] = ids


def _action_buttons() -> None:
    """Status, assign, tag and note actions on the selected conversations."""
    cols = st.columns(5)
    for col, (label, status) in zip(
        cols,
        [
            ("Mark replied", "replied"),
            ("Close", "closed"),
            ("Spam", "spam"),
            ("Ignore", "ignored"),
            ("Reopen", "open"),
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
        st.text_input("Assign to", key="tri_assign_to", placeholder="name (empty: unassign)")
        st.button("Assign", key="tri_btn_assign", on_click=_request, args=("assign",))
    with cols[1]:
        st.text_input("Tag", key="tri_tag", placeholder="e.g. refund")
        st.button("Add tag", key="tri_btn_tag", on_click=_request, args=("tag",))
    with cols[2]:
        st.text_area("Note", key="tri_note", height=68)
        st.button("Add note", key="tri_btn_note", on_click=_request, args=("note",))


@st.fragment(run_every=REFRESH_SECONDS)
def live_queue(flt: store_triage.QueueFilter, tz) -> None:
    """The queue, the selection and the actions; refreshes on its own."""
    db = common.conn()
    now = int(time.time())
    flash = st.session_state.pop("tri_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    _announce_urgent(flt)
    total = store_triage.queue_count(db, flt)
    rows = store_triage.queue(db, flt, now=now, limit=PAGE_SIZE)
    st.caption(
        f"{total:,} conversation(s) match · showing the first {len(rows):,} · "
        f"highest priority first (current urgency + time against the SLA; "
        f"see 'why this position') · refreshed "
        f"{common.when(now, tz)[-5:]} ({REFRESH_SECONDS}s)"
    )
    if not rows:
        st.info(
            "Nothing is waiting for a response with these filters."
            if flt.view == "waiting"
            else "No conversation is probably resolved with these filters.",
            icon="✅",
        )
    elif flt.view == "probably_resolved":
        st.caption(
            "The customer's latest word is a thank-you or 'solved' after a reply: not "
            "waiting. Select and Close to resolve, or Reopen to put it back in the queue."
        )
    frame = _frame(rows, now, tz)
    ids = [r["id"] for r in rows]
    if rows:
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
                "id": st.column_config.NumberColumn("#", width="small", format="%d"),
                "message": st.column_config.TextColumn("message", width="large"),
                "priority": st.column_config.NumberColumn(
                    "priority",
                    format="%d",
                    help="current urgency + up to 50 for time against the SLA",
                ),
                "urgency": st.column_config.ProgressColumn(
                    "urgency",
                    min_value=0,
                    max_value=100,
                    format="%d",
                    help="urgency of the customer's messages since the last reply",
                ),
                "peak": st.column_config.NumberColumn(
                    "peak", format="%d", help="highest urgency this conversation ever had"
                ),
                "why this position": st.column_config.TextColumn(
                    "why this position", width="large"
                ),
                "post": st.column_config.LinkColumn("post", display_text="open ↗"),
            },
        )
        picked = [ids[i] for i in event.selection.rows if i < len(ids)]
        last = st.session_state.get("tri_table_last")
        if last and last[0] == table_key and last[1] != picked:
            st.session_state["tri_selected"] = picked
        st.session_state["tri_table_last"] = (table_key, picked)

    labels = {r["id"]: f"#{r['id']} @{plain_handle(r.get('customer_handle'))}" for r in rows}
    selected = [i for i in _selected() if isinstance(i, int)]
    st.session_state["tri_selected"] = selected
    # A text box, not a searchable multiselect: its filter matched "542" inside
    # "#1542" and "#5420" and offered to select every match. Ids here are exact.
    options = list(dict.fromkeys([*ids, *selected]))
    st.multiselect(
        "Selected conversations",
        options,
        key="tri_selected",
        format_func=lambda i: labels.get(i, f"#{i}"),
        placeholder="tick rows in the table or type #id",
        # Typed text matches the start of "#542 @handle" only (the default fuzzy
        # filter matched "542" in 22 other ids), and there is no "Select N
        # matches": a bulk selection is made row by row, and confirmed.
        filter_mode="prefix",
        select_all=False,
    )

    if common.can("agent"):
        pending = st.session_state.get("tri_pending")
        if pending:
            kind, value, pending_ids = pending
            what = f"mark {value}" if kind == "status" else kind
            st.warning(
                f"Apply '{what}' to {len(pending_ids)} conversations? This changes all of them."
            )
            cols = st.columns(2)
            cols[0].button(
                f"Yes, apply to {len(pending_ids)}",
                key="tri_confirm",
                on_click=_confirm,
                type="primary",
            )
            cols[1].button("Cancel", key="tri_cancel", on_click=_cancel)
        _action_buttons()
    else:
        st.info("Your role can view the queue; triage actions need the agent role.")

    chosen = _selected()
    if chosen:
        _detail(chosen[0], tz, rows)


def _detail(conversation_id: int, tz, rows: list[dict]) -> None:
    """Messages, notes and audit trail of one conversation, as inert text."""
    try:
        detail = store_triage.conversation_detail(common.conn(), conversation_id)
    except ValueError:
        return
    with st.expander(f"Conversation #{conversation_id}", expanded=True):
        url = next((safe_url(r.get("url")) for r in rows if r["id"] == conversation_id), None)
        if url:
            st.link_button("Open original post ↗", url)
        latest = next(
            (m for m in reversed(detail["messages"]) if m["direction"] == "inbound"), None
        )
        if latest:
            st.caption("Latest customer message (plain text)")
            st.text(latest["text"])
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "at": common.when(m["created_ts"], tz),
                        "from": m["direction"],
                        "author": m["author"] or "",
                        "text": m["text"],
                        "sentiment": m["label"] or "",
                        "urgency": m["urgency"],
                    }
                    for m in detail["messages"]
                ]
            ),
            hide_index=True,
        )
        if detail["notes"]:
            st.markdown("**Notes**")
            st.dataframe(pd.DataFrame(detail["notes"]), hide_index=True)
        if detail["audit"]:
            st.markdown("**History**")
            st.dataframe(pd.DataFrame(detail["audit"]), hide_index=True)


st.title("Triage")
if not common.has_data():
    common.empty_state()
else:
    current = common.scope()
    st.caption(
        "Conversations waiting for a response, whatever the period in the sidebar. "
        f"Times in {current.timezone}."
    )
    live_queue(_filters(current.brand), current.tz)
