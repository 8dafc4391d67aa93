"""``bd setup`` recipes: teach an AI coding tool about bd, in that tool's own configuration.

Every recipe manages a few *targets* (``bd.agents.targets``), each one file:

- a marked block in a text file (markdown, Cursor rules), between
  ``<!-- bd:begin v1 -->`` and ``<!-- bd:end -->`` lines;
- an entry in a YAML list (Aider's ``read:``), between ``# bd:begin v1`` and ``# bd:end``;
- hooks in a Claude Code ``settings.json``, merged into the user's JSON and recognised by
  their command (``bd prime``), since JSON has no comments.

The rules every target follows: installing twice gives the same bytes; nothing outside our
block or our hook entries changes; a later run replaces an older block in place; removal
takes out exactly what was added, and deletes a file (or a directory) only when bd created
it and it is empty again.  Which files bd created is remembered outside the project, in
``$XDG_STATE_HOME/bd/setup.json`` (default ``~/.local/state/bd/setup.json``), so a clone
that did not create them never deletes them.
"""

from __future__ import annotations

import json
import os

from bd.agents.prime import ONBOARD
from bd.agents.targets import (
    CURSOR_HEAD,
    ClaudeHooks,
    Target,
    TextBlock,
    YamlListItem,
)
from bd.errors import BdError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


# -- recipes ----------------------------------------------------------------------------------

class Recipe:
    def __init__(self, name: str, title: str, summary: str, user_scope: bool) -> None:
        self.name, self.title, self.summary, self.user_scope = name, title, summary, user_scope

    def targets(self, root: str, user: bool) -> list[Target]:
        home = os.path.expanduser("~")
        join = os.path.join
        if self.name == "claude":
            base = home if user else root
            return [ClaudeHooks(join(base, ".claude", "settings.json"))]
        if self.name == "cursor":
            return [TextBlock(join(root, ".cursor", "rules", "bd.mdc"), ONBOARD, CURSOR_HEAD)]
        if self.name == "aider":
            return [TextBlock(join(root, ".aider", "bd.md"), ONBOARD),
                    YamlListItem(join(root, ".aider.conf.yml"), "read", ".aider/bd.md")]
        if self.name == "copilot":
            return [TextBlock(join(root, ".github", "copilot-instructions.md"), ONBOARD)]
        if self.name == "codex":
            base = (os.environ.get("CODEX_HOME") or join(home, ".codex")) if user else root
            return [TextBlock(join(base, "AGENTS.md"), ONBOARD)]
        if self.name == "gemini":
            base = join(home, ".gemini") if user else root
            return [TextBlock(join(base, "GEMINI.md"), ONBOARD)]
        raise AssertionError(self.name)


RECIPES = {r.name: r for r in (
    Recipe("claude", "Claude Code", "SessionStart and PreCompact hooks running 'bd prime' in "
           ".claude/settings.json", True),
    Recipe("cursor", "Cursor", "an always-applied rules file, .cursor/rules/bd.mdc", False),
    Recipe("aider", "Aider", "conventions in .aider/bd.md, read via .aider.conf.yml", False),
    Recipe("copilot", "GitHub Copilot", "a section in .github/copilot-instructions.md", False),
    Recipe("codex", "OpenAI Codex", "a section in AGENTS.md", True),
    Recipe("gemini", "Gemini CLI", "a section in GEMINI.md", True),
)}


def recipe(name: str, user: bool = False) -> Recipe:
    r = RECIPES.get(name)
    if r is None:
        raise UsageError(f"unknown setup recipe {name!r}; choose one of: "
                         f"{', '.join(RECIPES)}")
    if user and not r.user_scope:
        raise UsageError(f"'{name}' has no user-wide configuration; run it in the project")
    return r


def project_root(cwd: str | None = None) -> str:
    """Where project-scope files go: the top of the git work tree, else the directory."""
    from bd.git.runner import try_toplevel

    cwd = os.path.abspath(cwd or os.getcwd())
    return try_toplevel(cwd) or cwd


