"""``bd graph --format html``: one self-contained page (no network at view time).

The page carries its data as JSON in a ``<script type="application/json">`` block with
every ``<``, ``>`` and ``&`` written as a ``\\u`` escape, so issue text can never close the
block, and ``graph.js`` (the same script the web board uses) builds the SVG with DOM calls
and ``textContent`` only: no issue text is ever parsed as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import json
from importlib import resources

from bd.views.model import NODE_KEYS, Layout, ViewGraph

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def graph_data(vg: ViewGraph, lay: Layout, *, title: str = "") -> dict[str, Any]:
    """The JSON the page's script draws: nodes with layer and position, edges, cycles."""
    parent = vg.parent_of()
    nodes = []
    for i in sorted(vg.nodes, key=lambda i: (lay.layer[i], lay.position[i])):
        n = vg.nodes[i]
        item = {k: n.get(k) for k in NODE_KEYS}
        item.update(layer=lay.layer[i], position=lay.position[i], ready=i in vg.ready,
                    context=i in vg.context, parent=parent.get(i))
        nodes.append(item)
    return {"title": title, "root": vg.root, "layers": len(lay.layers), "nodes": nodes,
            "edges": [[a, b, t] for a, b, t in vg.edges], "cycles": lay.cycles}


def static_text(name: str) -> str:
    """A file of the page's static assets (``bd/views/static``)."""
    return resources.files("bd.views").joinpath("static", name).read_text("utf-8")


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(c, esc)
    return text


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _sha(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render(vg: ViewGraph, lay: Layout, *, title: str) -> str:
    """The whole page.  Its Content-Security-Policy lets only its own script and style
    (pinned by hash) run, and loads nothing from anywhere."""
    data = graph_data(vg, lay, title=title)
    script = "\n" + static_text("graph.js").replace("</", "<\\/")
    css = "\n" + static_text("graph.css")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"script-src {_sha(script)}; style-src {_sha(css)}; img-src data:\">\n"
        f"<title>{_escape(title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        "<header class=\"bdg-bar\"><strong class=\"bdg-title\"></strong>"
        "<input class=\"bdg-search\" type=\"search\" placeholder=\"Find an issue…\" "
        "aria-label=\"Find an issue\"><span class=\"bdg-legend\"></span></header>\n"
        "<main class=\"bdg-main\"><div id=\"graph\" class=\"bdg-canvas\"></div>"
        "<aside class=\"bdg-panel\" hidden></aside></main>\n"
        f"<script type=\"application/json\" id=\"bd-graph-data\">{script_json(data)}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )
