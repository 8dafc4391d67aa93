"""Every filter of list, count and search, each checked for the issues it selects.

One imported workspace with fixed timestamps; each case names the flags and the exact ids
that must come back, from ``list --all``, ``count --all`` and (for the filters search shares)
``search item``.  A filter that was accepted and ignored would return every issue.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import bd, bdj, git


def _rec(rid: str, title: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"id": rid, "title": title, "description": "", "status": "open",
                               "priority": 2, "issue_type": "task",
                               "created_at": "2024-05-01T00:00:00Z",
                               "updated_at": "2024-05-01T00:00:00Z"}
    base.update(fields)
    return base


RECORDS = [
    _rec("t-a", "Alpha item", issue_type="bug", priority=0, assignee="ann",
         labels=["x", "y"], description="alpha description", notes="needle in notes",
         created_at="2024-01-10T00:00:00Z", updated_at="2024-01-11T00:00:00Z",
         due_at="2024-02-01T00:00:00Z", pinned=True),
    _rec("t-b", "Beta item", priority=3, status="closed", labels=["y"],
         created_at="2024-03-01T00:00:00Z", updated_at="2024-03-05T00:00:00Z",
         closed_at="2024-03-05T00:00:00Z", close_reason="done"),
    _rec("t-c", "Gamma item", issue_type="feature", status="deferred", assignee="bob",
         description="gamma", created_at="2024-06-01T00:00:00Z",
         updated_at="2024-06-02T00:00:00Z", defer_until="2099-01-01T00:00:00Z",
         due_at="2099-06-01T00:00:00Z"),
    _rec("t-d", "Delta item", issue_type="epic", priority=1, description="delta",
         created_at="2024-07-01T00:00:00Z", updated_at="2024-07-01T00:00:00Z"),
    _rec("t-d.1", "Child item", description="child", created_at="2024-07-02T00:00:00Z",
         updated_at="2024-07-02T00:00:00Z",
         dependencies=[{"issue_id": "t-d.1", "depends_on_id": "t-d", "type": "parent-child",
                        "created_at": "2024-07-02T00:00:00Z"}]),
    _rec("t-g", "Gate item", issue_type="gate", description="gate"),
    _rec("t-m", "Template item", is_template=True, description="template"),
    _rec("t-w", "Swarm item", mol_type="swarm", description="mol"),
]
DEFAULT = {"t-a", "t-b", "t-c", "t-d", "t-d.1", "t-w"}  # list --all: no gates, templates

# (flags, expected ids under list --all, shared with search)
CASES: list[tuple[list[str], set[str], bool]] = [
    (["--status", "closed"], {"t-b"}, True),
    (["--priority", "0"], {"t-a"}, True),
    (["--priority-min", "3"], {"t-b"}, True),
    (["--priority-max", "1"], {"t-a", "t-d"}, True),
    (["--assignee", "bob"], {"t-c"}, True),
    (["--no-assignee"], DEFAULT - {"t-a", "t-c"}, True),
    (["--type", "feature"], {"t-c"}, True),
    (["--label", "x"], {"t-a"}, True),
    (["--label-any", "x", "--label-any", "y"], {"t-a", "t-b"}, True),
    (["--created-after", "2024-06-15"], {"t-d", "t-d.1"}, True),
    (["--created-before", "2024-02-01"], {"t-a"}, True),
    (["--updated-after", "2024-07-01T12:00:00Z"], {"t-d.1"}, True),
    (["--updated-before", "2024-03-02"], {"t-a"}, True),
    (["--closed-after", "2024-03-01"], {"t-b"}, True),
    (["--closed-before", "2024-04-01"], {"t-b"}, True),
    (["--no-labels"], DEFAULT - {"t-a", "t-b"}, False),
    (["--empty-description"], {"t-b"}, False),
    (["--title", "Gamma"], {"t-c"}, False),
    (["--title-contains", "elt"], {"t-d"}, False),
    (["--desc-contains", "gamm"], {"t-c"}, False),
    (["--notes-contains", "needle"], {"t-a"}, False),
    (["--id", "t-a,t-b"], {"t-a", "t-b"}, False),
    (["--due-after", "2025-01-01"], {"t-c"}, False),
    (["--due-before", "2025-01-01"], {"t-a"}, False),
    (["--defer-after", "2098-01-01"], {"t-c"}, False),
    (["--defer-before", "2098-01-01"], set(), False),
    (["--deferred"], {"t-c"}, False),
    (["--overdue"], {"t-a"}, False),
    (["--pinned"], {"t-a"}, False),
    (["--no-pinned"], DEFAULT - {"t-a"}, False),
    (["--include-templates"], DEFAULT | {"t-m"}, False),
    (["--include-gates"], DEFAULT | {"t-g"}, False),
    (["--parent", "t-d"], {"t-d.1"}, False),
    (["--filter-parent", "t-d"], {"t-d.1"}, False),
    (["--mol-type", "swarm"], {"t-w"}, False),
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("filters") / "repo"
    root.mkdir()
    git("init", "-q", cwd=root)
    bd("init", "--prefix", "t", cwd=root)
    data = "".join(json.dumps(r) + "\n" for r in RECORDS)
    bd("import", "-i", "-", cwd=root, input=data)
    return root


def _ids(rows: list[dict[str, object]]) -> set[str]:
    return {str(r["id"]) for r in rows}


def test_unfiltered_baseline(ws: Path) -> None:
    assert _ids(bdj("list", "--all", "--limit", "0", cwd=ws)) == DEFAULT
    assert bdj("count", "--all", cwd=ws)["count"] == len(DEFAULT)


@pytest.mark.parametrize("flags,expected,in_search", CASES,
                         ids=[" ".join(c[0]) for c in CASES])
def test_filter(ws: Path, flags: list[str], expected: set[str], in_search: bool) -> None:
    assert _ids(bdj("list", "--all", "--limit", "0", *flags, cwd=ws)) == expected
    assert bdj("count", "--all", *flags, cwd=ws)["count"] == len(expected)
    if in_search:
        got = _ids(bdj("search", "item", "--limit", "0", *flags, cwd=ws))
        assert got == expected - {"t-g", "t-m"}


def test_count_groups(ws: Path) -> None:
    by_type = bdj("count", "--all", "--by-type", cwd=ws)
    types = {g["group"]: g["count"] for g in by_type["groups"]}
    assert types == {"bug": 1, "epic": 1, "feature": 1, "task": 3}
    by_assignee = bdj("count", "--all", "--by-assignee", cwd=ws)
    assert {g["group"]: g["count"] for g in by_assignee["groups"]} == {
        "": 4, "ann": 1, "bob": 1}


def test_search_query_option_sort_reverse_long(ws: Path) -> None:
    rows = bdj("search", "--query", "item", "--sort", "priority", "--limit", "0", cwd=ws)
    assert [r["id"] for r in rows][:2] == ["t-a", "t-d"]
    rev = bdj("search", "--query", "item", "--sort", "priority", "--reverse", "--limit", "0",
              cwd=ws)
    assert [r["id"] for r in rev] == [r["id"] for r in rows][::-1]
    text = bd("search", "Alpha", "--long", cwd=ws).stdout
    assert "alpha description" in text
    assert "alpha description" not in bd("search", "Alpha", cwd=ws).stdout


def test_no_pager_changes_nothing(ws: Path) -> None:
    """bd never pages its output, so --no-pager holds by construction."""
    assert bd("list", "--no-pager", cwd=ws).stdout == bd("list", cwd=ws).stdout
    assert (bd("search", "item", "--no-pager", cwd=ws).stdout
            == bd("search", "item", cwd=ws).stdout)


def test_ready_mol_type(ws: Path) -> None:
    assert _ids(bdj("ready", "--mol-type", "swarm", cwd=ws)) == {"t-w"}


EXPORT_CASES: list[tuple[list[str], set[str]]] = [
    (["--assignee", "ann"], {"t-a"}),
    (["--type", "feature"], {"t-c"}),
    (["--label", "y"], {"t-a", "t-b"}),
    (["--label-any", "x"], {"t-a"}),
    (["--priority", "3"], {"t-b"}),
    (["--priority-min", "3"], {"t-b"}),
    (["--priority-max", "0"], {"t-a"}),
    (["--created-after", "2024-06-15"], {"t-d", "t-d.1"}),
    (["--created-before", "2024-02-01"], {"t-a"}),
    (["--updated-after", "2024-07-01T12:00:00Z"], {"t-d.1"}),
    (["--updated-before", "2024-03-02"], {"t-a"}),
    (["--status", "closed", "--type", "task"], {"t-b"}),
]


@pytest.mark.parametrize("flags,expected", EXPORT_CASES,
                         ids=[" ".join(c[0]) for c in EXPORT_CASES])
def test_export_filters(ws: Path, flags: list[str], expected: set[str]) -> None:
    out = bd("export", *flags, cwd=ws).stdout
    assert {json.loads(line)["id"] for line in out.splitlines()} == expected


def test_export_obsidian(ws: Path, tmp_path: Path) -> None:
    target = tmp_path / "log.md"
    out = bdj("export", "--format", "obsidian", "-o", str(target), cwd=ws)
    assert out["format"] == "obsidian" and out["output_file"] == str(target)
    text = target.read_text()
    assert text.startswith("# Changes Log\n")
    assert "- [x] Beta item 🆔 t-b 🔽 #Task #y 🛫 2024-03-01 ✅ 2024-03-05" in text
    assert "  - [ ] Child item 🆔 t-d.1" in text  # under its parent
    assert text.index("## 2024-07-01") < text.index("## 2024-03-05")  # newest day first
    default = bd("export", "--format", "obsidian", "--assignee", "ann", cwd=ws)
    assert default.returncode == 0
    written = (ws / "ai_docs" / "changes-log.md").read_text()
    assert "t-a" in written and "t-b" not in written
