"""Cooking: a formula through its pipeline into a proto (records in memory).

The stages run in the original's order: extends, loops, compose.branch, compose.gate,
advice, inline expand, compose.expand / compose.map, aspects, then condition filtering
(when values are known).  ``bd.workflows.proto`` turns the result into issue records.
Pure: formulas named by ``extends``/``expand``/aspects come from a ``load`` callable.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping

from bd.errors import FormulaError
from bd.workflows import expand
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

Loader = Callable[[str], "dict[str, Any]"]


def _unique(items: list[str], item: str) -> list[str]:
    return items if item in items else [*items, item]


# -- extends ---------------------------------------------------------------------------------

def resolve(f: dict[str, Any], load: Loader, chain: tuple[str, ...] = ()) -> dict[str, Any]:
    """``f`` with its ``extends`` parents merged in: a step whose id a parent already has
    replaces that step in place, new steps are appended; vars, compose and advice merge."""
    name = f["formula"]
    if name in chain:
        raise FormulaError("circular extends detected: " + " -> ".join((*chain, name)),
                           path=f.get("_path"))
    if not f.get("extends"):
        fm.validate(f)
        return f
    merged: dict[str, Any] = {k: v for k, v in f.items()
                              if k not in ("extends", "vars", "steps", "compose", "advice")}
    merged["vars"] = {}
    steps: list[dict[str, Any]] = []
    compose: dict[str, Any] | None = None
    advice: list[Any] = []
    for parent_name in f["extends"]:
        parent = resolve(copy.deepcopy(load(parent_name)), load, (*chain, name))
        for vname, var in (parent.get("vars") or {}).items():
            merged["vars"].setdefault(vname, var)
        steps = _overlay_steps(steps, parent.get("steps") or [])
        compose = _merge_compose(compose, parent.get("compose"))
        advice += parent.get("advice") or []
        if not merged.get("phase") and parent.get("phase"):
            merged["phase"] = parent["phase"]
    merged["vars"].update(f.get("vars") or {})
    merged["steps"] = _overlay_steps(steps, f.get("steps") or [])
    compose = _merge_compose(compose, f.get("compose"))
    if compose is not None:
        merged["compose"] = compose
    advice += f.get("advice") or []
    if advice:
        merged["advice"] = advice
    merged["extends"] = list(f["extends"])
    fm.validate(merged)
    return merged


def _overlay_steps(base: list[dict[str, Any]], overlay: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    out = list(base)
    index = {s.get("id"): i for i, s in enumerate(out)}
    for s in overlay:
        if s.get("id") in index:
            out[index[s["id"]]] = s
        else:
            index[s.get("id")] = len(out)
            out.append(s)
    return out


def _merge_compose(base: dict[str, Any] | None, overlay: dict[str, Any] | None
                   ) -> dict[str, Any] | None:
    if not overlay:
        return base
    if not base:
        return copy.deepcopy(overlay)
    out = copy.deepcopy(base)
    points = out.setdefault("bond_points", [])
    where = {bp.get("id"): i for i, bp in enumerate(points)}
    for bp in overlay.get("bond_points") or []:
        if bp.get("id") in where:
            points[where[bp["id"]]] = bp
        else:
            points.append(bp)
    for key in ("hooks", "expand", "map", "branch", "gate"):
        if overlay.get(key):
            out[key] = [*(out.get(key) or []), *overlay[key]]
    for aspect in overlay.get("aspects") or []:
        out["aspects"] = _unique(out.get("aspects") or [], aspect)
    return out


# -- loops -----------------------------------------------------------------------------------

def apply_loops(steps: list[dict[str, Any]], values: Mapping[str, str] | None = None
                ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        loop = step.get("loop")
        if not loop:
            clone = dict(step)
            if step.get("children"):
                clone["children"] = apply_loops(step["children"], values)
            out.append(clone)
            continue
        out.extend(_expand_loop(step, values))
    return out


def _check_loop(loop: Mapping[str, Any], sid: str) -> None:
    if not loop.get("body"):
        raise FormulaError(f"loop {sid!r}: body is required", field="loop.body")
    kinds = [k for k in ("count", "until", "range") if loop.get(k)]
    if not kinds:
        raise FormulaError(f"loop {sid!r}: one of count, until or range is required",
                           field="loop")
    if len(kinds) > 1:
        raise FormulaError(f"loop {sid!r}: only one of count, until or range may be given",
                           field="loop")
    if loop.get("count", 0) < 0 or loop.get("max", 0) < 0:
        raise FormulaError(f"loop {sid!r}: count and max must be positive", field="loop")
    if loop.get("until"):
        if not loop.get("max"):
            raise FormulaError(f"loop {sid!r}: max is required when until is set",
                               field="loop.max")
        fm.check_runtime_condition(loop["until"], f"loop {sid!r}: until")


def _expand_loop(step: dict[str, Any], values: Mapping[str, str] | None
                 ) -> list[dict[str, Any]]:
    loop, sid = step["loop"], step.get("id", "")
    _check_loop(loop, sid)
    iterations: list[dict[str, str]] = []
    if loop.get("count"):
        iterations = [{} for _ in range(loop["count"])]
    elif loop.get("range"):
        start, end = fm.parse_range(loop["range"], values)
        if end < start:
            raise FormulaError(f"loop {sid!r}: range end ({end}) is less than start ({start})",
                               field="loop.range")
        if end - start >= 10_000:
            raise FormulaError(f"loop {sid!r}: range of {end - start + 1} iterations is too "
                               "large (at most 10000)", field="loop.range")
        var = loop.get("var")
        iterations = [{var: str(v)} if var else {} for v in range(start, end + 1)]
    else:  # until: expanded once, tagged for the orchestrator to evaluate
        body = _iteration(step, 1, {})
        if body:
            tag = json.dumps({"max": loop["max"], "until": loop["until"]},
                             separators=(",", ":"), sort_keys=True, ensure_ascii=False)
            body[0]["labels"] = [*(body[0].get("labels") or []), f"loop:{tag}"]
        return apply_loops(body, values)
    result: list[dict[str, Any]] = []
    bounds: list[tuple[int, int]] = []
    for n, iter_vars in enumerate(iterations, 1):
        expanded = apply_loops(_iteration(step, n, iter_vars), values)
        if expanded:
            bounds.append((len(result), len(result) + len(expanded) - 1))
        result.extend(expanded)
    for (first, _), (_, prev_last) in zip(bounds[1:], bounds, strict=False):
        result[first]["needs"] = _unique(result[first].get("needs") or [],
                                         result[prev_last]["id"])
    return result


def _iteration(step: dict[str, Any], n: int, iter_vars: dict[str, str]
               ) -> list[dict[str, Any]]:
    body = step["loop"]["body"]
    sid = step.get("id", "")
    body_ids = {s.get("id") for s in fm.walk_steps(body)}

    def rename(ref: str) -> str:
        return f"{sid}.iter{n}.{ref}" if ref in body_ids else ref

    def sub(text: Any) -> Any:
        if not isinstance(text, str) or not iter_vars:
            return text
        for k, v in iter_vars.items():
            text = text.replace("{" + k + "}", v)
        return text

    def clone(s: dict[str, Any]) -> dict[str, Any]:
        c = copy.deepcopy(s)
        c["id"] = rename(s.get("id", ""))
        c["title"] = sub(s.get("title", ""))
        if "description" in s:
            c["description"] = sub(s["description"])
        for key in ("depends_on", "needs"):
            if s.get(key):
                c[key] = [rename(r) for r in s[key]]
        if iter_vars:
            c["expand_vars"] = {**(s.get("expand_vars") or {}), **iter_vars}
        if s.get(fm.LOCATION):
            c[fm.LOCATION] = f"{s[fm.LOCATION]}.iter{n}"
        if s.get("children"):
            c["children"] = [clone(ch) for ch in s["children"]]
        return c

    return [clone(s) for s in body]


# -- compose.branch and compose.gate -----------------------------------------------------------

def step_map(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in fm.walk_steps(steps) if s.get("id")}


def apply_branches(steps: list[dict[str, Any]], compose: Mapping[str, Any] | None) -> None:
    """Fork/join rules become ``needs``: each branch step needs ``from``, ``join`` needs all."""
    by_id = step_map(steps)
    for i, rule in enumerate((compose or {}).get("branch") or []):
        where = f"compose.branch[{i}]"
        for key in ("from", "steps", "join"):
            if not rule.get(key):
                raise FormulaError(f"{where}: {key} is required", field=f"{where}.{key}")
        for ref in (rule["from"], rule["join"], *rule["steps"]):
            if ref not in by_id:
                raise FormulaError(f"{where}: step {ref!r} not found", field=where)
        for ref in rule["steps"]:
            by_id[ref]["needs"] = _unique(by_id[ref].get("needs") or [], rule["from"])
            join = by_id[rule["join"]]
            join["needs"] = _unique(join.get("needs") or [], ref)


def apply_compose_gates(steps: list[dict[str, Any]], compose: Mapping[str, Any] | None
                        ) -> None:
    """Runtime conditions become ``gate:{json}`` labels (evaluated by an orchestrator)."""
    by_id = step_map(steps)
    for i, rule in enumerate((compose or {}).get("gate") or []):
        where = f"compose.gate[{i}]"
        if not rule.get("before"):
            raise FormulaError(f"{where}: before is required", field=f"{where}.before")
        fm.check_runtime_condition(rule.get("condition", ""), f"{where}.condition")
        target = by_id.get(rule["before"])
        if target is None:
            raise FormulaError(f"{where}: target step {rule['before']!r} not found",
                               field=where)
        tag = json.dumps({"condition": rule["condition"]}, separators=(",", ":"),
                         ensure_ascii=False)
        target["labels"] = _unique(target.get("labels") or [], f"gate:{tag}")


# -- advice ----------------------------------------------------------------------------------

def apply_advice(steps: list[dict[str, Any]], advice: list[Mapping[str, Any]] | None
                 ) -> list[dict[str, Any]]:
    """Insert before/after/around steps at steps whose id matches a rule's target glob."""
    if not advice:
        return steps
    original = {s.get("id") for s in fm.walk_steps(steps)}
    return _advise(steps, advice, original)


