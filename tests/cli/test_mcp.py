"""``bd mcp``: the MCP server, driven through the SDK's own client.

Most tests connect the official in-memory client to the server built on a temp repository
and make real tool calls; one speaks to ``python -m bd mcp`` over stdio.  Results are
compared with the CLI's ``--json`` output for the same repository: the shapes must agree.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, bdj, create, make_repo

HAVE_MCP = importlib.util.find_spec("mcp") is not None
needs_mcp = pytest.mark.skipif(
    not HAVE_MCP, reason="the optional 'mcp' package is not installed: "
    "pip install -e '.[mcp]' (make test installs it)")

EXPECTED_TOOLS = {"context", "ready", "list", "show", "create", "update", "claim", "close",
                  "reopen", "dep", "blocked", "stats", "comments", "labels",
                  "compact-analyze", "compact-apply", "mol_pour", "mol_wisp", "mol_squash",
                  "mol_burn", "gate_resolve", "remember", "recall"}
TOOLS_BUDGET_TOKENS = 2500  # the original's tool list cost about 10,000


def session(repo: Path | None, body: Callable[[Any], Awaitable[Any]], **kw: Any) -> Any:
    """Run ``body(client)`` against a server on ``repo``, over the in-memory transport."""
    import anyio
    from mcp.shared.memory import create_connected_server_and_client_session

    from bd.agents.mcp_server import Workspaces, build_server

    async def main() -> Any:
        ws = Workspaces(str(repo) if repo else None, **kw)
        try:
            async with create_connected_server_and_client_session(build_server(ws)) as client:
                return await body(client)
        finally:
            ws.close()

    return anyio.run(main)


async def call(client: Any, name: str, **args: Any) -> Any:
    result = await client.call_tool(name, args)
    text = result.content[0].text
    assert not result.isError, f"{name}({args}) failed: {text}"
    return json.loads(text)


async def error(client: Any, name: str, **args: Any) -> str:
    result = await client.call_tool(name, args)
    assert result.isError, f"{name}({args}) should have failed: {result.content}"
    return str(result.content[0].text)


@needs_mcp
def test_tool_list_names_schemas_and_size() -> None:
    from bd.agents.mcp_server import tools_list_size

    async def body(client: Any) -> Any:
        return (await client.list_tools()).tools

    tools = session(None, body)
    assert {t.name for t in tools} == EXPECTED_TOOLS
    for t in tools:
        assert t.description and "workspace_root" in t.inputSchema["properties"]
    by_name = {t.name: t.inputSchema for t in tools}
    # the CLI's long-flag names (beads-mcp's are accepted as aliases: see the strict test)
    assert {"issue_id", "status", "priority", "assignee", "notes", "acceptance"} <= set(
        by_name["update"]["properties"])
    assert {"title", "description", "type", "priority", "deps", "labels", "acceptance"} <= set(
        by_name["create"]["properties"])
    assert {"issue_id", "depends_on_id", "type"} <= set(by_name["dep"]["properties"])
    assert all(schema["additionalProperties"] is False for schema in by_name.values())
    assert by_name["reopen"]["required"] == ["issue_ids"]
    tokens = (tools_list_size() + 3) // 4
    print(f"\nMCP tools/list: {tools_list_size()} characters, ~{tokens} tokens")
    assert tokens <= TOOLS_BUDGET_TOKENS


@needs_mcp
def test_create_claim_close_and_read_back_like_the_cli(repo: Path) -> None:
    async def body(c: Any) -> Any:
        parent = await call(c, "create", title="Design the API", issue_type="feature",
                            priority=1, description="Endpoints and errors", labels=["api"])
        child = await call(c, "create", title="Found: flaky auth test",
                           deps=[f"discovered-from:{parent['id']}"], issue_type="bug")
        blocked = await call(c, "create", title="Build the API", deps=[parent["id"]])
        ready = await call(c, "ready")
        claimed = await call(c, "claim", issue_id=parent["id"])
        lost = await error(c, "claim", issue_id=parent["id"])
        blocked_rows = await call(c, "blocked")
        closed = await call(c, "close", issue_id=parent["id"], reason="Shipped")
        after = await call(c, "ready", brief=True)
        shown = await call(c, "show", issue_id=blocked["id"])
        listed = await call(c, "list", status="all", limit=0)
        stats = await call(c, "stats")
        return parent, child, blocked, ready, claimed, lost, blocked_rows, closed, after, \
            shown, listed, stats

    (parent, child, blocked, ready, claimed, lost, blocked_rows, closed, after, shown, listed,
     stats) = session(repo, body)
    assert parent["title"] == "Design the API" and parent["priority"] == 1
    assert parent["labels"] == ["api"] and parent["issue_type"] == "feature"
    # discovered-from never blocks; blocks does
    assert {r["id"] for r in ready} == {parent["id"], child["id"]}
    assert claimed["status"] == "in_progress" and claimed["assignee"] == "tester"
    assert "already" in lost.lower()
    assert [(r["id"], r["blocked_by"]) for r in blocked_rows] == [(blocked["id"],
                                                                   [parent["id"]])]
    assert closed[0]["status"] == "closed" and closed[0]["close_reason"] == "Shipped"
    assert {r["id"] for r in after} == {child["id"], blocked["id"]}
    assert set(after[0]) == {"id", "title", "status", "priority"}
    # the same shapes (and here the same values) as the CLI's --json output
    assert shown == bdj("show", blocked["id"], cwd=repo)[0]
    assert shown["dependencies"][0]["id"] == parent["id"]
    assert listed == bdj("list", "--all", "--limit", "0", cwd=repo)
    assert stats == bdj("stats", cwd=repo)
    assert bdj("show", parent["id"], cwd=repo)[0]["status"] == "closed"


@needs_mcp
def test_list_and_ready_filters_match_the_cli(repo: Path) -> None:
    a = create(repo, "Alpha bug", "-t", "bug", "-p", "0", "-l", "ui")
    create(repo, "Beta task", "-p", "3", "-a", "someone")
    create(repo, "Gamma chore", "-t", "chore", "-l", "ui,db")

    async def body(c: Any) -> Any:
        return (await call(c, "ready"), await call(c, "list", labels=["ui"]),
                await call(c, "list", issue_type="bug"), await call(c, "list", query="beta"),
                await call(c, "ready", unassigned=True, sort_policy="priority"),
                await call(c, "list", priority=0))

    ready, ui, bugs, beta, unassigned, p0 = session(repo, body)
    assert ready == bdj("ready", cwd=repo)
    assert ui == bdj("list", "--label", "ui", cwd=repo)
    assert [r["id"] for r in bugs] == [a] == [r["id"] for r in p0]
    assert [r["title"] for r in beta] == ["Beta task"]
    assert unassigned == bdj("ready", "--unassigned", "--sort", "priority", cwd=repo)


@needs_mcp
def test_update_reopen_deps_comments_labels(repo: Path) -> None:
    a = create(repo, "First", "-d", "one")
    b = create(repo, "Second", "-d", "two")

    async def body(c: Any) -> Any:
        up = await call(c, "update", issue_id=a, priority=0, notes="halfway", assignee="ann")
        dep = await call(c, "dep", issue_id=b, depends_on_id=a)
        ready_mid = await call(c, "ready")
        undep = await call(c, "dep", issue_id=b, depends_on_id=a, action="remove")
        ready_after = await call(c, "ready")
        note = await call(c, "comments", issue_id=a, text="Looked into it")
        comments = await call(c, "comments", issue_id=a)
        labels = await call(c, "labels", issue_id=a, add=["backend", "urgent"])
        labels2 = await call(c, "labels", issue_id=a, remove=["urgent"])
        counts = await call(c, "labels")
        closed = await call(c, "update", issue_id=b, status="closed")
        reopened = await call(c, "reopen", issue_ids=[b], reason="Not done")
        return (up, dep, ready_mid, undep, ready_after, note, comments, labels, labels2,
                counts, closed, reopened)

    (up, dep, ready_mid, undep, ready_after, note, comments, labels, labels2, counts, closed,
     reopened) = session(repo, body)
    assert (up["priority"], up["notes"], up["assignee"]) == (0, "halfway", "ann")
    assert dep == {"status": "added", "issue_id": b, "depends_on_id": a, "type": "blocks"}
    assert [r["id"] for r in ready_mid] == [a]
    assert {r["id"] for r in ready_after} == {a, b}
    assert note["text"] == "Looked into it" and note["author"] == "tester"
    assert comments == bdj("comments", a, cwd=repo)
    assert labels == ["backend", "urgent"] and labels2 == ["backend"]
    assert counts == bdj("label", "list-all", cwd=repo)
    assert closed["status"] == "closed"
    assert reopened[0]["status"] == "open" and reopened[0]["id"] == b


@needs_mcp
def test_errors_are_tool_errors_with_one_line(repo: Path) -> None:
    async def body(c: Any) -> Any:
        return (await error(c, "show", issue_id="t-nope"),
                await error(c, "create"),  # title is required
                await error(c, "update", issue_id="t-nope", status="open"),
                await error(c, "no_such_tool"),
                await error(c, "dep", issue_id="t-x", depends_on_id="t-y", dep_type="blocks"))

    missing, no_title, bad_update, unknown, bad_dep = session(repo, body)
    assert missing == 'no issue found matching "t-nope"'
    assert "title" in no_title and "required" in no_title
    assert "t-nope" in bad_update
    assert "unknown tool" in unknown
    assert "t-x" in bad_dep
    assert bdj("list", cwd=repo) == []  # nothing was written


@needs_mcp
def test_context_sets_and_routes_the_workspace(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    one = make_repo(tmp_path / "one", prefix="one")
    two = make_repo(tmp_path / "two", prefix="two")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    async def body(c: Any) -> Any:
        before = await call(c, "context")
        no_ws = await error(c, "ready")
        set_ = await call(c, "context", workspace_root=str(one))
        made = await call(c, "create", title="In one")
        routed = await call(c, "create", title="In two", workspace_root=str(two))
        return before, no_ws, set_, made, routed

    before, no_ws, set_, made, routed = session(None, body)
    assert before["beads_dir"] is None
    assert "no beads" in no_ws
    assert set_["beads_dir"] == str(one / ".beads") and set_["prefix"] == "one"
    assert made["id"].startswith("one-") and routed["id"].startswith("two-")
    assert [r["title"] for r in bdj("list", cwd=two)] == ["In two"]


@needs_mcp
def test_quickstart_resource_and_instructions(repo: Path) -> None:
    from bd.agents.prime import QUICKSTART

    async def body(c: Any) -> Any:
        resources = (await c.list_resources()).resources
        text = (await c.read_resource("beads://quickstart")).contents[0].text
        return resources, text

    resources, text = session(repo, body)
    assert [str(r.uri) for r in resources] == ["beads://quickstart"]
    assert text == QUICKSTART == bd("quickstart", cwd=repo).stdout


@needs_mcp
def test_readonly_server_refuses_writes(repo: Path) -> None:
    a = create(repo, "Existing")

    async def body(c: Any) -> Any:
        return (await error(c, "create", title="Nope"), await error(c, "claim", issue_id=a),
                await error(c, "comments", issue_id=a, text="hi"), await call(c, "ready"))

    refused, claim, comment, ready = session(repo, body, readonly=True)
    assert "read-only" in refused and "read-only" in claim and "read-only" in comment
    assert [r["id"] for r in ready] == [a]


@needs_mcp
def test_bd_mcp_over_stdio(repo: Path) -> None:
    """The real command: a subprocess speaking MCP on stdin/stdout, nothing else on stdout."""
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    a = create(repo, "Over stdio")
    params = StdioServerParameters(command=sys.executable, args=["-m", "bd", "mcp"],
                                   cwd=str(repo), env=dict(os.environ))

    async def main() -> Any:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as c:
            init = await c.initialize()
            ready = await call(c, "ready")
            made = await call(c, "create", title="Made over stdio")
            return init, ready, made

    init, ready, made = anyio.run(main)
    assert init.serverInfo.name == "bd" and "beads://quickstart" in (init.instructions or "")
    assert [r["id"] for r in ready] == [a]
    assert bdj("show", made["id"], cwd=repo)[0]["title"] == "Made over stdio"


def test_bd_mcp_without_the_extra_says_how_to_install(repo: Path) -> None:
    code = ("import sys; sys.modules['mcp'] = None\n"
            "from bd.cli import main; sys.exit(main(['mcp']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "pip install 'beads-py[mcp]'" in proc.stderr


@needs_mcp
def test_compact_analyze_and_apply_tools(repo: Path) -> None:
    """An MCP-only agent compacts an old closed issue: analyze gives the full text, apply
    writes the summary, exactly as the CLI's agent mode does."""
    from conftest import git, jsonl_path

    a = create(repo, "Old work", "-d", "A long account of the work " * 10)
    bd("close", a, cwd=repo)
    path = jsonl_path(repo)
    rec = json.loads(path.read_text())
    rec["closed_at"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(rec, separators=(",", ":")) + "\n")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "old work", cwd=repo)

    async def body(c: Any) -> Any:
        found = await call(c, "compact-analyze")
        applied = await call(c, "compact-apply", issue_id=a, summary="Did the work.")
        again = await error(c, "compact-apply", issue_id=a, summary="Did it.")
        return found, applied, again

    cli_found = bdj("admin", "compact", "--analyze", cwd=repo)
    found, applied, again = session(repo, body)
    assert [f["id"] for f in found] == [a] and found == cli_found
    assert found[0]["description"] == rec["description"]
    assert applied["success"] and applied["compacted_size"] == len("Did the work.")
    assert "already compacted" in again
    assert bdj("show", a, cwd=repo)[0]["description"] == "Did the work."

    async def ro(c: Any) -> Any:
        return await error(c, "compact-apply", issue_id=a, summary="x", tier=2)

    assert "read-only" in session(repo, ro, readonly=True)


