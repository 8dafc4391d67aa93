"""Git hooks: install, uninstall and inspect bd's shims (what each hook does when it runs is
``bd.git.hookrun``).

An installed hook is a shim of a few lines (``bd/git/hooks_templates/shim.sh``) that re-enters
``bd hooks run NAME``; a hook that was there before is renamed ``NAME.old`` and runs first,
with the same arguments and stdin, so bd chains the user's hooks and never replaces them.
Hook managers that own the hooks directory (lefthook, the pre-commit framework) are left
alone: bd prints the lines to add to their configuration instead.

What the hooks do (``bd.git.hookrun.run_hook``):

* pre-commit: refuse a ``.beads/issues.jsonl`` with conflict markers or invalid lines; stage
  the JSONL so issue changes ride along with a normal commit (``hooks.stage-jsonl``), but
  never when the commit is a partial one (``git commit --only PATH`` / ``git commit PATH``).
* post-merge, post-checkout, post-rewrite: validate the JSONL and refresh the cache.
* pre-push: refuse to push commits whose JSONL is invalid.

The library never prints: ``run_hook`` returns the exit code and the messages for stderr.
Every git command runs through ``bd.git.runner`` with an argument list, never a shell, so no issue
text can reach one.
"""

from __future__ import annotations

import os

from bd.errors import BdError
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

HOOKS = ("pre-commit", "post-merge", "post-checkout", "post-rewrite", "pre-push")
SHIM_VERSION = 1
SHIM_MARKER = b"# bd-hooks-shim:"
VERSION_MARKER = "# bd-hooks-version:"
LEGACY_MARKERS = (b"bd (beads)", b"# bd-shim")  # hooks written by the original bd
CHAIN_SUFFIX = ".old"
ACTIVE_ENV = "BD_HOOKS_ACTIVE"  # hooks bd is running right now (a recursion guard)
HOOK_DIR_ENV = "BD_HOOK_DIR"    # set by the shim: where it lives, so the chain can be found
STAGE_KEY = "hooks.stage-jsonl"

LEFTHOOK_FILES = ("lefthook.yml", "lefthook.yaml", ".lefthook.yml", ".lefthook.yaml",
                  "lefthook.toml", ".lefthook.toml", "lefthook.json", ".lefthook.json",
                  ".config/lefthook.yml", ".config/lefthook.yaml")
PRE_COMMIT_FILES = (".pre-commit-config.yaml", ".pre-commit-config.yml")

_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooks_templates",
                         "shim.sh")


class HookError(BdError):
    """A hook could not be installed or removed."""


# -- the shim --------------------------------------------------------------------------------

def render(name: str) -> str:
    """The shim installed as hook ``name``."""
    with open(_TEMPLATE, encoding="utf-8") as fh:
        text = fh.read()
    return text.replace("{hook}", name).replace("{version}", str(SHIM_VERSION))


def inspect(path: str) -> tuple[str, int | None]:
    """(kind, shim version) of the hook file at ``path``.

    kind is ``absent``, ``bd`` (a shim of this bd), ``legacy`` (a hook written by the original
    bd) or ``foreign`` (anyone else's).
    """
    if not os.path.lexists(path):
        return "absent", None
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError:
        return "foreign", None  # a dangling symlink, a directory: not ours
    if SHIM_MARKER in head:
        version = None
        for line in head.decode("utf-8", "replace").splitlines():
            if line.startswith(VERSION_MARKER):
                try:
                    version = int(line[len(VERSION_MARKER):].strip())
                except ValueError:
                    version = None
        return "bd", version
    if any(m in head for m in LEGACY_MARKERS):
        return "legacy", None
    return "foreign", None


def _same_file(a: str, b: str) -> bool:
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


def _write_shim(path: str, name: str) -> None:
    tmp = f"{path}.bd-tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(render(name))
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


# -- hook managers ---------------------------------------------------------------------------

def detect_manager(top: str, hooks_dir: str) -> dict[str, Any] | None:
    """The hook manager in charge of this repository, if any.

    ``{"name", "config", "configured"}``: lefthook and the pre-commit framework own the
    hooks directory and are configured by a file in the project (``configured`` says whether
    it already runs ``bd hooks run``); husky points ``core.hooksPath`` at its directory, where
    bd installs (and chains) like anywhere else.
    """
    for name, files in (("lefthook", LEFTHOOK_FILES), ("pre-commit", PRE_COMMIT_FILES)):
        for rel in files:
            path = os.path.join(top, rel)
            if os.path.isfile(path):
                try:
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        text = fh.read()
                except OSError:
                    text = ""
                return {"name": name, "config": path, "configured": "bd hooks run" in text
                        or "id: bd-pre-commit" in text}
    parts = os.path.normpath(hooks_dir).split(os.sep)
    if ".husky" in parts:
        return {"name": "husky", "config": hooks_dir, "configured": None}
    return None