def _advise(steps: list[dict[str, Any]], advice: list[Mapping[str, Any]],
            original: set[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for step in steps:
        if step.get("id") not in original:
            out.append(step)
            continue
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for rule in advice:
            if not fm.match_glob(str(rule.get("target", "")), step["id"]):
                continue
            around = rule.get("around") or {}
            if rule.get("before"):
                before.append(_advice_step(rule["before"], step))
            before += [_advice_step(a, step) for a in around.get("before") or []]
            if rule.get("after"):
                after.append(_advice_step(rule["after"], step))
            after += [_advice_step(a, step) for a in around.get("after") or []]
        clone = dict(step)
        for prev, cur in zip(before, before[1:], strict=False):
            cur["needs"] = _unique(cur.get("needs") or [], prev["id"])
        if before:
            clone["needs"] = _unique(clone.get("needs") or [], before[-1]["id"])
        prev_id = step["id"]
        for a in after:
            a["needs"] = _unique(a.get("needs") or [], prev_id)
            prev_id = a["id"]
        if step.get("children"):
            clone["children"] = _advise(step["children"], advice, original)
        out += [*before, clone, *after]
    return out


def _advice_step(spec: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    def sub(text: Any) -> str:
        text = str(text or "")
        return text.replace("{step.id}", target["id"]).replace("{step.title}",
                                                               target.get("title", ""))
    if not spec.get("id"):
        raise FormulaError("advice step: id is required", field="advice")
    sid = sub(spec["id"])
    step: dict[str, Any] = {"id": sid, "title": sub(spec.get("title")) or sid,
                            fm.SOURCE: target.get(fm.SOURCE, ""), fm.LOCATION: "advice"}
    if spec.get("description"):
        step["description"] = sub(spec["description"])
    if spec.get("type"):
        step["type"] = spec["type"]
    return step


def filter_conditions(steps: list[dict[str, Any]], values: Mapping[str, str]
                      ) -> list[dict[str, Any]]:
    """Drop steps whose condition is false (and their children)."""
    out = []
    for step in steps:
        try:
            keep = fm.eval_condition(step.get("condition"), values)
        except FormulaError as exc:
            raise FormulaError(f"step {step.get('id')!r}: {exc.message}",
                               field="condition") from None
        if keep:
            clone = dict(step)
            if step.get("children"):
                clone["children"] = filter_conditions(step["children"], values)
            out.append(clone)
    kept = {s.get("id") for s in fm.walk_steps(out)}
    # A dropped step no longer holds anything up.
    for s in fm.walk_steps(out):
        for key in ("needs", "depends_on"):
            if s.get(key):
                s[key] = [r for r in s[key] if r in kept]
    return out


# -- the pipeline ----------------------------------------------------------------------------

def cook(f: dict[str, Any], load: Loader, values: Mapping[str, str] | None = None
         ) -> dict[str, Any]:
    """The resolved formula: every stage applied.  ``values`` (given vars merged with the
    defaults) enable condition filtering and var arithmetic in ranges."""
    resolved = copy.deepcopy(resolve(copy.deepcopy(f), load))
    compose = resolved.get("compose")
    steps = apply_loops(resolved.get("steps") or [], values)
    apply_branches(steps, compose)
    apply_compose_gates(steps, compose)
    steps = apply_advice(steps, resolved.get("advice"))
    steps = expand.apply_inline_expansions(steps, load)
    if compose and (compose.get("expand") or compose.get("map")):
        steps = expand.apply_expansions(steps, compose, load)
    steps = expand.apply_aspects(steps, compose, load, apply_advice)
    if values is not None:
        steps = filter_conditions(steps, values)
    resolved["steps"] = steps
    return resolved


