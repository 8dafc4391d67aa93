"""bd graph, graph check, list --tree/--pretty/--format, dep tree --format/--status/-t,
through the real CLI in a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bd, bdj, jsonl_path, make_repo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from mermaid_check import check as mermaid_check  # noqa: E402

HOSTILE = '<img src=x onerror="alert(1)"> "q" \\ #1 `t` </script>'


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("views") / "repo", prefix="v")
    for args in (
        ["Ship it", "-t", "epic", "--id", "v-epic", "-p", "1"],
        ["Design", "--parent", "v-epic", "-p", "1"],          # v-epic.1
        ["Build", "--parent", "v-epic"],                      # v-epic.2
        ["Test", "--parent", "v-epic", "-p", "3"],            # v-epic.3
        [HOSTILE, "--id", "v-evil", "-d", HOSTILE],
        ["Elsewhere", "--id", "v-else"],
        ["Done long ago", "--id", "v-old"],
        ["On its own", "--id", "v-lone", "-p", "4"],
    ):
        bd("create", *args, cwd=root)
    for a, b, *t in (("v-epic.2", "v-epic.1"), ("v-epic.3", "v-epic.2"), ("v-else", "v-epic.3"),
                     ("v-evil", "v-epic.1", "-t", "related"), ("v-epic.3", "v-old")):
        bd("dep", "add", a, b, *t, cwd=root)
    bd("close", "v-old", cwd=root)
    return root


def dot_exe() -> str:
    exe = shutil.which("dot")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("graphviz (dot) is missing in CI: make test installs it with apt-get")
        pytest.skip("graphviz not installed (make test installs it with apt-get)")
    return exe


def test_graph_of_an_epic_shows_its_tree_and_neighbours(work: Path) -> None:
    data = bdj("graph", "v-epic", cwd=work)
    ids = [i["id"] for i in data["issues"]]
    assert set(ids) == {"v-epic", "v-epic.1", "v-epic.2", "v-epic.3", "v-else", "v-old",
                        "v-evil"}
    assert data["context"] == ["v-else", "v-evil", "v-old"]   # one edge outside the tree
    assert data["layout"]["Layers"][0][0] in ("v-epic", "v-epic.1", "v-old")
    layer = {i: n["Layer"] for i, n in data["layout"]["Nodes"].items()}
    assert layer["v-epic.1"] < layer["v-epic.2"] < layer["v-epic.3"] < layer["v-else"]
    assert "v-epic.1" in data["ready"] and "v-epic.3" not in data["ready"]
    text = bd("graph", "v-epic", cwd=work).stdout
    assert "Dependency graph for v-epic (7 issues, 4 layers)" in text
    assert "✓ v-old" in text and "(waits on v-epic.2, v-old; in v-epic)" in text


def test_graph_formats_render(work: Path, tmp_path: Path) -> None:
    dot = bd("graph", "v-epic", "--format", "dot", cwd=work).stdout
    assert bd("graph", "v-epic", "--dot", cwd=work).stdout == dot
    svg = subprocess.run([dot_exe(), "-Tsvg"], input=dot, text=True, capture_output=True,
                         timeout=60)
    assert svg.returncode == 0 and "<svg" in svg.stdout, svg.stderr
    everything = bd("graph", "--all", "--format", "dot", cwd=work).stdout
    svg = subprocess.run([dot_exe(), "-Tsvg"], input=everything, text=True,
                         capture_output=True, timeout=60)
    assert svg.returncode == 0, svg.stderr
    assert "onerror" in svg.stdout and "<img" not in svg.stdout  # text, escaped
    mermaid_check(bd("graph", "--all", "--format", "mermaid", cwd=work).stdout.rstrip("\n"))
    out = tmp_path / "g.html"
    proc = bd("graph", "v-evil", "--format", "html", "-o", str(out), cwd=work)
    assert proc.stdout == "" and "Wrote the graph of 2 issues" in proc.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and HOSTILE not in page
    assert bd("graph", "v-evil", "--html", cwd=work).stdout == page


def test_graph_all_groups_components_and_skips_closed(work: Path) -> None:
    comps = bdj("graph", "--all", cwd=work)
    assert [c["layout"]["RootID"] for c in comps] == ["v-else", "v-lone"]
    every = {i["id"] for c in comps for i in c["issues"]}
    assert "v-old" not in every and "v-else" in every
    text = bd("graph", "--all", "--compact", cwd=work).stdout
    assert "─" * 60 in text and "├── ○ v-epic P1 Ship it ★" in text
    assert "└── ○ v-lone P4 On its own ★" in text.split("─" * 60)[1]


def test_graph_refuses_what_it_cannot_draw(work: Path) -> None:
    cases = [(["graph"], "issue ID required"),
             (["graph", "v-epic", "--all"], "cannot specify an issue ID with --all"),
             (["graph", "v-epic", "--format", "svg"], "invalid value for --format: 'svg'"),
             (["graph", "v-epic", "--format", "dot", "--compact"], "form of the ascii"),
             (["graph", "v-epic", "--compact", "--box"], "choose one"),
             (["graph", "v-epic", "--dot", "--format", "mermaid"], "contradicts"),
             (["graph", "v-epic", "--format", "dot", "--json"], "drop --json"),
             (["graph", "v-nope"], "no issue found")]
    for args, message in cases:
        proc = bd(*args, cwd=work, check=False)
        assert proc.returncode != 0, args
        assert message in proc.stderr + proc.stdout, (args, proc.stderr)


def test_graph_check_and_cycles(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", prefix="c")
    for name in ("a", "b", "c"):
        bd("create", name, "--id", f"c-{name}", cwd=root)
    bd("dep", "add", "c-b", "c-a", cwd=root)
    bd("dep", "add", "c-c", "c-b", cwd=root)
    assert bdj("graph", "check", cwd=root)["clean"] is True
    assert "✓ Graph integrity check passed" in bd("graph", "check", cwd=root).stdout
    # A hand edit (or a merge) closes a cycle bd itself would refuse.
    path = jsonl_path(root)
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in recs:
        if rec["id"] == "c-a":
            rec["dependencies"] = [{"issue_id": "c-a", "depends_on_id": "c-c", "type": "blocks",
                                    "created_at": rec["created_at"]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    proc = bd("graph", "check", cwd=root, check=False)
    assert proc.returncode == 1 and "c-a → c-c → c-b → c-a" in proc.stdout
    drawn = bd("graph", "c-a", cwd=root).stdout      # terminates, reports, draws all three
    assert "⚠ Cycle among c-a, c-b, c-c" in drawn and "c-c" in drawn
    for fmt in ("dot", "mermaid", "html"):
        assert bd("graph", "--all", "--format", fmt, cwd=root).returncode == 0


def test_list_tree_pretty_and_formats(work: Path) -> None:
    tree = bd("list", "--tree", cwd=work).stdout.splitlines()
    assert tree[0] == "○ 🟠 v-epic - [EPIC] Ship it"
    assert tree[1:4] == ["├── ○ 🟠 v-epic.1 - Design", "├── ○ 🟡 v-epic.2 - Build",
                         "└── ○ 🔵 v-epic.3 - Test"]
    assert bd("list", "--pretty", cwd=work).stdout.splitlines() == tree
    ready = bd("ready", "--pretty", cwd=work).stdout
    assert "v-epic.1 - Design" in ready and "v-epic.3" not in ready
    pairs = bd("list", "--format", "digraph", cwd=work).stdout.splitlines()
    assert "v-epic.2 v-epic.1" in pairs and "v-evil v-epic.1" in pairs
    assert bd("list", "--format", "{{.ID}}={{.Priority}}", "--id", "v-epic.3",
              cwd=work).stdout == "v-epic.3=3\n"
    dot = bd("list", "--format", "dot", "--all", cwd=work).stdout
    svg = subprocess.run([dot_exe(), "-Tsvg"], input=dot, text=True, capture_output=True,
                         timeout=60)
    assert svg.returncode == 0, svg.stderr
    for args, message in ((["list", "--format", "{{.Bogus}}"], "can't evaluate field Bogus"),
                          (["list", "--tree", "--format", "dot"], "two different outputs"),
                          (["list", "--tree", "--long"], "two different outputs"),
                          (["ready", "--pretty", "--json"], "use one")):
        proc = bd(*args, cwd=work, check=False)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr + proc.stdout


def test_dep_tree_filters_and_mermaid(work: Path) -> None:
    full = bdj("dep", "tree", "v-else", cwd=work)
    assert {n["id"] for n in full} >= {"v-else", "v-epic.3", "v-old", "v-epic"}
    closed = bdj("dep", "tree", "v-else", "--status", "closed", cwd=work)
    assert [n["id"] for n in closed] == ["v-else", "v-epic.3", "v-old"]
    blocks = bdj("dep", "tree", "v-else", "-t", "blocks", cwd=work)
    assert "v-epic" not in {n["id"] for n in blocks}       # reached only via parent-child
    assert {n["id"] for n in blocks} == {"v-else", "v-epic.3", "v-epic.2", "v-epic.1", "v-old"}
    assert bd("dep", "tree", "v-else", "--status", "deferred", cwd=work).stdout.startswith(
        "No issues with status deferred")
    diagram = bd("dep", "tree", "v-evil", "--format", "mermaid", "--direction", "both",
                 cwd=work).stdout
    assert mermaid_check(diagram.rstrip("\n"))["nodes"] >= 2
    for args, message in ((["--format", "dot"], "invalid value for --format: 'dot'"),
                          (["--format", "mermaid", "--json"], "drop --json"),
                          (["--status", "nope"], "invalid status"),
                          (["-t", " "], "needs a dependency type")):
        proc = bd("dep", "tree", "v-else", *args, cwd=work, check=False)
        assert proc.returncode != 0 and message in proc.stderr + proc.stdout, (args, proc.stderr)
