"""The MCP tools and their parameters: the schemas (bd's names, the CLI's long flags),
beads-mcp's names as aliases, and the check that refuses anything else with a helpful
message.

Kept apart from ``mcp_server``, which passes each tool's schema in (jsonschema,
which validates the types, is a dependency of the mcp SDK and imported only on a call).
"""

from __future__ import annotations

from typing import Any

import mcp.types as types

from bd.errors import UsageError

# -- schemas ----------------------------------------------------------------------------------

_S: dict[str, Any] = {"type": "string"}
_I: dict[str, Any] = {"type": "integer"}
_B: dict[str, Any] = {"type": "boolean"}
_L: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_PRIORITY = {"type": "integer", "minimum": 0, "maximum": 4}
_VARS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}


def _tool(name: str, description: str, props: dict[str, Any] | None = None,
          required: tuple[str, ...] = ()) -> types.Tool:
    # Unknown parameters are refused (additionalProperties: false, and call() checks it),
    # so a misnamed argument is an error instead of a silently dropped value.
    schema: dict[str, Any] = {"type": "object",
                              "properties": {**(props or {}), "workspace_root": _S},
                              "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return types.Tool(name=name, description=description, inputSchema=schema)


# Parameter names are the CLI's long flags (--label -> label, --external-ref -> external_ref).
_FILTERS = {"priority": _PRIORITY, "assignee": _S, "label": _L, "label_any": _L, "limit": _I,
            "brief": _B}

TOOLS = [
    _tool("context", "Show the project bd works on, or set it with workspace_root (every "
          "tool also takes workspace_root).", {"action": {"enum": ["show", "set"]}}),
    _tool("ready", "Issues ready to work on (no open blockers), most urgent first. limit "
          "default 10; brief: only id, title, status, priority.",
          {**_FILTERS, "unassigned": _B, "type": _S,
           "sort": {"enum": ["hybrid", "priority", "oldest"]}}),
    _tool("list", "List issues, open ones unless status is given (open, in_progress, blocked, "
          "deferred, closed, all). title_contains: text in the title. limit default 20.",
          {"status": _S, "type": _S, "title_contains": _S, "no_assignee": _B, **_FILTERS}),
    _tool("show", "One issue in full: fields, dependencies, dependents, comments.",
          {"issue_id": _S}, ("issue_id",)),
    _tool("create", "Create an issue. type: bug, feature, task (default), epic, chore; "
          "priority 0 (critical) to 4, default 2. deps: 'ID' (blocks) or 'TYPE:ID', e.g. "
          "'discovered-from:bd-12'. parent makes it a child of an epic.",
          {"title": _S, "description": _S, "type": _S, "priority": _PRIORITY,
           "assignee": _S, "labels": _L, "deps": _L, "parent": _S, "design": _S,
           "acceptance": _S, "notes": _S, "external_ref": _S, "id": _S}, ("title",)),
    _tool("update", "Change an issue's fields. status: open, in_progress, blocked, deferred "
          "or closed. Labels: the labels tool; comments: the comments tool.",
          {"issue_id": _S, "status": _S, "priority": _PRIORITY, "assignee": _S, "title": _S,
           "description": _S, "design": _S, "acceptance": _S, "notes": _S,
           "external_ref": _S, "type": _S}, ("issue_id",)),
    _tool("claim", "Take an issue atomically: assignee you, status in_progress. Fails if "
          "someone holds it. sync: claim through the git remote, so the claim holds across "
          "clones (bd update --claim --sync); without it the claim is exclusive within this "
          "clone only.", {"issue_id": _S, "sync": _B}, ("issue_id",)),
    _tool("close", "Close an issue as done.", {"issue_id": _S, "reason": _S}, ("issue_id",)),
    _tool("reopen", "Reopen closed issues.", {"issue_ids": _L, "reason": _S}, ("issue_ids",)),
    _tool("dep", "Add a dependency: issue_id depends on depends_on_id (action 'remove' "
          "removes it). type: blocks (default), related, parent-child, discovered-from.",
          {"issue_id": _S, "depends_on_id": _S, "type": _S,
           "action": {"enum": ["add", "remove"]}}, ("issue_id", "depends_on_id")),
    _tool("blocked", "Blocked issues, each with the ids blocking it.", {"brief": _B}),
    _tool("stats", "Counts: open, in progress, ready, blocked, closed, lead time."),
    _tool("comments", "An issue's comments; with text, add one.",
          {"issue_id": _S, "text": _S}, ("issue_id",)),
    _tool("labels", "An issue's labels after adding/removing any; without issue_id, every "
          "label with its count.", {"issue_id": _S, "add": _L, "remove": _L}),
    _tool("compact-analyze", "Old closed issues whose long text can be summarised (tier 1: "
          "closed 30+ days; tier 2: 90+ days, once compacted), with their full text. Write a "
          "shorter summary of each and pass it to compact-apply.",
          {"tier": {"enum": [1, 2]}, "limit": _I, "issue_id": _S}),
    _tool("compact-apply", "Replace a closed issue's long text with your summary (must be "
          "shorter; the full record stays in git, `bd restore` brings it back).",
          {"issue_id": _S, "summary": _S, "tier": {"enum": [1, 2]}}, ("issue_id", "summary")),
    _tool("mol_pour", "Pour a formula (or template proto) into step issues; vars: "
          "{name: value}. Then work the steps with ready/claim/close.",
          {"formula": _S, "vars": _VARS, "assignee": _S}, ("formula",)),
    _tool("mol_wisp", "Like mol_pour, but ephemeral: kept out of git; end it with mol_squash "
          "or mol_burn.", {"formula": _S, "vars": _VARS}, ("formula",)),
    _tool("mol_squash", "Replace a molecule's ephemeral steps by one closed digest issue.",
          {"molecule_id": _S, "summary": _S, "keep_children": _B}, ("molecule_id",)),
    _tool("mol_burn", "Delete a molecule (wisps at once; persistent ones need force).",
          {"molecule_id": _S, "force": _B}, ("molecule_id",)),
    _tool("gate_resolve", "Resolve (close) a gate so the step it blocks can proceed.",
          {"gate_id": _S, "reason": _S}, ("gate_id",)),
    _tool("remember", "Store a short project fact for every agent's future sessions (bd prime "
          "shows them). key: optional; an existing key is replaced.",
          {"text": _S, "key": _S, "tags": _L}, ("text",)),
    _tool("recall", "A memory by key, or the memories whose key, text or tags contain query; "
          "all memories without query.", {"query": _S}),
]
SCHEMAS = {t.name: t.inputSchema for t in TOOLS}

# The official beads-mcp server's names (and a few natural ones), accepted as aliases.
ALIASES: dict[str, dict[str, str]] = {
    "ready": {"labels": "label", "labels_any": "label_any", "sort_policy": "sort",
              "issue_type": "type"},
    "list": {"labels": "label", "labels_any": "label_any", "issue_type": "type",
             "query": "title_contains", "unassigned": "no_assignee"},
    "show": {"id": "issue_id"},
    "create": {"issue_type": "type", "acceptance_criteria": "acceptance", "label": "labels"},
    "update": {"acceptance_criteria": "acceptance", "issue_type": "type"},
    "claim": {"id": "issue_id"}, "close": {"id": "issue_id"},
    "dep": {"dep_type": "type", "depends_on": "depends_on_id"},
    "comments": {"comment": "text"},
}
# Parameters another tool takes: the error names that tool.
ELSEWHERE = {"labels": "labels", "add": "labels", "remove": "labels", "label": "labels",
             "text": "comments", "comment": "comments", "depends_on_id": "dep",
             "deps": "dep", "reason": "close", "claim": "claim"}


def validate(tool: str, schema: dict[str, Any], args: dict[str, Any]) -> None:
    """Types, ranges and required parameters, against the tool's JSON Schema."""
    import jsonschema  # the mcp SDK's own dependency

    try:
        jsonschema.validate(args, schema)
    except jsonschema.ValidationError as exc:
        where = ".".join(str(p) for p in exc.absolute_path)
        raise UsageError(f"{tool}: {where + ': ' if where else ''}{exc.message}") from None


def normalise(tool: str, schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments under their canonical names; unknown ones are a usage error that names
    the valid parameters, the nearest one, or the tool that takes it."""
    from bd.core.suggest import did_you_mean

    valid = set(schema["properties"])
    aliases = ALIASES.get(tool, {})
    out: dict[str, Any] = {}
    for key, value in arguments.items():
        name = key if key in valid else aliases.get(key)
        if name is None:
            other = ELSEWHERE.get(key)
            if other and other != tool:
                raise UsageError(f"{tool} does not take {key!r}: use the {other} tool")
            raise UsageError(f"unknown parameter {key!r} for {tool} (valid: "
                             f"{', '.join(sorted(valid))})"
                             f"{did_you_mean(key, [*valid, *aliases])}")
        if name in out and out[name] != value:
            raise UsageError(f"{tool}: {key!r} and {name!r} are the same parameter; give one")
        out[name] = value
    return out
