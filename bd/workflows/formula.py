"""Formulas as data: reading a parsed TOML/JSON document into a checked formula, variables,
step conditions and range arithmetic.  Pure: no file, store or network access.

A formula is kept as plain dicts (the keys of the original's ``.formula.toml``/``.json``
files), so keys bd does not act on (bond points, hooks, pointcuts, ``on_complete``,
``convoy``) survive a round trip and can be shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bd.errors import FormulaError
from bd.workflows.exprs import (  # noqa: F401 - part of this API
    format_duration,
    parse_duration,
    parse_range,
)

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

FORMULA_TYPES = ("workflow", "expansion", "aspect", "convoy")
PHASES = ("liquid", "vapor")
STEP_TYPES = ("task", "bug", "feature", "epic", "chore")
VAR_RE = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")
TOP_KEYS = ("formula", "description", "version", "type", "extends", "vars", "steps",
            "template", "compose", "advice", "pointcuts", "phase", "pour")
STEP_KEYS = ("id", "title", "description", "notes", "type", "priority", "labels", "assignee",
             "metadata", "depends_on", "needs", "children", "condition", "waits_for", "gate",
             "loop", "expand", "expand_vars", "on_complete")
VAR_KEYS = ("description", "default", "required", "enum", "pattern", "type")
GATE_TYPES = ("human", "timer", "gh:run", "gh:pr", "bead", "mail")
# Internal keys carried on steps while cooking (never written back to a formula file).
SOURCE, LOCATION = "_source_formula", "_source_location"


def _err(msg: str, source: str | None, field: str | None = None) -> FormulaError:
    return FormulaError(msg, path=source, field=field)


def _want(value: Any, kind: type | tuple[type, ...], where: str, source: str | None) -> Any:
    if isinstance(value, bool) and kind in (int, str):
        raise _err(f"{where}: expected {_kind(kind)}, got a boolean", source, where)
    if not isinstance(value, kind):
        raise _err(f"{where}: expected {_kind(kind)}, got {type(value).__name__}", source,
                   where)
    return value


def _kind(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "a boolean", list: "an array",
             dict: "a table"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def _str_list(value: Any, where: str, source: str | None) -> list[str]:
    _want(value, list, where, source)
    for i, item in enumerate(value):
        _want(item, str, f"{where}[{i}]", source)
    return list(value)


def _str_map(value: Any, where: str, source: str | None) -> dict[str, str]:
    _want(value, dict, where, source)
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise _err(f"{where}.{k}: expected a string", source, f"{where}.{k}")
        out[str(k)] = v if isinstance(v, str) else str(v)
    return out


def _step(raw: Any, where: str, source: str | None) -> dict[str, Any]:
    _want(raw, dict, where, source)
    step: dict[str, Any] = dict(raw)
    for key in ("id", "title", "description", "notes", "type", "assignee", "condition",
                "waits_for", "expand"):
        if key in step:
            _want(step[key], str, f"{where}.{key}", source)
    if "priority" in step:
        _want(step["priority"], int, f"{where}.priority", source)
    for key in ("labels", "depends_on", "needs"):
        if key in step:
            step[key] = _str_list(step[key], f"{where}.{key}", source)
    if "metadata" in step:
        _want(step["metadata"], dict, f"{where}.metadata", source)
    if "expand_vars" in step:
        step["expand_vars"] = _str_map(step["expand_vars"], f"{where}.expand_vars", source)
    if "children" in step:
        step["children"] = _steps(step["children"], f"{where}.children", source)
    if "gate" in step:
        gate = dict(_want(step["gate"], dict, f"{where}.gate", source))
        for key in ("type", "id", "await_id", "timeout"):
            if key in gate:
                _want(gate[key], str, f"{where}.gate.{key}", source)
        if not gate.get("type"):
            raise _err(f"{where}.gate: type is required", source, f"{where}.gate.type")
        if gate.get("await_id") and not gate.get("id"):
            gate["id"] = gate["await_id"]
        if gate.get("timeout"):
            parse_duration(gate["timeout"], f"{where}.gate.timeout", source)
        step["gate"] = gate
    if "loop" in step:
        loop = dict(_want(step["loop"], dict, f"{where}.loop", source))
        for key in ("count", "max"):
            if key in loop:
                _want(loop[key], int, f"{where}.loop.{key}", source)
        for key in ("until", "range", "var"):
            if key in loop:
                _want(loop[key], str, f"{where}.loop.{key}", source)
        loop["body"] = _steps(loop.get("body", []), f"{where}.loop.body", source)
        step["loop"] = loop
    if "on_complete" in step:
        _want(step["on_complete"], dict, f"{where}.on_complete", source)
    return step


def _steps(raw: Any, where: str, source: str | None) -> list[dict[str, Any]]:
    _want(raw, list, where, source)
    return [_step(s, f"{where}[{i}]", source) for i, s in enumerate(raw)]


def _var(name: str, raw: Any, source: str | None) -> dict[str, Any]:
    where = f"vars.{name}"
    if isinstance(raw, str):  # TOML shorthand: NAME = "x" is the default
        return {"default": raw}
    _want(raw, dict, where, source)
    var = dict(raw)
    for key in ("description", "default", "pattern", "type"):
        if key in var:
            _want(var[key], str, f"{where}.{key}", source)
    if "required" in var:
        _want(var["required"], bool, f"{where}.required", source)
    if "enum" in var:
        var["enum"] = _str_list(var["enum"], f"{where}.enum", source)
    return var


def parse(data: Any, source: str | None = None) -> dict[str, Any]:
    """A checked formula from a parsed document; ``source`` names the file in errors."""
    _want(data, dict, "formula document", source)
    f: dict[str, Any] = dict(data)
    name = f.get("formula")
    if not isinstance(name, str) or not name:
        raise _err("formula: name is required", source, "formula")
    for key in ("description", "type", "phase"):
        if key in f:
            _want(f[key], str, key, source)
    f.setdefault("version", 1)
    _want(f["version"], int, "version", source)
    if f["version"] < 1:
        raise _err("version: must be >= 1", source, "version")
    f.setdefault("type", "workflow")
    if f["type"] not in FORMULA_TYPES:
        raise _err(f"type: invalid value {f['type']!r} (must be workflow, expansion, aspect "
                   "or convoy)", source, "type")
    if f.get("phase") and f["phase"] not in PHASES:
        raise _err(f"phase: invalid value {f['phase']!r} (must be liquid or vapor)", source,
                   "phase")
    if "pour" in f:
        _want(f["pour"], bool, "pour", source)
    if "extends" in f:
        ext = f["extends"]
        f["extends"] = [ext] if isinstance(ext, str) else _str_list(ext, "extends", source)
    f["vars"] = {str(k): _var(str(k), v, source)
                 for k, v in _want(f.get("vars") or {}, dict, "vars", source).items()}
    f["steps"] = _steps(f.get("steps") or [], "steps", source)
    if "template" in f:
        f["template"] = _steps(f["template"], "template", source)
    if "compose" in f:
        _compose(_want(f["compose"], dict, "compose", source), source)
    if "advice" in f:
        for i, rule in enumerate(_want(f["advice"], list, "advice", source)):
            _want(rule, dict, f"advice[{i}]", source)
            _want(rule.get("target"), str, f"advice[{i}].target", source)
    if "pointcuts" in f:
        _want(f["pointcuts"], list, "pointcuts", source)
    set_source(f)
    return f


def _compose(c: dict[str, Any], source: str | None) -> None:
    for key in ("bond_points", "hooks", "expand", "map", "branch", "gate"):
        if key in c:
            for i, rule in enumerate(_want(c[key], list, f"compose.{key}", source)):
                _want(rule, dict, f"compose.{key}[{i}]", source)
    if "aspects" in c:
        c["aspects"] = _str_list(c["aspects"], "compose.aspects", source)


def set_source(f: dict[str, Any]) -> None:
    """Record on each step which formula and location it came from (shown by dry runs)."""
    def walk(steps: list[dict[str, Any]], where: str) -> None:
        for i, s in enumerate(steps):
            s[SOURCE] = f["formula"]
            s[LOCATION] = f"{where}[{i}]"
            walk(s.get("children") or [], f"{where}[{i}].children")
            if isinstance(s.get("loop"), dict):
                walk(s["loop"].get("body") or [], f"{where}[{i}].loop.body")
    walk(f.get("steps") or [], "steps")
    walk(f.get("template") or [], "template")


def public(obj: Any) -> Any:
    """A formula or step without the internal source-tracing keys (for output and files)."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if k not in (SOURCE, LOCATION)}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


