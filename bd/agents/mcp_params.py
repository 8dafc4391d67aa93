"""The MCP tools' parameters: bd's names (the CLI's long flags), beads-mcp's as aliases,
and the check that refuses anything else with a helpful message.

Kept apart from ``mcp_server``, which passes each tool's schema in (jsonschema,
which validates the types, is a dependency of the mcp SDK and imported only on a call).
"""

from __future__ import annotations

from typing import Any

from bd.errors import UsageError

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
