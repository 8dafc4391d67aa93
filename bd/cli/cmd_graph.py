"""graph (ascii, dot, mermaid, html) and graph check."""

from __future__ import annotations

from bd.cli import Context
from bd.cli import output as out
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("ascii", "dot", "mermaid", "html")


def _format(o: Values) -> str:
    fmt = o.format or "ascii"
    if fmt not in FORMATS:
        raise UsageError(f"invalid format '{fmt}' (must be ascii, dot, mermaid or html)")
    for flag, implied in (("dot", "dot"), ("html", "html")):
        if o[flag]:
            if o.format and o.format != implied:
                raise UsageError(f"--{flag} contradicts --format {o.format}")
            fmt = implied
    if o.compact and o.box:
        raise UsageError("--compact and --box are two different pictures: choose one")
    if (o.compact or o.box) and fmt != "ascii":
        raise UsageError(f"--{'compact' if o.compact else 'box'} is a form of the ascii "
                         f"picture, not of {fmt}")
    return fmt


@command("graph", "Draw the dependency graph of an issue (or of every open issue)",
         args=[arg("id", "?", help="Issue to draw (with its children and neighbours)")],
         opts=[opt("all", "--all", type=bool, help="Every open issue, by connected component"),
               opt("format", "--format", help="ascii (default), dot, mermaid or html",
                   choices=("ascii", "dot", "mermaid", "html")),
               opt("compact", "--compact", type=bool, help="ascii: one line per issue"),
               opt("box", "--box", type=bool, help="ascii: every issue in a box"),
               opt("dot", "--dot", type=bool, help="Same as --format dot"),
               opt("html", "--html", type=bool, help="Same as --format html"),
               opt("output", "-o", "--output", help="Write to this file instead of stdout")])
def _graph(ctx: Context, o: Values) -> int:
    from bd.views import ascii as asc
    from bd.views import data, dot, html, mermaid
    from bd.views.model import layout

    fmt = _format(o)
    if o.all and o.id:
        raise UsageError("cannot specify an issue ID with --all")
    if not o.all and not o.id:
        raise UsageError("issue ID required (or --all for every open issue)")
    if ctx.json and (fmt != "ascii" or o.compact or o.box):
        raise UsageError(f"--json prints the graph as JSON: drop --json to get the "
                         f"{'--compact/--box' if fmt == 'ascii' else fmt} picture")
    store = ctx.store
    if o.all:
        vg = data.open_graph(store)
        title = "Dependency graph of all open issues"
    else:
        rid = store.resolve(o.id)
        vg = data.issue_graph(store, rid)
        title = f"Dependency graph for {rid}"
    if ctx.json:
        if o.all:
            parts = [vg.sub(c, root=c[0]) for c in vg.components()]
            value: Any = [out.graph_json(p, layout(p)) for p in parts]
        else:
            value = out.graph_json(vg, layout(vg))
        return _emit(ctx, o, [out.json_text(value)], len(vg.nodes))
    if o.all and not vg.nodes:
        ctx.out.line("No open issues found")
        return 0
    lay = layout(vg)
    if fmt == "dot":
        lines = dot.render(vg, lay)
    elif fmt == "mermaid":
        lines = mermaid.render(vg, lay)
    elif fmt == "html":
        lines = [html.render(vg, lay, title=title).rstrip("\n")]
    else:
        draw = asc.render_compact if o.compact else asc.render_box if o.box else asc.render
        if o.all:
            lines = []
            for n, comp in enumerate(vg.components()):
                sub = vg.sub(comp)
                if n:
                    lines.append("─" * 60)
                lines += draw(sub, layout(sub))
        else:
            lines = draw(vg, lay)
    return _emit(ctx, o, lines, len(vg.nodes))


def _emit(ctx: Context, o: Values, lines: list[str], count: int) -> int:
    if not o.output:
        for line in lines:
            ctx.out.line(line)
        return 0
    from bd.store.jsonl import atomic_write

    atomic_write(o.output, ("\n".join(lines) + "\n").encode("utf-8"))
    ctx.out.note(f"✓ Wrote the graph of {count} issue{'' if count == 1 else 's'} to {o.output}")
    return 0


@command("graph check", "Check the dependency graph: cycles, orphan edges, dangling parents "
         "(exit 1 when any is found)")
def _graph_check(ctx: Context, o: Values) -> int:
    from bd.views.check import check, report_lines

    store = ctx.store
    result = check(store.all_records(), store.graph(light=True).cycles())
    if ctx.json:
        ctx.out.json(result)
    else:
        for line in report_lines(result):
            ctx.out.line(line)
    return 0 if result["clean"] else 1
