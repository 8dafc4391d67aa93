"""Read-only views over the dependency edges: who refers to an issue (``show --refs``) and
message threads built from ``replies-to`` edges (``show --thread``)."""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store

# The original's display order of reference groups; other types follow, by name.
REF_ORDER = ("until", "caused-by", "validates", "blocks", "parent-child", "relates-to",
             "tracks", "discovered-from", "related", "supersedes", "duplicates", "replies-to",
             "approved-by", "authored-by", "assigned-to")


def refs(store: Store, rid: str) -> list[dict[str, Any]]:
    """The issues with an edge pointing at ``rid``: each record plus its ``dependency_type``,
    in the original's group order, then by id."""
    edges = store.dependents(rid)
    recs = store.get_many(sorted({a for a, _ in edges}))
    rank = {t: n for n, t in enumerate(REF_ORDER)}
    edges.sort(key=lambda e: (rank.get(e[1], len(REF_ORDER)), e[1], e[0]))
    return [{**recs[a], "dependency_type": t} for a, t in edges if a in recs]


def _replies_to(store: Store, rid: str) -> str | None:
    row = store.cache().conn.execute(
        "SELECT depends_on_id FROM dependencies WHERE issue_id = ? AND type = 'replies-to' "
        "ORDER BY depends_on_id LIMIT 1", (rid,)).fetchone()
    return row[0] if row else None


def thread(store: Store, rid: str) -> dict[str, Any]:
    """The message thread ``rid`` belongs to: ``root`` (followed up the ``replies-to`` edges),
    ``messages`` (every record of the thread, oldest first) and ``reply_to`` (message id ->
    the id it answers)."""
    root, seen = rid, {rid}
    while (up := _replies_to(store, root)) is not None and up not in seen:
        if not store.cache().conn.execute("SELECT 1 FROM issues WHERE id = ?",
                                          (up,)).fetchone():
            break
        seen.add(up)
        root = up
    order, reply_to, queue = [root], {}, [root]
    while queue:
        current = queue.pop(0)
        for (child,) in store.cache().conn.execute(
                "SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type = "
                "'replies-to' ORDER BY issue_id", (current,)):
            if child in reply_to or child == root:
                continue
            reply_to[child] = current
            order.append(child)
            queue.append(child)
    recs = store.get_many(order)
    messages = sorted((recs[i] for i in order if i in recs),
                      key=lambda r: (str(r.get("created_at", "")), r["id"]))
    return {"root": recs.get(root, {"id": root}), "messages": messages, "reply_to": reply_to}
