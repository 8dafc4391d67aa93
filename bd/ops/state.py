"""Operational state as ``dimension:value`` labels (``bd state``, ``bd set-state``): setting a
value swaps the label and records the change as an event issue (type ``event``, closed, a
child of the issue), as the original does.  One Store transaction."""

from __future__ import annotations

from bd.core import ids
from bd.errors import ValidationError
from bd.ops.issues import _dep

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def states(labels: list[str]) -> dict[str, str]:
    """dimension -> value of the ``dim:value`` labels (the last one of a dimension wins)."""
    out: dict[str, str] = {}
    for label in labels:
        dim, sep, value = label.partition(":")
        if sep and dim:
            out[dim] = value
    return out


def value_of(labels: list[str], dimension: str) -> str | None:
    prefix = dimension + ":"
    return next((label[len(prefix):] for label in labels if label.startswith(prefix)), None)


def parse_assignment(text: str) -> tuple[str, str]:
    dim, sep, value = text.partition("=")
    if not sep or not dim.strip() or not value.strip() or ":" in dim:
        raise ValidationError(f"invalid state {text!r} (expected DIMENSION=VALUE)")
    return dim.strip(), value.strip()


def set_state(store: Store, rid: str, dimension: str, value: str,
              reason: str = "") -> dict[str, Any]:
    """Set ``dimension`` to ``value`` on ``rid``; returns issue_id, dimension, old_value,
    new_value, event_id and changed (False, and nothing written, when it already had it)."""
    with store.transaction() as tx:
        rec = tx.live(rid)
        labels = list(rec.get("labels") or [])
        old = value_of(labels, dimension)
        result: dict[str, Any] = {"issue_id": rid, "dimension": dimension, "old_value": old,
                                  "new_value": value, "event_id": None, "changed": old != value}
        if old == value:
            return result
        ids.check_child_depth(rid)
        n = 1 + max([ids.child_number(c) for c in tx.lines.ids_with_prefix(rid + ".")
                     if ids.parent_of(c) == rid] + [ids.child_number(c) for c in tx.changed
                                                    if ids.parent_of(c) == rid] or [0])
        event_id = ids.child_id(rid, n)
        description = (f"Changed {dimension} from {old} to {value}" if old is not None
                       else f"Set {dimension} to {value}")
        if reason:
            description += f"\n\nReason: {reason}"
        event = {"id": event_id, "title": f"State change: {dimension} → {value}",
                 "description": description, "status": "closed", "priority": 4,
                 "issue_type": "event", "created_at": tx.now, "created_by": store.actor,
                 "updated_at": tx.now, "closed_at": tx.now,
                 "dependencies": [_dep(tx, event_id, rid, "parent-child")]}
        tx.put(event)
        tx.event(event_id, "created", new=event)
        new_labels = [label for label in labels if not label.startswith(dimension + ":")]
        new_labels.append(f"{dimension}:{value}")
        rec["labels"] = sorted(new_labels)
        rec["updated_at"] = tx.now
        tx.put(rec, affects_ready=False)
        tx.event(rid, "label_added", new=f"{dimension}:{value}", comment=reason or None)
        result["event_id"] = event_id
    return result