# -- validation (after extends is resolved) ---------------------------------------------------

def walk_steps(steps: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for s in steps:
        yield s
        yield from walk_steps(s.get("children") or [])


def validate(f: Mapping[str, Any]) -> None:
    """The original's checks on a resolved formula; all problems in one error."""
    errs: list[str] = []
    for name, var in (f.get("vars") or {}).items():
        if var.get("required") and var.get("default"):
            errs.append(f"vars.{name}: cannot have both required:true and default")
    seen: dict[str, str] = {}

    def collect(steps: list[dict[str, Any]], where: str) -> None:
        for i, s in enumerate(steps):
            at = f"{where}[{i}]"
            sid = s.get("id")
            if not sid:
                errs.append(f"{at}: id is required")
                continue
            if sid in seen:
                errs.append(f"{at}: duplicate id {sid!r} (first defined at {seen[sid]})")
            else:
                seen[sid] = at
            if not s.get("title") and not s.get("expand"):
                errs.append(f"{at} ({sid}): title is required (unless using expand)")
            p = s.get("priority")
            if p is not None and not 0 <= p <= 4:
                errs.append(f"{at} ({sid}): priority must be 0-4")
            collect(s.get("children") or [], f"{at}.children")

    collect(list(f.get("steps") or []), "steps")
    for s in walk_steps(f.get("steps") or []):
        for key in ("depends_on", "needs"):
            for ref in s.get(key) or []:
                if ref not in seen:
                    errs.append(f"step {s.get('id')}: {key} references unknown step {ref!r}")
        wf = s.get("waits_for")
        if wf:
            spec = parse_waits_for(wf)
            if spec is None:
                errs.append(f"step {s.get('id')}: invalid waits_for {wf!r} (expected "
                            "all-children, any-children or children-of(step))")
            elif spec[1] and spec[1] not in seen:
                errs.append(f"step {s.get('id')}: waits_for references unknown step "
                            f"{spec[1]!r}")
    compose = f.get("compose") or {}
    for i, bp in enumerate(compose.get("bond_points") or []):
        if not bp.get("id"):
            errs.append(f"compose.bond_points[{i}]: id is required")
        if bp.get("after_step") and bp.get("before_step"):
            errs.append(f"compose.bond_points[{i}]: cannot have both after_step and "
                        "before_step")
        for key in ("after_step", "before_step"):
            if bp.get(key) and bp[key] not in seen:
                errs.append(f"compose.bond_points[{i}]: {key} references unknown step "
                            f"{bp[key]!r}")
    for i, hook in enumerate(compose.get("hooks") or []):
        for key in ("trigger", "attach"):
            if not hook.get(key):
                errs.append(f"compose.hooks[{i}]: {key} is required")
    if errs:
        raise FormulaError(f"formula {f.get('formula')} is invalid: " + "; ".join(errs),
                           path=f.get("_path"))


def parse_waits_for(value: str) -> tuple[str, str | None] | None:
    """(gate, spawner step or None) of a waits_for value, or None when malformed."""
    if value in ("all-children", "any-children"):
        return value, None
    if value.startswith("children-of(") and value.endswith(")") and len(value) > 13:
        return "all-children", value[len("children-of("):-1]
    return None


# -- variables -------------------------------------------------------------------------------

def substitute(text: str, values: Mapping[str, str]) -> str:
    """``{{name}}`` replaced by its value; unknown placeholders kept verbatim."""
    if not text or "{{" not in text:
        return text
    return VAR_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def extract_vars(f: Mapping[str, Any]) -> list[str]:
    """Placeholders used in the formula's description and steps, in first-use order."""
    seen: dict[str, None] = {}

    def scan(text: Any) -> None:
        if isinstance(text, str):
            for m in VAR_RE.finditer(text):
                seen.setdefault(m.group(1), None)

    scan(f.get("description"))
    for s in walk_steps(f.get("steps") or []):
        for key in ("title", "description", "notes", "assignee", "condition"):
            scan(s.get(key))
        gate = s.get("gate") or {}
        scan(gate.get("id"))
    return list(seen)


def with_defaults(f: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    values = {name: var["default"] for name, var in (f.get("vars") or {}).items()
              if var.get("default")}
    values.update(given)
    return values


def missing_required(f: Mapping[str, Any], values: Mapping[str, str]) -> list[str]:
    return sorted(name for name, var in (f.get("vars") or {}).items()
                  if var.get("required") and name not in values)


def parse_var_flags(flags: Iterable[str]) -> dict[str, str]:
    out = {}
    for item in flags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise FormulaError(f"invalid variable format {item!r}, expected 'key=value'",
                               field="var")
        out[key] = value
    return out


# -- step conditions (cook/pour time) ----------------------------------------------------------

_COND_VAR = re.compile(r"^\{\{(\w+)\}\}$")
_COND_NOT = re.compile(r"^!\{\{(\w+)\}\}$")
_COND_CMP = re.compile(r"^\{\{(\w+)\}\}\s*(==|!=)\s*(.+)$")


def truthy(value: str | None) -> bool:
    return bool(value) and str(value).lower() not in ("false", "0", "no", "off")


def eval_condition(cond: str | None, values: Mapping[str, str]) -> bool:
    """Whether a step with ``condition = cond`` is kept."""
    cond = (cond or "").strip()
    if not cond:
        return True
    if m := _COND_VAR.match(cond):
        return truthy(values.get(m.group(1)))
    if m := _COND_NOT.match(cond):
        return not truthy(values.get(m.group(1)))
    if m := _COND_CMP.match(cond):
        expected = m.group(3).strip()
        if len(expected) >= 2 and expected[0] == expected[-1] and expected[0] in "\"'":
            expected = expected[1:-1]
        actual = values.get(m.group(1), "")
        return actual == expected if m.group(2) == "==" else actual != expected
    raise FormulaError(f"invalid step condition {cond!r} (expected {{{{var}}}}, !{{{{var}}}}, "
                       "{{var}} == value or {{var}} != value)", field="condition")


# Runtime conditions (compose.gate, loop.until) are evaluated by an orchestrator; bd checks
# their shape only.
_RUNTIME = [re.compile(p) for p in (
    r"^file\.exists\(['\"].+['\"]\)$",
    r"^env\.\w+\s*[=!<>]+\s*.+$",
    r"^(children|descendants|steps)\(\w+\)\.(all|any|count)\(.+\).*$",
    r"^steps\.\w+\s*[=!<>]+\s*\d+$",
    r"^\w+(\.\w+)*\s*[=!<>]+\s*.+$",
)]


def check_runtime_condition(expr: str, where: str) -> None:
    expr = (expr or "").strip()
    if not expr:
        raise FormulaError(f"{where}: condition is required", field=where)
    if not any(p.match(expr) for p in _RUNTIME):
        raise FormulaError(f"{where}: invalid condition {expr!r}", field=where)


# -- globs (advice targets, compose.map selectors) ------------------------------------------

def match_glob(pattern: str, step_id: str) -> bool:
    import fnmatch

    if pattern == "*" or pattern == step_id:
        return True
    if pattern.startswith("*.") and step_id.endswith(pattern[1:]):
        return True
    if pattern.endswith(".*") and step_id.startswith(pattern[:-1]):
        return True
    return fnmatch.fnmatchcase(step_id, pattern)
