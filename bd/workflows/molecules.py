"""Molecules: pouring a proto (a formula cooked in memory, or a ``template`` issue tree) into
real issues, as a persistent mol (``<prefix>-mol-<hash>`` ids) or an ephemeral wisp
(``<prefix>-wisp-<hash>``, kept in the git-ignored ``wisps.jsonl``), and bonding protos and
molecules together.  Each command is one Store transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from bd.core import ids, model
from bd.errors import FormulaError, NotFoundError, ValidationError
from bd.store.store import Store
from bd.store.tx import Tx
from bd.workflows import cook, proto
from bd.workflows import formula as fm
from bd.workflows.library import Library, search_path

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

BOND_TYPES = ("sequential", "parallel", "conditional")
_BOND_EDGE = {"sequential": "blocks", "conditional": "conditional-blocks",
              "parallel": "parent-child"}
_TEXT = ("title", "description", "design", "acceptance_criteria", "notes")


def library(store: Store | None, extra: Iterable[str] = ()) -> Library:
    return Library(search_path(store.beads_dir if store is not None else None, extra))


class Proto:
    """A template subgraph: records (root first) with their edges, and what pour needs."""

    def __init__(self, records: list[dict[str, Any]], *, name: str, kind: str,
                 vardefs: Mapping[str, Any] | None = None, phase: str = "") -> None:
        self.records = records
        self.root = records[0]
        self.name = name
        self.kind = kind  # "formula" (cooked in memory) or "issue" (a template tree)
        self.vardefs = dict(vardefs) if vardefs is not None else None
        self.phase = phase

    def placeholders(self) -> list[str]:
        seen: dict[str, None] = {}
        for rec in self.records:
            for key in (*_TEXT, "await_id"):
                text = rec.get(key)
                if isinstance(text, str):
                    for m in fm.VAR_RE.finditer(text):
                        seen.setdefault(m.group(1), None)
        return list(seen)

    def values(self, given: Mapping[str, str]) -> dict[str, str]:
        """The values to substitute: defaults, then ``given``; a missing required var (or,
        for a proto without var definitions, any placeholder) is an error."""
        if self.vardefs is None:
            missing = [v for v in self.placeholders() if v not in given]
            values = dict(given)
        else:
            values = {n: d["default"] for n, d in self.vardefs.items() if d.get("default")}
            values.update(given)
            missing = sorted(n for n, d in self.vardefs.items()
                             if d.get("required") and n not in values)
        if missing:
            raise FormulaError(f"missing required variables: {', '.join(missing)} "
                               f"(provide with --var {missing[0]}=<value>)", field="var")
        return values


def load_proto(store: Store, lib: Library, name: str, given: Mapping[str, str] | None = None
               ) -> Proto:
    """A formula on the search path (cooked now), else a ``template`` issue tree by id."""
    if lib.exists(name):
        f = lib.load(name)
        resolved = cook.resolve(dict(f), lib.load)
        values = fm.with_defaults(resolved, given or {})
        cooked = cook.cook(f, lib.load, values)
        records = proto.build_proto(cooked, cooked["formula"])
        return Proto(records, name=cooked["formula"], kind="formula",
                     vardefs=cooked.get("vars") or {}, phase=cooked.get("phase", ""))
    try:
        rid = store.resolve(name)
    except NotFoundError:
        raise NotFoundError(f"{name!r} is neither a formula on the search path "
                            f"({', '.join(lib.dirs)}) nor an issue") from None
    root = store.get(rid)
    if not is_proto(root):
        raise ValidationError(f"{rid} is not a proto (a proto has the 'template' label; "
                              "make one with 'bd cook NAME --persist')", issue_id=rid)
    tree = [rid, *descendants(store, rid)]
    recs = store.get_many(tree)
    return Proto([recs[i] for i in tree if i in recs], name=rid, kind="issue")


def list_protos(store: Store) -> list[dict[str, Any]]:
    """Persisted protos: ``template``-labelled issues that are not inside another proto."""
    conn = store.cache().conn
    roots = [r[0] for r in conn.execute(
        "SELECT i.id FROM issues i JOIN labels l ON l.issue_id = i.id AND l.label = ? "
        "WHERE i.status != 'tombstone' AND NOT EXISTS (SELECT 1 FROM dependencies d JOIN "
        "labels p ON p.issue_id = d.depends_on_id AND p.label = ? WHERE d.issue_id = i.id "
        "AND d.type = 'parent-child') ORDER BY i.id",
        (proto.TEMPLATE_LABEL, proto.TEMPLATE_LABEL))]
    recs = store.get_many(roots)
    return [{"id": r, "title": recs[r].get("title", ""), "steps": len(descendants(store, r))}
            for r in roots if r in recs]


def is_proto(rec: Mapping[str, Any]) -> bool:
    return bool(rec.get("is_template")) or proto.TEMPLATE_LABEL in (rec.get("labels") or [])


def descendants(store: Store, rid: str) -> list[str]:
    """Ids under ``rid`` by parent-child edges, breadth first (each once)."""
    conn = store.cache().conn
    rows = conn.execute(
        "WITH RECURSIVE d(id, depth) AS (SELECT issue_id, 1 FROM dependencies "
        "WHERE depends_on_id = ? AND type = 'parent-child' UNION SELECT x.issue_id, d.depth + 1 "
        "FROM dependencies x JOIN d ON x.depends_on_id = d.id WHERE x.type = 'parent-child' "
        "AND d.depth < 50) SELECT id, min(depth) FROM d GROUP BY id ORDER BY min(depth), id",
        (rid,)).fetchall()
    return [r[0] for r in rows if r[0] != rid]


# -- instantiating a proto -------------------------------------------------------------------

def _new_ids(tx: Tx, p: Proto, infix: str, parent: str | None, ref: str | None,
             values: Mapping[str, str]) -> dict[str, str]:
    store = tx.store
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    if parent is not None and ref is not None:
        child_ref = fm.substitute(ref, values)
        if not child_ref or not all(c.isalnum() or c in "-_." for c in child_ref):
            raise ValidationError(f"invalid --ref {child_ref!r}: use letters, digits, '-', "
                                  "'_' or '.'")
        root_id = p.root["id"]
        for rec in p.records:
            old = rec["id"]
            if old == root_id:
                new = f"{parent}.{child_ref}"
            elif old.startswith(root_id + "."):
                new = f"{parent}.{child_ref}.{old[len(root_id) + 1:]}"
            else:
                new = f"{parent}.{child_ref}.{old.rsplit('-', 1)[-1]}"
            if tx.exists(new) or new in taken:
                raise ValidationError(f"issue {new} already exists (choose another --ref)",
                                      issue_id=new)
            taken.add(new)
            mapping[old] = new
        return mapping
    prefix = f"{store.prefix}-{infix}"
    # Only ids of this namespace (<prefix>-mol-…) can collide with the new ones: their count
    # sets the hash length, found by a range scan of the primary key (not all 10,000 rows).
    row = store.cache().conn.execute("SELECT count(*) FROM issues WHERE id >= ? AND id < ?",
                                     (prefix + "-", prefix + ".")).fetchone()
    n_existing = int(row[0]) + len(p.records)
    base, actor = time.time_ns(), store.actor
    for i, rec in enumerate(p.records):
        new = ids.generate_id(prefix, str(rec.get("title", "")), str(rec.get("description", "")),
                              actor, base + i, n_existing=n_existing,
                              exists=lambda c: c in taken or tx.exists(c))
        taken.add(new)
        mapping[rec["id"]] = new
    return mapping


def _clone(tx: Tx, p: Proto, mapping: Mapping[str, str], values: Mapping[str, str], *,
           ephemeral: bool, assignee: str | None) -> list[dict[str, Any]]:
    now, actor = tx.now, tx.store.actor
    out = []
    for rec in p.records:
        new: dict[str, Any] = {"id": mapping[rec["id"]]}
        for key in _TEXT:
            if rec.get(key):
                new[key] = fm.substitute(str(rec[key]), values)
        new["title"] = new.get("title") or rec["id"]
        new["status"] = "open"
        new["priority"] = rec.get("priority", model.DEFAULT_PRIORITY)
        new["issue_type"] = model.type_of(rec)
        who = assignee if rec is p.root and assignee else rec.get("assignee")
        if who:
            new["assignee"] = who
        if rec.get("estimated_minutes") is not None:
            new["estimated_minutes"] = rec["estimated_minutes"]
        new.update(created_at=now, created_by=actor, updated_at=now)
        labels = sorted({lb for lb in rec.get("labels") or [] if lb != proto.TEMPLATE_LABEL})
        if labels:
            new["labels"] = labels
        if ephemeral:
            new["ephemeral"] = True
        for key in ("await_type", "timeout", "source_formula", "metadata"):
            if rec.get(key):
                new[key] = rec[key]
        if rec.get("await_id"):
            new["await_id"] = fm.substitute(str(rec["await_id"]), values)
        deps = []
        for d in rec.get("dependencies") or []:
            a, b = mapping.get(d.get("issue_id", rec["id"])), mapping.get(d.get("depends_on_id"))
            if a is None or b is None:
                continue  # edges leaving the proto are not copied
            dep = {"issue_id": a, "depends_on_id": b, "type": d.get("type") or "blocks",
                   "created_at": now, "created_by": actor}
            if d.get("metadata"):
                dep["metadata"] = d["metadata"]
            deps.append(dep)
        if deps:
            new["dependencies"] = deps
        model.validate(new, custom_statuses=tx.store.custom_statuses,
                       custom_types=[*tx.store.custom_types, model.type_of(rec)])
        out.append(new)
    return out


def spawn(tx: Tx, p: Proto, values: Mapping[str, str], *, ephemeral: bool,
          assignee: str | None = None, parent: str | None = None, ref: str | None = None,
          write: bool = True) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Clone ``p`` into new issues inside ``tx`` (``write=False``: plan only)."""
    mapping = _new_ids(tx, p, "wisp" if ephemeral else "mol", parent, ref, values)
    records = _clone(tx, p, mapping, values, ephemeral=ephemeral, assignee=assignee)
    if write:
        for rec in records:
            tx.put(rec)
            tx.event(rec["id"], "created", new=rec)
    return records, mapping


