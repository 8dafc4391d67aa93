"""remember, recall, forget and memories: persistent project memories (``bd.memory.memories``).
"""

from __future__ import annotations

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError


def _refuse_readonly(ctx: Context, what: str) -> None:
    if ctx.flags.get("readonly"):
        raise BdError(f"operation '{what}' is not allowed in read-only mode")


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


# -- memories -------------------------------------------------------------------------------


@command("remember", "Store a persistent memory (a short project fact; bd prime injects it)",
         args=[arg("text", help="The fact to remember")], opts=[
    opt("key", "--key", help="The memory's key (default: a slug of the first 8 words); an "
        "existing key is updated in place"),
    opt("tag", "--tag", multiple=True, help="A tag (repeatable); recall and memories search tags"),
])
def _remember(ctx: Context, o: Values) -> int:
    from bd.memory import memories

    _refuse_readonly(ctx, "remember")
    res = memories.remember(ctx.store, o.text, key=o.key, tags=o.tag)
    if ctx.json:
        ctx.out.json(res)
    else:
        ctx.out.line(f"{res['action'].title()} [{res['key']}]: {_one_line(res['value'], 80)}")
    return 0


@command("recall", "Retrieve a memory by key, or the memories matching words",
         args=[arg("query", "?", help="A key, or words to look for (all memories without)")])
def _recall(ctx: Context, o: Values) -> int:
    from bd.memory import memories

    res = memories.recall(ctx.store, o.query)
    if ctx.json:
        ctx.out.json(res)
        return 0 if res["found"] else 1
    if not res["found"]:
        ctx.out.error(f"No memory matching {o.query!r}" if o.query else "No memories stored")
        return 1
    if res["exact"]:
        ctx.out.line(res["value"])
        return 0
    for m in res["matches"]:
        ctx.out.line(f"[{m['key']}] {m['value']}")
    return 0


@command("forget", "Remove a persistent memory",
         args=[arg("key", help="The memory's key (see bd memories)")])
def _forget(ctx: Context, o: Values) -> int:
    from bd.memory import memories

    _refuse_readonly(ctx, "forget")
    res = memories.forget(ctx.store, o.key)
    if ctx.json:
        ctx.out.json(res)
    else:
        ctx.out.line(f"Forgot [{res['key']}]: {_one_line(res['value'], 80)}")
    return 0


@command("memories", "List persistent memories, or search them",
         args=[arg("search", "?", help="Words to look for in keys, values and tags")])
def _memories(ctx: Context, o: Values) -> int:
    from bd.memory import memories

    found = memories.search(ctx.store, o.search)
    if ctx.json:
        ctx.out.json({m["key"]: m["value"] for m in found})
        return 0
    if not found:
        ctx.out.line(f"No memories matching {o.search!r}" if o.search else
                     "No memories stored. Use 'bd remember \"insight\"' to add one.")
        return 0
    ctx.out.line(f"Memories matching {o.search!r}:\n" if o.search else
                 f"Memories ({len(found)}):\n")
    for m in found:
        tags = f"  ({', '.join(m['tags'])})" if m.get("tags") else ""
        ctx.out.line(f"  {m['key']}{tags}\n    {_one_line(m['value'], 120)}\n")
    return 0
