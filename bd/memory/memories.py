"""Persistent project memories: short facts for agents, shared through git.

Stored the way the original's later versions export them, as non-issue lines of
``.beads/issues.jsonl``::

    {"_type":"memory","key":"always-run-tests-with-race","value":"always run tests with -race"}

(Go's ``json.Marshal`` of a map: keys sorted, HTML-safe escapes), so the files stay
interchangeable; ``--tag`` adds an optional ``"tags"`` list, which the original ignores.
The lines are committed with the issues, so teammates' agents share them; the merge
driver merges them by key; ``bd prime`` injects them.  Without ``--key`` the key is a slug
of the first eight words, at most 60 characters (the original's rule); remembering under
an existing key replaces the value.
"""

from __future__ import annotations

import json
import re

from bd.core import model
from bd.errors import NotFoundError, UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

TYPE = "memory"
MAX_KEY = 60
PRIMER_VALUE_CAP = 200  # characters of one memory in bd prime
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """The original's key rule: lower case, runs of other characters to '-', 8 words, 60
    characters."""
    slug = _NON_ALNUM.sub("-", text.lower()).strip("-")
    slug = "-".join(slug.split("-", 9)[:8])
    if len(slug) > MAX_KEY:
        slug = slug[:MAX_KEY].rstrip("-")
    return slug


def check_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise UsageError("a memory key cannot be empty")
    if any(c in key for c in "\n\r\t"):
        raise UsageError("a memory key must be one line")
    return key


def encode(key: str, value: str, tags: list[str] | None = None) -> bytes:
    """The memory's line (without newline), byte for byte as the original writes it."""
    obj: dict[str, Any] = {"_type": TYPE, "key": key, "value": value}
    if tags:
        obj["tags"] = tags
    return model.other_line(obj)[:-1]


def decode(line: bytes) -> dict[str, Any] | None:
    """A memory from a non-issue line, or None when the line is something else."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if not isinstance(obj, dict) or obj.get("_type") != TYPE:
        return None
    key, value = obj.get("key"), obj.get("value")
    if not isinstance(key, str) or not key or not isinstance(value, str):
        return None
    mem: dict[str, Any] = {"key": key, "value": value}
    tags = obj.get("tags")
    if isinstance(tags, list) and all(isinstance(t, str) for t in tags) and tags:
        mem["tags"] = tags
    return mem


def from_lines(lines: list[bytes]) -> list[dict[str, Any]]:
    """The memories among non-issue lines, in file order, one per key (the last wins, as
    the original's import does)."""
    found: dict[str, dict[str, Any]] = {}
    for line in lines:
        mem = decode(line)
        if mem is not None:
            found.pop(mem["key"], None)
            found[mem["key"]] = mem
    return list(found.values())


def all_memories(store: Store) -> list[dict[str, Any]]:
    """Every memory, sorted by key."""
    return sorted(from_lines([raw for _, raw, _ in store.other_lines()]),
                  key=lambda m: m["key"])


def remember(store: Store, text: str, *, key: str | None = None,
             tags: list[str] | None = None) -> dict[str, Any]:
    """Store ``text`` under ``key`` (or its slug); an existing key is updated in place."""
    if not text.strip():
        raise UsageError("memory content cannot be empty")
    key = check_key(key) if key is not None else slugify(text)
    if not key:
        raise UsageError("could not generate a key from the content; use --key")
    clean_tags = sorted({t.strip() for t in tags or () if t.strip()})
    with store.transaction() as tx:
        lines = tx.other_lines()
        action = "remembered"
        out: list[bytes] = []
        new = encode(key, text, clean_tags)
        for line in lines:
            mem = decode(line)
            if mem is not None and mem["key"] == key:
                action = "updated"
                continue
            out.append(line)
        out.append(new)
        tx.set_other_lines(out)
    result: dict[str, Any] = {"key": key, "value": text, "action": action}
    if clean_tags:
        result["tags"] = clean_tags
    return result


def forget(store: Store, key: str) -> dict[str, Any]:
    """Remove the memory under ``key`` (NotFoundError when there is none)."""
    with store.transaction() as tx:
        lines = tx.other_lines()
        kept = []
        gone: dict[str, Any] | None = None
        for line in lines:
            mem = decode(line)
            if mem is not None and mem["key"] == key:
                gone = mem
                continue
            kept.append(line)
        if gone is None:
            raise NotFoundError(f"no memory with key {key!r}")
        tx.set_other_lines(kept)
    return {"key": key, "value": gone["value"], "deleted": True}


def _matches(mem: dict[str, Any], needle: str) -> bool:
    return (needle in mem["key"].lower() or needle in mem["value"].lower()
            or any(needle in t.lower() for t in mem.get("tags", ())))


def search(store: Store, query: str | None = None) -> list[dict[str, Any]]:
    """Memories whose key, value or tags contain ``query`` (case-insensitive); all without."""
    mems = all_memories(store)
    if not query:
        return mems
    needle = query.lower()
    return [m for m in mems if _matches(m, needle)]


def recall(store: Store, query: str | None = None) -> dict[str, Any]:
    """``bd recall [KEY|QUERY]``: the memory under an exact key first, else every memory
    matching the words; ``key``/``value`` name the best match (the original's shape)."""
    mems = all_memories(store)
    if query:
        exact = [m for m in mems if m["key"] == query]
        needle = query.lower()
        rest = [m for m in mems if m["key"] != query and _matches(m, needle)]
        rest.sort(key=lambda m: (needle not in m["key"].lower(), m["key"]))
        found = exact + rest
    else:
        found = mems
    best = found[0] if found else None
    return {"query": query, "key": best["key"] if best else None,
            "value": best["value"] if best else None, "found": bool(found),
            "exact": bool(query and best and best["key"] == query), "matches": found}


def primer_section(store: Store, budget_chars: int) -> str:
    """The "Persistent memories" part of ``bd prime``: newest first (a memory remembered or
    updated later sits later in the file), one line each, values cut to 200 characters, as
    many as fit in ``budget_chars``; the rest are counted with a pointer to ``bd memories``."""
    mems = list(reversed(from_lines([raw for _, raw, _ in store.other_lines()])))
    if not mems:
        return ""
    head = "## Persistent memories (`bd remember`, `bd recall KEY`; newest first)\n"
    lines: list[str] = []
    used = len(head)
    for n, mem in enumerate(mems):
        value = " ".join(mem["value"].split())
        if len(value) > PRIMER_VALUE_CAP:
            value = value[:PRIMER_VALUE_CAP - 1] + "…"
        line = f"- [{mem['key']}] {value}\n"
        rest = len(mems) - n - 1
        tail = len(f"- … {rest} more: `bd memories`\n") if rest else 0
        if used + len(line) + tail > budget_chars:
            break
        lines.append(line)
        used += len(line)
    if len(lines) < len(mems):
        lines.append(f"- … {len(mems) - len(lines)} more: `bd memories`\n")
    if not any(x.startswith("- [") for x in lines):
        return head + lines[-1] if budget_chars >= len(head) + len(lines[-1]) else ""
    return head + "".join(lines)
