"""Mutating operations: create, update, claim, close, reopen, defer, dependencies, labels,
comments (delete: ``bd.ops.delete``).  Each runs in one Store transaction (lock + atomic write)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping

from bd.core import model
from bd.errors import BdError, ClaimError, CycleError, NotFoundError, ValidationError
from bd.ops.autoclose import auto_close_roots
from bd.store.store import Store, Tx

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

UPDATABLE = ("status", "priority", "title", "assignee", "description", "design",
             "acceptance_criteria", "notes", "issue_type", "estimated_minutes", "external_ref",
             "due_at", "defer_until", "close_reason", "pinned", "await_id", "mol_type",
             "agent_state", "sender", "hook_bead", "role_bead", "role_type", "rig",
             "closed_by_session")


def _dep(tx: Tx, issue_id: str, target: str, dep_type: str,
         metadata: str | None = None) -> dict[str, Any]:
    dep: dict[str, Any] = {"issue_id": issue_id, "depends_on_id": target, "type": dep_type,
                           "created_at": tx.now, "created_by": tx.store.actor}
    if metadata:
        dep["metadata"] = metadata
    return dep


def _check_dep_type(store: Store, dep_type: str, force: bool = False) -> None:
    if not dep_type or len(dep_type) > 50:
        raise ValidationError(f'invalid dependency type: "{dep_type}" '
                              "(must be non-empty string, max 50 chars)", field="type")
    store.check_dep_type(dep_type, force=force)


def _check_external(target: str) -> None:
    parts = target.split(":", 2)
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise ValidationError(f"invalid external reference {target!r} "
                              "(expected external:<project>:<capability>)")


def _time_field(expr: str | None, flag: str) -> str | None:
    from bd.core.timeutil import format_ts, parse_time_expr

    if expr is None or expr == "":
        return None
    try:
        return format_ts(parse_time_expr(expr))
    except BdError:
        raise ValidationError(f'invalid {flag} format "{expr}". Examples: +6h, tomorrow, '
                              "next monday, 2025-01-15", field=flag.lstrip("-")) from None


def create(store: Store, title: str, *, description: str = "", issue_type: str = "task",
           priority: int = 2, assignee: str | None = None, design: str = "",
           acceptance: str = "", notes: str = "", external_ref: str | None = None,
           labels: Iterable[str] = (), deps: Iterable[str] = (), parent: str | None = None,
           explicit_id: str | None = None, due: str | None = None, defer: str | None = None,
           estimate: int | None = None, ephemeral: bool = False, force: bool = False,
           waits_for: str | None = None, waits_for_gate: str = "all-children"
           ) -> dict[str, Any]:
    """Create one issue; returns the stored record."""
    from bd.core import ids

    if explicit_id and parent:
        raise ValidationError("cannot specify both --id and --parent")
    if estimate is not None and estimate < 0:
        raise ValidationError("estimate must be a non-negative number of minutes")
    if waits_for_gate not in ("all-children", "any-children"):
        raise ValidationError(f"invalid --waits-for-gate {waits_for_gate!r} "
                              "(expected all-children or any-children)")
    itype = store.check_type(issue_type)
    due_at, defer_until = _time_field(due, "--due"), _time_field(defer, "--defer")
    dep_specs: list[tuple[str, str]] = []
    for spec in model.split_list(list(deps)):
        dep_type, sep, target = spec.partition(":")
        if not sep or dep_type == "external":
            dep_type, target = "blocks", spec
        _check_dep_type(store, dep_type, force)
        dep_specs.append((dep_type, target))
    with store.transaction() as tx:
        prefix = store.prefix
        if parent:
            if not tx.exists(parent):
                raise NotFoundError(f"parent issue {parent} not found", issue_id=parent)
            tx.live(parent)
            ids.check_child_depth(parent)
            n = 1 + max([ids.child_number(c) for c in tx.lines.ids_with_prefix(parent + ".")
                         if ids.parent_of(c) == parent] or [0])
            rid = ids.child_id(parent, n)
        elif explicit_id:
            ids.validate_explicit_id(explicit_id, prefix,
                                     store.config_list("allowed_prefixes"), force)
            if tx.exists(explicit_id):
                raise ValidationError(f"issue {explicit_id} already exists",
                                      issue_id=explicit_id)
            rid = explicit_id
        else:
            rid = ids.generate_id(prefix, title, description, store.actor, time.time_ns(),
                                  n_existing=store.count_top_level(), exists=tx.exists)
        rec: dict[str, Any] = {
            "id": rid, "title": title, "description": description, "design": design,
            "acceptance_criteria": acceptance, "notes": notes, "status": "open",
            "priority": priority, "issue_type": itype, "assignee": assignee or "",
            "estimated_minutes": estimate, "created_at": tx.now, "created_by": store.actor,
            "updated_at": tx.now, "due_at": due_at, "defer_until": defer_until,
            "external_ref": external_ref or None, "ephemeral": ephemeral,
        }
        rec = {k: v for k, v in rec.items()
               if k in model.ALWAYS or (v is not None and v != "" and v is not False)}
        model.validate(rec, custom_statuses=store.custom_statuses,
                       custom_types=store.custom_types)
        label_list = model.split_list(list(labels))
        if label_list:
            rec["labels"] = sorted(label_list)
        dependencies = []
        if parent:
            dependencies.append(_dep(tx, rid, parent, "parent-child"))
        for dep_type, target in dep_specs:
            if target.startswith("external:"):
                _check_external(target)
            elif not tx.exists(target):
                raise NotFoundError(f"dependency target {target} not found", issue_id=target)
            else:
                tx.live(target)
            if target == rid:
                raise ValidationError("issue cannot depend on itself")
            dependencies.append(_dep(tx, rid, target, dep_type))
        if waits_for:
            if not tx.exists(waits_for):
                raise NotFoundError(f"waits-for target {waits_for} not found")
            dependencies.append(_dep(tx, rid, waits_for, "waits-for",
                                     json.dumps({"gate": waits_for_gate})))
        if dependencies:
            rec["dependencies"] = dependencies
        tx.put(rec, affects_ready=bool(dependencies))
        tx.event(rid, "created", new=rec)
    return rec


def _set_status(rec: dict[str, Any], status: str, now: str) -> None:
    old = model.status_of(rec)
    rec["status"] = status
    if status == "closed" and old != "closed":
        rec["closed_at"] = now
    elif status != "closed":
        rec.pop("closed_at", None)
        if old == "closed":
            rec.pop("close_reason", None)


def _set_parent(tx: Tx, rec: dict[str, Any], parent: str) -> None:
    deps = [d for d in rec.get("dependencies") or [] if d.get("type") != "parent-child"]
    if parent:
        if not tx.exists(parent):
            raise NotFoundError(f"parent issue {parent} not found", issue_id=parent)
        tx.live(parent)
        if parent == rec["id"]:
            raise ValidationError("issue cannot be its own parent")
        _check_cycle(tx.store, rec["id"], parent, "parent-child")
        deps.append(_dep(tx, rec["id"], parent, "parent-child"))
    if deps:
        rec["dependencies"] = deps
    else:
        rec.pop("dependencies", None)


def _relabel(rec: dict[str, Any], add: Iterable[str], remove: Iterable[str],
             set_to: Iterable[str] | None) -> None:
    labels = set(rec.get("labels") or [])
    if set_to is not None:
        labels = set(set_to)
    labels |= set(add)
    labels -= set(remove)
    if labels:
        rec["labels"] = sorted(labels)
    else:
        rec.pop("labels", None)


def update(store: Store, rid: str, changes: Mapping[str, Any] | None = None, *,
           add_labels: Iterable[str] = (), remove_labels: Iterable[str] = (),
           set_labels: Iterable[str] | None = None, parent: str | None = None,
           claim: bool = False) -> dict[str, Any]:
    """Apply field changes to one issue (only the keys given). ``parent=""`` removes it."""
    changes = dict(changes or {})
    for key in changes:
        if key not in UPDATABLE:
            raise ValidationError(f"invalid field for update: {key}", field=key)
    if "status" in changes:
        store.check_status(changes["status"])
    if "issue_type" in changes:
        changes["issue_type"] = store.check_type(changes["issue_type"])
    if "title" in changes:
        title = changes["title"]
        if not title or len(title.encode("utf-8", "surrogatepass")) > 500:
            raise ValidationError("title must be 1-500 characters", field="title")
    if "priority" in changes and not 0 <= changes["priority"] <= 4:
        raise ValidationError(f"priority must be between 0 and 4 (got {changes['priority']})")
    for key, flag in (("due_at", "--due"), ("defer_until", "--defer")):
        if key in changes:
            changes[key] = _time_field(changes[key], flag)
    with store.transaction() as tx:
        rec = tx.require(rid)
        old = dict(rec)
        if model.status_of(rec) == "tombstone":
            raise ValidationError(f"issue {rid} is deleted", issue_id=rid)
        if claim:
            holder = rec.get("assignee") or ""
            if holder:
                raise ClaimError(f"already claimed by {holder}", issue_id=rid)
            if model.status_of(rec) == "closed":
                raise ClaimError(f"cannot claim {rid}: it is closed", issue_id=rid)
            changes["assignee"] = store.actor
            changes["status"] = "in_progress"
        for key, value in changes.items():
            if key == "status":
                _set_status(rec, value, tx.now)
            elif value is None or value == "" or value is False:
                rec.pop(key, None) if key != "assignee" else rec.update(assignee="")
            else:
                rec[key] = value
        _relabel(rec, add_labels, remove_labels, set_labels)
        if parent is not None:
            _set_parent(tx, rec, parent)
        rec["updated_at"] = tx.now
        tx.put(rec, affects_ready="status" in changes or parent is not None)
        status_old, status_new = model.status_of(old), model.status_of(rec)
        if status_old != status_new:
            kind = ("closed" if status_new == "closed" else
                    "reopened" if status_old == "closed" else "status_changed")
        else:
            kind = "updated"
        tx.event(rid, "claimed" if claim else kind, old=old, new=changes)
    return rec


def close(store: Store, rids: list[str], reason: str = "Closed", *, force: bool = False,
          session: str | None = None, already: list[str] | None = None
          ) -> list[dict[str, Any]]:
    """Close issues; returns their records.  An issue that is already closed is left exactly
    as it is (its close time and reason stand) and its id is added to ``already``."""
    out = []
    with store.transaction() as tx:
        for rid in rids:
            rec = tx.require(rid)
            if model.status_of(rec) == "closed":
                if already is not None:
                    already.append(rid)
                out.append(rec)
                continue
            if model.status_of(rec) == "pinned" and not force:
                raise ValidationError(f"cannot modify pinned issue {rid} (use --force to override)",
                                      issue_id=rid)
            if model.status_of(rec) == "tombstone":
                raise ValidationError(f"issue {rid} is deleted", issue_id=rid)
            old = model.status_of(rec)
            rec["status"] = "closed"
            rec["closed_at"] = tx.now
            rec["close_reason"] = reason
            if session:
                rec["closed_by_session"] = session
            rec["updated_at"] = tx.now
            tx.put(rec)
            tx.event(rid, "closed", old=old, new="closed", comment=reason)
            out.append(rec)
        out += auto_close_roots(tx, [r["id"] for r in out])
    return out


def reopen(store: Store, rids: list[str], reason: str | None = None) -> list[dict[str, Any]]:
    out = []
    with store.transaction() as tx:
        for rid in rids:
            rec = tx.require(rid)
            old = model.status_of(rec)
            if old == "tombstone":
                raise ValidationError(f"issue {rid} is deleted", issue_id=rid)
            _set_status(rec, "open", tx.now)
            rec.pop("close_reason", None)
            rec["updated_at"] = tx.now
            if reason:  # a comment, so teammates see it (the event log is this clone's)
                _append_comment(rec, reason, tx.store.actor)
            tx.put(rec)
            tx.event(rid, "reopened", old=old, new="open", comment=reason)
            out.append(rec)
    return out


def defer(store: Store, rids: list[str], until: str | None = None, *,
          undo: bool = False) -> list[dict[str, Any]]:
    when = None if undo else _time_field(until, "--until")
    out = []
    with store.transaction() as tx:
        for rid in rids:
            rec = tx.require(rid)
            old = model.status_of(rec)
            _set_status(rec, "open" if undo else "deferred", tx.now)
            if undo:
                rec.pop("defer_until", None)
            elif when:
                rec["defer_until"] = when
            rec["updated_at"] = tx.now
            tx.put(rec)
            tx.event(rid, "status_changed", old=old, new=rec["status"])
            out.append(rec)
    return out


def _check_cycle(store: Store, issue_id: str, target: str, dep_type: str) -> None:
    from bd.core.graph import AFFECTS_READY, Graph

    if dep_type not in AFFECTS_READY:
        return
    marks = ",".join("?" * len(AFFECTS_READY))
    conn = store.cache().conn
    # Does the target already reach the issue?  Usually not, and a recursive query over the
    # edges says so without loading them all; only a cycle needs its path spelled out.
    if not conn.execute(
            "WITH RECURSIVE r(id) AS (SELECT ? UNION SELECT d.depends_on_id FROM dependencies d "
            f"JOIN r ON d.issue_id = r.id WHERE d.type IN ({marks})) "
            "SELECT 1 FROM r WHERE id = ? LIMIT 1",
            (target, *sorted(AFFECTS_READY), issue_id)).fetchone():
        return
    edges: dict[str, list[dict[str, str]]] = {}
    for a, b, t in conn.execute(
            f"SELECT issue_id, depends_on_id, type FROM dependencies WHERE type IN ({marks})",
            sorted(AFFECTS_READY)):
        edges.setdefault(a, []).append({"issue_id": a, "depends_on_id": b, "type": t})
    nodes = set(edges) | {d["depends_on_id"] for ds in edges.values() for d in ds}
    nodes |= {issue_id, target}
    graph = Graph.build({"id": n, "title": n, "dependencies": edges.get(n, [])} for n in nodes)
    cycle = graph.cycle_for_new_edge(issue_id, target, dep_type)
    if cycle:
        raise CycleError("cannot add dependency: would create a cycle ("
                         + " → ".join(cycle) + ")", issue_id=issue_id)


def add_dependency(store: Store, issue_id: str, target: str, dep_type: str = "blocks",
                   metadata: str | None = None, *, force: bool = False) -> dict[str, Any]:
    """``issue_id`` depends on ``target``.  A type outside the known set needs ``force`` or
    config ``types.custom_deps`` (and never blocks)."""
    from bd.core import ids

    _check_dep_type(store, dep_type, force)
    if issue_id == target:
        raise ValidationError("issue cannot depend on itself")
    external = target.startswith("external:")
    if external:
        _check_external(target)
    elif dep_type != "parent-child" and ids.is_descendant_id(issue_id, target):
        raise ValidationError(
            f"cannot add dependency: {issue_id} is already a child of {target}. Children inherit "
            "dependency on parent completion via hierarchy. Adding an explicit dependency would "
            "create a deadlock")
    with store.transaction() as tx:
        rec = tx.live(issue_id)
        if not external:
            tx.live(target)
            _check_cycle(store, issue_id, target, dep_type)
        deps = list(rec.get("dependencies") or [])
        if any(d.get("depends_on_id") == target and d.get("type") == dep_type for d in deps):
            raise ValidationError(f"dependency {issue_id} → {target} ({dep_type}) already exists")
        deps.append(_dep(tx, issue_id, target, dep_type, metadata))
        rec["dependencies"] = deps
        rec["updated_at"] = tx.now
        tx.put(rec)
        tx.event(issue_id, "dependency_added", new={"depends_on_id": target, "type": dep_type})
    return {"status": "added", "issue_id": issue_id, "depends_on_id": target, "type": dep_type}


def remove_dependency(store: Store, issue_id: str, target: str,
                      dep_type: str | None = None) -> dict[str, Any]:
    """Remove the edge(s) issue_id → target (of ``dep_type`` only, when given)."""
    with store.transaction() as tx:
        rec = tx.require(issue_id)
        deps = list(rec.get("dependencies") or [])
        keep = [d for d in deps if not (d.get("depends_on_id") == target
                                        and (dep_type is None or d.get("type") == dep_type))]
        if len(keep) == len(deps):
            raise NotFoundError(f"dependency from {issue_id} to {target} does not exist")
        if keep:
            rec["dependencies"] = keep
        else:
            rec.pop("dependencies", None)
        rec["updated_at"] = tx.now
        tx.put(rec)
        tx.event(issue_id, "dependency_removed", old={"depends_on_id": target})
    return {"status": "removed", "issue_id": issue_id, "depends_on_id": target}


def relate(store: Store, a: str, b: str, *, undo: bool = False) -> dict[str, Any]:
    if a == b:
        raise ValidationError("issue cannot be related to itself")
    with store.transaction() as tx:
        for x, y in ((a, b), (b, a)):
            rec = tx.require(x) if undo else tx.live(x)
            deps = [d for d in rec.get("dependencies") or []
                    if not (d.get("depends_on_id") == y and d.get("type") == "relates-to")]
            if not undo:
                deps.append(_dep(tx, x, y, "relates-to"))
            if deps:
                rec["dependencies"] = deps
            else:
                rec.pop("dependencies", None)
            rec["updated_at"] = tx.now
            tx.put(rec, affects_ready=False)
    return {"id1": a, "id2": b, "related": not undo}


def labels(store: Store, rids: list[str], label: str, *, remove: bool = False
           ) -> list[dict[str, Any]]:
    if label.startswith("provides:") and not remove:
        raise ValidationError(f"'provides:' labels are reserved for cross-project capabilities. "
                              f"Hint: use 'bd ship {label[9:]}' instead")
    out = []
    with store.transaction() as tx:
        for rid in rids:
            rec = tx.live(rid)
            if remove:
                _relabel(rec, (), [label], None)
            else:
                _relabel(rec, [label], (), None)
            rec["updated_at"] = tx.now
            tx.put(rec, affects_ready=False)
            tx.event(rid, "label_removed" if remove else "label_added", new=label)
            out.append({"status": "removed" if remove else "added", "issue_id": rid,
                        "label": label})
    return out


def _append_comment(rec: dict[str, Any], text: str, author: str) -> dict[str, Any]:
    import datetime as _dt

    from bd.core.timeutil import format_ts

    comments = list(rec.get("comments") or [])
    next_id = 1 + max([c.get("id", 0) for c in comments
                       if isinstance(c.get("id"), int)] or [0])
    stamp = format_ts(_dt.datetime.now(_dt.UTC).replace(microsecond=0))
    comment = {"id": next_id, "issue_id": rec["id"], "author": author, "text": text,
               "created_at": stamp}
    comments.append(comment)
    rec["comments"] = comments
    return comment


def add_comment(store: Store, rid: str, text: str, author: str) -> dict[str, Any]:
    if not text.strip():
        raise ValidationError("comment text required (use -f to read from file)")
    with store.transaction() as tx:
        rec = tx.require(rid)
        comment = _append_comment(rec, text, author)
        tx.put(rec, affects_ready=False)  # like the original, updated_at is left alone
        tx.event(rid, "commented", comment=text)
    return comment
