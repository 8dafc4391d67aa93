"""``bd init`` and its modes: where the issues live and how git is told about them.

* team (the default, also ``--team``): ``.beads/issues.jsonl`` is committed with the code;
  the merge driver is registered (``merge.beads.driver``), ``.gitattributes`` routes the JSONL
  to it, ``.beads/.gitignore`` keeps the cache out of git, and the git hooks are installed.
* stealth (``--stealth``): nothing is committed and nothing in the project changes: ``.beads/``
  is listed in ``.git/info/exclude``; no hooks, no driver, no ``.gitattributes``.
* contributor (``--contributor``): the issues live in a separate planning repository
  (``~/.beads-planning/<project>`` or ``--planning-repo``), set up in team mode; the project's
  ``.beads/`` holds only a ``redirect`` file pointing there and is excluded, so pull requests
  to the project never carry planning data.
* sync branch (``--branch NAME``, or a committed ``config.yaml`` that names one, as in a fresh
  clone of a project that uses the mode): the project's ``.beads/`` holds only
  ``config.yaml`` (the file the docs say to commit); the issues, the cache and every other
  workspace file live in bd's worktree of the branch, so the user's work tree stays clean and
  ``bd sync --merge``, a pull-request merge and plain ``git pull`` never meet untracked files.

Re-running init is safe: every step checks before it writes, nothing that exists is
overwritten (issues never), and each step reports what it did.
"""

from __future__ import annotations

import json
import os

from bd.core.ids import check_prefix, safe_prefix
from bd.errors import BdError
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

MODES = ("team", "stealth", "contributor")
DRIVER = "bd merge %A %O %A %B"
DRIVER_NAME = "bd JSONL merge driver"
PLANNING_HOME = os.path.join("~", ".beads-planning")

GITIGNORE = """\
# bd: the SQLite cache and runtime files are local; issues.jsonl and config.yaml are shared.
*.db
*.db?*
*.db-journal
*.db-wal
*.db-shm
*.corrupt*
.bd.lock
.*.tmp
events.jsonl
wisps.jsonl
daemon.lock
daemon.log
daemon.pid
bd.sock
sync-state.json
repos-state.json
last-touched
.local_version
db.sqlite
bd.db
redirect
beads.base.jsonl
beads.base.meta.json
beads.left.jsonl
beads.left.meta.json
beads.right.jsonl
beads.right.meta.json
"""
# The lines doctor insists on: the cache, its journal files, the lock, moved-aside caches.
GITIGNORE_REQUIRED = ("*.db", "*.db-journal", "*.db-wal", "*.db-shm", "*.corrupt*", ".bd.lock",
                      "events.jsonl", "wisps.jsonl")

README = """\
# .beads

This folder holds the issues of this project, tracked by bd (beads).
`issues.jsonl` is the source of truth (one issue per line, committed with the code);
`beads.db` is a local cache rebuilt from it whenever needed. Start with `bd quickstart`
or `bd ready`.
"""


class InitOptions:
    """What ``bd init`` was asked to do."""

    def __init__(self, *, prefix: str | None = None, mode: str = "team", force: bool = False,
                 skip_hooks: bool = False, skip_merge_driver: bool = False,
                 planning_repo: str | None = None, branch: str | None = None,
                 actor: str | None = None, nested: bool = False) -> None:
        if mode not in MODES:
            raise BdError(f"unknown init mode {mode!r} (expected one of {', '.join(MODES)})")
        self.prefix, self.mode, self.force = prefix, mode, force
        self.skip_hooks, self.skip_merge_driver = skip_hooks, skip_merge_driver
        self.planning_repo, self.branch, self.actor = planning_repo, branch, actor
        self.nested = nested