MCP_FORMULA = """\
formula = "mol-mcp"

[vars.area]
required = true

[[steps]]
id = "one"
title = "Look at {{area}}"

[[steps]]
id = "two"
title = "Fix {{area}}"
needs = ["one"]
[steps.gate]
type = "human"
"""


@needs_mcp
def test_molecule_tools_pour_wisp_squash_burn_and_gate_resolve(repo: Path) -> None:
    d = repo / ".beads" / "formulas"
    d.mkdir(parents=True)
    (d / "mol-mcp.formula.toml").write_text(MCP_FORMULA)

    async def body(c: Any) -> Any:
        missing = await error(c, "mol_pour", formula="mol-mcp")
        poured = await call(c, "mol_pour", formula="mol-mcp", vars={"area": "auth"})
        gate = poured["id_mapping"]["mol-mcp.gate-two"]
        resolved = await call(c, "gate_resolve", gate_id=gate, reason="ok")
        wisp = await call(c, "mol_wisp", formula="mol-mcp", vars={"area": "db"})
        squashed = await call(c, "mol_squash", molecule_id=wisp["new_epic_id"],
                              summary="done")
        other = await call(c, "mol_wisp", formula="mol-mcp", vars={"area": "ui"})
        burned = await call(c, "mol_burn", molecule_id=other["new_epic_id"])
        refused = await call(c, "mol_burn", molecule_id=poured["new_epic_id"])
        return missing, poured, resolved, wisp, squashed, burned, refused

    missing, poured, resolved, wisp, squashed, burned, refused = session(repo, body)
    assert "area" in missing
    assert poured["created"] == 4 and poured["phase"] == "liquid"
    assert resolved["status"] == "closed" and resolved["close_reason"] == "ok"
    assert wisp["phase"] == "vapor" and wisp["new_epic_id"].startswith("t-wisp-")
    assert squashed["squashed"] == 3 and squashed["digest_id"]
    assert burned["deleted_count"] == 4 and not burned.get("preview")
    assert refused["preview"] is True  # a persistent molecule is burned only with force
    jsonl = (repo / ".beads" / "issues.jsonl").read_text()
    assert "t-wisp-" not in jsonl.replace(wisp["new_epic_id"], "")
    assert [r["id"] for r in bdj("ready", cwd=repo)] == [poured["id_mapping"]["mol-mcp.one"]]


