"""In-memory dependency graph over parsed JSONL records: readiness, cycles, trees, stats.

Pure and I/O free.  Records are plain mappings; tombstones are remembered only so that
their ids count as taken (``is_tombstone``) and are otherwise invisible.  Edges whose target
is external (``external:proj:cap``), dangling or a tombstone are never followed; the one use
of such a target is counting the children of a waits-for spawner named in metadata.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from bd.core.model import NON_WORK_TYPES  # noqa: F401 - part of this API
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

AFFECTS_READY = frozenset({"blocks", "parent-child", "conditional-blocks", "waits-for"})
WORK_STATUSES = frozenset({"open", "in_progress", "blocked"})
INACTIVE_STATUSES = frozenset({"closed", "tombstone", "pinned"})
FAILURE_WORDS = (
    "failed", "rejected", "wontfix", "won't fix", "cancelled", "canceled",
    "abandoned", "blocked", "error", "timeout", "aborted",
)

# Inheritance of blockedness stops this many parent-child levels below a directly
# blocked issue (the original's recursive CTE limit).
_MAX_CASCADE = 50

_EdgeMap = dict[str, list[tuple[str, str]]]

_TS_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})\Z"
)

_MICROSECOND = timedelta(microseconds=1)


def _parse_ts(value: Any) -> datetime | None:
    """RFC 3339 text → aware datetime; anything unparseable → None."""
    # The regex keeps out the non-RFC forms fromisoformat also accepts (naive times,
    # bare dates); fromisoformat then truncates nanoseconds and range-checks fields.
    if not isinstance(value, str) or _TS_RE.match(value) is None:
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def _metadata(raw: Any) -> Mapping[str, Any]:
    """Edge metadata is JSON text; empty or invalid text means no metadata."""
    if isinstance(raw, Mapping):
        return raw
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_failure(reason: Any) -> bool:
    text = reason.lower() if isinstance(reason, str) else ""
    return any(word in text for word in FAILURE_WORDS)


class Graph:
    """Index over one snapshot of issues. Build with :meth:`Graph.build`."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._recs: dict[str, Mapping[str, Any]] = {}
        self._tombs: set[str] = set()
        self._status: dict[str, str] = {}
        self._out: _EdgeMap | None = None
        self._in: _EdgeMap | None = None
        self._parents: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {}
        # Live children of ids that are not live: only a waits-for spawner named in
        # metadata can refer to such a parent, and its children still count.
        self._stray_children: dict[str, list[str]] = {}
        self._gating: list[tuple[str, str, str, Any]] = []   # non-hierarchy blocking edges
        self._deferred: set[str] = set()
        self._adj_cache: dict[frozenset[str], dict[str, list[str]]] = {}
        self._depth: dict[str, int] | None = None            # dependency-blocked id -> level
        self._direct: dict[str, set[str]] = {}                # directly blocked id -> blockers

    @classmethod
    def build(cls, records: Iterable[Mapping[str, Any]], *, now: datetime | None = None) -> Graph:
        """Index ``records``; ``now`` decides whether ``defer_until`` is in the future."""
        g = cls(now if now is not None else datetime.now(UTC))
        recs, tombs = g._recs, g._tombs
        for rec in records:
            iid = rec.get("id")
            if not isinstance(iid, str):
                continue
            # Last occurrence wins; the loader is what rejects duplicates.
            if rec.get("status") == "tombstone":
                tombs.add(iid)
                recs.pop(iid, None)
            else:
                recs[iid] = rec
                tombs.discard(iid)
        status, parents, children, gating = g._status, g._parents, g._children, g._gating
        for iid, rec in recs.items():
            status[iid] = rec.get("status") or "open"
            du = rec.get("defer_until")
            if du:
                t = _parse_ts(du)
                if t is not None and t > g._now:
                    g._deferred.add(iid)
            # Only the hierarchy and the gating edges are indexed here; the full edge
            # lists (paths, cycles, trees) are built on first use to keep build() cheap.
            for d in rec.get("dependencies") or ():
                if type(d) is not dict and not isinstance(d, Mapping):
                    continue
                tgt = d.get("depends_on_id")
                typ = d.get("type") or "blocks"   # the CLI's default type
                if tgt not in recs:     # external ref, dangling id or tombstone
                    if typ == "parent-child" and isinstance(tgt, str):
                        g._stray_children.setdefault(tgt, []).append(iid)
                    continue
                if typ == "parent-child":
                    parents.setdefault(iid, []).append(tgt)
                    children.setdefault(tgt, []).append(iid)
                elif typ in AFFECTS_READY:
                    gating.append((iid, typ, tgt, d.get("metadata")))
        return g

    def _edges(self) -> tuple[_EdgeMap, _EdgeMap]:
        """(outgoing, incoming) live edges per issue as (other id, type), record order."""
        if self._out is None or self._in is None:
            out: _EdgeMap = {}
            inc: _EdgeMap = {}
            recs = self._recs
            for iid, rec in recs.items():
                for d in rec.get("dependencies") or ():
                    if type(d) is not dict and not isinstance(d, Mapping):
                        continue
                    tgt = d.get("depends_on_id")
                    if tgt in recs:
                        typ = d.get("type") or "blocks"
                        out.setdefault(iid, []).append((tgt, typ))
                        inc.setdefault(tgt, []).append((iid, typ))
            self._out, self._in = out, inc
        return self._out, self._in

    # ------------------------------------------------------------------ lookup

    def __contains__(self, issue_id: object) -> bool:
        """True when a non-tombstone issue with this id exists."""
        return issue_id in self._recs

    def get(self, issue_id: str) -> Mapping[str, Any] | None:
        """The record of a live issue, or None (also for tombstones)."""
        return self._recs.get(issue_id)

    def is_tombstone(self, issue_id: str) -> bool:
        """True when the id belongs to a tombstone (the id stays taken)."""
        return issue_id in self._tombs

    # ------------------------------------------------------------ readiness

    def _blocker_of(self, typ: str, tgt: str, raw_meta: Any) -> str | None:
        """Which id makes a conditional-blocks or waits-for edge block right now, if any."""
        if typ == "conditional-blocks":
            st = self._status[tgt]
            if st not in INACTIVE_STATUSES:
                return tgt
            ok = st == "closed" and not _is_failure(self._recs[tgt].get("close_reason"))
            return tgt if ok else None
        meta = _metadata(raw_meta)
        spawner = meta.get("spawner_id")
        if not isinstance(spawner, str) or not spawner:
            spawner = tgt
        kids = self._children.get(spawner) or self._stray_children.get(spawner) or []
        closed = [self._status[k] == "closed" for k in kids]
        if meta.get("gate") == "any-children":
            return None if any(closed) else spawner
        return spawner if not all(closed) else None

    def _compute(self) -> dict[str, int]:
        if self._depth is not None:
            return self._depth
        direct: dict[str, set[str]] = {}
        status = self._status
        for src, typ, tgt, meta in self._gating:
            if typ == "blocks":     # the common case, kept inline for speed
                who = tgt if status[tgt] not in INACTIVE_STATUSES else None
            else:
                who = self._blocker_of(typ, tgt, meta)
            if who is not None:
                direct.setdefault(src, set()).add(who)
        depth = dict.fromkeys(direct, 0)
        frontier = list(direct)
        # Breadth-first from every directly blocked issue at once gives each descendant
        # its shortest distance, so the cap is applied to the nearest blocked ancestor.
        for level in range(1, _MAX_CASCADE + 1):
            nxt: list[str] = []
            for p in frontier:
                for c in self._children.get(p, ()):
                    if c not in depth:
                        depth[c] = level
                        nxt.append(c)
            if not nxt:
                break
            frontier = nxt
        self._direct, self._depth = direct, depth
        return depth

    def dependency_blocked(self) -> set[str]:
        """Every live issue blocked by its dependencies or a blocked ancestor, any status."""
        return set(self._compute())

    def blockers(self, issue_id: str) -> list[str]:
        """Ids explaining why ``issue_id`` is dependency-blocked (sorted); [] when it is not."""
        depth = self._compute()
        level = depth.get(issue_id)
        if level is None:
            return []
        if level == 0:
            return sorted(self._direct[issue_id])
        return sorted({p for p in self._parents.get(issue_id, ()) if depth.get(p) == level - 1})

    def in_work_set(
        self, issue_id: str, *, include_deferred: bool = False, issue_type: str | None = None
    ) -> bool:
        """True when the issue is a candidate for ready/blocked at all."""
        rec = self._recs.get(issue_id)
        if rec is None or self._status[issue_id] not in WORK_STATUSES:
            return False
        if rec.get("pinned") or rec.get("ephemeral") or rec.get("is_template"):
            return False
        itype = rec.get("issue_type") or "task"
        if issue_type is None:
            if itype in NON_WORK_TYPES:
                return False
        elif itype != issue_type:
            return False
        return include_deferred or issue_id not in self._deferred

    def _partition(self, include_deferred: bool, issue_type: str | None
                   ) -> tuple[set[str], set[str]]:
        depth = self._compute()
        ready: set[str] = set()
        blocked: set[str] = set()
        for i in self._recs:
            if self.in_work_set(i, include_deferred=include_deferred, issue_type=issue_type):
                (blocked if i in depth or self._status[i] == "blocked" else ready).add(i)
        return ready, blocked

    def blocked_ids(
        self, *, include_deferred: bool = False, issue_type: str | None = None
    ) -> set[str]:
        """Work-set issues with status blocked or that are dependency-blocked."""
        return self._partition(include_deferred, issue_type)[1]

    def ready_ids(
        self, *, include_deferred: bool = False, issue_type: str | None = None
    ) -> set[str]:
        """Work-set issues that are not blocked: the exact complement of blocked_ids."""
        return self._partition(include_deferred, issue_type)[0]

    # ------------------------------------------------------------ hierarchy

    def parent(self, issue_id: str) -> str | None:
        """First live parent-child target in the record's dependency order."""
        ps = self._parents.get(issue_id)
        return ps[0] if ps else None

    def children(self, issue_id: str) -> list[str]:
        """Direct live children, sorted by id."""
        return sorted(set(self._children.get(issue_id, ())))

    def descendants(self, issue_id: str) -> set[str]:
        """All live issues below ``issue_id`` via parent-child (never itself)."""
        seen: set[str] = set()
        todo = [issue_id]
        while todo:
            for c in self._children.get(todo.pop(), ()):
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        seen.discard(issue_id)
        return seen

    # ------------------------------------------------------------ paths & cycles

    def _adj(self, types: Iterable[str]) -> dict[str, list[str]]:
        key = frozenset(types)
        adj = self._adj_cache.get(key)
        if adj is None:
            adj = {}
            for src, edges in self._edges()[0].items():
                targets = sorted({t for t, typ in edges if typ in key})
                if targets:
                    adj[src] = targets
            self._adj_cache[key] = adj
        return adj

    def find_path(
        self, src: str, dst: str, types: Iterable[str] = AFFECTS_READY
    ) -> list[str] | None:
        """Shortest ``src → … → dst`` over edges of ``types`` (ties by id), or None."""
        if src == dst:
            return [src]
        adj = self._adj(types)
        prev: dict[str, str | None] = {src: None}
        queue = deque([src])
        while queue:
            node = queue.popleft()
            for nxt in adj.get(node, ()):
                if nxt in prev:
                    continue
                prev[nxt] = node
                if nxt == dst:
                    path: list[str] = []
                    cur: str | None = nxt
                    while cur is not None:
                        path.append(cur)
                        cur = prev[cur]
                    return path[::-1]
                queue.append(nxt)
        return None

    def cycle_for_new_edge(
        self, issue_id: str, depends_on_id: str, dep_type: str
    ) -> list[str] | None:
        """The cycle ``[issue_id, depends_on_id, …, issue_id]`` the edge would close, or None."""
        if dep_type not in AFFECTS_READY:
            return None
        path = self.find_path(depends_on_id, issue_id, AFFECTS_READY)
        return None if path is None else [issue_id, *path]

    def cycles(self, types: Iterable[str] = AFFECTS_READY) -> list[list[str]]:
        """Cycles closed by DFS back edges, each rotated to its smallest id, deduped, sorted.

        One DFS (roots and neighbours in id order) reports every back edge, so each cyclic
        component yields at least one cycle without enumerating all elementary cycles,
        which can be exponential.
        """
        adj = self._adj(types)
        state: dict[str, int] = {}      # 1 = on the DFS path, 2 = finished
        found: set[tuple[str, ...]] = set()
        for root in sorted(adj):
            if root in state:
                continue
            state[root] = 1
            path, pos = [root], {root: 0}
            stack = [(root, iter(adj[root]))]
            while stack:
                node, it = stack[-1]
                for nxt in it:
                    s = state.get(nxt)
                    if s == 1:
                        cyc = path[pos[nxt]:]
                        k = cyc.index(min(cyc))
                        found.add(tuple(cyc[k:] + cyc[:k]))
                    elif s is None:
                        state[nxt] = 1
                        pos[nxt] = len(path)
                        path.append(nxt)
                        stack.append((nxt, iter(adj.get(nxt, ()))))
                        break
                else:
                    stack.pop()
                    path.pop()
                    del pos[node]
                    state[node] = 2
        return [list(c) for c in sorted(found)]

    # ------------------------------------------------------------ tree

    def _nbrs(self, issue_id: str, down: bool, types: frozenset[str] | None = None
              ) -> list[tuple[str, str]]:
        """(neighbour, first edge type) pairs in id order, over edges of ``types`` (all when
        None)."""
        first: dict[str, str] = {}
        for other, typ in self._edges()[0 if down else 1].get(issue_id, ()):
            if types is None or typ in types:
                first.setdefault(other, typ)
        return sorted(first.items())

    def _walk(self, root: str, down: bool, max_depth: int, out: list[dict[str, Any]],
              types: frozenset[str] | None = None, all_paths: bool = False) -> None:
        shown = {root}
        start = self._nbrs(root, down, types) if max_depth > 0 else []
        stack: list[tuple[Iterator[tuple[str, str]], str, int]] = [(iter(start), root, 0)]
        while stack:
            it, pid, d = stack[-1]
            step = next(it, None)
            if step is None:
                stack.pop()
                continue
            cid, typ = step
            node: dict[str, Any] = {
                "id": cid, "depth": d + 1, "parent_id": pid, "truncated": False, "dep_type": typ,
            }
            out.append(node)
            if all_paths:
                # Every path is expanded; only a node already on the current path (a cycle)
                # stops the walk.
                shown = {root, *(entry[1] for entry in stack)}
            if cid in shown:
                # Already expanded above; marking instead of expanding keeps diamonds and
                # cycles finite while still showing every edge.
                node["repeat"] = True
                continue
            shown.add(cid)
            nb = self._nbrs(cid, down, types)
            if d + 1 >= max_depth:
                node["truncated"] = bool(nb)
            elif nb:
                stack.append((iter(nb), cid, d + 1))

    def tree(
        self, root: str, *, direction: str = "down", max_depth: int = 50,
        types: Iterable[str] | None = None, all_paths: bool = False,
    ) -> list[dict[str, Any]]:
        """Dependency tree nodes in DFS pre-order, root first; [] when root is not live.
        ``types`` limits the walk to edges of those dependency types (``dep tree -t``).
        A node reached again is marked ``repeat`` and not expanded, unless ``all_paths``
        (then it is expanded on every path that reaches it; cycles still stop)."""
        only = None if types is None else frozenset(types)
        if direction not in ("down", "up", "both"):
            raise UsageError(f"invalid direction {direction!r} (must be down, up or both)")
        if root not in self._recs:
            return []
        dirs = {"down": (True,), "up": (False,), "both": (False, True)}[direction]
        node: dict[str, Any] = {
            "id": root, "depth": 0, "parent_id": root, "dep_type": None,
            "truncated": max_depth <= 0 and any(self._nbrs(root, d, only) for d in dirs),
        }
        out = [node]
        for down in dirs:
            self._walk(root, down, max_depth, out, only, all_paths)
        return out

    # ------------------------------------------------------------ reports

    def epic_status(self) -> list[dict[str, Any]]:
        """Child counts for every open (non-closed) epic, sorted by id."""
        res: list[dict[str, Any]] = []
        for iid in sorted(self._recs):
            if self._status[iid] == "closed" or (self._recs[iid].get("issue_type") != "epic"):
                continue
            kids = set(self._children.get(iid, ()))
            closed = sum(1 for k in kids if self._status[k] == "closed")
            res.append({
                "id": iid, "total_children": len(kids), "closed_children": closed,
                "eligible_for_close": bool(kids) and closed == len(kids),
            })
        return res

    def stats(self) -> dict[str, Any]:
        """Counts for ``bd stats`` under this module's ready/blocked rules."""
        by_status: dict[str, int] = {}
        deferred = pinned = 0
        lead_us = lead_n = 0  # exact integer microseconds: the SQL path sums the same
        for iid, rec in self._recs.items():
            st = self._status[iid]
            by_status[st] = by_status.get(st, 0) + 1
            if st != "closed" and (st == "deferred" or iid in self._deferred):
                deferred += 1
            if rec.get("pinned"):
                pinned += 1
            ca = rec.get("closed_at")
            if ca:
                closed_at, created_at = _parse_ts(ca), _parse_ts(rec.get("created_at"))
                if closed_at is not None and created_at is not None:
                    lead_us += (closed_at - created_at) // _MICROSECOND
                    lead_n += 1
        avg = round(lead_us / lead_n / 3_600_000_000, 2) if lead_n else 0.0
        return {
            "total_issues": len(self._recs),
            "open_issues": by_status.get("open", 0),
            "in_progress_issues": by_status.get("in_progress", 0),
            "closed_issues": by_status.get("closed", 0),
            "blocked_issues": len(self.blocked_ids()),
            "deferred_issues": deferred,
            "ready_issues": len(self.ready_ids()),
            "tombstone_issues": len(self._tombs),
            "pinned_issues": pinned,
            "epics_eligible_for_closure": sum(e["eligible_for_close"] for e in self.epic_status()),
            "average_lead_time_hours": avg,
        }
