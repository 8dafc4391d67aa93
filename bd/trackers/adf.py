"""Atlassian Document Format (Jira REST v3 rich text) to plain text and back.

Plain text becomes one paragraph per blank-line-separated block, line breaks as
``hardBreak`` nodes; reading flattens paragraphs, headings, lists and code blocks back to
text.  The round trip plain -> ADF -> plain is exact for text without runs of blank lines.
"""

from __future__ import annotations

from typing import Any


def to_adf(text: str) -> dict[str, Any] | None:
    if not text:
        return None
    content = []
    for block in text.split("\n\n"):
        inline: list[dict[str, Any]] = []
        for n, line in enumerate(block.split("\n")):
            if n:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def _inline(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or "")
    if kind == "inlineCard":
        return str((node.get("attrs") or {}).get("url", ""))
    return "".join(_inline(c) for c in node.get("content") or [])


def _block(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    children = node.get("content") or []
    if kind in ("bulletList", "orderedList"):
        lines = []
        for n, item in enumerate(children, 1):
            mark = "-" if kind == "bulletList" else f"{n}."
            lines.append(f"{mark} " + "\n".join(_block(c) for c in item.get("content") or []))
        return "\n".join(lines)
    if kind in ("doc", "blockquote", "panel", "listItem", "table", "tableRow", "tableCell",
                "tableHeader", "expand", "layoutSection", "layoutColumn"):
        return "\n\n".join(b for b in (_block(c) for c in children) if b)
    if kind == "rule":
        return "---"
    return _inline(node)


def from_adf(doc: Any) -> str:
    """Plain text of an ADF document (a v2-style plain string passes through)."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    return _block(doc)
