"""Reading molecules: the step tree with each step's state, progress, the current step of an
agent, stale molecules, molecules ready to resume after a gate, and advancing to the next
step after a close (``bd close --continue``)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from bd.core import model, timeutil
from bd.errors import NotFoundError, ValidationError
from bd.store import queries
from bd.store.store import Store
from bd.workflows.molecules import descendants

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_DONE = ("closed", "tombstone")


def _blocked(store: Store, ids: list[str]) -> set[str]:
    conn = store.cache().conn
    return {r[0] for r in conn.execute(
        "SELECT issue_id FROM blocked_issues_cache WHERE issue_id IN "
        "(SELECT value FROM json_each(?))", (json.dumps(ids),))}


def _parent(rec: dict[str, Any]) -> str | None:
    return next((d["depends_on_id"] for d in rec.get("dependencies") or []
                 if d.get("type") == "parent-child"), None)


def step_state(rec: dict[str, Any], blocked: set[str]) -> str:
    status = model.status_of(rec)
    if status in _DONE:
        return "done"
    if model.type_of(rec) == "gate":
        return "waiting"
    if status in ("in_progress", "hooked"):
        return "current"
    if status == "blocked" or rec["id"] in blocked:
        return "blocked"
    if status == "open":
        return "ready"
    return "pending"


def _topological(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps in an order where each comes after what it waits on (and after its parent);
    ties keep the given order.  A cycle's members keep their place at the end."""
    by_id = {s["id"]: s for s in steps}
    pos = {s["id"]: n for n, s in enumerate(steps)}
    waits = {s["id"]: {d["depends_on_id"] for d in s.get("dependencies") or []
                       if d.get("depends_on_id") in by_id} for s in steps}
    import heapq

    indeg = {i: len(w) for i, w in waits.items()}
    users: dict[str, list[str]] = {}
    for i, w in waits.items():
        for t in w:
            users.setdefault(t, []).append(i)
    heap = [(pos[i], i) for i, n in indeg.items() if n == 0]
    heapq.heapify(heap)
    out = []
    while heap:
        _, i = heapq.heappop(heap)
        out.append(by_id[i])
        for u in users.get(i, ()):
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(heap, (pos[u], u))
    seen = {s["id"] for s in out}
    return out + [s for s in steps if s["id"] not in seen]


class Molecule:
    """A root and its steps (every descendant by parent-child), read once."""

    def __init__(self, store: Store, mol_id: str) -> None:
        self.store = store
        self.root = store.get(mol_id)
        self.id = mol_id
        order = descendants(store, mol_id)
        recs = store.get_many(order)
        # Steps after what they wait on; otherwise by title (poured ids are random hashes).
        self.steps = _topological(sorted(
            (recs[i] for i in order if i in recs and model.status_of(recs[i]) != "tombstone"),
            key=lambda r: (str(r.get("title", "")), r["id"])))
        self.blocked = _blocked(store, [s["id"] for s in self.steps])
        self.depth = {mol_id: 0}
        for s in self.steps:
            self.depth[s["id"]] = self.depth.get(_parent(s) or mol_id, 0) + 1

    def work(self) -> list[dict[str, Any]]:
        """Steps that are work (gates and digests aside)."""
        return [s for s in self.steps if model.type_of(s) != "gate"
                and not str(s.get("title", "")).startswith("Digest: ")]

    def gates(self) -> list[dict[str, Any]]:
        return [s for s in self.steps if model.type_of(s) == "gate"]

    def row(self, s: dict[str, Any]) -> dict[str, Any]:
        row = {"id": s["id"], "title": s.get("title", ""), "status": model.status_of(s),
               "issue_type": model.type_of(s), "priority": model.priority_of(s),
               "state": step_state(s, self.blocked), "depth": self.depth.get(s["id"], 1),
               "parent": _parent(s) or self.id}
        if s.get("assignee"):
            row["assignee"] = s["assignee"]
        blockers = [d["depends_on_id"] for d in s.get("dependencies") or []
                    if d.get("type") in ("blocks", "conditional-blocks", "waits-for")]
        if blockers:
            row["needs"] = blockers
        if model.type_of(s) == "gate":
            row["await_type"] = s.get("await_type", "")
            if s.get("await_id"):
                row["await_id"] = s["await_id"]
        return row

    def ready_steps(self) -> list[dict[str, Any]]:
        return [s for s in self.work() if step_state(s, self.blocked) == "ready"]


def show(store: Store, mol_id: str, *, parallel: bool = False) -> dict[str, Any]:
    mol = Molecule(store, mol_id)
    out: dict[str, Any] = {"root": _root_row(mol), "steps": [mol.row(s) for s in mol.steps],
                           "progress": _counts(mol)}
    if parallel:
        out["ready_now"] = [s["id"] for s in mol.ready_steps()]
        out["parallel_groups"] = _levels(mol)
    return out


