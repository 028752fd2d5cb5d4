"""Making untrusted text (posts, names, payloads) safe to show.

The pages show user text through widgets that never interpret it
(st.dataframe, st.text, st.code). Where text has to go into Markdown (short
captions), :func:`escape_markdown` neutralises every Markdown and HTML
construct; links are only offered for http(s) URLs
(:func:`replywatch.untrusted.safe_url`, shared with the alert messages).
This module does not import Streamlit, so it is tested on its own.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Every character that starts or ends Markdown syntax in Streamlit's renderer
# (CommonMark + GFM + Streamlit's :color[] / :material/ directives and $ math).
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:$=^])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


#: The most characters of one text a page sends to the browser: a table cell
#: (queue, conversation, drill-down) and the conversation's latest message.
#: A message may hold 63,206 characters (and a store filled before that limit
#: much more); the whole text stays in the store and in ``replywatch export``.
PREVIEW_CHARS = 2_000
DETAIL_CHARS = 20_000


def preview(text: str | None, limit: int = PREVIEW_CHARS) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when cut."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_markdown(text: str | None, *, max_length: int | None = None) -> str:
    """Return ``text`` escaped so that Markdown shows it literally: HTML
    special characters become entities (no tags, no ``<script>``), every
    Markdown punctuation mark is backslash-escaped (no links, images,
    emphasis, lists, headings, tables, math or Streamlit directives), control
    characters are dropped and line breaks are kept as hard breaks. Bare URLs
    are also broken so the renderer cannot autolink them."""
    text = _CONTROL.sub("", text or "")
    if max_length is not None and len(text) > max_length:
        text = text[: max(0, max_length - 1)] + "…"
    text = html.escape(text, quote=True)
    # The entities html.escape just made must stay intact, so they are
    # matched first and kept; every other Markdown punctuation mark gets a
    # backslash.
    text = re.sub(
        r"&(amp|lt|gt|quot|#x27);|" + _MARKDOWN_SPECIALS.pattern,
        lambda m: m.group(0) if m.group(1) else "\\" + m.group(2),
        text,
    )
    # Autolinks (www.x.com, http://x) need "://" or "www."; the escaped ":" and
    # "." above already break them.
    return "  \n".join(text.splitlines()) if "\n" in text else text


def plain_handle(handle: str | None, *, max_length: int = 40) -> str:
    """A handle reduced to letters, digits, ``_``, ``.`` and ``-`` (for labels
    of widgets whose label rendering we do not control)."""
    return re.sub(r"[^\w.\-]", "", handle or "")[:max_length]


def escape_plot_text(text: str) -> str:
    """``text`` as Plotly shows it literally. Plotly renders a subset of HTML
    in labels, hovers, legends and titles (``<a href>`` as a live link,
    ``<b>``, ``<span style>``, ``<br>``); with ``&``, ``<`` and ``>`` as
    entities it draws the characters instead. Control characters are dropped."""
    return html.escape(_CONTROL.sub("", text), quote=False)


# The trace properties Plotly draws as text (or in hover labels).
_PLOT_TEXT_PROPERTIES = ("labels", "text", "hovertext", "name", "x", "y", "customdata")


def _escape_plot_values(values: Any) -> Any:
    if isinstance(values, str):
        return escape_plot_text(values)
    if values is None or isinstance(values, (bytes, int, float)):
        return values
    try:
        items = list(values)
    except TypeError:
        return values
    if not any(isinstance(v, str) or isinstance(v, (list, tuple)) for v in items):
        return values  # numbers and dates: nothing to escape, keep the array as it is
    return [_escape_plot_values(v) if isinstance(v, (str, list, tuple)) else v for v in items]


def safe_figure(figure: Any) -> Any:
    """Escape every data value a Plotly figure would draw as text (trace
    labels, text, hover text, names, categories, custom data) and the titles,
    so user text (a language tag, a brand name, a term) can never become a
    link or markup. Hover templates stay as the code wrote them. Returns the
    same figure, changed in place."""
    for trace in figure.data:
        for prop in _PLOT_TEXT_PROPERTIES:
            if prop in trace and trace[prop] is not None:
                trace[prop] = _escape_plot_values(trace[prop])
    layout = figure.layout
    for name in ("title", *(key for key in layout.to_plotly_json() if "axis" in key)):
        part = layout[name]
        title = part if name == "title" else getattr(part, "title", None)
        if title is not None and isinstance(title.text, str):
            title.text = escape_plot_text(title.text)
    return figure
