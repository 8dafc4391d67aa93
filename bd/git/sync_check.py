"""``bd sync --check`` (integrity of what a sync would move) and ``bd sync --from-main`` (the
issues of the main branch, for a branch with no upstream of its own)."""

from __future__ import annotations

import os

from bd.core import codec, ids
from bd.errors import BdError
from bd.git import runner as git
from bd.store import jsonl

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.store.store import Store


def integrity(store: Store) -> dict[str, Any]:
    """Problems that a sync would spread: ids with another prefix than the workspace's (and
    not in allowed_prefixes), children whose parent is not in the file, and whether the
    upstream was force-pushed (the remote tip no longer contains what this clone last
    fetched)."""
    raw = jsonl.read_bytes(store.jsonl_path)
    lines = codec.Lines(store.jsonl_path, raw)
    allowed = {store.prefix, *store.config_list("allowed_prefixes")}
    present = set(lines.ids)
    foreign = sorted(rid for rid in lines.ids
                     if not any(rid.startswith(p + "-") for p in allowed))
    orphans = sorted(rid for rid in lines.ids if ids.is_hierarchical(rid)
                     and (ids.parent_of(rid) or "") not in present)
    forced = _forced_push(os.path.dirname(store.beads_dir))
    out: dict[str, Any] = {
        "prefix_mismatch": {"count": len(foreign), "ids": foreign,
                            "expected_prefixes": sorted(allowed)},
        "orphaned_children": {"count": len(orphans), "ids": orphans},
        "forced_push": forced}
    out["has_problems"] = bool(foreign or orphans or forced["detected"])
    return out


def _forced_push(cwd: str) -> dict[str, Any]:
    top = git.try_toplevel(cwd)
    upstream = git.upstream(top) if top else None
    if not top or not upstream:
        return {"checked": False, "detected": False, "reason": "no upstream branch"}
    before = git.run(["rev-parse", "--verify", "-q", upstream], top, check=False)
    if before.returncode != 0:
        return {"checked": False, "detected": False, "reason": f"{upstream} unknown"}
    remote, _, branch = upstream.partition("/")
    fetched = git.run(["fetch", "-q", remote, branch], top, check=False)
    if fetched.returncode != 0:
        return {"checked": False, "detected": False, "reason": "fetch failed"}
    old = before.stdout.decode().strip()
    kept = git.run(["merge-base", "--is-ancestor", old, upstream], top, check=False)
    return {"checked": True, "detected": kept.returncode != 0, "upstream": upstream}


def main_branch_jsonl(store: Store, branch: str | None = None) -> tuple[bytes, str]:
    """The JSONL as the main branch has it (fetched from the remote when there is one):
    (bytes, the ref it came from)."""
    top = git.toplevel(os.path.dirname(store.beads_dir))
    rel = os.path.relpath(store.jsonl_path, top).replace(os.sep, "/")
    remotes = git.remotes(top)
    candidates = [branch] if branch else ["main", "master"]
    for name in candidates:
        refs = []
        if remotes:
            remote = "origin" if "origin" in remotes else remotes[0]
            if git.run(["fetch", "-q", remote, name], top, check=False).returncode == 0:
                refs.append(f"{remote}/{name}")
        refs.append(name)
        for ref in refs:
            data = git.show_blob(top, f"{ref}:{rel}")
            if data is not None:
                return data, ref
    raise BdError(f"no {rel} on {' or '.join(candidates)} (locally or on the remote)")