def _root_row(mol: Molecule) -> dict[str, Any]:
    r = mol.root
    row = {"id": mol.id, "title": r.get("title", ""), "status": model.status_of(r),
           "issue_type": model.type_of(r), "ephemeral": r.get("ephemeral") is True}
    if r.get("source_formula"):
        row["formula"] = r["source_formula"]
    if r.get("assignee"):
        row["assignee"] = r["assignee"]
    return row


def _counts(mol: Molecule) -> dict[str, Any]:
    work = mol.work()
    done = sum(1 for s in work if model.status_of(s) in _DONE)
    return {"completed": done, "total": len(work),
            "percent": round(100 * done / len(work)) if work else 100}


def _levels(mol: Molecule) -> list[list[str]]:
    """Open work steps grouped by how many open steps they wait on in a row: each group
    can run at the same time once the groups before it are done."""
    work = {s["id"]: s for s in mol.work() if model.status_of(s) not in _DONE}
    gate_of = {g["id"] for g in mol.gates() if model.status_of(g) not in _DONE}
    level: dict[str, int] = {}

    def depth(rid: str, seen: frozenset[str] = frozenset()) -> int:
        if rid in level:
            return level[rid]
        if rid in seen:
            return 0
        waits = [d["depends_on_id"] for d in work[rid].get("dependencies") or []
                 if d.get("type") in ("blocks", "conditional-blocks", "waits-for")]
        n = max([depth(w, seen | {rid}) + 1 for w in waits if w in work]
                + [1 for w in waits if w in gate_of] + [0])
        level[rid] = n
        return n

    for rid in work:
        depth(rid)
    groups: dict[int, list[str]] = {}
    for rid in work:
        groups.setdefault(level[rid], []).append(rid)
    return [groups[k] for k in sorted(groups)]


def progress(store: Store, mol_id: str, *, now_ns: int | None = None) -> dict[str, Any]:
    mol = Molecule(store, mol_id)
    counts = _counts(mol)
    current = next((s for s in mol.work() if step_state(s, mol.blocked) == "current"), None)
    nxt = mol.ready_steps()
    out: dict[str, Any] = {"molecule_id": mol_id, "molecule_title": mol.root.get("title", ""),
                           "status": model.status_of(mol.root), **counts,
                           "current_step": current["id"] if current else None,
                           "next_step": nxt[0]["id"] if nxt else None,
                           "rate_per_hour": None, "eta_hours": None}
    start = timeutil.ts_key(str(mol.root.get("created_at") or ""))
    closed = [timeutil.ts_key(str(s.get("closed_at") or "")) for s in mol.work()
              if model.status_of(s) in _DONE]
    ends = [c for c in closed if c is not None]
    if start is not None and ends:
        end_ns = max(ends) if counts["completed"] == counts["total"] else (
            now_ns if now_ns is not None else queries.now_ns())
        hours = max((end_ns - start) / 3.6e12, 1 / 3600)
        rate = counts["completed"] / hours
        out["rate_per_hour"] = round(rate, 2)
        out["eta_hours"] = round((counts["total"] - counts["completed"]) / rate, 2)
    return out


def current(store: Store, mol_id: str | None = None, *, agent: str | None = None,
            limit: int = 0, span: str | None = None) -> list[dict[str, Any]]:
    """The step list of a molecule (or of each molecule the agent has work in progress in)."""
    if mol_id is None:
        who = agent or store.actor
        mols = _molecules_of(store, who)
        if not mols:
            return []
    else:
        mols = [mol_id]
    out = []
    for mid in mols:
        mol = Molecule(store, mid)
        rows = [mol.row(s) for s in mol.work()]
        if span:
            lo, _, hi = span.partition("-")
            if not (lo.isdigit() and hi.isdigit()):
                raise ValidationError(f"invalid --range {span!r} (expected a-b, e.g. 1-20)",
                                      field="range")
            rows = rows[int(lo) - 1:int(hi)]
        if limit and limit > 0:
            rows = rows[:limit]
        out.append({"molecule_id": mid, "molecule_title": mol.root.get("title", ""),
                    **_counts(mol), "steps": rows})
    return out


def root_of(store: Store, rid: str) -> str | None:
    """The molecule (top parent-child ancestor) ``rid`` belongs to, or None."""
    conn = store.cache().conn
    row = conn.execute(
        "WITH RECURSIVE up(id, n) AS (SELECT ?, 0 UNION SELECT d.depends_on_id, up.n + 1 "
        "FROM dependencies d JOIN up ON d.issue_id = up.id WHERE d.type = 'parent-child' "
        "AND up.n < 50) SELECT id FROM up ORDER BY n DESC LIMIT 1", (rid,)).fetchone()
    return row[0] if row and row[0] != rid else None


def _molecules_of(store: Store, who: str) -> list[str]:
    conn = store.cache().conn
    mine = [r[0] for r in conn.execute(
        "SELECT id FROM issues WHERE status IN ('in_progress','hooked') AND assignee = ? "
        "ORDER BY id", (who,))]
    return list(dict.fromkeys(m for m in (root_of(store, i) for i in mine) if m))