# -- which files bd created -------------------------------------------------------------------

def _state_path() -> str:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                             "state")
    return os.path.join(base, "bd", "setup.json")


def _created() -> set[str]:
    try:
        with open(_state_path(), encoding="utf-8") as fh:
            return set(json.load(fh).get("created", []))
    except (OSError, ValueError, AttributeError):
        return set()


def _save_created(paths: set[str]) -> None:
    from bd.store.jsonl import atomic_write

    path = _state_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    atomic_write(path, (json.dumps({"created": sorted(paths)}, indent=2) + "\n").encode())


# -- applying ---------------------------------------------------------------------------------

def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise BdError("not a UTF-8 text file", path=path) from None


def _write(path: str, text: str, created: set[str]) -> None:
    from bd.store.jsonl import atomic_write

    missing = []
    parent = os.path.dirname(path)
    while not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for directory in reversed(missing):
        os.mkdir(directory)
        created.add(directory)
    if not os.path.exists(path):
        created.add(path)
    atomic_write(path, text.encode("utf-8"))


def _delete(path: str, created: set[str]) -> None:
    os.unlink(path)
    created.discard(path)
    parent = os.path.dirname(path)
    while parent in created and os.path.isdir(parent) and not os.listdir(parent):
        os.rmdir(parent)
        created.discard(parent)
        parent = os.path.dirname(parent)


def _result(r: Recipe, action: str, root: str, targets: list[Target]) -> dict[str, Any]:
    return {"recipe": r.name, "tool": r.title, "action": action,
            "files": [t.path for t in targets], "root": root}


def install(name: str, root: str, *, user: bool = False) -> dict[str, Any]:
    """Install or update a recipe; ``action`` is installed, updated or unchanged."""
    r = recipe(name, user)
    targets = r.targets(root, user)
    plans = []
    for t in targets:  # render everything first so a bad file changes nothing
        old = _read(t.path)
        plans.append((t, old, t.render(old)))
    created = _created()
    before = set(created)
    for t, old, new in plans:
        if new != old:
            _write(t.path, new, created)
    if created != before:
        _save_created(created)
    if all(old == new for _, old, new in plans):
        action = "unchanged"
    elif all(t.status(old) == "absent" for t, old, _ in plans):
        action = "installed"
    else:
        action = "updated"
    return _result(r, action, root, targets)


def remove(name: str, root: str, *, user: bool = False) -> dict[str, Any]:
    """Take a recipe out again; ``action`` is removed or absent."""
    r = recipe(name, user)
    targets = r.targets(root, user)
    plans = []
    for t in targets:
        old = _read(t.path)
        if old is not None and t.status(old) != "absent":
            plans.append((t, old, *t.strip(old)))
    created = _created()
    before = set(created)
    for t, _old, new, empty in plans:
        if empty and t.path in created:
            _delete(t.path, created)
        else:
            _write(t.path, new, created)
    if created != before:
        _save_created(created)
    return _result(r, "removed" if plans else "absent", root, targets)


def check(name: str, root: str, *, user: bool = False) -> dict[str, Any]:
    """Is the recipe installed and current?  ``ok`` plus a one-line ``message``."""
    r = recipe(name, user)
    targets = r.targets(root, user)
    states = {t.path: t.status(_read(t.path)) for t in targets}
    result = _result(r, "check", root, targets)
    flag = " --global" if user else ""
    if all(s == "current" for s in states.values()):
        result.update(ok=True, installed=True, current=True,
                      message=f"{r.title}: bd is set up and current")
    elif all(s == "absent" for s in states.values()):
        result.update(ok=False, installed=False, current=False,
                      message=f"{r.title}: bd is not set up (run 'bd setup {name}{flag}')")
    else:
        stale = [p for p, s in states.items() if s != "current"]
        result.update(ok=False, installed=True, current=False,
                      message=f"{r.title}: bd's setup is outdated or incomplete in "
                              f"{', '.join(stale)} (run 'bd setup {name}{flag}')")
    result["states"] = states
    return result