def init(cwd: str, opts: InitOptions) -> dict[str, Any]:
    """Initialise bd in ``cwd``. Returns ``{"initialized", "path", "prefix", "issue_count",
    "mode", "actions", "warnings", "hooks"}`` (plus ``planning_repo`` and ``redirect`` in
    contributor mode); ``actions`` and ``warnings`` are one-line human notes."""
    cwd = os.path.abspath(cwd)
    if os.path.basename(cwd) == ".beads":
        raise BdError("cannot initialize bd inside a .beads directory")
    top = git.try_toplevel(cwd)
    if opts.mode == "contributor":
        return _init_contributor(cwd, top, opts)
    beads = os.path.join(cwd, ".beads")
    outer = enclosing_workspace(cwd)
    if outer is not None and not opts.nested and not os.path.isdir(beads):
        raise BdError(f"{cwd} is inside the workspace {outer}: bd commands here already use "
                      "it.  To keep separate issues in this directory run 'bd init --nested'")
    if os.path.exists(os.path.join(beads, "redirect")) and not opts.force:
        raise BdError(f"this workspace is already initialized (.beads/redirect points at "
                      f"{_read_text(os.path.join(beads, 'redirect')).strip()}); use --force "
                      "to re-run init")
    branch = opts.branch
    if branch is None and opts.mode == "team" and top is not None:
        from bd.store.workspace import configured_branch

        branch = configured_branch(beads)  # a fresh clone of a project in sync-branch mode
    if branch and opts.mode == "team" and top is not None:
        return _init_sync_branch(top, beads, branch, opts)
    result = create_workspace(beads, prefix=opts.prefix, force=opts.force, actor=opts.actor)
    result["mode"] = opts.mode
    if top is None:
        result["warnings"].append("not a git repository: no merge driver, hooks or excludes "
                                  "were set up (run 'bd init' again after 'git init')")
        return result
    if opts.mode == "stealth":
        if add_exclude(top, "/" + _rel(beads, top) + "/"):
            result["actions"].append(f"excluded {_rel(beads, top)}/ in .git/info/exclude "
                                     "(nothing of bd's will be committed)")
        return result
    setup_git(top, beads, result, skip_hooks=opts.skip_hooks,
              skip_merge_driver=opts.skip_merge_driver)
    return result


def _init_sync_branch(top: str, beads: str, branch: str, opts: InitOptions) -> dict[str, Any]:
    """Sync-branch mode: ``config.yaml`` (naming the branch) is the only file bd writes in
    the project's ``.beads/``; the workspace proper is created in bd's worktree of the branch
    (fetched from the remote when a teammate already pushed it) and committed there."""
    from bd.git import syncbranch
    from bd.store import config as cfgmod
    from bd.store.jsonl import atomic_write

    syncbranch.validate_branch(branch)
    repo = os.path.dirname(os.path.abspath(beads))
    if git.current_branch(repo) == branch:
        raise syncbranch.SyncBranchError(f"{branch!r} is the branch checked out here; a sync "
                                         "branch must be another branch")
    given = (opts.prefix or os.environ.get("BD_ISSUE_PREFIX") or "").rstrip("-")
    if given:
        check_prefix(given)
    os.makedirs(beads, exist_ok=True)
    cfg_path = os.path.join(beads, "config.yaml")
    actions: list[str] = []
    if not os.path.exists(cfg_path):
        chosen = given or safe_prefix(os.path.basename(repo)) or "bd"
        body = f"issue-prefix: {json.dumps(chosen)}"
        atomic_write(cfg_path, cfgmod.TEMPLATE.format(body=body).encode())
    existing = cfgmod.load(cfg_path)
    if given and str(existing.get("issue-prefix") or "").rstrip("-") != given:
        cfgmod.set_value(cfg_path, "issue-prefix", given)
    if syncbranch.branch_from_config(beads) != branch:
        cfgmod.set_value(cfg_path, "sync.branch", branch)
        actions.append(f"set sync.branch: {branch} in {_rel(cfg_path, top)} (commit it, with "
                       ".gitattributes, so every clone uses the sync branch)")
    path = syncbranch.ensure_worktree(repo, branch, beads)
    data = os.path.join(path, ".beads")
    result = create_workspace(data, prefix=given or None, force=True, actor=opts.actor)
    result["mode"] = "team"
    result["sync_branch"] = branch
    result["actions"][:0] = actions
    setup_git(top, beads, result, skip_hooks=opts.skip_hooks,
              skip_merge_driver=opts.skip_merge_driver)
    committed = syncbranch.commit(path, f"bd: start sync branch {branch}")
    result["actions"].append(
        f"sync branch {branch}: issues and cache live in {data} (bd's own worktree)"
        + ("; committed there" if committed else "") + "; bd sync commits and pushes it")
    return result


