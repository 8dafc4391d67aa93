"""What the checks look at: the workspace, its repository and one tolerant scan of the JSONL,
each computed once and shared by every check (``invalidate`` after a fix)."""

from __future__ import annotations

import os

from bd.errors import BdError, NotInitializedError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.doctor.scan import Scan


class DoctorContext:
    """The workspace under examination.

    ``beads_dir`` is where the issue data lives (in sync-branch mode, bd's worktree of the
    sync branch); ``main_beads`` is the ``.beads`` of the user's checkout (in contributor mode,
    the planning repository's, which the ``.beads/redirect`` points at).  The git checks look
    at ``repo_top``, the repository of ``main_beads``, where the user's clone is configured.
    """

    def __init__(self, cwd: str, *, db: str | None = None) -> None:
        from bd.store import workspace

        self.cwd = os.path.abspath(cwd)
        main = getattr(workspace, "main_beads_dir", workspace.find_beads_dir)
        self.setup_error: str | None = None
        try:
            self.main_beads: str | None = main(self.cwd, db)
            self.beads_dir: str | None = workspace.find_beads_dir(self.cwd, db)
        except NotInitializedError:
            self.main_beads = self.beads_dir = None
        except BdError as err:  # the sync worktree could not be set up: examine the rest
            self.beads_dir = self.main_beads
            self.setup_error = str(err)
        self._cache: dict[str, Any] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    def _memo(self, key: str, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def jsonl_path(self) -> str:
        from bd.store.workspace import JSONL_NAME

        assert self.beads_dir is not None
        return os.environ.get("BEADS_JSONL") or os.path.join(self.beads_dir, JSONL_NAME)

    @property
    def db_path(self) -> str:
        from bd.store.workspace import DB_NAME

        assert self.beads_dir is not None
        return os.path.join(self.beads_dir, DB_NAME)

    @property
    def config(self) -> dict[str, Any]:
        def load() -> dict[str, Any]:
            from bd.store import config as cfgmod

            assert self.beads_dir is not None
            try:
                return cfgmod.load(os.path.join(self.beads_dir, "config.yaml"))
            except BdError:
                return {}
        return self._memo("config", load)

    @property
    def scan(self) -> Scan:
        from bd.doctor.scan import scan

        return self._memo("scan", lambda: scan(self.jsonl_path))

    @property
    def repo_top(self) -> str | None:
        def find() -> str | None:
            from bd.git import runner as git

            assert self.main_beads is not None
            return git.try_toplevel(os.path.dirname(self.main_beads))
        return self._memo("repo_top", find)

    @property
    def main_jsonl(self) -> str:
        """The JSONL path in the user's checkout (what .gitattributes must route)."""
        from bd.store.workspace import JSONL_NAME

        assert self.main_beads is not None
        return os.path.join(self.main_beads, JSONL_NAME)

    @property
    def rel_jsonl(self) -> str:
        assert self.repo_top is not None
        return os.path.relpath(os.path.realpath(self.main_jsonl),
                               os.path.realpath(self.repo_top)).replace(os.sep, "/")

    @property
    def git_mode(self) -> str:
        """``team`` (the JSONL is meant to be committed), ``stealth`` (git ignores it),
        ``outside`` (the JSONL is not in the repository) or ``none`` (no repository)."""
        def find() -> str:
            from bd.git import runner as git

            top = self.repo_top
            if top is None:
                return "none"
            if self.rel_jsonl.startswith("../"):
                return "outside"
            return "stealth" if git.is_ignored(self.rel_jsonl, top) else "team"
        return self._memo("git_mode", find)
