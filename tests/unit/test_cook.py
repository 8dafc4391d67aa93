"""The cooking pipeline, key by key (pure: formulas as dicts, a dict as the library)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bd.errors import FormulaError, NotFoundError
from bd.workflows import cook, proto
from bd.workflows import formula as fm


def lib(*formulas: dict[str, Any]) -> Any:
    parsed = {f["formula"]: fm.parse(f) for f in formulas}

    def load(name: str) -> dict[str, Any]:
        if name not in parsed:
            raise NotFoundError(f"formula {name!r} not found")
        return parsed[name]
    return load


def cooked(f: dict[str, Any], *others: dict[str, Any],
           values: dict[str, str] | None = None) -> dict[str, Any]:
    return cook.cook(fm.parse(f), lib(f, *others), values)


def ids(steps: list[dict[str, Any]]) -> list[str]:
    return [s["id"] for s in fm.walk_steps(steps)]


def step(f: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in fm.walk_steps(f["steps"]) if s["id"] == sid)


def records(f: dict[str, Any], *others: dict[str, Any], values: dict[str, str] | None = None
            ) -> dict[str, dict[str, Any]]:
    c = cooked(f, *others, values=values)
    return {r["id"]: r for r in proto.build_proto(c, c["formula"])}


def edges(recs: dict[str, dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(d["issue_id"], d["depends_on_id"], d["type"])
            for r in recs.values() for d in r.get("dependencies") or []}


def S(sid: str, **kw: Any) -> dict[str, Any]:  # noqa: N802 - a step literal
    return {"id": sid, "title": kw.pop("title", sid.title()), **kw}


# -- top-level keys and parsing ---------------------------------------------------------------

def test_defaults_and_top_level_checks() -> None:
    f = fm.parse({"formula": "mol-x", "steps": [S("a")]})
    assert (f["version"], f["type"]) == (1, "workflow")
    with pytest.raises(FormulaError, match="name is required"):
        fm.parse({"steps": []})
    with pytest.raises(FormulaError, match="type: invalid value"):
        fm.parse({"formula": "x", "type": "flow"})
    with pytest.raises(FormulaError, match="version: must be >= 1"):
        fm.parse({"formula": "x", "version": 0})
    with pytest.raises(FormulaError, match="phase"):
        fm.parse({"formula": "x", "phase": "gas"})
    with pytest.raises(FormulaError, match=r"steps\[0\]\.priority: expected an integer"):
        fm.parse({"formula": "x", "steps": [S("a", priority="high")]})


def test_step_validation() -> None:
    with pytest.raises(FormulaError, match="duplicate id 'a'"):
        cooked({"formula": "x", "steps": [S("a"), S("a")]})
    with pytest.raises(FormulaError, match="needs references unknown step 'zz'"):
        cooked({"formula": "x", "steps": [S("a", needs=["zz"])]})
    with pytest.raises(FormulaError, match="title is required"):
        cooked({"formula": "x", "steps": [{"id": "a"}]})
    with pytest.raises(FormulaError, match="priority must be 0-4"):
        cooked({"formula": "x", "steps": [S("a", priority=7)]})


def test_vars_defaults_required_and_shorthand() -> None:
    f = fm.parse({"formula": "x", "vars": {"env": "staging",
                                           "who": {"required": True, "description": "d"}},
                  "steps": [S("a", title="Deploy {{who}} to {{env}} {{unknown}}")]})
    assert f["vars"]["env"] == {"default": "staging"}  # TOML shorthand
    values = fm.with_defaults(f, {"who": "ann"})
    assert fm.missing_required(f, {}) == ["who"] and fm.missing_required(f, values) == []
    assert fm.substitute(step(f, "a")["title"], values) == "Deploy ann to staging {{unknown}}"
    assert fm.extract_vars(f) == ["who", "env", "unknown"]
    with pytest.raises(FormulaError, match="both required:true and default"):
        cooked({"formula": "x", "vars": {"v": {"required": True, "default": "1"}}})


def test_title_and_desc_vars_name_the_root() -> None:
    recs = records({"formula": "x", "description": "plain",
                    "vars": {"title": {}, "desc": {}}, "steps": [S("a")]})
    assert (recs["x"]["title"], recs["x"]["description"]) == ("{{title}}", "{{desc}}")
    recs = records({"formula": "x", "description": "plain", "steps": [S("a")]})
    assert (recs["x"]["title"], recs["x"]["description"]) == ("x", "plain")
    assert recs["x"]["issue_type"] == "molecule" and recs["x"]["labels"] == ["template"]


# -- extends ---------------------------------------------------------------------------------

def test_extends_replaces_in_place_and_appends() -> None:
    base = {"formula": "base", "vars": {"env": "dev", "team": "core"},
            "steps": [S("a"), S("b", title="Base B"), S("c")],
            "compose": {"bond_points": [{"id": "bp", "after_step": "a"}]}}
    child = {"formula": "child", "extends": ["base"], "vars": {"env": "prod"},
             "steps": [S("b", title="Child B"), S("d", needs=["b"])],
             "compose": {"bond_points": [{"id": "bp2"}]}}
    c = cooked(child, base)
    assert ids(c["steps"]) == ["a", "b", "c", "d"]
    assert step(c, "b")["title"] == "Child B"
    assert c["vars"]["env"] == {"default": "prod"} and c["vars"]["team"] == {"default": "core"}
    assert [bp["id"] for bp in c["compose"]["bond_points"]] == ["bp", "bp2"]


def test_extends_cycle_and_missing_parent() -> None:
    a = {"formula": "a", "extends": "b"}
    b = {"formula": "b", "extends": ["a"]}
    with pytest.raises(FormulaError, match="circular extends detected: a -> b -> a"):
        cooked(a, b)
    with pytest.raises(NotFoundError):
        cooked({"formula": "x", "extends": ["nope"]})


# -- needs, depends_on, children, types ------------------------------------------------------

def test_needs_depends_on_children_and_types() -> None:
    recs = records({"formula": "x", "steps": [
        S("a", type="bug", priority=1, labels=["l1"], assignee="ann",
          metadata={"k": 1}, notes="n"),
        S("b", depends_on=["a"], type="weird"),
        S("c", needs=["a", "b"], children=[S("c1"), S("c2", needs=["c1"])])]})
    assert set(recs) == {"x", "x.a", "x.b", "x.c", "x.c.c1", "x.c.c2"}
    a = recs["x.a"]
    assert (a["issue_type"], a["priority"], a["labels"], a["assignee"], a["notes"]) == \
        ("bug", 1, ["l1"], "ann", "n")
    assert a["metadata"] == {"k": 1} and a["is_template"] is True
    assert recs["x.b"]["issue_type"] == "task"  # unknown types become task
    assert recs["x.c"]["issue_type"] == "epic"  # a step with children is an epic
    assert {("x.b", "x.a", "blocks"), ("x.c", "x.a", "blocks"), ("x.c", "x.b", "blocks"),
            ("x.c.c2", "x.c.c1", "blocks"), ("x.c.c1", "x.c", "parent-child"),
            ("x.a", "x", "parent-child")} <= edges(recs)


def test_waits_for_adds_label_and_edge() -> None:
    recs = records({"formula": "x", "steps": [
        S("spawn"), S("other"),
        S("join", needs=["spawn"], waits_for="any-children"),
        S("join2", waits_for="children-of(other)")]})
    assert "gate:any-children" in recs["x.join"]["labels"]
    meta = {(d["depends_on_id"], d.get("metadata")) for d in recs["x.join"]["dependencies"]
            if d["type"] == "waits-for"}
    assert meta == {("x.spawn", '{"gate":"any-children"}')}
    w2 = [d for d in recs["x.join2"]["dependencies"] if d["type"] == "waits-for"]
    assert w2[0]["depends_on_id"] == "x.other" and json.loads(w2[0]["metadata"]) == \
        {"gate": "all-children"}
    with pytest.raises(FormulaError, match="invalid waits_for"):
        cooked({"formula": "x", "steps": [S("a", waits_for="some")]})


def test_gate_makes_a_gate_issue_that_blocks_the_step() -> None:
    recs = records({"formula": "x", "steps": [
        S("build"), S("ship", needs=["build"],
                      gate={"type": "gh:run", "id": "release", "timeout": "1h30m"})]})
    g = recs["x.gate-ship"]
    assert (g["issue_type"], g["await_type"], g["await_id"], g["title"]) == \
        ("gate", "gh:run", "release", "Gate: gh:run release")
    assert g["timeout"] == 90 * 60 * 10**9
    assert {("x.ship", "x.gate-ship", "blocks"), ("x.gate-ship", "x", "parent-child")} <= \
        edges(recs)
    with pytest.raises(FormulaError, match="invalid duration"):
        fm.parse({"formula": "x", "steps": [S("a", gate={"type": "timer", "timeout": "soon"})]})


# -- conditions -------------------------------------------------------------------------------

@pytest.mark.parametrize("cond,values,kept", [
    ("{{docs}}", {"docs": "yes"}, True), ("{{docs}}", {"docs": "false"}, False),
    ("{{docs}}", {}, False), ("!{{docs}}", {"docs": "0"}, True),
    ("{{env}} == prod", {"env": "prod"}, True), ("{{env}} == 'prod'", {"env": "dev"}, False),
    ("{{env}} != prod", {"env": "dev"}, True),
])
def test_condition_forms(cond: str, values: dict[str, str], kept: bool) -> None:
    assert fm.eval_condition(cond, values) is kept


def test_conditions_filter_only_with_values() -> None:
    f = {"formula": "x", "vars": {"docs": {"default": "no"}},
         "steps": [S("a"), S("b", condition="{{docs}}", children=[S("b1")]),
                   S("c", needs=["a", "b"])]}
    assert ids(cooked(f)["steps"]) == ["a", "b", "b1", "c"]  # compile time: all kept
    c = cooked(f, values={"docs": "no"})
    assert ids(c["steps"]) == ["a", "c"] and step(c, "c")["needs"] == ["a"]
    assert ids(cooked(f, values={"docs": "yes"})["steps"]) == ["a", "b", "b1", "c"]
    with pytest.raises(FormulaError, match="invalid step condition"):
        cooked({"formula": "x", "steps": [S("a", condition="docs?")]}, values={})


# -- loops ------------------------------------------------------------------------------------

def test_count_loop_unrolls_and_chains() -> None:
    c = cooked({"formula": "x", "steps": [
        S("prep"),
        {"id": "retry", "title": "Retry", "needs": ["prep"],
         "loop": {"count": 3, "body": [S("try"), S("check", needs=["try"])]}},
        S("done", needs=["prep"])]})
    assert ids(c["steps"]) == ["prep", "retry.iter1.try", "retry.iter1.check",
                               "retry.iter2.try", "retry.iter2.check", "retry.iter3.try",
                               "retry.iter3.check", "done"]
    assert step(c, "retry.iter1.check")["needs"] == ["retry.iter1.try"]
    assert step(c, "retry.iter2.try")["needs"] == ["retry.iter1.check"]
    assert step(c, "retry.iter3.try")["needs"] == ["retry.iter2.check"]


def test_range_loop_with_var_arithmetic() -> None:
    f = {"formula": "x", "vars": {"n": {"default": "2"}}, "steps": [
        {"id": "shard", "title": "Shards",
         "loop": {"range": "1..{n}*2", "var": "i", "body": [S("run", title="Run shard {i}")]}}]}
    c = cooked(f, values={"n": "2"})
    assert [s["title"] for s in c["steps"]] == [f"Run shard {i}" for i in range(1, 5)]
    assert fm.parse_range("2^3..(10-4)/2") == (8, 3)
    with pytest.raises(FormulaError, match="less than start"):
        cooked({"formula": "x", "steps": [{"id": "l", "title": "L",
                "loop": {"range": "5..1", "body": [S("a")]}}]})
    with pytest.raises(FormulaError, match="unresolved variable"):
        cooked({"formula": "x", "steps": [{"id": "l", "title": "L",
                "loop": {"range": "1..{m}", "body": [S("a")]}}]})


def test_until_loop_is_tagged_for_the_orchestrator() -> None:
    c = cooked({"formula": "x", "steps": [{"id": "poll", "title": "Poll", "loop": {
        "until": "step.status == 'complete'", "max": 5, "body": [S("look"), S("wait")]}}]})
    assert ids(c["steps"]) == ["poll.iter1.look", "poll.iter1.wait"]
    label = step(c, "poll.iter1.look")["labels"][0]
    assert label.startswith("loop:") and json.loads(label[5:]) == \
        {"max": 5, "until": "step.status == 'complete'"}
    with pytest.raises(FormulaError, match="max is required"):
        cooked({"formula": "x", "steps": [{"id": "p", "title": "P", "loop": {
            "until": "step.status == 'complete'", "body": [S("a")]}}]})
    with pytest.raises(FormulaError, match="only one of count, until or range"):
        cooked({"formula": "x", "steps": [{"id": "p", "title": "P", "loop": {
            "count": 2, "range": "1..2", "body": [S("a")]}}]})


# -- compose: branch, gate, expand, map, aspects ------------------------------------------------

def test_compose_branch_forks_and_joins() -> None:
    c = cooked({"formula": "x", "steps": [S("start"), S("l"), S("r"), S("join")],
                "compose": {"branch": [{"from": "start", "steps": ["l", "r"],
                                        "join": "join"}]}})
    assert step(c, "l")["needs"] == ["start"] and step(c, "r")["needs"] == ["start"]
    assert step(c, "join")["needs"] == ["l", "r"]
    with pytest.raises(FormulaError, match="step 'nope' not found"):
        cooked({"formula": "x", "steps": [S("a"), S("b")],
                "compose": {"branch": [{"from": "a", "steps": ["nope"], "join": "b"}]}})


def test_compose_gate_becomes_a_label() -> None:
    c = cooked({"formula": "x", "steps": [S("test"), S("deploy", needs=["test"])],
                "compose": {"gate": [{"before": "deploy",
                                      "condition": "test.status == 'complete'"}]}})
    label = step(c, "deploy")["labels"][0]
    assert json.loads(label[len("gate:"):]) == {"condition": "test.status == 'complete'"}
    with pytest.raises(FormulaError, match="invalid condition"):
        cooked({"formula": "x", "steps": [S("a")],
                "compose": {"gate": [{"before": "a", "condition": "?!"}]}})


EXPANSION = {"formula": "exp-review", "type": "expansion", "vars": {"who": "alice"},
             "template": [S("{target}-draft", title="Draft {target.title}"),
                          S("{target}-review", title="{who} reviews {target}",
                            needs=["{target}-draft"])]}


def test_inline_expand_replaces_the_step() -> None:
    c = cooked({"formula": "x", "steps": [
        S("spec"), S("api", title="API", expand="exp-review", expand_vars={"who": "bob"},
                     needs=["spec"]),
        S("ship", needs=["api"])]}, EXPANSION)
    assert ids(c["steps"]) == ["spec", "api-draft", "api-review", "ship"]
    assert step(c, "api-draft")["title"] == "Draft API"
    assert step(c, "api-review")["title"] == "bob reviews api"
    assert step(c, "api-draft")["needs"] == ["spec"]  # the expansion waits where api waited
    assert step(c, "ship")["needs"] == ["api-review"]  # and what waited on api waits on it
    with pytest.raises(FormulaError, match="not an expansion formula"):
        cooked({"formula": "x", "steps": [S("a", expand="x")]})


def test_compose_expand_and_map() -> None:
    f = {"formula": "x", "steps": [S("design"), S("impl.api", needs=["design"]),
                                   S("impl.ui", needs=["design"]),
                                   S("release", needs=["impl.api", "impl.ui"])],
         "compose": {"expand": [{"target": "design", "with": "exp-review"}],
                     "map": [{"select": "impl.*", "with": "exp-review",
                              "vars": {"who": "qa"}}]}}
    c = cooked(f, EXPANSION)
    assert ids(c["steps"]) == ["design-draft", "design-review", "impl.api-draft",
                               "impl.api-review", "impl.ui-draft", "impl.ui-review",
                               "release"]
    assert step(c, "impl.api-draft")["needs"] == ["design-review"]
    assert step(c, "release")["needs"] == ["impl.api-review", "impl.ui-review"]
    assert step(c, "impl.ui-review")["title"] == "qa reviews impl.ui"
    with pytest.raises(FormulaError, match="target step 'nope' not found"):
        cooked({"formula": "x", "steps": [S("a")],
                "compose": {"expand": [{"target": "nope", "with": "exp-review"}]}}, EXPANSION)


def test_advice_before_after_around() -> None:
    c = cooked({"formula": "x", "steps": [S("build"), S("deploy", needs=["build"])],
                "advice": [{"target": "deploy",
                            "before": {"id": "pre-{step.id}", "title": "Check {step.title}"},
                            "after": {"id": "post-{step.id}"}},
                           {"target": "b*", "around": {"before": [{"id": "lint"}],
                                                       "after": [{"id": "report"}]}}]})
    assert ids(c["steps"]) == ["lint", "build", "report", "pre-deploy", "deploy", "post-deploy"]
    assert step(c, "pre-deploy")["title"] == "Check Deploy"
    assert step(c, "deploy")["needs"] == ["build", "pre-deploy"]
    assert step(c, "post-deploy")["needs"] == ["deploy"]
    assert step(c, "build")["needs"] == ["lint"] and step(c, "report")["needs"] == ["build"]


def test_aspects_apply_their_advice() -> None:
    aspect = {"formula": "asp-audit", "type": "aspect",
              "advice": [{"target": "*", "after": {"id": "{step.id}-audit",
                                                   "title": "Audit {step.id}"}}]}
    c = cooked({"formula": "x", "steps": [S("a")], "compose": {"aspects": ["asp-audit"]}},
               aspect)
    assert ids(c["steps"]) == ["a", "a-audit"]
    with pytest.raises(FormulaError, match="not an aspect formula"):
        cooked({"formula": "x", "steps": [S("a")], "compose": {"aspects": ["exp-review"]}},
               EXPANSION)


def test_inert_keys_are_kept() -> None:
    f = {"formula": "x", "type": "convoy", "pour": True, "pointcuts": [{"glob": "*.impl"}],
         "compose": {"bond_points": [{"id": "bp", "after_step": "a"}],
                     "hooks": [{"trigger": "label:urgent", "attach": "mol-page"}]},
         "steps": [S("a", on_complete={"for_each": "output.items", "bond": "mol-item",
                                       "parallel": True})]}
    c = cooked(f)
    assert c["pointcuts"] == [{"glob": "*.impl"}] and c["pour"] is True
    assert c["compose"]["hooks"][0]["attach"] == "mol-page"
    assert step(c, "a")["on_complete"]["bond"] == "mol-item"
    with pytest.raises(FormulaError, match="attach is required"):
        cooked({"formula": "x", "compose": {"hooks": [{"trigger": "t"}]}})


def test_cycles_are_refused() -> None:
    with pytest.raises(FormulaError, match="cycle"):
        records({"formula": "x", "steps": [S("a", needs=["b"]), S("b", needs=["a"])]})