def enclosing_workspace(cwd: str) -> str | None:
    """The ``.beads`` of a workspace in a directory above ``cwd``, if any."""
    here = os.path.dirname(os.path.abspath(cwd))
    while True:
        candidate = os.path.join(here, ".beads")
        if os.path.isdir(candidate) and any(os.path.exists(os.path.join(candidate, name))
                                            for name in ("config.yaml", "issues.jsonl",
                                                         "redirect")):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def setup_missing(beads: str) -> list[str]:
    """What a team-mode clone lacks of bd's git setup: ``merge driver``, ``hooks`` (empty
    when the JSONL is not committed: stealth, contributor and non-git workspaces)."""
    from bd.git import hooks

    top = git.try_toplevel(os.path.dirname(beads))
    jsonl = os.path.join(beads, "issues.jsonl")
    if top is None or not git.is_tracked(os.path.relpath(jsonl, top), top):
        return []
    missing = []
    if not git.config_get("merge.beads.driver", top):
        missing.append("merge driver")
    state = hooks.status(top)
    if state["manager"] is None and not any(
            h["status"] in ("installed", "chained", "outdated") for h in state["hooks"]):
        missing.append("hooks")
    return missing


def setup_git(top: str, beads: str, result: dict[str, Any], *, skip_hooks: bool = False,
              skip_merge_driver: bool = False) -> None:
    """Team-mode git integration for the workspace ``beads`` of repository ``top``:
    merge driver, ``.gitattributes`` line, hooks.  Appends notes to ``result``."""
    from bd.git import hooks

    actions, warnings = result["actions"], result["warnings"]
    if not skip_merge_driver:
        state = register_merge_driver(top)
        if state == "set":
            actions.append(f"registered the merge driver (merge.beads.driver = {DRIVER})")
        elif state == "custom":
            warnings.append("merge.beads.driver is set to "
                            f"{git.config_get('merge.beads.driver', top)!r}; left as it is "
                            f"(bd's is {DRIVER!r})")
        line = ensure_gitattributes(top, os.path.join(beads, "issues.jsonl"))
        if line:
            actions.append(f"added '{line}' to .gitattributes (commit it)")
    if skip_hooks:
        return
    report = hooks.install(top)
    result["hooks"] = report
    done = [r for r in report["results"] if r["action"] in ("installed", "chained", "updated",
                                                             "replaced")]
    if done:
        chained = [r["name"] for r in done if r["action"] == "chained"]
        actions.append(f"installed git hooks in {report['hooks_dir']}"
                       + (f" (chained the existing {', '.join(chained)})" if chained else ""))
    for r in report["results"]:
        if r["action"] == "skipped" and not report["snippet"]:
            warnings.append(f"{r['name']} hook: {r['message']}")
    if report["snippet"]:
        warnings.append(f"git hooks are managed by {report['manager']['name']}: add bd's "
                        "hooks to its configuration (see 'bd hooks install')")


# -- the workspace files ---------------------------------------------------------------------

