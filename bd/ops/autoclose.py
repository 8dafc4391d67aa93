"""Molecule roots close with their last step: closing an issue closes its parent when that
parent is a molecule root (type ``molecule``), a wisp, or a ``template``-labelled epic and
every child of it is now closed (as the original's later versions do); an ordinary epic
stays open (close-eligible).  Runs inside the closing transaction."""

from __future__ import annotations

from collections.abc import Mapping

from bd.core import model
from bd.store.tx import Tx

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

AUTO_CLOSE_REASON = "Auto-closed: all steps complete"


def closes_with_children(rec: Mapping[str, Any]) -> bool:
    """A molecule root, a wisp, or a template-labelled epic closes with its last step (as the
    original's later versions do); an ordinary epic stays open (close-eligible)."""
    itype = model.type_of(rec)
    return itype == "molecule" or rec.get("ephemeral") is True or (
        itype == "epic" and "template" in (rec.get("labels") or []))


def auto_close_roots(tx: Tx, closed: list[str]) -> list[dict[str, Any]]:
    """Close the molecule roots whose last open child was just closed (and so on upwards)."""
    out: list[dict[str, Any]] = []
    conn = tx.store.cache(check=False).conn
    pending = list(closed)
    while pending:
        rec = tx.get(pending.pop())
        for dep in (rec or {}).get("dependencies") or []:
            pid = dep.get("depends_on_id")
            if dep.get("type") != "parent-child" or not isinstance(pid, str):
                continue
            parent = tx.get(pid)
            if parent is None or model.status_of(parent) in ("closed", "tombstone") \
                    or not closes_with_children(parent):
                continue
            kids = {row[0] for row in conn.execute(
                "SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND "
                "type = 'parent-child'", (pid,))}
            kids |= {k for k, r in tx.changed.items() if any(
                d.get("depends_on_id") == pid and d.get("type") == "parent-child"
                for d in r.get("dependencies") or [])}
            if any(model.status_of(tx.get(k) or {"status": "closed"})
                   not in ("closed", "tombstone") for k in kids):
                continue
            old = model.status_of(parent)
            parent.update(status="closed", closed_at=tx.now, close_reason=AUTO_CLOSE_REASON,
                          updated_at=tx.now)
            tx.put(parent)
            tx.event(pid, "closed", old=old, new="closed", comment=AUTO_CLOSE_REASON)
            out.append(parent)
            pending.append(pid)
    return out
