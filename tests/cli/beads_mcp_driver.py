"""Drive bd through the official beads-mcp 0.46.0 client, exactly as its MCP server does.

Run by ``tests/cli/test_beads_mcp.py`` with the interpreter of ``.venv-beads-mcp`` (beads-mcp
pins fastmcp/pydantic versions that conflict with bd's own environment), never imported by
pytest.  Usage::

    python beads_mcp_driver.py WORKSPACE

``BEADS_PATH`` must name the bd executable under test.  Each client operation is run through
beads-mcp's ``BdCliClient`` (and the server's tool functions where they add logic), its
result (already validated by beads-mcp's pydantic models) is checked, and one JSON summary is
printed on stdout.  Exit status 0 means every step passed; otherwise the summary names the
failed step and the error.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from typing import Any


class StepFailed(Exception):
    pass


def check(cond: bool, message: str) -> None:
    if not cond:
        raise StepFailed(message)


async def scenario(workspace: str, results: dict[str, Any]) -> None:
    from beads_mcp import tools
    from beads_mcp.bd_client import BdCliClient, BdCommandError
    from beads_mcp.models import (
        AddDependencyParams,
        BlockedParams,
        CloseIssueParams,
        CreateIssueParams,
        InitParams,
        ListIssuesParams,
        ReadyWorkParams,
        ReopenIssueParams,
        ShowIssueParams,
        UpdateIssueParams,
    )

    # GF: the global flags beads-mcp appends to every command.
    client = BdCliClient(working_dir=workspace, actor="mcp-agent", no_auto_flush=True,
                         no_auto_import=True)
    steps: list[str] = results["steps"]

    await client._check_version()
    steps.append("version")

    out = await client.init(InitParams(prefix="mcp"))
    check(os.path.isdir(os.path.join(workspace, ".beads")), f"init made no .beads: {out!r}")
    steps.append("init")

    # The server finds the workspace through .beads/*.db when no context is set.
    old = os.getcwd()
    os.chdir(workspace)
    try:
        found = tools._find_beads_db_in_tree()
    finally:
        os.chdir(old)
    check(found is not None and os.path.realpath(found) == os.path.realpath(workspace),
          f"beads-mcp did not discover the workspace through .beads/*.db: {found!r}")
    steps.append("discover")

    design = await client.create(CreateIssueParams(
        title="Design the API", description="Decide endpoints", design="REST",
        acceptance="Reviewed", external_ref="gh-7", priority=1, issue_type="feature",
        assignee="alice", labels=["api", "backend"]))
    check(design.id.startswith("mcp-"), f"unexpected id {design.id}")
    check(design.priority == 1 and design.issue_type == "feature", "create fields")
    check(sorted(design.labels) == ["api", "backend"], f"labels {design.labels}")
    check(design.design == "REST" and design.acceptance_criteria == "Reviewed", "design/acc")
    check(design.external_ref == "gh-7" and design.assignee == "alice", "ref/assignee")
    impl = await client.create(CreateIssueParams(
        title="Implement the API", priority=2, issue_type="task", labels=["backend"],
        deps=[design.id]))
    docs = await client.create(CreateIssueParams(
        title="Write docs", description="", priority=3, issue_type="chore",
        id="mcp-docs1", deps=[f"related:{design.id}"]))
    check(docs.id == "mcp-docs1", f"explicit id ignored: {docs.id}")
    check(docs.description == "", "description must default to ''")
    bug = await client.create(CreateIssueParams(title="Crash on start", priority=0,
                                                issue_type="bug"))
    steps.append("create")

    listed = await client.list_issues(ListIssuesParams(limit=50))
    check({i.id for i in listed} == {design.id, impl.id, docs.id, bug.id},
          f"list ids {[i.id for i in listed]}")
    by_label = await client.list_issues(ListIssuesParams(labels=["backend"], limit=10))
    check({i.id for i in by_label} == {design.id, impl.id}, "list --label")
    any_label = await client.list_issues(ListIssuesParams(labels_any=["api", "nope"], limit=10))
    check([i.id for i in any_label] == [design.id], "list --label-any")
    by_title = await client.list_issues(ListIssuesParams(query="docs", limit=10))
    check([i.id for i in by_title] == [docs.id], "list --title")
    unassigned = await client.list_issues(ListIssuesParams(unassigned=True, limit=10))
    check(design.id not in {i.id for i in unassigned}, "list --no-assignee")
    filtered = await client.list_issues(ListIssuesParams(
        status="open", priority=0, issue_type="bug", limit=10))
    check([i.id for i in filtered] == [bug.id], "list --status --priority --type")
    mine = await client.list_issues(ListIssuesParams(assignee="alice", limit=10))
    check([i.id for i in mine] == [design.id], "list --assignee")
    steps.append("list")

    ready = await client.ready(ReadyWorkParams(limit=10))
    ready_ids = {i.id for i in ready}
    check(impl.id not in ready_ids, "blocked issue listed as ready")
    check({design.id, docs.id, bug.id} <= ready_ids, f"ready {ready_ids}")
    r2 = await client.ready(ReadyWorkParams(limit=10, priority=0, sort_policy="priority"))
    check([i.id for i in r2] == [bug.id], "ready --priority")
    r3 = await client.ready(ReadyWorkParams(limit=10, assignee="alice", labels=["api"],
                                            labels_any=["backend"], sort_policy="oldest"))
    check([i.id for i in r3] == [design.id], "ready --assignee --label --label-any")
    r4 = await client.ready(ReadyWorkParams(limit=10, unassigned=True, sort_policy="hybrid"))
    check(design.id not in {i.id for i in r4}, "ready --unassigned")
    steps.append("ready")

    shown = await client.show(ShowIssueParams(issue_id=impl.id))
    check([(d.id, d.dependency_type) for d in shown.dependencies] == [(design.id, "blocks")],
          f"show dependencies {shown.dependencies}")
    shown_design = await client.show(ShowIssueParams(issue_id=design.id))
    check(sorted((d.id, d.dependency_type) for d in shown_design.dependents)
          == sorted([(impl.id, "blocks"), (docs.id, "related")]), "show dependents")
    steps.append("show")

    blocked = await client.blocked(BlockedParams())
    check([(b.id, b.blocked_by_count, b.blocked_by) for b in blocked]
          == [(impl.id, 1, [design.id])], f"blocked {blocked}")
    steps.append("blocked")

    await client.add_dependency(AddDependencyParams(issue_id=bug.id, depends_on_id=docs.id,
                                                    dep_type="discovered-from"))
    await client.add_dependency(AddDependencyParams(issue_id=docs.id, depends_on_id=impl.id,
                                                    dep_type="blocks"))
    shown_bug = await client.show(ShowIssueParams(issue_id=bug.id))
    check([(d.id, d.dependency_type) for d in shown_bug.dependencies]
          == [(docs.id, "discovered-from")], "dep add discovered-from")
    blocked = await client.blocked(BlockedParams())
    check({b.id for b in blocked} == {impl.id, docs.id}, "dep add blocks")
    try:
        await client.add_dependency(AddDependencyParams(issue_id=design.id,
                                                        depends_on_id=docs.id))
    except BdCommandError:
        pass  # a cycle must be refused with a non-zero exit
    else:
        raise StepFailed("dep add accepted a cycle")
    steps.append("dep_add")

    updated = await client.update(UpdateIssueParams(
        issue_id=impl.id, status="in_progress", priority=1, assignee="bob",
        title="Implement the REST API", description="All endpoints", design="Layers",
        acceptance_criteria="Tests pass", notes="Started", external_ref="gh-8"))
    check(updated.status == "in_progress" and updated.priority == 1, "update status/prio")
    check(updated.title == "Implement the REST API" and updated.assignee == "bob", "update")
    check(updated.description == "All endpoints" and updated.notes == "Started", "update text")
    check(updated.acceptance_criteria == "Tests pass" and updated.external_ref == "gh-8",
          "update acceptance/ref")
    steps.append("update")

    closed = await client.close(CloseIssueParams(issue_id=design.id, reason="Designed"))
    check([c.id for c in closed] == [design.id] and closed[0].status == "closed", "close")
    check(closed[0].closed_at is not None, "closed_at")
    ready = await client.ready(ReadyWorkParams(limit=10))
    check(impl.id in {i.id for i in ready}, "closing the blocker must make its dependent ready")
    reopened = await client.reopen(ReopenIssueParams(issue_ids=[design.id], reason="Again"))
    check([r.id for r in reopened] == [design.id] and reopened[0].status == "open", "reopen")
    steps.append("close_reopen")

    stats = await client.stats()
    check(stats.total_issues == 4, f"stats total {stats.total_issues}")
    check(stats.open_issues + stats.in_progress_issues + stats.closed_issues
          <= stats.total_issues, "stats counts")
    check(stats.in_progress_issues == 1, "stats in_progress")
    steps.append("stats")

    migration = await client.inspect_migration()
    check(isinstance(migration.get("registered_migrations"), list), "migrate --inspect")
    check(migration["current_state"]["issue_count"] == 4, "migrate issue_count")
    schema = await client.get_schema_info()
    check("issues" in schema["schema"]["tables"], "info --schema tables")
    check(schema["schema"]["detected_prefix"] == "mcp", "info --schema prefix")
    steps.append("schema")

    repaired = await client.repair_deps(fix=False)
    check(repaired["orphans_found"] == 0 and repaired["orphans"] == [], f"repair {repaired}")
    pollution = await client.detect_pollution(clean=False)
    check(pollution["polluted_count"] == 0, f"pollution {pollution}")
    test_issue = await client.create(CreateIssueParams(title="test issue for cleanup"))
    pollution = await client.detect_pollution(clean=False)
    check([p["id"] for p in pollution["issues"]] == [test_issue.id], f"pollution {pollution}")
    validated = await client.validate()
    check(validated["checks"]["pollution"]["issue_count"] == 1, f"validate {validated}")
    check(validated["healthy"] is False, "validate must report the pollution as unhealthy")
    cleaned = await client.detect_pollution(clean=True)
    check(cleaned.get("deleted") == 1, f"clean {cleaned}")
    validated = await client.validate(checks="orphans,duplicates,pollution,conflicts",
                                      fix_all=True)
    check(validated["healthy"] is True, f"validate after clean {validated}")
    steps.append("admin")

    # The MCP tool functions: workspace from BEADS_WORKING_DIR, version check, client pool.
    os.environ["BEADS_WORKING_DIR"] = workspace
    os.environ["BEADS_USE_DAEMON"] = "0"
    made = await tools.beads_create_issue(title="Found while testing the tools",
                                          description="Spotted by the MCP layer",
                                          issue_type="bug", deps=[f"blocks:{bug.id}"])
    tool_ready = await tools.beads_ready_work(limit=20)
    check(made.id not in {i.id for i in tool_ready}, "tools: a blocked issue listed as ready")
    routed = await tools.beads_update_issue(issue_id=made.id, status="closed", notes="Done")
    check(isinstance(routed, list) and routed[0].status == "closed", "tools: close routing")
    tool_stats = await tools.beads_stats()
    check(tool_stats.closed_issues >= 1, "tools: stats")
    steps.append("tools")

    if os.environ.get("BD_DRIVER_QUICKSTART") == "1":
        text = await client.quickstart()
        check(bool(text.strip()), "quickstart printed nothing")
        steps.append("quickstart")


def main() -> int:
    workspace = sys.argv[1]
    results: dict[str, Any] = {"steps": [], "ok": False}
    try:
        asyncio.run(scenario(workspace, results))
        results["ok"] = True
    except Exception as exc:  # noqa: BLE001 - every failure is reported in the summary
        results["error"] = f"{type(exc).__name__}: {exc}"
        results["traceback"] = traceback.format_exc()
    sys.stdout.write(json.dumps(results) + "\n")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
