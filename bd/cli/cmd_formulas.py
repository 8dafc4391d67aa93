"""formula list/show/convert and cook."""

from __future__ import annotations

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

SEARCH = opt("search_path", "--search-path", multiple=True,
             help="Another directory to search for formulas (repeatable)")
VARS = opt("var", "--var", multiple=True, help="Variable value key=value (repeatable)")


def _library(ctx: Context, extra: list[str]) -> Any:
    from bd.errors import NotInitializedError
    from bd.workflows.library import Library, search_path

    try:
        beads = ctx.store.beads_dir
    except NotInitializedError:
        beads = None  # formulas work outside a workspace too (./.beads/formulas, ~/.beads)
    return Library(search_path(beads, extra))


@command("formula list", "List the formulas on the search path", opts=[
    opt("type", "-t", "--type", help="Only this type: workflow, expansion, aspect, convoy"),
    SEARCH])
def _formula_list(ctx: Context, o: Values) -> int:
    from bd.workflows.formula import FORMULA_TYPES

    if o.type and o.type not in FORMULA_TYPES:
        raise UsageError(f"invalid --type {o.type!r} (one of {', '.join(FORMULA_TYPES)})")
    lib = _library(ctx, o.search_path)
    rows = [e for e in lib.entries() if not o.type or e["type"] == o.type]
    if ctx.json:
        ctx.out.json(rows)
    elif not rows:
        ctx.out.line("No formulas found (search path: " + ", ".join(lib.dirs) + ")")
    else:
        ctx.out.line(f"Formulas ({len(rows)}):")
        for e in rows:
            desc = f" - {e['description']}" if e.get("description") else ""
            err = f"  [invalid: {e['error']}]" if e.get("error") else ""
            ctx.out.line(f"  {e['name']} ({e['type'] or '?'}){desc}{err}")
            ctx.out.line(f"      {e['source']}")
    return 0


@command("formula show", "Show a formula: vars, steps, composition, bond points",
         args=[arg("name")], opts=[SEARCH])
def _formula_show(ctx: Context, o: Values) -> int:
    from bd.workflows import formula as fm

    lib = _library(ctx, o.search_path)
    f = lib.load(o.name)
    data = fm.public({k: v for k, v in f.items() if k != "_path"})
    if ctx.json:
        ctx.out.json({"source": f["_path"], "formula": data})
        return 0
    ctx.out.line(f"{f['formula']} ({f['type']}, version {f['version']})")
    ctx.out.line(f"  Source: {f['_path']}")
    if f.get("description"):
        ctx.out.line(f"  Description: {f['description']}")
    for key in ("extends", "phase"):
        if f.get(key):
            ctx.out.line(f"  {key.title()}: {f[key]}")
    if f.get("vars"):
        ctx.out.line("\nVariables:")
        for name, var in f["vars"].items():
            attrs = [a for a in ("required" if var.get("required") else "",
                                 f"default={var['default']}" if var.get("default") else "",
                                 f"enum=[{','.join(var['enum'])}]" if var.get("enum") else "",
                                 f"pattern={var['pattern']}" if var.get("pattern") else "")
                     if a]
            extra = f" ({', '.join(attrs)})" if attrs else ""
            ctx.out.line(f"  {{{{{name}}}}}: {var.get('description', '')}{extra}")
    steps = f.get("steps") or f.get("template") or []
    if steps:
        ctx.out.line(f"\n{'Steps' if f.get('steps') else 'Template'}:")
        for line in step_tree(steps, "  "):
            ctx.out.line(line)
    compose = f.get("compose") or {}
    for key in ("bond_points", "hooks", "expand", "map", "branch", "gate", "aspects"):
        if compose.get(key):
            ctx.out.line(f"\nCompose {key}:")
            for item in compose[key]:
                ctx.out.line(f"  {fm.public(item)}")
    for key in ("advice", "pointcuts"):
        if f.get(key):
            ctx.out.line(f"\n{key.title()}:")
            for item in f[key]:
                ctx.out.line(f"  {item}")
    return 0


def step_tree(steps: list[dict[str, Any]], indent: str) -> list[str]:
    """A formula's steps as a tree, with their waits (needs, depends_on, waits_for, gate)."""
    lines = []
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        parts = []
        for key in ("depends_on", "needs"):
            if step.get(key):
                parts.append(f"{'depends' if key == 'depends_on' else 'needs'}: "
                             + ", ".join(step[key]))
        if step.get("waits_for"):
            parts.append(f"waits_for: {step['waits_for']}")
        if step.get("gate"):
            parts.append(f"gate: {step['gate'].get('type')}")
        if step.get("condition"):
            parts.append(f"if: {step['condition']}")
        extra = f" [{'; '.join(parts)}]" if parts else ""
        kind = f" ({step['type']})" if step.get("type") and step["type"] != "task" else ""
        title = step.get("title") or (f"expand {step['expand']}" if step.get("expand") else "")
        lines.append(f"{indent}{'└──' if last else '├──'} {step.get('id')}: {title}{kind}{extra}")
        kids = step.get("children") or (step.get("loop") or {}).get("body") or []
        if kids:
            lines += step_tree(kids, indent + ("    " if last else "│   "))
    return lines