def create_workspace(beads: str, *, prefix: str | None = None, force: bool = False,
                     actor: str | None = None, default_prefix: str | None = None
                     ) -> dict[str, Any]:
    """Create (or complete) the ``.beads`` directory; never touches existing issues."""
    from bd.store import config as cfgmod
    from bd.store.jsonl import atomic_write
    from bd.store.store import Store

    cfg_path = os.path.join(beads, "config.yaml")
    jsonl_path = os.path.join(beads, "issues.jsonl")
    # A committed config.yaml alone is a fresh clone that still needs its local setup
    # (cache, merge driver, hooks); config and cache together mean init already ran here.
    if os.path.exists(cfg_path) and os.path.exists(os.path.join(beads, "beads.db")) \
            and not force:
        raise BdError(f"this workspace is already initialized ({cfg_path}); to repair its "
                      "setup (merge driver, hooks, .gitattributes, cache) run 'bd doctor --fix'"
                      " (bd init --force re-runs init)")
    given = (prefix or os.environ.get("BD_ISSUE_PREFIX") or "").rstrip("-")
    if given:
        check_prefix(given)  # ids made with it must pass validate_explicit_id
    os.makedirs(beads, exist_ok=True)
    actions: list[str] = []
    warnings: list[str] = []
    existing = cfgmod.load(cfg_path) if os.path.exists(cfg_path) else {}
    chosen = given or str(existing.get("issue-prefix") or "").rstrip("-")
    if not chosen and os.path.exists(jsonl_path) and os.path.getsize(jsonl_path):
        store = Store(beads)
        try:
            chosen = store._detect_prefix() or ""
        except BdError:
            chosen = ""
        finally:
            store.close()
    chosen = chosen or safe_prefix(default_prefix or os.path.basename(os.path.dirname(beads))) \
        or "bd"
    if not os.path.exists(jsonl_path):
        atomic_write(jsonl_path, b"")
    for name, text in ((".gitignore", GITIGNORE), ("README.md", README)):
        path = os.path.join(beads, name)
        if not os.path.exists(path):
            atomic_write(path, text.encode())
    ensure_gitignore(beads)
    meta = os.path.join(beads, "metadata.json")
    if not os.path.exists(meta):
        atomic_write(meta, json.dumps({"database": "beads.db", "jsonl_export": "issues.jsonl"},
                                      indent=2).encode())
    if not os.path.exists(cfg_path):
        body = f"issue-prefix: {json.dumps(chosen)}"
        atomic_write(cfg_path, cfgmod.TEMPLATE.format(body=body).encode())
    elif existing.get("issue-prefix") != chosen:
        cfgmod.set_value(cfg_path, "issue-prefix", chosen)
    # Always build the cache: clients such as beads-mcp find a workspace by .beads/*.db.
    count: int | None
    store = Store(beads, actor=actor)
    try:
        count = len(store.list_ids())
    except BdError as err:
        count = None
        warnings.append(f"the existing issues could not be loaded: {err} (see 'bd doctor')")
    finally:
        store.close()
    return {"initialized": True, "path": beads, "prefix": chosen, "issue_count": count,
            "mode": "team", "actions": actions, "warnings": warnings, "hooks": None}


def ensure_gitignore(beads: str) -> list[str]:
    """Add the required cache patterns missing from ``.beads/.gitignore``; returns them."""
    from bd.store.jsonl import atomic_write

    path = os.path.join(beads, ".gitignore")
    text = _read_text(path)
    have = {line.strip() for line in text.splitlines()}
    if not text:
        atomic_write(path, GITIGNORE.encode())
        return list(GITIGNORE_REQUIRED)
    missing = [p for p in GITIGNORE_REQUIRED if p not in have]
    if missing:
        if not text.endswith("\n"):
            text += "\n"
        atomic_write(path, (text + "".join(p + "\n" for p in missing)).encode())
    return missing


# -- git configuration -----------------------------------------------------------------------

def register_merge_driver(top: str, *, overwrite: bool = False) -> str:
    """Register ``bd merge`` as the ``beads`` merge driver in the repository's config.

    Returns ``set``, ``unchanged`` or ``custom`` (someone configured another command, kept
    unless ``overwrite``).  Values written for the original's old ``%L``/``%R`` placeholders
    (which git does not know) are always replaced.
    """
    current = git.config_get("merge.beads.driver", top)
    if current == DRIVER:
        if git.config_get("merge.beads.name", top) is None:
            git.config_set("merge.beads.name", DRIVER_NAME, top)
        return "unchanged"
    if current and "%L" not in current and "%R" not in current and not overwrite:
        return "custom"
    git.config_set("merge.beads.driver", DRIVER, top)
    git.config_set("merge.beads.name", DRIVER_NAME, top)
    return "set"


def attributes_line(top: str, jsonl_path: str) -> str:
    rel = _rel(jsonl_path, top)
    if any(c.isspace() for c in rel) or '"' in rel:
        rel = json.dumps(rel)  # git reads C-style quoted patterns
    return f"{rel} merge=beads"