def pour(store: Store, name: str, *, given: Mapping[str, str] | None = None,
         assignee: str | None = None, attach: Iterable[str] = (),
         attach_type: str = "sequential", ephemeral: bool = False, dry_run: bool = False,
         lib: Library | None = None) -> dict[str, Any]:
    """``bd mol pour`` / ``bd mol wisp``: one transaction creating the molecule (and
    bonding each ``attach`` proto onto its root)."""
    if attach_type not in BOND_TYPES:
        raise ValidationError(f"invalid --attach-type {attach_type!r} (sequential, parallel "
                              "or conditional)", field="attach-type")
    lib = lib or library(store)
    given = dict(given or {})
    p = load_proto(store, lib, name, given)
    values = p.values(given)
    attached = [load_proto(store, lib, a, given) for a in attach]
    warnings = []
    if p.phase == "vapor" and not ephemeral:
        warnings.append(f"formula {p.name} declares phase \"vapor\": consider "
                        f"'bd mol wisp {name}' (wisps are not synced)")
    with store.transaction() as tx:
        records, mapping = spawn(tx, p, values, ephemeral=ephemeral, assignee=assignee,
                                 write=not dry_run)
        root_id = mapping[p.root["id"]]
        attached_ids = []
        for other in attached:
            recs, _ = spawn(tx, other, other.values(given), ephemeral=ephemeral,
                            write=not dry_run)
            _link(recs[0], root_id, _BOND_EDGE[attach_type], tx.now, store.actor)
            attached_ids.append(recs[0]["id"])
            records += recs
        if dry_run:
            tx.changed.clear()  # nothing is written
    result: dict[str, Any] = {
        "new_epic_id": root_id, "id_mapping": mapping, "created": len(records),
        "attached": len(attached_ids), "phase": "vapor" if ephemeral else "liquid",
    }
    if dry_run:
        result["dry_run"] = True
        result["issues"] = [{"id": r["id"], "title": r["title"], "issue_type": r["issue_type"],
                             "dependencies": [{"depends_on_id": d["depends_on_id"],
                                               "type": d["type"]}
                                              for d in r.get("dependencies") or []]}
                            for r in records]
    if warnings:
        result["warnings"] = warnings
    return result