@command("formula convert", "Rewrite JSON formulas as TOML", args=[arg("name", "?")], opts=[
    opt("all", "--all", type=bool, help="Convert every JSON formula on the search path"),
    opt("delete", "--delete", type=bool, help="Delete the JSON file after converting"),
    opt("stdout", "--stdout", type=bool, help="Print the TOML instead of writing it"),
    SEARCH])
def _formula_convert(ctx: Context, o: Values) -> int:
    from bd.workflows import library

    if bool(o.name) == bool(o.all):
        raise UsageError("give a formula NAME or --all")
    if o.stdout and o.delete:
        raise UsageError("--stdout writes nothing, so --delete cannot be used with it")
    lib = _library(ctx, o.search_path)
    names = library.json_names(lib) if o.all else [o.name]
    results = library.convert(lib, names, delete=o.delete, stdout=o.stdout)
    if ctx.json:
        ctx.out.json(results)
        return 0
    for r in results:
        if r.get("skipped"):
            ctx.out.line(f"  {r['name']}: skipped ({r['skipped']})")
        elif o.stdout:
            ctx.out.line(r["toml"].rstrip("\n"))
        else:
            gone = " (JSON deleted)" if r.get("deleted") else ""
            ctx.out.line(f"✓ Converted {r['name']}: {r['target']}{gone}")
    if not results:
        ctx.out.line("No JSON formulas to convert")
    return 0


@command("cook", "Cook a formula into a proto: print it (default), preview it or persist it",
         args=[arg("name")], opts=[
             VARS,
             opt("mode", "--mode", help="compile (keep {{vars}}) or runtime (substitute; "
                 "implied by --var)"),
             opt("dry_run", "--dry-run", type=bool, help="Preview the steps"),
             opt("persist", "--persist", type=bool,
                 help="Write the proto as template issues (legacy)"),
             opt("force", "--force", type=bool, help="Replace an existing proto (--persist)"),
             opt("prefix", "--prefix", default="", help="Prefix of the proto id (--persist)"),
             SEARCH])
def _cook(ctx: Context, o: Values) -> int:
    from bd.workflows import cook, molecules
    from bd.workflows import formula as fm

    if o.mode not in (None, "compile", "runtime"):
        raise UsageError(f"invalid mode {o.mode!r}, must be 'compile' or 'runtime'")
    if o.force and not o.persist:
        raise UsageError("--force replaces a persisted proto: use it with --persist")
    if o.prefix and not o.persist:
        raise UsageError("--prefix names a persisted proto: use it with --persist")
    given = fm.parse_var_flags(o.var)
    runtime = o.mode == "runtime" or bool(given)
    if o.persist:
        if given or o.mode == "runtime":
            raise UsageError("--persist writes a proto with its {{vars}}: drop --var/--mode")
        result = molecules.persist(ctx.store, o.name, force=o.force, prefix=o.prefix,
                                   lib=_library(ctx, o.search_path))
        if ctx.json:
            ctx.out.json(result)
        else:
            ctx.out.line(f"✓ Cooked proto: {result['proto_id']}")
            ctx.out.line(f"  Created {result['created']} issues")
            if result["variables"]:
                ctx.out.line(f"  Variables: {', '.join(result['variables'])}")
            if result["bond_points"]:
                ctx.out.line(f"  Bond points: {', '.join(result['bond_points'])}")
            ctx.out.line(f"\nTo use: bd mol pour {result['proto_id']} --var <name>=<value>")
        return 0
    lib = _library(ctx, o.search_path)
    f = lib.load(o.name)
    resolved = cook.resolve(dict(f), lib.load)
    values = fm.with_defaults(resolved, given) if runtime else None
    cooked = cook.cook(f, lib.load, values)
    used = fm.extract_vars(cooked)
    if runtime:
        assert values is not None
        missing = [v for v in used if v not in values]
        if missing and not o.dry_run:
            raise UsageError(f"runtime mode requires all variables to have values; missing: "
                             f"{', '.join(missing)} (provide with --var {missing[0]}=<value>)")
        cooked = substitute_steps(cooked, values)
    if o.dry_run:
        if ctx.json:
            ctx.out.json({"formula": cooked["formula"], "mode": "runtime" if runtime else
                          "compile", "steps": fm.public(cooked["steps"]), "variables": used,
                          "values": values or {}})
            return 0
        mode = "runtime" if runtime else "compile-time"
        ctx.out.line(f"Dry run: would cook formula {cooked['formula']} ({mode} mode)\n")
        ctx.out.line(f"Steps ({sum(1 for _ in fm.walk_steps(cooked['steps']))}):")
        for line in step_tree(cooked["steps"], "  "):
            ctx.out.line(line)
        if used:
            ctx.out.line(f"\nVariables used: {', '.join(used)}")
        return 0
    # The resolved formula as JSON is the output (with or without --json), as in the original.
    ctx.out.json(fm.public({k: v for k, v in cooked.items() if k != "_path"}))
    return 0


def substitute_steps(f: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    from bd.workflows import formula as fm

    def sub(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for s in steps:
            c = dict(s)
            for key in ("title", "description", "notes", "assignee"):
                if isinstance(c.get(key), str):
                    c[key] = fm.substitute(c[key], values)
            if c.get("children"):
                c["children"] = sub(c["children"])
            out.append(c)
        return out

    return {**f, "description": fm.substitute(str(f.get("description", "")), values),
            "steps": sub(f.get("steps") or [])}
