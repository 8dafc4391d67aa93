"""bd: a git-native, dependency-aware issue tracker (library API).

    import bd
    store = bd.open(".")                      # finds .beads/ like the CLI does
    for issue in store.ready(bd.ReadyFilter(limit=5)):
        print(issue["id"], issue["title"])
    bd.create(store, "Fix login", priority=1, labels=["auth"])

Submodules are imported lazily so that ``import bd`` stays cheap; see docs/library.md.
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_OPS = ("create", "update", "close", "reopen", "add_dependency", "remove_dependency",
        "add_comment", "defer", "relate")
_LAZY = {
    "Store": "bd.store.store", "open_store": "bd.store.store", "Issue": "bd.core.model",
    "ReadyFilter": "bd.store.queries", "ListFilter": "bd.store.queries", "Graph": "bd.core.graph",
    "BdError": "bd.errors", "NotFoundError": "bd.errors", "ValidationError": "bd.errors",
    "DataError": "bd.errors", "ClaimError": "bd.errors", "CycleError": "bd.errors",
    **{name: "bd.ops.issues" for name in _OPS}, "delete": "bd.ops.delete",
}


def _ensure_sync_worktree(repo: str, branch: str, main_beads: str) -> str:
    """Creates the sync-branch worktree when discovery finds it missing (git layer)."""
    from bd.git.syncbranch import ensure_worktree

    return ensure_worktree(repo, branch, main_beads)


def _install_providers() -> None:
    # The store layer runs no git; discovery calls back into the git layer through this
    # hook when sync-branch mode needs its worktree created or repaired.
    from bd.store import workspace

    workspace.set_worktree_provider(_ensure_sync_worktree)


_install_providers()


def open(path: str | None = None, *, actor: str | None = None) -> Any:  # noqa: A001
    """Open the workspace at ``path`` (project dir, ``.beads`` dir or db path)."""
    from bd.store.store import open_store

    return open_store(path, actor=actor)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bd' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
