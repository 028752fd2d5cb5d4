"""Labels from the team: the one-click intent + urgent buttons (Triage page,
conversation detail) and the Admin page's "Learning from the team" section
(labels per intent and language, the model against the rules, Train).

Every click is a label (``store.labels.set_label``: who, when, audited); after
enough new labels the store's model retrains in the background
(``training.retrain_in_background``), never holding up the page or ingest.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from replywatch import training
from replywatch.sentiment.intent import intent_name
from replywatch.store.labels import label_counts, labels_of, set_label
from replywatch.views import _common as common
from replywatch.views.i18n import _, current_language, number

#: The one-click choices: (key, intent, urgent).
CHOICES = (
    ("complaint_urgent", "complaint", True),
    ("complaint", "complaint", False),
    ("question", "question", False),
    ("thanks", "thanks", False),
    ("other", "other", False),
)


def _choice_label(intent: str, urgent: bool | None) -> str:
    name = intent_name(intent, current_language())
    return _("{intent} · urgent").format(intent=name) if urgent else name


def _save(message_id: int, intent: str, urgent: bool) -> None:
    try:
        set_label(common.conn(), message_id, intent=intent, urgent=urgent, actor=common.actor())
    except ValueError as exc:
        st.session_state["label_flash"] = ("error", str(exc))
        return
    st.session_state["label_flash"] = (
        "success",
        _("Labelled: {label}").format(label=_choice_label(intent, urgent)),
    )
    training.retrain_in_background(common.db_path(), actor=common.actor())


def label_buttons(messages: list[dict], *, key: str) -> None:
    """One click labels a customer message: intent and urgent or not. ``messages``
    are the conversation's messages (``store.triage.conversation_detail``); the
    latest customer message is preselected. Needs the agent role."""
    customer = [m for m in messages if m["direction"] == "inbound"]
    if not customer or not common.can("agent"):
        return
    flash = st.session_state.pop("label_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    ids = [m["id"] for m in customer]
    texts = {m["id"]: (m["text"] or "").replace("\n", " ")[:80] for m in customer}
    chosen = ids[-1]
    if len(ids) > 1:
        chosen = st.selectbox(
            _("Message to label"),
            list(reversed(ids)),
            format_func=lambda i: texts[i],
            key=f"{key}_message",
        )
    current = labels_of(common.conn(), [chosen]).get(chosen)
    st.caption(
        _("Label for the store's model: {label}").format(
            label=_choice_label(current[0], bool(current[1])) if current else _("none yet")
        )
    )
    columns = st.columns(len(CHOICES))
    for column, (name, intent, urgent) in zip(columns, CHOICES, strict=True):
        column.button(
            _choice_label(intent, urgent),
            key=f"{key}_{name}_{chosen}",
            on_click=_save,
            args=(chosen, intent, urgent),
            type="primary" if current and current == (intent, int(urgent)) else "secondary",
        )


def _counts_frame() -> pd.DataFrame:
    counts = label_counts(common.conn())
    frame = pd.DataFrame(counts, columns=["intent", "language", "labels"])
    if frame.empty:
        return frame
    table = frame.pivot_table(
        index="intent", columns="language", values="labels", aggfunc="sum", fill_value=0
    )
    table.index = [intent_name(i, current_language()) for i in table.index]
    return table


def _figures_frame(report: dict) -> pd.DataFrame:
    rows = []
    for lang, figures in report.get("metrics", {}).items():
        used = report.get("used", {}).get(lang, {})
        pairs = [
            (i, figures["model"]["intents"][i], figures["rules"]["intents"][i])
            for i in figures["model"]["intents"]
        ]
        if "urgent" in figures["model"]:
            pairs.append(("urgent", figures["model"]["urgent"], figures["rules"]["urgent"]))
        for what, model, rules in pairs:
            head = "urgent" if what == "urgent" else "intent"
            rows.append(
                {
                    "language": _("all") if lang == "all" else lang,
                    "decision": _("urgent")
                    if what == "urgent"
                    else intent_name(what, current_language()),
                    "labels": number(model["support"]),
                    "model F1": number(model["f1"], 3),
                    "rules F1": number(rules["f1"], 3),
                    "model P/R": _pair(model),
                    "rules P/R": _pair(rules),
                    "used": "" if lang == "all" else (_("model") if used.get(head) else _("rules")),
                }
            )
    return pd.DataFrame(rows)


def _pair(figures: dict) -> str:
    return f"{number(figures['precision'], 2)} / {number(figures['recall'], 2)}"


def _figures_headers() -> dict:
    return {
        "language": _("language"),
        "decision": _("decision"),
        "labels": _("labels"),
        "model F1": _("model F1"),
        "rules F1": _("rules F1"),
        "model P/R": _("model precision / recall"),
        "rules P/R": _("rules precision / recall"),
        "used": _("decided by"),
    }


def admin_section() -> None:
    """The Admin page's section: labels, the model against the rules, Train."""
    st.subheader(_("Learning from the team"))
    db = common.conn()
    info = training.status(db)
    st.caption(
        _(
            "{labels} labels, {new} since the newest model. A model needs {min} labels; "
            "it retrains on its own after {after} new ones."
        ).format(
            labels=info["labels"],
            new=info["new_labels"],
            min=info["min_labels"],
            after=info["retrain_after"],
        )
    )
    counts = _counts_frame()
    if not counts.empty:
        st.dataframe(counts)
    active = next((m for m in info["models"] if m["active"]), None)
    if active:
        st.markdown(
            _("Active model #{id}, trained {at} by {who} on {count} labels.").format(
                id=active["id"],
                at=active["trained_at"],
                who=active["trained_by"],
                count=active["label_count"],
            )
        )
        st.dataframe(
            _figures_frame(active["report"]), hide_index=True, column_config=_figures_headers()
        )
        st.caption(
            _(
                "Cross-validated on this store's labels. The model decides a language's "
                "intent or urgent flag only where it beats the rules there; stored messages "
                "are re-scored with a new model by `replywatch rescore`."
            )
        )
    else:
        st.info(_("No active model: the rules decide."))
    if training.training_running():
        st.caption(_("Training in the background ..."))
    _admin_buttons(info)


def _admin_buttons(info: dict) -> None:
    columns = st.columns(2)
    if columns[0].button(_("Train now"), key="model_train", type="primary"):
        with st.spinner(_("Training on the store's labels ...")):
            report = training.train_store_model(common.conn(), actor=common.actor())
        if report.get("model_id") is None:
            st.warning(
                _("{labels} labels: a model needs at least {min}; the rules decide.").format(
                    labels=report["labels"], min=report["min_labels"]
                )
            )
        else:
            st.success(_("Model #{id} trained.").format(id=report["model_id"]))
            st.rerun()
    if len(info["models"]) > 1 and columns[1].button(
        _("Restore the previous model"), key="model_restore"
    ):
        restored = training.restore_previous(common.conn(), actor=common.actor())
        st.success(
            _("Model #{id} is active again.").format(id=restored)
            if restored
            else _("No earlier model: the rules decide.")
        )
        st.rerun()