def ensure_gitattributes(top: str, jsonl_path: str) -> str | None:
    """Route the JSONL to the merge driver in the *top-level* ``.gitattributes`` (appended,
    existing content kept). Returns the line added, or None when git already applies
    ``merge=beads`` to the file."""
    rel = _rel(jsonl_path, top)
    if git.check_attr("merge", rel, top) == "beads":
        return None
    line = attributes_line(top, jsonl_path)
    path = os.path.join(top, ".gitattributes")
    text = _read_text(path)
    if line in (raw.strip() for raw in text.splitlines()):
        return None  # present but overridden by a later line: not ours to reorder
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("\n" if text and not text.endswith("\n") else "") + line + "\n")
    return line


def add_exclude(top: str, pattern: str) -> bool:
    """Append ``pattern`` to the repository's ``info/exclude`` unless present."""
    path = git.info_exclude_path(top)
    text = _read_text(path)
    if pattern in (raw.strip() for raw in text.splitlines()):
        return False
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        if text and not text.endswith("\n"):
            fh.write("\n")
        fh.write(f"# bd (beads): local-only tracker data\n{pattern}\n")
    return True


# -- contributor mode ------------------------------------------------------------------------

def planning_path(top: str, given: str | None) -> str:
    if given:
        return os.path.abspath(os.path.expanduser(given))
    return os.path.join(os.path.expanduser(PLANNING_HOME), os.path.basename(top))


def _init_contributor(cwd: str, top: str | None, opts: InitOptions) -> dict[str, Any]:
    if top is None:
        raise BdError("--contributor needs a git repository (the project you contribute to)")
    planning = planning_path(top, opts.planning_repo)
    if _inside(planning, top):
        raise BdError(f"the planning repository {planning} must be outside the project {top}")
    beads = os.path.join(cwd, ".beads")
    target = os.path.join(planning, ".beads")
    redirect = os.path.join(beads, "redirect")
    current = _read_text(redirect).strip()
    if current and os.path.normpath(current) != target and not opts.force:
        raise BdError(f".beads/redirect already points at {current}; use --force to point it "
                      f"at {target}")
    local = os.path.join(beads, "issues.jsonl")
    if not current and os.path.exists(local) and os.path.getsize(local) and not opts.force \
            and not git.is_tracked(_rel(local, top), top):
        raise BdError(f"{local} already holds issues that the redirect would hide; move them "
                      "to the planning repository (bd export / bd import) or use --force "
                      "(the file is kept)")

    actions: list[str] = []
    os.makedirs(planning, exist_ok=True)
    found = git.try_toplevel(planning)
    created = found is None or os.path.realpath(found) != os.path.realpath(planning)
    if created:
        git.run_isolated(["init", "-q"], planning)
        actions.append(f"created the planning repository {planning}")
    result = create_workspace(target, prefix=opts.prefix, force=True, actor=opts.actor,
                              default_prefix=os.path.basename(top))
    setup_git(planning, target, result, skip_hooks=opts.skip_hooks,
              skip_merge_driver=opts.skip_merge_driver)
    if created and not git.has_commits(planning):
        paths = [p for p in (".beads", ".gitattributes")
                 if os.path.exists(os.path.join(planning, p))]
        git.require_identity(planning)
        git.run_isolated(["add", "--", *paths], planning)
        proc = git.run_isolated(["commit", "-q", "-m",
                                 "Initial commit: beads planning repository"], planning,
                                check=False)
        if proc.returncode != 0:
            result["warnings"].append(git.failure(
                "could not make the planning repository's first commit",
                proc.stderr or proc.stdout))
    os.makedirs(beads, exist_ok=True)
    if current != target:
        with open(redirect, "w", encoding="utf-8") as fh:
            fh.write(target + "\n")
        actions.append(f"wrote .beads/redirect -> {target}")
    rel = _rel(beads, top)
    pattern = f"/{rel}/redirect" if git.is_tracked(rel, top) else f"/{rel}/"
    if add_exclude(top, pattern):
        actions.append(f"excluded {pattern.lstrip('/')} in .git/info/exclude")
    result["actions"][:0] = actions
    result.update({"mode": "contributor", "planning_repo": planning, "redirect": redirect})
    return result


# -- helpers ---------------------------------------------------------------------------------

def _rel(path: str, top: str) -> str:
    return os.path.relpath(os.path.realpath(path), os.path.realpath(top)).replace(os.sep, "/")


def _inside(path: str, top: str) -> bool:
    path, top = os.path.realpath(path), os.path.realpath(top)
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""
