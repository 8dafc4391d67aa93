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
    def __init__(self, name: str, title: str, summary: str, user_scope: bool,
                 path: str | None = None, custom: bool = False) -> None:
        self.name, self.title, self.summary, self.user_scope = name, title, summary, user_scope
        self.path = path  # a project file holding bd's marked section (simple recipes)
        self.custom = custom  # added with 'bd setup --add' (.beads/recipes.toml)

    def targets(self, root: str, user: bool) -> list[Target]:
        home = os.path.expanduser("~")
        join = os.path.join
        if self.path is not None:
            return [TextBlock(join(root, self.path), ONBOARD)]
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
    Recipe("factory", "Factory.ai (Droid)", "a section in AGENTS.md", False, "AGENTS.md"),
    Recipe("windsurf", "Windsurf", "a rules file, .windsurf/rules/beads.md", False,
           ".windsurf/rules/beads.md"),
    Recipe("cody", "Sourcegraph Cody", "a rules file, .cody/rules/beads.md", False,
           ".cody/rules/beads.md"),
    Recipe("kilocode", "Kilo Code", "a rules file, .kilocode/rules/beads.md", False,
           ".kilocode/rules/beads.md"),
    Recipe("junie", "JetBrains Junie", "a section in .junie/guidelines.md", False,
           ".junie/guidelines.md"),
    Recipe("opencode", "opencode", "a section in AGENTS.md", False, "AGENTS.md"),
)}
CUSTOM_FILE = "recipes.toml"  # in .beads/, the original's format: [recipes.NAME] path = "…"


def _custom_path(root: str) -> str:
    return os.path.join(root, ".beads", CUSTOM_FILE)


def custom_recipes(root: str) -> dict[str, Recipe]:
    """The recipes added with ``bd setup --add`` (``.beads/recipes.toml``)."""
    import tomllib

    try:
        with open(_custom_path(root), "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise BdError(f"invalid TOML: {exc}", path=_custom_path(root)) from None
    out = {}
    for name, spec in (data.get("recipes") or {}).items():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            out[name] = Recipe(name, str(spec.get("name") or name),
                               f"a section in {spec['path']}", False, spec["path"], True)
    return out


def all_recipes(root: str) -> dict[str, Recipe]:
    return {**RECIPES, **{k: v for k, v in custom_recipes(root).items() if k not in RECIPES}}


def add_custom(root: str, name: str, path: str) -> dict[str, Any]:
    """Register a custom recipe: bd's section goes into ``path`` (relative to the project)."""
    from bd.store.jsonl import atomic_write

    if name in RECIPES:
        raise UsageError(f"'{name}' is a built-in recipe")
    if not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError(f"invalid recipe name {name!r} (letters, digits, '-' and '_')")
    if os.path.isabs(path) or path.startswith(".."):
        raise UsageError(f"the recipe file must be inside the project: {path!r}")
    recipes = {k: v.path for k, v in custom_recipes(root).items()}
    recipes[name] = path
    text = "".join(f"[recipes.{k}]\nname = {json.dumps(k)}\npath = {json.dumps(v)}\n"
                   f'type = "file"\n\n' for k, v in sorted(recipes.items()))
    target = _custom_path(root)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    atomic_write(target, text.encode("utf-8"))
    return {"recipe": name, "path": path, "file": target}


def preview(name: str, root: str, *, user: bool = False,
            output: str | None = None) -> list[dict[str, str]]:
    """What install would write, file by file, without writing (``--print``); ``output``
    puts a single-file recipe's section into that file instead."""
    r = recipe(name, user, root)
    targets = r.targets(root, user)
    if output is not None:
        targets = _redirect(r, targets, output)
    return [{"path": t.path, "text": t.render(_read(t.path))} for t in targets]


def _redirect(r: Recipe, targets: list[Target], output: str) -> list[Target]:
    if len(targets) != 1 or not isinstance(targets[0], TextBlock):
        raise UsageError(f"-o/--output works for recipes that write one text file; "
                         f"'{r.name}' writes {', '.join(t.path for t in targets)}")
    head = targets[0].head
    return [TextBlock(os.path.abspath(output), ONBOARD, head)]


def recipe(name: str, user: bool = False, root: str | None = None) -> Recipe:
    r = (all_recipes(root) if root else RECIPES).get(name)
    if r is None:
        known = all_recipes(root) if root else RECIPES
        raise UsageError(f"unknown setup recipe {name!r}; choose one of: "
                         f"{', '.join(known)} (or add one: bd setup --add NAME FILE)")
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


def install(name: str, root: str, *, user: bool = False,
            output: str | None = None) -> dict[str, Any]:
    """Install or update a recipe; ``action`` is installed, updated or unchanged.
    ``output`` writes a single-file recipe's section to that file instead."""
    r = recipe(name, user, root)
    targets = r.targets(root, user)
    if output is not None:
        targets = _redirect(r, targets, output)
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


def remove(name: str, root: str, *, user: bool = False,
           output: str | None = None) -> dict[str, Any]:
    """Take a recipe out again; ``action`` is removed or absent."""
    r = recipe(name, user, root)
    targets = r.targets(root, user)
    if output is not None:
        targets = _redirect(r, targets, output)
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


def check(name: str, root: str, *, user: bool = False,
          output: str | None = None) -> dict[str, Any]:
    """Is the recipe installed and current?  ``ok`` plus a one-line ``message``."""
    r = recipe(name, user, root)
    targets = r.targets(root, user)
    if output is not None:
        targets = _redirect(r, targets, output)
    states = {t.path: t.status(_read(t.path)) for t in targets}
    result = _result(r, "check", root, targets)
    flag = ("" if user else " --project") if r.name == "claude" else (" --global" if user else "")
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