def snippet(manager: str) -> str:
    """What to add to a hook manager's configuration so it runs bd's hooks."""
    if manager == "lefthook":
        return LEFTHOOK_SNIPPET
    if manager == "pre-commit":
        return PRE_COMMIT_SNIPPET
    return ""


LEFTHOOK_SNIPPET = """\
# lefthook.yml: run bd's git hooks alongside yours
pre-commit:
  commands:
    bd:
      run: bd hooks run pre-commit
post-merge:
  commands:
    bd:
      run: bd hooks run post-merge {1}
post-checkout:
  commands:
    bd:
      run: bd hooks run post-checkout {1} {2} {3}
post-rewrite:
  commands:
    bd:
      run: bd hooks run post-rewrite {1}
pre-push:
  commands:
    bd:
      run: bd hooks run pre-push {1} {2}
      use_stdin: true
"""

PRE_COMMIT_SNIPPET = (
    "# .pre-commit-config.yaml: run bd's git hooks alongside yours\n"
    "  - repo: local\n"
    "    hooks:\n"
    + "".join(f"      - id: bd-{name}\n"
              f"        name: bd (beads) {name}\n"
              f"        entry: bd hooks run {name}\n"
              "        language: system\n"
              "        pass_filenames: false\n"
              "        always_run: true\n"
              f"        stages: [{name}]\n" for name in HOOKS)
    + "# then: pre-commit install " + " ".join(f"-t {name}" for name in HOOKS) + "\n")


# -- install / uninstall / status ------------------------------------------------------------

def _site(cwd: str) -> tuple[str, str, dict[str, Any] | None]:
    top = git.toplevel(cwd)
    hdir = git.hooks_dir(cwd)
    return top, hdir, detect_manager(top, hdir)


def install(cwd: str, *, force: bool = False, names: tuple[str, ...] = HOOKS
            ) -> dict[str, Any]:
    """Install bd's shims into the repository's hooks directory, chaining existing hooks.

    Returns ``{"hooks_dir", "manager", "snippet", "results": [{"name", "action",
    "message"}]}``; action is installed, chained, updated, replaced, unchanged or skipped.
    Nothing is ever deleted: a foreign hook becomes ``NAME.old``; when that name is taken by
    a different file the hook is skipped with a message.  With a configuration-file hook
    manager (lefthook, pre-commit) nothing is written unless ``force``; the result carries
    the snippet to add to its configuration instead.
    """
    _top, hdir, manager = _site(cwd)
    report: dict[str, Any] = {"hooks_dir": hdir, "manager": manager, "snippet": None,
                              "results": []}
    if manager and manager["name"] in ("lefthook", "pre-commit") and not force:
        report["snippet"] = None if manager["configured"] else snippet(manager["name"])
        state = "already runs" if manager["configured"] else "add the snippet to"
        for name in names:
            report["results"].append({
                "name": name, "action": "skipped",
                "message": f"hooks are managed by {manager['name']} ({state} "
                           f"{os.path.basename(manager['config'])})"})
        return report
    try:
        os.makedirs(hdir, exist_ok=True)
    except OSError as exc:
        raise HookError(f"cannot create the hooks directory: {exc.strerror}",
                        path=hdir) from None
    for name in names:
        report["results"].append(_install_one(hdir, name, force))
    return report


SHARED_DIR = ".beads-hooks"


def install_shared(cwd: str, *, force: bool = False, names: tuple[str, ...] = HOOKS
                   ) -> dict[str, Any]:
    """Install the shims into ``.beads-hooks/`` at the top of the work tree (a directory you
    commit, so every clone gets them) and point ``core.hooksPath`` at it.  Hooks that git
    ran until now are copied in first and chained, so they keep running."""
    import shutil

    top = git.toplevel(cwd)
    shared = os.path.join(top, SHARED_DIR)
    current = git.config_get("core.hooksPath", top)
    if current and os.path.normpath(os.path.join(top, os.path.expanduser(current))) != shared \
            and not force:
        raise HookError(f"core.hooksPath is already set to {current!r} (another hook "
                        "manager?); use --force to point it at .beads-hooks/ instead")
    old_dir = git.hooks_dir(cwd)
    os.makedirs(shared, exist_ok=True)
    report: dict[str, Any] = {"hooks_dir": shared, "manager": None, "snippet": None,
                              "shared": True, "results": []}
    for name in names:
        old = os.path.join(old_dir, name)
        new = os.path.join(shared, name)
        if (os.path.normpath(old_dir) != shared and inspect(old)[0] == "foreign"
                and not os.path.lexists(new)):
            shutil.copy2(old, new)
        report["results"].append(_install_one(shared, name, force))
    git.config_set("core.hooksPath", SHARED_DIR, top)
    return report


