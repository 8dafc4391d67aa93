"""Every declared option of every command is exercised by some test.

The rule for bd's command line is that a flag either works or is refused with a usage error;
a flag no test passes is how an accepted-but-ignored flag slips in.  This test reads the test
sources (not their results: it is fast and independent of which tests ran) and collects every
argument list they build -- the string arguments of a call such as
``bd("dep", "tree", "t-1", "--show-all-paths", cwd=...)``, a list such as
``["list", "--pretty"]`` in a golden case, or a shell-like string ``"bd list --pretty"``.
An option counts as exercised when one of its flags follows its command's words in such a
list.  EXEMPT names the few options that are covered another way, each with the reason.
"""

from __future__ import annotations

import ast
import shlex
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# (command, flag) -> why no test has to pass it explicitly.
EXEMPT: dict[tuple[str, str], str] = {
    # The tracker goldens build ["sync", "--dry-run"] and run bd(tracker, *args): the scan
    # cannot tell that list from 'bd sync --dry-run'.
    **{(f"{t} sync", "--dry-run"): "tests/trackers/test_golden_trackers.py, sync_dry_run"
       for t in ("github", "gitlab", "jira", "linear")},
}


WILD = "\x00"  # a non-literal argument (``bd(h.name, "sync", ...)``): may name a group


def _words(items: list[ast.expr]) -> list[str]:
    words: list[str] = []
    for item in items:
        if isinstance(item, ast.Constant) and isinstance(item.value, str):
            text = item.value
            if " " in text and ("--" in text or text.startswith("bd ")):
                try:
                    words.extend(shlex.split(text))
                except ValueError:
                    words.extend(text.split())
            else:
                words.append(text)
        elif isinstance(item, (ast.Name, ast.Attribute)) and not words:
            words.append(WILD)
    return words


def _callee(node: ast.Call) -> str | None:
    return node.func.id if isinstance(node.func, ast.Name) else None


def _sequences(tree: ast.AST) -> Iterator[tuple[list[str], bool, str | None]]:
    """(words, spread, callee): the string arguments of each call or list literal, whether
    the call also spreads a variable (``bd("list", *flags)``), and the called name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            spread = any(isinstance(a, ast.Starred) for a in node.args)
            words = _words(list(node.args))
            if words:
                yield words, spread, _callee(node)
        elif isinstance(node, (ast.List, ast.Tuple)):
            words = _words(list(node.elts))
            if words:
                yield words, False, None
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value.startswith("bd ") or "\nbd " in node.value):
            for line in node.value.splitlines():
                line = line.strip()
                if line.startswith("bd "):
                    try:
                        yield shlex.split(line), False, None
                    except ValueError:
                        yield line.split(), False, None


def _wrappers(tree: ast.AST) -> dict[str, list[list[str]]]:
    """Helper functions that pass their ``*args`` on to a command: name -> the word lists
    of those inner calls (``def sync(h, *flags): bd(h.name, "sync", *flags)``)."""
    out: dict[str, list[list[str]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.args.vararg is not None:
            name = node.args.vararg.arg
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and any(
                        isinstance(a, ast.Starred) and isinstance(a.value, ast.Name)
                        and a.value.id == name for a in inner.args):
                    words = _words(list(inner.args))
                    if words:
                        out.setdefault(node.name, []).append(words)
    return out


def _files() -> list[tuple[list[tuple[list[str], bool, str | None]], dict[str, list[list[str]]]]]:
    out = []
    for path in sorted(TESTS.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        out.append((list(_sequences(tree)), _wrappers(tree)))
    return out


def _flag_names(word: str) -> set[str]:
    if word.startswith("--"):
        return {word.partition("=")[0]}
    if word.startswith("-") and len(word) >= 2 and not word[1:2].isdigit():
        return {word[:2]}
    return set()


def exercised() -> dict[str, set[str]]:
    """command name -> the flags some test passes to it."""
    from bd.cli import MODULES, load_command

    names: dict[tuple[str, ...], str] = {}
    for name in MODULES:
        cmd = load_command(name)
        names[tuple(name.split())] = cmd.name
    longest = sorted(names, key=len, reverse=True)
    seen: dict[str, set[str]] = {}

    def matches(words: list[str], i: int, key: tuple[str, ...]) -> bool:
        part = words[i:i + len(key)]
        if len(part) != len(key):
            return False
        return all(w == k or (w == WILD and n == 0 and len(key) > 1)
                   for n, (w, k) in enumerate(zip(part, key, strict=True)))

    def commands_at(words: list[str], i: int) -> list[tuple[str, int]]:
        for key in longest:
            if words[i] != WILD and matches(words, i, key):
                return [(names[key], len(key))]
        # a wildcard first word: every group command with these later words
        return [(names[key], len(key)) for key in longest if matches(words, i, key)]

    def credit(words: list[str], extra: list[str] = ()) -> list[str]:  # type: ignore[assignment]
        found = []
        for i in range(len(words)):
            for name, size in commands_at(words, i):
                found.append(name)
                flags = seen.setdefault(name, set())
                for w in [*words[i + size:], *extra]:
                    flags |= _flag_names(w)
        return found

    for sequences, wrappers in _files():
        loose: set[str] = set()  # flags in lists that name no command (parametrized cases)
        spreading: set[str] = set()  # commands called with *args in this file
        for words, spread, callee in sequences:
            found = credit(words)
            if callee in wrappers:  # a helper that passes its *args on to a command
                for inner in wrappers[callee]:
                    found += credit(inner, words)
            if spread:
                spreading.update(found)
            if not found:
                for w in words:
                    loose |= _flag_names(w)
        for name in spreading:
            seen.setdefault(name, set()).update(loose)
    return seen


def test_every_option_is_exercised_by_a_test() -> None:
    from bd.cli import MODULES, load_command

    seen = exercised()
    missing = []
    done = set()
    for name in MODULES:
        cmd = load_command(name)
        if cmd.name in done:
            continue
        done.add(cmd.name)
        for o in cmd.opts:
            if any((cmd.name, f) in EXEMPT for f in o.flags):
                continue
            if not set(o.flags) & seen.get(cmd.name, set()):
                missing.append(f"bd {cmd.name} {o.flags[-1]}")
    assert not missing, ("options no test passes (add a test that uses each one, through the "
                         "real CLI, and asserts its effect):\n  " + "\n  ".join(sorted(missing)))


def test_exemptions_name_real_options() -> None:
    from bd.cli import MODULES, load_command

    declared = set()
    for name in MODULES:
        cmd = load_command(name)
        declared |= {(cmd.name, f) for o in cmd.opts for f in o.flags}
    stale = sorted(f"{c} {f}" for c, f in EXEMPT if (c, f) not in declared)
    assert not stale, f"EXEMPT names options that do not exist: {', '.join(stale)}"