def _link(rec: dict[str, Any], target: str, dep_type: str, now: str, actor: str) -> None:
    rec.setdefault("dependencies", []).append(
        {"issue_id": rec["id"], "depends_on_id": target, "type": dep_type, "created_at": now,
         "created_by": actor})


# -- bond ------------------------------------------------------------------------------------

def bond(store: Store, a: str, b: str, *, bond_type: str = "sequential",
         title: str | None = None, ref: str | None = None,
         given: Mapping[str, str] | None = None, pour_flag: bool = False,
         ephemeral_flag: bool = False, dry_run: bool = False,
         lib: Library | None = None) -> dict[str, Any]:
    """``bd mol bond A B``: proto+proto makes a compound proto; proto+mol spawns the proto
    and attaches it to the molecule; mol+mol adds one edge "B depends on A"."""
    from bd.ops import issues as ops

    if bond_type not in BOND_TYPES:
        raise ValidationError(f"invalid bond type {bond_type!r}, must be: sequential, "
                              "parallel, or conditional", field="type")
    if pour_flag and ephemeral_flag:
        raise ValidationError("cannot use both --ephemeral and --pour")
    lib = lib or library(store)
    given = dict(given or {})
    ka, kb = _operand(store, lib, a), _operand(store, lib, b)
    edge = _BOND_EDGE[bond_type]
    if ka[0] != "mol" and kb[0] != "mol":
        ida, idb = (_persisted(store, lib, x) for x in ((a, ka), (b, kb)))
        result = {"result_id": "", "result_type": "compound_proto", "bond_type": bond_type,
                  "spawned": 0, "id_mapping": {}}
        if dry_run:
            result["dry_run"] = True
            return result
        result["result_id"] = _compound(store, ida, idb, bond_type, title)
        return result
    if ka[0] != "mol" or kb[0] != "mol":
        proto_name, mol_id = (a, kb[1]) if ka[0] != "mol" else (b, ka[1])
        mol = store.get(mol_id)
        p = load_proto(store, lib, proto_name, given)
        ephemeral = (bool(mol.get("ephemeral")) or ephemeral_flag) and not pour_flag
        with store.transaction() as tx:
            recs, mapping = spawn(tx, p, p.values(given), ephemeral=ephemeral,
                                  parent=mol_id if ref else None, ref=ref, write=not dry_run)
            _link(recs[0], mol_id, edge, tx.now, store.actor)
            if dry_run:
                tx.changed.clear()
        return {"result_id": mol_id, "result_type": "compound_molecule",
                "bond_type": bond_type, "spawned": len(recs), "id_mapping": mapping,
                "spawned_root": recs[0]["id"], **({"dry_run": True} if dry_run else {})}
    if not dry_run:
        ops.add_dependency(store, kb[1], ka[1], edge)
    return {"result_id": ka[1], "result_type": "compound_molecule", "bond_type": bond_type,
            "spawned": 0, "id_mapping": {}, **({"dry_run": True} if dry_run else {})}