def _install_one(hdir: str, name: str, force: bool) -> dict[str, str]:
    path = os.path.join(hdir, name)
    old = path + CHAIN_SUFFIX
    kind, _version = inspect(path)
    try:
        if kind == "bd":
            with open(path, encoding="utf-8", errors="replace") as fh:
                current = fh.read() == render(name)
            if current and os.access(path, os.X_OK) and not force:
                return {"name": name, "action": "unchanged", "message": "up to date"}
            _write_shim(path, name)
            return {"name": name, "action": "updated", "message": "shim rewritten"}
        if kind == "legacy":
            # The original bd's own hook: running it as well would do bd's work twice.
            _write_shim(path, name)
            return {"name": name, "action": "replaced",
                    "message": "replaced the original bd's hook with the shim"}
        if kind == "absent":
            _write_shim(path, name)
            return {"name": name, "action": "installed", "message": "installed"}
        if os.path.lexists(old):
            if not _same_file(path, old) or inspect(old)[0] != "foreign":
                return {"name": name, "action": "skipped",
                        "message": f"{name} and {name}{CHAIN_SUFFIX} both exist and neither is "
                                   f"bd's; move one of them aside and run 'bd hooks install' "
                                   "again"}
            # An identical copy is already kept (e.g. a hook manager regenerated the hook).
            _write_shim(path, name)
            return {"name": name, "action": "chained",
                    "message": f"existing hook already kept as {name}{CHAIN_SUFFIX}"}
        os.rename(path, old)
        _write_shim(path, name)
        return {"name": name, "action": "chained",
                "message": f"existing hook kept as {name}{CHAIN_SUFFIX}; it runs first"}
    except OSError as exc:
        raise HookError(f"cannot install the {name} hook: {exc.strerror}", path=path) from None


def uninstall(cwd: str, *, names: tuple[str, ...] = HOOKS) -> dict[str, Any]:
    """Remove bd's hooks and put back the hooks they chained.

    Returns ``{"hooks_dir", "results": [{"name", "action", "message"}]}``; action is removed,
    restored, absent or skipped (someone else's hook, left alone).
    """
    hdir = git.hooks_dir(cwd)
    results = []
    for name in names:
        path = os.path.join(hdir, name)
        kind, _ = inspect(path)
        try:
            if kind == "foreign":
                results.append({"name": name, "action": "skipped",
                                "message": "not bd's hook; left alone"})
                continue
            if kind != "absent":
                os.remove(path)
            restored = None
            for suffix in (CHAIN_SUFFIX, ".backup"):
                if os.path.lexists(path + suffix) and inspect(path + suffix)[0] == "foreign":
                    os.rename(path + suffix, path)
                    restored = name + suffix
                    break
        except OSError as exc:
            raise HookError(f"cannot remove the {name} hook: {exc.strerror}",
                            path=path) from None
        if restored:
            results.append({"name": name, "action": "restored",
                            "message": f"restored {restored}"})
        else:
            results.append({"name": name, "action": "absent" if kind == "absent" else "removed",
                            "message": "not installed" if kind == "absent" else "removed"})
    return {"hooks_dir": hdir, "results": results}


def status(cwd: str) -> dict[str, Any]:
    """Each hook's state: ``{"hooks_dir", "manager", "hooks": [{"name", "status", "path",
    "version", "chained", "chained_path"}]}``.

    status is installed (the current shim), chained (the current shim, running a kept hook
    first), outdated (a shim of another version, or the original bd's hook: reinstall),
    foreign (someone else's hook; bd's is not installed) or absent.
    """
    _top, hdir, manager = _site(cwd)
    hooks = []
    for name in HOOKS:
        path = os.path.join(hdir, name)
        old = path + CHAIN_SUFFIX
        kind, version = inspect(path)
        chained = kind in ("bd", "legacy") and os.path.lexists(old)
        if kind == "bd":
            with open(path, encoding="utf-8", errors="replace") as fh:
                current = fh.read() == render(name) and os.access(path, os.X_OK)
            state = ("chained" if chained else "installed") if current else "outdated"
        elif kind == "legacy":
            state = "outdated"
        else:
            state = kind
        hooks.append({"name": name, "status": state, "path": path, "version": version,
                      "chained": chained, "chained_path": old if chained else None})
    return {"hooks_dir": hdir, "manager": manager, "hooks": hooks}