@needs_mcp
def test_remember_and_recall_tools(repo: Path) -> None:
    async def body(c: Any) -> Any:
        stored = await call(c, "remember", text="CI runs on Python 3.11 only", tags=["ci"])
        again = await call(c, "remember", text="CI runs on 3.11 and 3.12",
                           key=stored["key"])
        return stored, again, await call(c, "recall", query="3.12"), await call(c, "recall")

    stored, again, found, everything = session(repo, body)
    assert stored["action"] == "remembered" and again["action"] == "updated"
    assert found["value"] == "CI runs on 3.11 and 3.12" and found["found"]
    assert len(everything["matches"]) == 1
    assert bdj("memories", cwd=repo) == {stored["key"]: "CI runs on 3.11 and 3.12"}

    async def ro(c: Any) -> Any:
        return await error(c, "remember", text="nope")

    assert "read-only" in session(repo, ro, readonly=True)


@needs_mcp
def test_parameters_are_strict_with_aliases_and_helpful_errors(repo: Path) -> None:
    a = create(repo, "Labelled", "-l", "x")

    async def body(c: Any) -> Any:
        made = await call(c, "create", title="Criteria", acceptance_criteria="It works",
                          issue_type="bug")
        made2 = await call(c, "create", title="Flags", acceptance="Also works", type="chore")
        return (made, made2,
                await error(c, "update", issue_id=a, labels=["y"]),
                await error(c, "create", title="Typo", desciption="lost?"),
                await error(c, "list", status="in-progress"),
                await error(c, "list", status="bogus"),
                await error(c, "list", type="bgu"),
                await error(c, "ready", sort="newest"),
                await error(c, "create", title="Both", type="bug", issue_type="task"),
                await call(c, "list", issue_type="bug", labels_any=["none"]),
                await call(c, "update", issue_id=a, acceptance_criteria="Done when done"))

    (made, made2, labels, typo, dashed, bogus, bad_type, bad_sort, both, empty,
     updated) = session(repo, body)
    assert made["acceptance_criteria"] == "It works" and made["issue_type"] == "bug"
    assert made2["acceptance_criteria"] == "Also works" and made2["issue_type"] == "chore"
    assert labels == "update does not take 'labels': use the labels tool"
    assert "unknown parameter 'desciption' for create" in typo
    assert "did you mean 'description'" in typo
    assert "valid values: open, in_progress" in dashed and "did you mean 'in_progress'" in dashed
    assert "invalid status 'bogus'" in bogus
    assert "did you mean 'bug'" in bad_type
    assert "'newest' is not one of ['hybrid', 'priority', 'oldest']" in bad_sort
    assert "same parameter" in both
    assert empty == []
    assert updated["acceptance_criteria"] == "Done when done"
    assert [r["title"] for r in bdj("list", cwd=repo)].count("Both") == 0


@needs_mcp
def test_close_reason_default_matches_the_cli(repo: Path) -> None:
    a, b = create(repo, "Via tool"), create(repo, "Via CLI")

    async def body(c: Any) -> Any:
        return await call(c, "close", issue_id=a)

    closed = session(repo, body)
    bd("close", b, cwd=repo)
    assert closed[0]["close_reason"] == bdj("show", b, cwd=repo)[0]["close_reason"] == "Closed"
