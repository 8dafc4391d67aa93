"""Expansions: a step replaced by an expansion formula's ``template`` steps (inline ``expand``,
``compose.expand``, ``compose.map``), and aspects (advice taken from aspect formulas).  Pure."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

from bd.errors import FormulaError
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

Loader = Callable[[str], "dict[str, Any]"]
MAX_EXPANSION_DEPTH = 5


def _unique(items: list[str], item: str) -> list[str]:
    return items if item in items else [*items, item]


def step_map(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in fm.walk_steps(steps) if s.get("id")}


# -- expansions ------------------------------------------------------------------------------

def _load_expansion(load: Loader, name: str, what: str) -> dict[str, Any]:
    exp = load(name)
    if exp.get("type") != "expansion":
        raise FormulaError(f"{what}: {name!r} is not an expansion formula "
                           f"(type={exp.get('type')})")
    if not exp.get("template"):
        raise FormulaError(f"{what}: {name!r} has no template steps")
    return exp


def _expansion_vars(exp: Mapping[str, Any], overrides: Mapping[str, str] | None
                    ) -> dict[str, str]:
    values = {n: v["default"] for n, v in (exp.get("vars") or {}).items() if v.get("default")}
    values.update(overrides or {})
    return values


def _expand_step(target: Mapping[str, Any], template: list[dict[str, Any]],
                 values: Mapping[str, str], depth: int = 0) -> list[dict[str, Any]]:
    if depth > MAX_EXPANSION_DEPTH:
        raise FormulaError(f"expansion depth limit exceeded (max {MAX_EXPANSION_DEPTH}) at "
                           f"step {target.get('id')!r}")

    def sub(text: Any) -> Any:
        if not isinstance(text, str) or not text:
            return text
        for ph, val in (("{target.description}", target.get("description", "")),
                        ("{target.title}", target.get("title", "")),
                        ("{target.id}", target.get("id", "")),
                        ("{target}", target.get("id", ""))):
            text = text.replace(ph, str(val))
        for k, v in values.items():
            text = text.replace("{" + k + "}", v)
        return text

    out = []
    for tmpl in template:
        step = {k: copy.deepcopy(v) for k, v in tmpl.items()
                if k not in ("children", "depends_on", "needs", "labels")}
        for key in ("id", "title", "description", "assignee", "notes"):
            if key in tmpl:
                step[key] = sub(tmpl[key])
        for key in ("labels", "depends_on", "needs"):
            if tmpl.get(key):
                step[key] = [sub(x) for x in tmpl[key]]
        if tmpl.get("children"):
            step["children"] = _expand_step(target, tmpl["children"], values, depth + 1)
        out.append(step)
    # The expansion takes the target's place: its first steps wait on what the target
    # waited on (the original dropped these edges, which let the expansion start early).
    inner = {s.get("id") for s in fm.walk_steps(out)}
    for step in out:
        if not any(r in inner for r in (*(step.get("needs") or []),
                                        *(step.get("depends_on") or []))):
            for ref in target.get("needs") or []:
                step["needs"] = _unique(step.get("needs") or [], ref)
            for ref in target.get("depends_on") or []:
                step["depends_on"] = _unique(step.get("depends_on") or [], ref)
    return out


def _replace_step(steps: list[dict[str, Any]], target_id: str,
                  replacement: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in steps:
        if s.get("id") == target_id:
            out.extend(replacement)
        elif s.get("children"):
            out.append({**s, "children": _replace_step(s["children"], target_id,
                                                       replacement)})
        else:
            out.append(s)
    return out


def _redirect(steps: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    out = []
    for s in steps:
        c = dict(s)
        for key in ("depends_on", "needs"):
            if c.get(key) and old in c[key]:
                c[key] = [new if r == old else r for r in c[key]]
        if s.get("children"):
            c["children"] = _redirect(s["children"], old, new)
        out.append(c)
    return out


def _splice(steps: list[dict[str, Any]], target: Mapping[str, Any],
            expanded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    steps = _replace_step(steps, target["id"], expanded)
    if expanded:
        steps = _redirect(steps, target["id"], expanded[-1]["id"])
    return steps


def apply_inline_expansions(steps: list[dict[str, Any]], load: Loader, depth: int = 0
                            ) -> list[dict[str, Any]]:
    if depth > MAX_EXPANSION_DEPTH:
        raise FormulaError(f"inline expansion depth limit exceeded (max {MAX_EXPANSION_DEPTH})")
    out: list[dict[str, Any]] = []
    moved: list[tuple[str, str]] = []
    for step in steps:
        if step.get("expand"):
            what = f"inline expand on step {step.get('id')!r}"
            exp = _load_expansion(load, step["expand"], what)
            values = _expansion_vars(exp, step.get("expand_vars"))
            expanded = apply_inline_expansions(_expand_step(step, exp["template"], values),
                                               load, depth + 1)
            if expanded and step.get("id"):
                moved.append((step["id"], expanded[-1]["id"]))
            out.extend(expanded)
        else:
            clone = dict(step)
            if step.get("children"):
                clone["children"] = apply_inline_expansions(step["children"], load, depth)
            out.append(clone)
    # Steps that waited on an expanded step now wait on the expansion's last step.
    for old, new in moved:
        out = _redirect(out, old, new)
    return out


def apply_expansions(steps: list[dict[str, Any]], compose: Mapping[str, Any] | None,
                     load: Loader) -> list[dict[str, Any]]:
    compose = compose or {}
    done: set[str] = set()
    for i, rule in enumerate(compose.get("expand") or []):
        target = step_map(steps).get(rule.get("target", ""))
        if target is None:
            raise FormulaError(f"compose.expand[{i}]: target step {rule.get('target')!r} "
                               "not found")
        if target["id"] in done:
            continue
        exp = _load_expansion(load, rule.get("with", ""), f"compose.expand[{i}]")
        expanded = _expand_step(target, exp["template"], _expansion_vars(exp, rule.get("vars")))
        steps = _splice(steps, target, expanded)
        done.add(target["id"])
    for i, rule in enumerate(compose.get("map") or []):
        exp = _load_expansion(load, rule.get("with", ""), f"compose.map[{i}]")
        values = _expansion_vars(exp, rule.get("vars"))
        selected = [s for sid, s in step_map(steps).items()
                    if fm.match_glob(str(rule.get("select", "")), sid) and sid not in done]
        for target in selected:
            steps = _splice(steps, target, _expand_step(target, exp["template"], values))
            done.add(target["id"])
    counts: dict[str, int] = {}
    for s in fm.walk_steps(steps):
        counts[s.get("id", "")] = counts.get(s.get("id", ""), 0) + 1
    dups = sorted(k for k, n in counts.items() if n > 1)
    if dups:
        raise FormulaError(f"duplicate step ids after expansion: {', '.join(dups)}")
    return steps


def apply_aspects(steps: list[dict[str, Any]], compose: Mapping[str, Any] | None,
                  load: Loader, advise: Callable[..., list[dict[str, Any]]]
                  ) -> list[dict[str, Any]]:
    for name in (compose or {}).get("aspects") or []:
        aspect = load(name)
        if aspect.get("type") != "aspect":
            raise FormulaError(f"{name!r} is not an aspect formula (type={aspect.get('type')})")
        steps = advise(steps, aspect.get("advice"))
    return steps