def _molecule_roots(store: Store) -> list[str]:
    conn = store.cache().conn
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT i.id FROM issues i JOIN dependencies d ON d.depends_on_id = i.id "
        "AND d.type = 'parent-child' WHERE i.status NOT IN ('closed','tombstone') "
        "AND i.is_template = 0 AND NOT EXISTS (SELECT 1 FROM dependencies p WHERE "
        "p.issue_id = i.id AND p.type = 'parent-child') ORDER BY i.id")]


def stale(store: Store, *, blocking: bool = False, unassigned: bool = False,
          include_empty: bool = False) -> list[dict[str, Any]]:
    """Molecules (parents with children) whose children are all closed, root still open."""
    conn = store.cache().conn
    out = []
    candidates = _molecule_roots(store)
    if include_empty:
        candidates += [r[0] for r in conn.execute(
            "SELECT id FROM issues WHERE issue_type = 'molecule' AND status NOT IN "
            "('closed','tombstone') AND is_template = 0 AND NOT EXISTS (SELECT 1 FROM "
            "dependencies d WHERE d.depends_on_id = issues.id AND d.type = 'parent-child')")]
    for mid in sorted(set(candidates)):
        mol = Molecule(store, mid)
        if any(model.status_of(s) not in _DONE for s in mol.steps):
            continue
        if unassigned and mol.root.get("assignee"):
            continue
        edges: Any = store.dependents(mid)  # (Store.list shadows the builtin for mypy)
        dependents = [a for a, t in edges if t != "parent-child"]
        if blocking and not dependents:
            continue
        out.append({"id": mid, "title": mol.root.get("title", ""),
                    "status": model.status_of(mol.root), "children": len(mol.steps),
                    "blocking": len(dependents), "assignee": mol.root.get("assignee", "")})
    return out


def ready_gated(store: Store) -> list[dict[str, Any]]:
    """Molecules to resume: a closed gate whose step is now ready, and no step of the
    molecule in progress (no agent holds it)."""
    conn = store.cache().conn
    rows = conn.execute(
        "SELECT d.issue_id, g.id FROM dependencies d JOIN issues g ON g.id = d.depends_on_id "
        "WHERE g.issue_type = 'gate' AND g.status = 'closed' AND d.type = 'blocks' "
        "ORDER BY d.issue_id").fetchall()
    out: dict[str, dict[str, Any]] = {}
    for step_id, gate_id in rows:
        step = store.get(step_id)
        if model.status_of(step) != "open" or _blocked(store, [step_id]):
            continue
        mid = root_of(store, step_id)
        if mid is None or mid in out:
            continue
        mol = Molecule(store, mid)
        if any(step_state(s, mol.blocked) == "current" for s in mol.steps):
            continue
        out[mid] = {"molecule_id": mid, "molecule_title": mol.root.get("title", ""),
                    "ready_step": step_id, "gate_id": gate_id}
    return list(out.values())


def ready_filter(mol_id: str, base: queries.ReadyFilter | None = None) -> queries.ReadyFilter:
    """The ``bd ready --mol`` filter: the molecule's steps, wisps included."""
    f = base or queries.ReadyFilter()
    f.parent = mol_id
    f.include_ephemeral = True
    return f


def close_continue(store: Store, rids: Iterable[str], reason: str = "Closed", *,
                   claim: bool = True, force: bool = False,
                   session: str | None = None) -> dict[str, Any]:
    """``bd close --continue``: close the steps, then move on to the molecule's next ready
    step (claimed for the actor unless ``claim`` is False, as ``--no-auto``)."""
    from bd.ops import issues as ops

    rids = list(rids)
    closed = ops.close(store, rids, reason, force=force, session=session)
    mid = root_of(store, rids[-1])
    result: dict[str, Any] = {"closed": closed, "molecule_id": mid, "next_step": None,
                              "auto_advanced": False, "molecule_complete": False}
    if mid is None:
        return result
    mol = Molecule(store, mid)
    if model.status_of(mol.root) in _DONE or all(
            model.status_of(s) in _DONE for s in mol.work()):
        result["molecule_complete"] = True
        return result
    ready = sorted(mol.ready_steps(), key=lambda s: (model.priority_of(s),
                                                     str(s.get("created_at", "")), s["id"]))
    if not ready:
        return result
    nxt = ready[0]
    if claim:
        nxt = ops.update(store, nxt["id"], {"status": "in_progress",
                                            "assignee": nxt.get("assignee") or store.actor})
        result["auto_advanced"] = True
    result["next_step"] = nxt
    return result


def require(store: Store, rid: str) -> str:
    try:
        return store.resolve(rid)
    except NotFoundError:
        raise NotFoundError(f"molecule {rid} not found", issue_id=rid) from None
