"""``bd admin reset``: take bd out of a repository -- its git hooks (chained hooks put back),
the merge driver's config, bd's ``.gitattributes`` line, the sync-branch worktree and the
cache files in ``.beads/``.  The issues themselves (``issues.jsonl``, ``config.yaml``) stay
unless ``data`` is asked for: they are the project's history, often committed."""

from __future__ import annotations

import os
import shutil

from bd.git import hooks
from bd.git import runner as git
from bd.store.jsonl import SPARE_DIR

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# What bd derives and can always rebuild (kept out of git by .beads/.gitignore).
CACHE_FILES = ("beads.db", "beads.db-wal", "beads.db-shm", "beads.db-journal", ".bd.lock",
               "history.db", "last-touched", "sync-renames.json",
               SPARE_DIR)  # the JSONL's previous version (bd.store.jsonl)


def plan(beads_dir: str) -> dict[str, Any]:
    """What a reset would remove: hooks, git config keys, the attributes line, worktrees,
    cache files and (for ``data``) the rest of ``.beads/``."""
    top = git.try_toplevel(os.path.dirname(beads_dir))
    out: dict[str, Any] = {"beads_dir": beads_dir, "repository": top, "hooks": [],
                           "git_config": [], "gitattributes": None, "worktrees": [],
                           "cache_files": [], "data_files": []}
    if top is not None:
        st = hooks.status(top)
        out["hooks"] = [h["name"] for h in st["hooks"] if h.get("status") not in
                        ("missing", "absent", "foreign")]
        for key in ("merge.beads.driver", "merge.beads.name"):
            if git.config_get(key, top) is not None:
                out["git_config"].append(key)
        attrs = os.path.join(top, ".gitattributes")
        if os.path.isfile(attrs):
            with open(attrs, encoding="utf-8", errors="replace") as fh:
                lines = [ln.strip() for ln in fh if "merge=beads" in ln]
            out["gitattributes"] = lines or None
        wt_root = os.path.join(git.common_dir(top), "beads-worktrees")
        if os.path.isdir(wt_root):
            out["worktrees"] = sorted(os.path.join(wt_root, d) for d in os.listdir(wt_root))
    if os.path.isdir(beads_dir):
        for name in sorted(os.listdir(beads_dir)):
            path = os.path.join(beads_dir, name)
            (out["cache_files"] if name in CACHE_FILES else out["data_files"]).append(path)
    return out


def reset(beads_dir: str, *, data: bool = False) -> dict[str, Any]:
    """Carry out :func:`plan`; ``data`` also deletes ``.beads/`` itself."""
    p = plan(beads_dir)
    top = p["repository"]
    if top is not None:
        if p["hooks"]:
            hooks.uninstall(top)
        for key in p["git_config"]:
            git.run(["config", "--unset-all", key], top, check=False)
        git.run(["config", "--remove-section", "merge.beads"], top, check=False)
        if p["gitattributes"]:
            attrs = os.path.join(top, ".gitattributes")
            with open(attrs, encoding="utf-8", errors="replace") as fh:
                kept = [ln for ln in fh if "merge=beads" not in ln]
            if any(ln.strip() for ln in kept):
                with open(attrs, "w", encoding="utf-8") as fh:
                    fh.writelines(kept)
            else:
                os.remove(attrs)
        for path in p["worktrees"]:
            git.run(["worktree", "remove", "--force", path], top, check=False)
            shutil.rmtree(path, ignore_errors=True)
        git.run(["worktree", "prune"], top, check=False)
    for path in p["cache_files"]:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.remove(path)
        except FileNotFoundError:
            pass
    if data and os.path.isdir(beads_dir):
        shutil.rmtree(beads_dir)
    p["data_removed"] = bool(data)
    return p
