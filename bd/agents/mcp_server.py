"""bd's Model Context Protocol server: the bd library served to agents over stdio.

Run by ``bd mcp``.  Tool names follow the official beads MCP server (beads-mcp 0.46:
``context``, ``ready``, ``list``, ``show``, ``create``, ``update``, ``close``, ``reopen``,
``dep``, ``blocked``, ``stats``, plus ``claim`` of later releases); ``comments`` and
``labels`` are bd's own.  Parameters are named as the CLI's long flags (``type``,
``acceptance``, ``label``, ``sort``); beads-mcp's names (``issue_type``,
``acceptance_criteria``, ``labels``, ``sort_policy``, ``dep_type``, ...) are accepted as
aliases, so an agent configured for it can switch.  Unlike
the original, which starts a ``bd`` process per call, every call here is a library call in
this process, on one open Store per workspace.

Schemas are written by hand, as data, to stay small: the whole tool list is a few hundred
tokens where the original's was about ten thousand.  Every schema says
``additionalProperties: false`` and a call with an unknown parameter fails, naming the valid
ones (or the tool that takes it), so a misnamed argument is never silently dropped.  Invalid
status, type and sort values fail listing the valid ones.  Issues come back in the same JSON
shapes as the CLI's ``--json`` output.

This module imports the ``mcp`` SDK at the top: only ``bd mcp`` (and the tests) import it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.stdio import stdio_server

from bd.agents import prime as agents
from bd.agents.mcp_memory import HANDLERS as MEMORY_HANDLERS
from bd.agents.mcp_params import SCHEMAS, TOOLS, normalise, validate
from bd.core import choices, model
from bd.core import shapes as out
from bd.errors import BdError, NotInitializedError, UsageError
from bd.git.identity import user_name
from bd.store.queries import ListFilter, ReadyFilter
from bd.store.store import Store
from bd.store.workspace import DB_NAME, JSONL_NAME, find_beads_dir

QUICKSTART_URI = "beads://quickstart"
INSTRUCTIONS = (
    "We track work in bd (beads) issues instead of markdown TODO lists. Read the resource "
    "beads://quickstart for the workflow: ready -> claim -> work -> close; file work you "
    "discover with create(deps=['discovered-from:ID']). If the server was not started in the "
    "project, call context(workspace_root='/path/to/project') first.")

WRITES = {"create", "update", "claim", "close", "reopen", "dep", "compact-apply", "mol_pour",
          "mol_wisp", "mol_squash", "mol_burn", "gate_resolve", "remember"}


# -- workspaces -------------------------------------------------------------------------------

def _find_from(root: str) -> str:
    """The .beads directory at or above ``root`` (up to the git root), ignoring BEADS_DIR."""
    here = os.path.abspath(os.path.expanduser(root))
    if not os.path.isdir(here):
        raise UsageError(f"workspace_root {root!r} is not a directory")
    while True:
        candidate = os.path.join(here, ".beads")
        if any(os.path.exists(os.path.join(candidate, name))
               for name in (JSONL_NAME, "config.yaml", DB_NAME)):
            return find_beads_dir(db=os.path.join(candidate, DB_NAME))  # follows a redirect
        parent = os.path.dirname(here)
        if os.path.exists(os.path.join(here, ".git")) or parent == here:
            raise NotInitializedError(f"no beads workspace at or above {root} (run 'bd init' "
                                      "there)")
        here = parent


class Workspaces:
    """Which workspace a call works on, and one open Store per workspace."""

    def __init__(self, root: str | None = None, *, db: str | None = None,
                 actor: str | None = None, readonly: bool = False) -> None:
        self.root = root or os.environ.get("BEADS_WORKING_DIR") or None
        self.db = db
        self.readonly = readonly
        self.actor = actor or os.environ.get("BEADS_ACTOR") or None
        self._stores: dict[str, Store] = {}

    def beads_dir(self, workspace_root: str | None = None) -> str:
        root = workspace_root or self.root
        return _find_from(root) if root else find_beads_dir(None, self.db)

    def store(self, workspace_root: str | None = None) -> Store:
        path = self.beads_dir(workspace_root)
        if path not in self._stores:
            store = Store(path, actor=self.actor)
            # No actor configured: git's user.name, as the CLI does (then $USER)
            store.actor_fallback = lambda: user_name(os.path.dirname(path),
                                                     store.open_cache())
            self._stores[path] = store
        return self._stores[path]

    def flush_notices(self) -> None:
        """Cache notices (a rebuilt cache, a skipped line) go to stderr, never stdout."""
        for store in self._stores.values():
            for notice in store.notices:
                sys.stderr.write(notice + "\n")
            store.notices.clear()

    def close(self) -> None:
        self.flush_notices()
        for store in self._stores.values():
            store.close()
        self._stores.clear()


# -- tools ------------------------------------------------------------------------------------

def _brief(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": r["id"], "title": r.get("title", ""), "status": model.status_of(r),
             "priority": model.priority_of(r)} for r in rows]


def _rows(rows: list[dict[str, Any]], brief: bool) -> list[dict[str, Any]]:
    return _brief(rows) if brief else [out.issue_json(r) for r in rows]


def _type(store: Store, value: str | None) -> str | None:
    return choices.issue_type(value, store.custom_types) if value else None


def _context(ws: Workspaces, a: dict[str, Any]) -> Any:
    root = a.get("workspace_root")
    if (a.get("action") or ("set" if root else "show")) == "set":
        if not root:
            raise UsageError("context(action='set') needs workspace_root")
        if not os.path.isdir(os.path.expanduser(root)):
            raise UsageError(f"workspace_root {root!r} is not a directory")
        ws.root = os.path.abspath(os.path.expanduser(root))
    info: dict[str, Any] = {"workspace_root": ws.root or os.getcwd()}
    try:
        store = ws.store()
    except NotInitializedError as exc:
        info.update(beads_dir=None, message=f"{exc}")
        return info
    info.update(beads_dir=store.beads_dir, jsonl=store.jsonl_path, prefix=store.prefix,
                actor=store.actor)
    return info


def _ready(ws: Workspaces, a: dict[str, Any]) -> Any:
    store = ws.store(a.get("workspace_root"))
    rows = store.ready(ReadyFilter(
        limit=a.get("limit", 10), priority=a.get("priority"), assignee=a.get("assignee"),
        unassigned=bool(a.get("unassigned")), labels=a.get("label"),
        labels_any=a.get("label_any"), issue_type=_type(store, a.get("type")),
        sort=choices.check("sort", a.get("sort") or "hybrid", choices.READY_SORTS)))
    return _rows(rows, bool(a.get("brief")))


def _list(ws: Workspaces, a: dict[str, Any]) -> Any:
    store = ws.store(a.get("workspace_root"))
    status = a.get("status")
    if status:  # a typo must not look like "no such issues"
        choices.status(status, store.custom_statuses, filter=True)
    rows = store.list(ListFilter(
        status=status, priority=a.get("priority"), issue_type=_type(store, a.get("type")),
        assignee=a.get("assignee"), no_assignee=bool(a.get("no_assignee")),
        labels=a.get("label"), labels_any=a.get("label_any"),
        title_contains=a.get("title_contains"), limit=a.get("limit", 20)))
    return _rows(rows, bool(a.get("brief")))


def _show(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.store.details import details

    store = ws.store(a.get("workspace_root"))
    return details(store, store.resolve(a["issue_id"]))


def _create(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    rec = ops.create(
        store, a["title"], description=a.get("description") or "",
        issue_type=a.get("type") or "task", priority=a.get("priority", 2),
        assignee=a.get("assignee"), design=a.get("design") or "",
        acceptance=a.get("acceptance") or "", notes=a.get("notes") or "",
        external_ref=a.get("external_ref"),
        labels=a.get("labels") or (), deps=a.get("deps") or (), parent=a.get("parent"),
        explicit_id=a.get("id"))
    return out.issue_json(rec)


# parameter -> record field
_UPDATE_FIELDS = {"status": "status", "priority": "priority", "assignee": "assignee",
                  "title": "title", "description": "description", "design": "design",
                  "acceptance": "acceptance_criteria", "notes": "notes",
                  "external_ref": "external_ref", "type": "issue_type"}


def _update(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    rid = store.resolve(a["issue_id"])
    changes = {field: a[k] for k, field in _UPDATE_FIELDS.items() if a.get(k) is not None}
    if changes.get("status") == "closed":  # as the original: closing goes through close
        changes.pop("status")
        if changes:
            ops.update(store, rid, changes)
        return out.issue_json(ops.close(store, [rid])[0])
    if not changes:
        raise UsageError("update needs at least one field to change")
    return out.issue_json(ops.update(store, rid, changes))


def _claim(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    rid = store.resolve(a["issue_id"])
    if a.get("sync"):
        from bd.git.claim import claim_through_remote
        from bd.store.workspace import main_beads_dir

        return out.issue_json(claim_through_remote(main_beads_dir(store.beads_dir), rid,
                                                   actor=store.actor).record)
    return out.issue_json(ops.update(store, rid, claim=True))


def _close(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    reason = a.get("reason")
    rids = [store.resolve(a["issue_id"])]
    closed = ops.close(store, rids, reason) if reason else ops.close(store, rids)
    return [out.issue_json(r) for r in closed]


def _reopen(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    ids = [store.resolve(i) for i in a["issue_ids"]]
    return [out.issue_json(r) for r in ops.reopen(store, ids, a.get("reason"))]


def _dep(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    target = a["depends_on_id"]
    issue = store.resolve(a["issue_id"])
    target = target if target.startswith("external:") else store.resolve(target)
    if a.get("action") == "remove":
        return ops.remove_dependency(store, issue, target, a.get("type"))
    return ops.add_dependency(store, issue, target, a.get("type") or "blocks")


def _blocked(ws: Workspaces, a: dict[str, Any]) -> Any:
    rows = ws.store(a.get("workspace_root")).blocked()
    if a.get("brief"):
        return [{**b, "blocked_by": r["blocked_by"]} for b, r in zip(_brief(rows), rows,
                                                                      strict=True)]
    return [{**out.issue_json(r), "blocked_by_count": r["blocked_by_count"],
             "blocked_by": r["blocked_by"]} for r in rows]


def _stats(ws: Workspaces, a: dict[str, Any]) -> Any:
    stats = ws.store(a.get("workspace_root")).stats()
    return {"summary": stats, **stats}  # the CLI's shape: nested for the original, and flat


def _comments(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.core.timeutil import ts_key
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    rid = store.resolve(a["issue_id"])
    if a.get("text"):
        if ws.readonly:
            raise BdError("operation 'comments add' is not allowed in read-only mode")
        return ops.add_comment(store, rid, a["text"], store.actor)
    return sorted(store.get(rid).get("comments") or [],
                  key=lambda c: ts_key(str(c.get("created_at", ""))) or 0)


def _labels(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.ops import issues as ops

    store = ws.store(a.get("workspace_root"))
    if not a.get("issue_id"):
        return store.label_counts()
    rid = store.resolve(a["issue_id"])
    changes = [(label, False) for label in a.get("add") or []]
    changes += [(label, True) for label in a.get("remove") or []]
    if changes and ws.readonly:
        raise BdError("operation 'label' is not allowed in read-only mode")
    for label, remove in changes:
        ops.labels(store, [rid], label, remove=remove)
    return sorted(store.get(rid).get("labels") or [])




def _pour(ws: Workspaces, a: dict[str, Any], *, ephemeral: bool = False) -> Any:
    from bd.workflows import molecules

    given = {str(k): str(v) for k, v in (a.get("vars") or {}).items()}
    return molecules.pour(ws.store(a.get("workspace_root")), a["formula"], given=given,
                          assignee=a.get("assignee"), ephemeral=ephemeral)


def _wisp(ws: Workspaces, a: dict[str, Any]) -> Any:
    return _pour(ws, a, ephemeral=True)


def _squash(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.workflows import lifecycle

    store = ws.store(a.get("workspace_root"))
    return lifecycle.squash(store, store.resolve(a["molecule_id"]), summary=a.get("summary"),
                            keep_children=bool(a.get("keep_children")))


def _burn(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.workflows import lifecycle

    store = ws.store(a.get("workspace_root"))
    return lifecycle.burn(store, [store.resolve(a["molecule_id"])], force=bool(a.get("force")))


def _gate_resolve(ws: Workspaces, a: dict[str, Any]) -> Any:
    from bd.workflows import gates

    store = ws.store(a.get("workspace_root"))
    return gates.resolve(store, store.resolve(a["gate_id"]), a.get("reason") or "")




HANDLERS: dict[str, Callable[[Workspaces, dict[str, Any]], Any]] = {
    "mol_pour": _pour, "mol_wisp": _wisp, "mol_squash": _squash, "mol_burn": _burn,
    "gate_resolve": _gate_resolve,
    "context": _context, "ready": _ready, "list": _list, "show": _show, "create": _create,
    "update": _update, "claim": _claim, "close": _close, "reopen": _reopen, "dep": _dep,
    "blocked": _blocked, "stats": _stats, "comments": _comments, "labels": _labels,
    **MEMORY_HANDLERS,
}


def call(ws: Workspaces, name: str, arguments: dict[str, Any] | None) -> Any:
    """Run one tool: its JSON-able result, or a BdError with a one-line message."""
    handler = HANDLERS.get(name)
    if handler is None:
        raise UsageError(f"unknown tool {name!r}")
    if name in WRITES and ws.readonly:
        raise BdError(f"operation '{name}' is not allowed in read-only mode")
    schema = SCHEMAS[name]
    args = normalise(name, schema, dict(arguments or {}))
    validate(name, schema, args)
    try:
        return handler(ws, args)
    except BdError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # arguments the schema let through
        raise UsageError(f"{name}: bad arguments ({type(exc).__name__}: {exc})") from None
    finally:
        ws.flush_notices()


# -- the server -------------------------------------------------------------------------------

def build_server(ws: Workspaces) -> Server[Any, Any]:
    """An MCP server whose tools run on ``ws``."""
    from bd.version import VERSION

    server: Server[Any, Any] = Server("bd", version=VERSION, instructions=INSTRUCTIONS)

    @server.list_tools()
    async def _list_tools() -> list[types.Tool]:
        return TOOLS

    # call() validates, after mapping beads-mcp's parameter names to bd's (the SDK's own
    # validation would refuse the aliases before bd sees them).
    @server.call_tool(validate_input=False)
    async def _call_tool(name: str, arguments: dict[str, Any]) -> list[types.TextContent]:
        result = call(ws, name, arguments)
        return [types.TextContent(type="text", text=model.encode_json(result))]

    @server.list_resources()
    async def _list_resources() -> list[types.Resource]:
        return [types.Resource(uri=QUICKSTART_URI, name="quickstart",  # type: ignore[arg-type]
                               description="How to use bd (beads)", mimeType="text/plain")]

    @server.read_resource()
    async def _read_resource(uri: Any) -> Iterable[ReadResourceContents]:
        if str(uri) != QUICKSTART_URI:
            raise UsageError(f"unknown resource {uri}")
        return [ReadResourceContents(content=agents.QUICKSTART, mime_type="text/plain")]

    return server


def tools_list_size() -> int:
    """Characters of the ``tools/list`` result as sent (JSON), for the token budget."""
    result = types.ListToolsResult(tools=TOOLS)
    return len(result.model_dump_json(by_alias=True, exclude_none=True))


def serve(root: str | None = None, *, db: str | None = None, actor: str | None = None,
          readonly: bool = False) -> None:
    """Serve MCP on stdin/stdout until the client goes away."""
    ws = Workspaces(root, db=db, actor=actor, readonly=readonly)
    server = build_server(ws)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    try:
        anyio.run(main)
    finally:
        ws.close()
