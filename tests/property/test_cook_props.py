"""Properties of cooking and pouring over random formulas: a cooked graph never has a
cycle, and a dry-run pour describes exactly what the pour then creates."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bd.core.graph import Graph
from bd.store.store import Store
from bd.workflows import cook, molecules, proto
from bd.workflows import formula as fm
from bd.workflows.library import Library

GATES = st.sampled_from([None, {"type": "human"}, {"type": "timer", "timeout": "1h"},
                         {"type": "gh:run", "id": "ci"}])


@st.composite
def formulas(draw: st.DrawFn) -> dict[str, Any]:
    """Steps whose needs point at earlier steps (a formula written in order), with children,
    gates, a count loop, branch rules and advice thrown in."""
    n = draw(st.integers(1, 7))
    steps: list[dict[str, Any]] = []
    for i in range(n):
        sid = f"s{i}"
        step: dict[str, Any] = {"id": sid, "title": f"Step {i} {{{{name}}}}"}
        earlier = [s["id"] for s in steps]
        if earlier:
            step["needs"] = draw(st.lists(st.sampled_from(earlier), max_size=3, unique=True))
        gate = draw(GATES)
        if gate:
            step["gate"] = gate
        if draw(st.booleans()) and i % 3 == 0:
            step["children"] = [{"id": f"{sid}c{k}", "title": f"Child {k}"}
                                for k in range(draw(st.integers(1, 2)))]
        if draw(st.integers(0, 5)) == 0:
            step = {"id": sid, "title": f"Loop {i}", "needs": step.get("needs", []),
                    "loop": {"count": draw(st.integers(1, 3)),
                             "body": [{"id": "a", "title": "A"},
                                      {"id": "b", "title": "B", "needs": ["a"]}]}}
        steps.append(step)
    f: dict[str, Any] = {"formula": "mol-prop", "vars": {"name": {"default": "x"}},
                         "steps": steps}
    plain = [s["id"] for s in steps if "loop" not in s]
    if len(plain) >= 3 and draw(st.booleans()):
        a, b, c = sorted(draw(st.lists(st.sampled_from(plain), min_size=3, max_size=3,
                                       unique=True)), key=plain.index)
        f["compose"] = {"branch": [{"from": a, "steps": [b], "join": c}]}
    if draw(st.booleans()):
        f["advice"] = [{"target": draw(st.sampled_from(["*", "s0", "s1*"])),
                        "before": {"id": "pre-{step.id}"}, "after": {"id": "post-{step.id}"}}]
    return f


def _load(name: str) -> dict[str, Any]:
    raise AssertionError(f"no other formula expected ({name})")


@settings(max_examples=150, deadline=None)
@given(formulas())
def test_a_cooked_graph_is_acyclic(f: dict[str, Any]) -> None:
    cooked = cook.cook(fm.parse(f), _load, {"name": "x"})
    records = proto.build_proto(cooked, "mol-prop")
    graph = Graph.build(records)
    assert graph.cycles() == []
    all_ids = {r["id"] for r in records}
    for r in records:  # every edge stays inside the proto
        for d in r.get("dependencies") or []:
            assert d["depends_on_id"] in all_ids
    # every step (and gate) hangs under the root
    assert all(any(d["type"] == "parent-child" for d in r.get("dependencies") or [])
               for r in records[1:])


def _shape(issues: list[dict[str, Any]], back: dict[str, str]) -> list[tuple[Any, ...]]:
    return sorted((back[i["id"]], i["title"], i["issue_type"],
                   tuple(sorted((back.get(d["depends_on_id"], d["depends_on_id"]), d["type"])
                                for d in i.get("dependencies") or [])))
                  for i in issues)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(formulas(), st.booleans())
def test_dry_run_pour_equals_pour(f: dict[str, Any], ephemeral: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        beads = os.path.join(tmp, ".beads")
        os.makedirs(os.path.join(beads, "formulas"))
        with open(os.path.join(beads, "config.yaml"), "w") as fh:
            fh.write("issue-prefix: t\n")
        with open(os.path.join(beads, "formulas", "mol-prop.formula.json"), "w") as fh:
            import json

            json.dump(f, fh)
        store = Store(beads)
        try:
            lib = Library([os.path.join(beads, "formulas")])
            dry = molecules.pour(store, "mol-prop", ephemeral=ephemeral, dry_run=True, lib=lib)
            assert store.list_ids() == []  # a dry run writes nothing
            real = molecules.pour(store, "mol-prop", ephemeral=ephemeral, lib=lib)
            assert (dry["created"], dry["phase"]) == (real["created"], real["phase"])
            assert set(dry["id_mapping"]) == set(real["id_mapping"])
            made = store.get_many(list(real["id_mapping"].values()))
            assert len(made) == real["created"]
            assert all(bool(r.get("ephemeral")) is ephemeral for r in made.values())
            back_dry = {v: k for k, v in dry["id_mapping"].items()}
            back_real = {v: k for k, v in real["id_mapping"].items()}
            assert _shape(dry["issues"], back_dry) == _shape(list(made.values()), back_real)
            prefix = "t-wisp-" if ephemeral else "t-mol-"
            assert all(i.startswith(prefix) for i in real["id_mapping"].values())
        finally:
            store.close()
