"""The end of a molecule's life and the way back to a formula: squash (a digest replaces the
ephemeral steps), burn (delete outright), distill (an epic tree written as a formula)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping

from bd.core import ids, model
from bd.errors import NotFoundError, ValidationError
from bd.store.store import Store
from bd.workflows import formula as fm
from bd.workflows.library import JSON_EXT, to_json, write_atomic
from bd.workflows.molecules import descendants

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _digest_text(children: list[dict[str, Any]]) -> str:
    parts = []
    for rec in children:
        line = f"- {rec.get('title', rec['id'])} [{model.status_of(rec)}]"
        if rec.get("description"):
            line += f": {rec['description']}"
        if rec.get("close_reason"):
            line += f" (closed: {rec['close_reason']})"
        parts.append(line)
    return "\n".join(parts)


def squash(store: Store, mol_id: str, *, summary: str | None = None,
           keep_children: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """Compress a molecule's ephemeral steps into one closed, persistent digest issue (a
    child of the root); the steps are deleted unless ``keep_children``.  A wisp root is
    closed and made persistent, so the digest has a parent in issues.jsonl.  No LLM is
    called: pass ``summary`` for a written summary."""
    root = store.get(mol_id)
    tree = descendants(store, mol_id)
    recs = store.get_many(tree)
    wisps = [recs[i] for i in tree if i in recs and recs[i].get("ephemeral") is True]
    result: dict[str, Any] = {"molecule_id": mol_id, "squashed": len(wisps),
                              "digest_id": "", "deleted": [] if keep_children else
                              [r["id"] for r in wisps], "kept_children": keep_children}
    if not wisps:
        result["deleted"] = []
        return result
    if dry_run:
        result["dry_run"] = True
        return result
    title = f"Digest: {root.get('title', mol_id)}"
    body = summary if summary else _digest_text(wisps)
    with store.transaction() as tx:
        digest_id = ids.generate_id(store.prefix, title, body, store.actor, time.time_ns(),
                                    n_existing=store.count_top_level(), exists=tx.exists)
        digest = {"id": digest_id, "title": title[:500], "description": body,
                  "status": "closed", "priority": model.priority_of(root),
                  "issue_type": "task", "created_at": tx.now, "created_by": store.actor,
                  "updated_at": tx.now, "closed_at": tx.now,
                  "close_reason": f"Squashed from {len(wisps)} wisps",
                  "dependencies": [{"issue_id": digest_id, "depends_on_id": mol_id,
                                    "type": "parent-child", "created_at": tx.now,
                                    "created_by": store.actor}]}
        tx.put(digest)
        tx.event(digest_id, "created", new=digest)
        if not keep_children:
            for rec in wisps:
                tx.removed.add(rec["id"])
                tx.event(rec["id"], "deleted", comment=f"squashed into {digest_id}")
        rroot = tx.require(mol_id)
        if rroot.get("ephemeral") is True:
            rroot.pop("ephemeral")
            if model.status_of(rroot) != "closed":
                rroot.update(status="closed", closed_at=tx.now,
                             close_reason=f"Squashed into {digest_id}")
            rroot["updated_at"] = tx.now
            tx.put(rroot)
            tx.event(mol_id, "closed", comment=f"squashed into {digest_id}")
    result["digest_id"] = digest_id
    return result


def burn(store: Store, mol_ids: Iterable[str], *, force: bool = False,
         dry_run: bool = False) -> dict[str, Any]:
    """Delete molecules with no digest: a wisp's lines go at once; a persistent molecule's
    subtree is tombstoned (as ``bd delete``), which needs ``force`` (else a preview)."""
    from bd.ops import delete as delete_ops

    wisp_ids: list[str] = []
    persistent: list[str] = []
    for mol_id in mol_ids:
        tree = [mol_id, *descendants(store, mol_id)]
        recs = store.get_many(tree)
        for rid in tree:
            if rid in recs:
                (wisp_ids if recs[rid].get("ephemeral") is True else persistent).append(rid)
    persistent = list(dict.fromkeys(persistent))
    wisp_ids = list(dict.fromkeys(wisp_ids))
    preview = dry_run or (bool(persistent) and not force)
    result: dict[str, Any] = {"deleted": [*wisp_ids, *persistent],
                              "deleted_count": len(wisp_ids) + len(persistent),
                              "wisps": len(wisp_ids), "persistent": len(persistent)}
    if preview:
        result["preview"] = True
        return result
    if wisp_ids:
        doomed = set(wisp_ids)
        with store.transaction() as tx:
            for rid in wisp_ids:
                if tx.exists(rid):
                    tx.removed.add(rid)
                    tx.event(rid, "deleted", comment="burned")
            # Persistent issues that pointed at a burned wisp lose the edge.
            pointing: set[str] = set()
            for rid in wisp_ids:
                edges: Any = store.dependents(rid)  # (Store.list shadows list for mypy)
                pointing |= {a for a, _ in edges}
            for other in sorted(pointing):
                if other in doomed or not tx.exists(other):
                    continue
                rec = tx.require(other)
                kept = [d for d in rec.get("dependencies") or []
                        if d.get("depends_on_id") not in doomed]
                if kept:
                    rec["dependencies"] = kept
                else:
                    rec.pop("dependencies", None)
                rec["updated_at"] = tx.now
                tx.put(rec)
    if persistent:
        delete_ops.delete(store, persistent, force=True, reason="burned")
    return result


# -- distill ---------------------------------------------------------------------------------

def _slug(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30].strip("-") or "step"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _pairs(pairs: Mapping[str, str], texts: list[str]) -> dict[str, str]:
    """var -> concrete value; a pair may be written var=value or value=var."""
    out = {}
    blob = "\n".join(texts)
    for left, right in pairs.items():
        if left in blob and right not in blob:
            out[right] = left
        else:
            out[left] = right
    return out


def distill(store: Store, epic_id: str, name: str | None = None, *,
            pairs: Mapping[str, str] | None = None, output: str | None = None,
            dry_run: bool = False) -> dict[str, Any]:
    """Write ``<name>.formula.json`` from an epic tree, with concrete strings replaced by
    ``{{var}}``.  Gates become the ``gate`` of the step they block."""
    from bd.workflows.molview import Molecule

    root = store.get(epic_id)
    mol = Molecule(store, epic_id)  # steps in the order they run
    tree = [s["id"] for s in mol.steps]
    recs = {s["id"]: s for s in mol.steps}
    name = name or re.sub(r"[^a-z0-9]+", "-", str(root.get("title", epic_id)).lower()
                          ).strip("-") or epic_id
    texts = [str(r.get(k) or "") for r in [root, *recs.values()] for k in ("title", "description")]
    var_values = _pairs(dict(pairs or {}), texts)

    def generalise(text: Any) -> str:
        text = str(text or "")
        for var, value in sorted(var_values.items(), key=lambda kv: -len(kv[1])):
            if value:
                text = text.replace(value, "{{" + var + "}}")
        return text

    gates = {rid for rid, r in recs.items() if model.type_of(r) == "gate"}
    step_of: dict[str, str] = {}
    taken: set[str] = set()
    children: dict[str, list[str]] = {}
    for rid in tree:
        rec = recs.get(rid)
        if rec is None or rid in gates:
            continue
        parent = next((d["depends_on_id"] for d in rec.get("dependencies") or []
                       if d.get("type") == "parent-child"), epic_id)
        children.setdefault(parent, []).append(rid)
        step_of[rid] = _slug(str(rec.get("title", rid)), taken)

    def build(rid: str) -> dict[str, Any]:
        rec = recs[rid]
        step: dict[str, Any] = {"id": step_of[rid], "title": generalise(rec.get("title"))}
        if rec.get("description"):
            step["description"] = generalise(rec["description"])
        itype = model.type_of(rec)
        if itype in fm.STEP_TYPES and itype not in ("task", "epic"):
            step["type"] = itype
        if model.priority_of(rec) != model.DEFAULT_PRIORITY:
            step["priority"] = model.priority_of(rec)
        labels = [lb for lb in rec.get("labels") or [] if not lb.startswith("gate:")]
        if labels:
            step["labels"] = labels
        needs = []
        for d in rec.get("dependencies") or []:
            target = d.get("depends_on_id")
            if d.get("type") == "blocks" and target in step_of:
                needs.append(step_of[target])
            elif d.get("type") == "blocks" and target in gates:
                g = recs[target]
                gate = {"type": g.get("await_type") or "human"}
                if g.get("await_id"):
                    gate["id"] = generalise(g["await_id"])
                if g.get("timeout"):
                    gate["timeout"] = fm.format_duration(int(g["timeout"]))
                step["gate"] = gate
        if needs:
            step["needs"] = needs
        kids = [build(c) for c in children.get(rid, [])]
        if kids:
            step["children"] = kids
        return step

    formula: dict[str, Any] = {"formula": name, "description": generalise(root.get("description")),
                               "version": 1, "type": "workflow"}
    if var_values:
        formula["vars"] = {var: {"description": f"Value for {var}", "required": True}
                           for var in sorted(var_values)}
    formula["steps"] = [build(c) for c in children.get(epic_id, [])]
    fm.validate(fm.parse(formula, f"<distilled {epic_id}>"))
    directory = output or os.path.join(store.beads_dir, "formulas")
    path = os.path.join(directory, name + JSON_EXT)
    if not dry_run:
        if os.path.exists(path):
            raise ValidationError(f"formula file already exists: {path}")
        write_atomic(path, to_json(formula))
    return {"path": path, "formula": name, "steps": sum(1 for _ in fm.walk_steps(formula["steps"])),
            "variables": sorted(var_values), "dry_run": dry_run,
            **({"content": formula} if dry_run else {})}


def require_issue(store: Store, rid: str) -> str:
    try:
        return store.resolve(rid)
    except NotFoundError:
        raise NotFoundError(f"molecule {rid} not found", issue_id=rid) from None