def _operand(store: Store, lib: Library, name: str) -> tuple[str, str]:
    """("issue-proto"|"mol", id) for an issue, ("formula", name) for a formula."""
    try:
        rid = store.resolve(name)
    except NotFoundError:
        if lib.exists(name):
            return "formula", name
        raise NotFoundError(f"{name!r} is neither an issue nor a formula on the search "
                            "path") from None
    return ("issue-proto" if is_proto(store.get(rid)) else "mol"), rid


def _persisted(store: Store, lib: Library, item: tuple[str, tuple[str, str]]) -> str:
    name, (kind, rid) = item
    if kind == "issue-proto":
        return rid
    f = lib.load(name)
    if store.cache().conn.execute("SELECT 1 FROM issues WHERE id = ?",
                                  (f["formula"],)).fetchone():
        return str(f["formula"])
    return str(persist(store, name, lib=lib)["proto_id"])


def _compound(store: Store, ida: str, idb: str, bond_type: str, title: str | None) -> str:
    with store.transaction() as tx:
        ra, rb = tx.live(ida), tx.live(idb)
        ctitle = title or f"{ra.get('title', ida)} + {rb.get('title', idb)}"
        cid = ids.generate_id(store.prefix, ctitle, "", store.actor, time.time_ns(),
                              n_existing=store.count_top_level(), exists=tx.exists)
        root = {"id": cid, "title": ctitle, "status": "open",
                "priority": min(model.priority_of(ra), model.priority_of(rb)),
                "issue_type": "epic", "created_at": tx.now, "created_by": store.actor,
                "updated_at": tx.now, "labels": [proto.TEMPLATE_LABEL], "is_template": True,
                "bonded_from": [{"source_id": ida, "bond_type": bond_type},
                                {"source_id": idb, "bond_type": bond_type}]}
        tx.put(root)
        tx.event(cid, "created", new=root)
        for rec in (ra, rb):
            _link(rec, cid, "parent-child", tx.now, store.actor)
        if bond_type != "parallel":
            _link(rb, ida, _BOND_EDGE[bond_type], tx.now, store.actor)
        for rec in (ra, rb):
            rec["updated_at"] = tx.now
            tx.put(rec)
    return cid


