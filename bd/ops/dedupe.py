"""Duplicates: marking one issue a duplicate of another (``bd duplicate``), superseding
(``bd supersede``), finding groups of identical issues (``bd duplicates``) and merging
issues into one target (``bd merge SOURCE... --into TARGET``, ``duplicates --auto-merge``).
Each change is one Store transaction."""

from __future__ import annotations

import hashlib

from bd.core import model
from bd.errors import ValidationError
from bd.ops.issues import _dep

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store, Tx

_CONTENT = ("title", "description", "design", "acceptance_criteria")


def _close(tx: Tx, rec: dict[str, Any], reason: str) -> None:
    old = model.status_of(rec)
    rec["status"] = "closed"
    rec["closed_at"] = rec["updated_at"] = tx.now
    rec["close_reason"] = reason
    tx.put(rec)
    tx.event(rec["id"], "closed", old=old, new="closed", comment=reason)


def _link(tx: Tx, rec: dict[str, Any], target: str, dep_type: str) -> None:
    deps = [d for d in rec.get("dependencies") or []
            if not (d.get("depends_on_id") == target and d.get("type") == dep_type)]
    deps.append(_dep(tx, rec["id"], target, dep_type))
    rec["dependencies"] = deps
    tx.event(rec["id"], "dependency_added", new={"depends_on_id": target, "type": dep_type})


def link_and_close(store: Store, rid: str, target: str, dep_type: str) -> dict[str, Any]:
    """``rid`` gets a ``dep_type`` edge to ``target`` (``duplicates`` or ``supersedes``) and is
    closed, in one transaction."""
    word = {"duplicates": "duplicate of", "supersedes": "superseded by"}[dep_type]
    if rid == target:
        raise ValidationError(f"cannot mark an issue as {word} itself", issue_id=rid)
    with store.transaction() as tx:
        tx.live(target)
        rec = tx.live(rid)
        _link(tx, rec, target, dep_type)
        _close(tx, rec, f"{word.capitalize()} {target}")
    return rec


def content_key(rec: dict[str, Any]) -> str:
    """Hash of the fields that make two issues the same report."""
    text = "\x00".join(str(rec.get(k) or "").strip() for k in _CONTENT)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def find_groups(store: Store) -> list[dict[str, Any]]:
    """Groups of issues with identical title, description, design and acceptance (open with
    open, closed with closed; deleted ones never), each with the merge ``target`` (the most
    referenced issue, ties to the smallest id) and the ``sources``."""
    records = [r for r in store.all_records() if model.status_of(r) != "tombstone"]
    refs: dict[str, int] = {}
    for rec in records:
        for dep in rec.get("dependencies") or []:
            target = dep.get("depends_on_id")
            if isinstance(target, str):
                refs[target] = refs.get(target, 0) + 1
    groups: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    for rec in records:
        closed = model.status_of(rec) == "closed"
        groups.setdefault((content_key(rec), closed), []).append(rec)
    out = []
    for (_, closed), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda r: (-refs.get(r["id"], 0), r["id"]))
        out.append({"target": members[0]["id"], "sources": [m["id"] for m in members[1:]],
                    "title": members[0].get("title", ""), "closed": closed,
                    "references": {m["id"]: refs.get(m["id"], 0) for m in members}})
    out.sort(key=lambda g: g["target"])
    return out


def merge_into(store: Store, sources: list[str], target: str) -> dict[str, Any]:
    """Merge ``sources`` into ``target``: the sources' dependencies, dependents, labels and
    comments move to the target, each source gets a ``duplicates`` edge to it and is closed
    (reason ``Merged into TARGET``).  One transaction."""
    sources = list(dict.fromkeys(sources))
    if target in sources:
        raise ValidationError(f"cannot merge {target} into itself", issue_id=target)
    if not sources:
        raise ValidationError("no source issues to merge")
    moved = {"dependencies": 0, "dependents": 0, "labels": 0, "comments": 0}
    doomed = set(sources)
    with store.transaction() as tx:
        trec = tx.live(target)
        tdeps = list(trec.get("dependencies") or [])
        have = {(d.get("depends_on_id"), d.get("type")) for d in tdeps}
        tlabels = list(trec.get("labels") or [])
        tcomments = list(trec.get("comments") or [])
        for sid in sources:
            srec = tx.live(sid)
            for dep in srec.get("dependencies") or []:
                key = (dep.get("depends_on_id"), dep.get("type"))
                if key[0] == target or key[0] in doomed or key in have:
                    continue
                have.add(key)
                tdeps.append({**dep, "issue_id": target})
                moved["dependencies"] += 1
            for label in srec.get("labels") or []:
                if label not in tlabels:
                    tlabels.append(label)
                    moved["labels"] += 1
            for comment in srec.get("comments") or []:
                tcomments.append({**comment, "issue_id": target} if isinstance(comment, dict)
                                 else comment)
                moved["comments"] += 1
        for sid in sources:  # dependents of a source now depend on the target
            for dependent, dep_type in store.dependents(sid):
                if dependent in doomed or dependent == target:
                    continue
                drec = tx.require(dependent)
                deps = drec.get("dependencies") or []
                if any(d.get("depends_on_id") == target and d.get("type") == dep_type
                       for d in deps):
                    new = [d for d in deps if d.get("depends_on_id") != sid]
                else:
                    new = [{**d, "depends_on_id": target} if d.get("depends_on_id") == sid
                           else d for d in deps]
                drec["dependencies"] = new
                drec["updated_at"] = tx.now
                tx.put(drec)
                moved["dependents"] += 1
        if tdeps:
            trec["dependencies"] = tdeps
        if tlabels:
            trec["labels"] = sorted(tlabels)
        if tcomments:
            trec["comments"] = tcomments
        trec["updated_at"] = tx.now
        tx.put(trec)
        tx.event(target, "merged", new={"sources": sources})
        for sid in sources:
            srec = tx.require(sid)
            srec["dependencies"] = [_dep(tx, sid, target, "duplicates")]
            srec.pop("labels", None)
            srec.pop("comments", None)
            _close(tx, srec, f"Merged into {target}")
    return {"target": target, "merged": sources, "moved": moved}
