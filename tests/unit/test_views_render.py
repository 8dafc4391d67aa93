"""bd.views, pure parts: layering, cycles, the four renderers, list templates and trees."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from mermaid_check import MermaidError, check

from bd.errors import UsageError
from bd.views import ascii as asc
from bd.views import dot, html, listfmt, mermaid
from bd.views.check import check as graph_check
from bd.views.model import ViewGraph, layout
from bd.views.tree import filter_status

HOSTILE = 'Evil "quote" \\ back <script>alert(1)</script> & #amp; `tick` |pipe| ]]> {x} \n line'


def vg_of(edges: list[tuple[str, str, str]], **extra: Any) -> ViewGraph:
    ids = sorted({x for a, b, _ in edges for x in (a, b)} | set(extra.pop("ids", ())))
    titles = extra.pop("titles", {})
    nodes = {i: {"id": i, "title": titles.get(i, f"Title {i}"), "status": "open",
                 "priority": 2, "issue_type": "task", "labels": []} for i in ids}
    return ViewGraph(nodes, edges, **extra)


def need_dot() -> str:
    exe = shutil.which("dot")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("graphviz (dot) is missing in CI: make test installs it with apt-get")
        pytest.skip("graphviz not installed (make test installs it with apt-get)")
    return exe


# -------------------------------------------------------------------------- layout


def test_layers_follow_the_longest_wait() -> None:
    # d waits on c and a; c waits on b; b waits on a  ->  a | b | c | d
    g = vg_of([("b", "a", "blocks"), ("c", "b", "blocks"), ("d", "c", "blocks"),
               ("d", "a", "blocks"), ("e", "a", "related")])
    lay = layout(g)
    assert lay.layers == [["a", "e"], ["b"], ["c"], ["d"]]
    assert lay.waits_on["d"] == ["a", "c"]
    assert lay.cycles == []


def test_parent_child_and_links_do_not_order_layers() -> None:
    g = vg_of([("kid", "epic", "parent-child"), ("x", "kid", "discovered-from")])
    assert layout(g).layers == [["epic", "kid", "x"]]
    assert g.parent_of() == {"kid": "epic"}


def test_cycles_are_reported_and_laid_out_once() -> None:
    g = vg_of([("a", "b", "blocks"), ("b", "c", "blocks"), ("c", "a", "blocks"),
               ("d", "c", "blocks"), ("s", "s", "blocks")])
    lay = layout(g)
    assert lay.cycles == [["a", "b", "c"], ["s"]]
    assert lay.layer["a"] == lay.layer["b"] == lay.layer["c"] == 0
    assert lay.layer["d"] == 1
    assert sorted(i for layer in lay.layers for i in layer) == ["a", "b", "c", "d", "s"]


def test_a_long_cycle_terminates() -> None:
    n = 5000
    edges = [(f"n{i}", f"n{(i + 1) % n}", "blocks") for i in range(n)]
    lay = layout(vg_of(edges))
    assert len(lay.cycles) == 1 and len(lay.cycles[0]) == n
    assert len(lay.layers) == 1


def test_a_long_chain_is_not_recursive() -> None:
    n = 3000  # deeper than Python's recursion limit
    lay = layout(vg_of([(f"n{i:05}", f"n{i - 1:05}", "blocks") for i in range(1, n)]))
    assert len(lay.layers) == n
    assert lay.layers[-1] == [f"n{n - 1:05}"]


def test_ordering_pulls_dependents_next_to_what_they_wait_on() -> None:
    g = vg_of([("x2", "b", "blocks"), ("x1", "a", "blocks")], ids=["a", "b"])
    lay = layout(g)
    assert lay.layers[0] == ["a", "b"]
    assert lay.layers[1] == ["x1", "x2"]
    assert layout(g).layers == lay.layers  # deterministic


def test_parent_child_loops_are_cut() -> None:
    g = vg_of([("a", "b", "parent-child"), ("b", "a", "parent-child")])
    parents = g.parent_of()
    assert len(parents) < 2
    assert "Title a" in "\n".join(asc.render_compact(g, layout(g)))


def test_components_group_connected_issues() -> None:
    g = vg_of([("a", "b", "blocks"), ("c", "d", "related")], ids=["e"])
    assert g.components() == [["a", "b"], ["c", "d"], ["e"]]


# -------------------------------------------------------------------------- ascii


def test_ascii_views_show_layers_status_and_ready() -> None:
    g = vg_of([("b", "a", "blocks"), ("k", "a", "parent-child")], ready={"a"}, root="a")
    g.nodes["b"]["status"] = "blocked"
    lay = layout(g)
    text = "\n".join(asc.render(g, lay))
    assert "Dependency graph for a (3 issues, 2 layers)" in text
    assert re.search(r"Layer 0.*\n.*○ a P2 Title a ★", text)
    assert "● b P2 Title b  (waits on a)" in text
    assert "(in a)" in text
    box = asc.render_box(g, lay)
    assert any(line.strip().startswith("┌") for line in box)
    assert any("○ a P2 ★" in line for line in box)
    widths = {asc.width(line) for line in box if "│" in line and "┌" not in line}
    assert len(widths) >= 1
    compact = "\n".join(asc.render_compact(g, lay))
    assert "L0" in compact and "└── ○ k P2 Title k" in compact


def test_clip_counts_wide_characters() -> None:
    assert asc.width("漢字") == 4
    assert asc.width(asc.clip("漢字漢字漢字", 7)) <= 7
    assert asc.clip("a\nb", 10) == "a b"


# -------------------------------------------------------------------------- dot


def _hostile_graph() -> ViewGraph:
    return vg_of([("b", "a", "blocks"), ("c", "a", "parent-child"), ("c", "b", "related"),
                  ('q"x', "a", "blocks")],
                 titles={"a": HOSTILE, "b": "<b>bold</b>", "c": "a\\nb", 'q"x': "quoted id"},
                 ready={"a"}, root="a")


def test_dot_quotes_everything_and_renders(tmp_path: Any) -> None:
    g = _hostile_graph()
    text = "\n".join(dot.render(g, layout(g)))
    assert dot.quote('q"x') == '"q\\"x"'
    assert dot.quote("a\\b") == '"a\\\\b"'
    svg = subprocess.run([need_dot(), "-Tsvg"], input=text, capture_output=True, text=True,
                         timeout=60)
    assert svg.returncode == 0, svg.stderr
    root = ET.fromstring(svg.stdout)  # well-formed XML: nothing leaked out of a string
    ns = "{http://www.w3.org/2000/svg}"
    assert not list(root.iter(f"{ns}script"))
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "<script>alert(1)</script>" in texts  # shown as text, not markup
    assert "quoted id" in texts


def test_dot_groups_children_in_clusters_until_large() -> None:
    g = vg_of([("k1", "e", "parent-child"), ("k2", "e", "parent-child")])
    text = "\n".join(dot.render(g, layout(g)))
    assert 'subgraph "cluster_e"' in text
    big = vg_of([(f"k{i}", "e", "parent-child") for i in range(dot.CLUSTER_LIMIT + 1)])
    text = "\n".join(dot.render(big, layout(big)))
    assert "cluster_" not in text and "->" not in text
    assert '"k7" [label="○ k7 P2\\nTitle k7\\nopen\\nin e"' in text


def test_list_dot_renders() -> None:
    recs = [{"id": "a", "title": HOSTILE, "status": "closed", "priority": 1},
            {"id": "b", "title": "B", "dependencies": [
                {"issue_id": "b", "depends_on_id": "a", "type": "blocks"},
                {"issue_id": "b", "depends_on_id": "zz", "type": "blocks"}]}]
    text = "\n".join(dot.render_list(recs))
    assert '"b" -> "a" [label="blocks", color=red, style=bold];' in text
    assert "zz" not in text
    proc = subprocess.run([need_dot(), "-Tsvg"], input=text, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


# -------------------------------------------------------------------------- mermaid


def test_mermaid_graph_passes_the_grammar_check() -> None:
    g = _hostile_graph()
    text = "\n".join(mermaid.render(g, layout(g)))
    counts = check(text)
    assert counts == {"nodes": 4, "edges": 3, "subgraphs": 1}
    assert "#lt;script#gt;" in text and "<script>" not in text


def test_mermaid_ids_are_safe_and_unique() -> None:
    ids = mermaid.Ids()
    assert ids("bd-a.1") == "n_bd_a_1"
    assert ids("bd_a_1") == "n_bd_a_1_2"
    assert ids("bd-a.1") == "n_bd_a_1"


def test_mermaid_tree_passes_the_grammar_check() -> None:
    nodes = [{"id": "a", "depth": 0, "parent_id": "a"},
             {"id": "b-1.2", "depth": 1, "parent_id": "a"},
             {"id": "a", "depth": 2, "parent_id": "b-1.2", "repeat": True}]
    recs = {"a": {"id": "a", "title": HOSTILE, "status": "open"},
            "b-1.2": {"id": "b-1.2", "title": "B", "status": "closed"}}
    text = "\n".join(mermaid.render_tree(nodes, recs, "a"))
    assert check(text) == {"nodes": 2, "edges": 2, "subgraphs": 0}
    assert "☑ b-1.2: B" in text
    assert check("\n".join(mermaid.render_tree([], {}, "x-1"))) == {
        "nodes": 1, "edges": 0, "subgraphs": 0}


@pytest.mark.parametrize("bad", [
    'flowchart TD\n  a["x"y"]',                    # quote inside a label
    'flowchart TD\n  a-b["x"]',                    # unsafe id
    'flowchart TD\n  a["x"]\n  a --> b',           # undeclared node
    'flowchart TD\n  subgraph g["x"]\n  a["y"]',   # unclosed subgraph
    'flowchart TD\n  a["<b>"]',                    # raw markup
    'flowchart TD\n  a["#1"]',                     # bare '#'
    'graph XY\n  a["x"]',                          # bad header
    'flowchart TD\n  a["x"]\n  class a nope',      # class without classDef
])
def test_the_grammar_check_rejects_broken_diagrams(bad: str) -> None:
    with pytest.raises(MermaidError):
        check(bad)


# -------------------------------------------------------------------------- html


def test_html_page_is_self_contained_and_its_data_cannot_break_out() -> None:
    g = _hostile_graph()
    page = html.render(g, layout(g), title="T </title><script>x()</script>")
    assert "</script><script>alert" not in page
    assert "<script>alert(1)</script>" not in page
    body = page.split('id="bd-graph-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(body)
    assert {n["id"]: n["title"] for n in data["nodes"]}["a"] == HOSTILE
    assert "<" not in body and ">" not in body
    assert "&lt;/title&gt;" in page  # the title element is escaped
    # Nothing is fetched: no src/href attributes, a CSP that allows no network at all.
    assert not re.search(r"""(src|href)\s*=""", page)
    assert "default-src 'none'" in page
    # The CSP pins the inline script and style by hash.
    import base64
    import hashlib
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page


def test_script_json_escapes_markup_and_line_separators() -> None:
    assert html.script_json({"t": "</script>\u2028&"}) == \
        '{"t":"\\u003c/script\\u003e\\u2028\\u0026"}'


# -------------------------------------------------------------------------- list formats


RECS = [
    {"id": "e", "title": "Epic", "issue_type": "epic", "priority": 1, "status": "open"},
    {"id": "e.1", "title": "Dotted child", "priority": 0, "status": "in_progress"},
    {"id": "k", "title": "Kid", "priority": 3, "status": "blocked", "labels": ["x", "y"],
     "dependencies": [{"issue_id": "k", "depends_on_id": "e", "type": "parent-child"},
                      {"issue_id": "k", "depends_on_id": "e.1", "type": "blocks"}]},
    {"id": "z", "title": "Alone", "status": "closed"},
]


def test_tree_uses_parent_child_edges_and_dotted_ids() -> None:
    lines = listfmt.tree(RECS)
    assert lines[:3] == ["○ 🟠 e - [EPIC] Epic", "├── ◐ 🔴 e.1 - Dotted child",
                         "└── ⊗ 🔵 k - Kid"]
    assert "● 🟡 z - Alone" in lines
    assert "Total: 4 issues (1 open, 1 in progress)" in lines
    assert listfmt.tree([]) == ["No issues found."]


def test_templates_per_issue_and_per_edge() -> None:
    assert listfmt.template_lines(RECS, "{{.ID}} {{.Title}} P{{.Priority}} {{.Labels}}") == [
        "e Epic P1 []", "e.1 Dotted child P0 []", "k Kid P3 [x y]", "z Alone P2 []"]
    assert listfmt.template_lines(RECS, "digraph") == ["k e", "k e.1"]
    assert listfmt.template_lines(
        RECS, "{{.IssueID}}->{{.DependsOnID}} {{.Type}} {{.Issue.Title}} "
              "{{.Dependency.type}}") == ["k->e parent-child Kid parent-child",
                                          "k->e.1 blocks Kid blocks"]
    assert listfmt.template_lines(RECS[:1], "{{- .issue_type -}}  !") == ["epic!"]


@pytest.mark.parametrize("tpl, message", [
    ("{{.Nope}}", "can't evaluate field Nope"),
    ("{{if .ID}}x{{end}}", "unsupported action"),
    ("{{.ID", "unclosed action"),
    ("{{.IssueID}} {{.Title}}", "use .Issue.Title"),
    ("{{.Title.Deeper}}", "can't evaluate field Deeper"),
])
def test_bad_templates_are_usage_errors(tpl: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        listfmt.template_lines(RECS, tpl)


def test_go_names_map_to_json_keys() -> None:
    assert listfmt.snake("ID") == "id"
    assert listfmt.snake("IssueType") == "issue_type"
    assert listfmt.snake("DependsOnID") == "depends_on_id"
    assert listfmt.snake("CreatedAt") == "created_at"


# -------------------------------------------------------------------------- check, tree filter


def test_check_finds_orphans_and_dangling_parents() -> None:
    recs = [{"id": "a", "dependencies": [
                {"depends_on_id": "gone", "type": "blocks"},
                {"depends_on_id": "dead", "type": "related"},
                {"depends_on_id": "external:p:cap", "type": "blocks"}]},
            {"id": "dead", "status": "tombstone"},
            {"id": "x.1"}, {"id": "a.2", "dependencies": [
                {"depends_on_id": "a", "type": "parent-child"}]}]
    result = graph_check(recs, [])
    assert not result["clean"]
    assert [(o["depends_on_id"], o["reason"]) for o in result["orphan_edges"]] == [
        ("gone", "missing"), ("dead", "deleted")]
    assert result["dangling_parents"] == [
        {"issue_id": "x.1", "parent_id": "x", "reason": "dotted id"}]
    assert graph_check([{"id": "a"}], [])["clean"]
    assert not graph_check([{"id": "a"}], [["a", "b"]])["clean"]


def test_status_filter_keeps_the_path_to_each_match() -> None:
    nodes = [{"id": "r", "depth": 0}, {"id": "a", "depth": 1}, {"id": "b", "depth": 2},
             {"id": "c", "depth": 1}, {"id": "d", "depth": 2}]
    recs = {"r": {}, "a": {}, "b": {"status": "closed"}, "c": {"status": "closed"}, "d": {}}
    assert [n["id"] for n in filter_status(nodes, recs, "closed")] == ["r", "a", "b", "c"]
    assert filter_status(nodes, recs, "deferred") == []