# -- cook --persist --------------------------------------------------------------------------

def persist(store: Store, name: str, *, force: bool = False, prefix: str = "",
            lib: Library | None = None, extra_paths: Iterable[str] = ()) -> dict[str, Any]:
    """``bd cook NAME --persist``: write the cooked proto as issues (root id = the formula
    name, with the ``template`` label), replacing an existing one with ``force``."""
    lib = lib or library(store, extra_paths)
    f = lib.load(name)
    cooked = cook.cook(f, lib.load)
    proto_id = prefix + cooked["formula"]
    records = proto.build_proto(cooked, proto_id)
    existing = [r["id"] for r in records if _exists(store, r["id"])]
    if existing:
        if not force:
            raise ValidationError(f"proto {proto_id} already exists (use --force to replace)",
                                  issue_id=proto_id)
        old = [proto_id, *descendants(store, proto_id)]
        with store.transaction() as tx:
            for rid in old:
                if tx.exists(rid):
                    tx.removed.add(rid)  # a proto is replaced outright, not tombstoned
    with store.transaction() as tx:
        for rec in records:
            rec.update(created_at=tx.now, updated_at=tx.now, created_by=store.actor)
            for d in rec.get("dependencies") or []:
                d.update(created_at=tx.now, created_by=store.actor)
            if tx.exists(rec["id"]):
                raise ValidationError(f"issue {rec['id']} already exists", issue_id=rec["id"])
            tx.put(rec)
            tx.event(rec["id"], "created", new=rec)
    bond_points = [bp.get("id") for bp in (cooked.get("compose") or {}).get("bond_points") or []]
    return {"proto_id": proto_id, "formula": cooked["formula"], "created": len(records),
            "variables": fm.extract_vars(cooked), "bond_points": bond_points}


def _exists(store: Store, rid: str) -> bool:
    return store.cache().conn.execute("SELECT 1 FROM issues WHERE id = ?",
                                      (rid,)).fetchone() is not None
