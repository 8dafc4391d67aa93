"""The bd command line: ``main(argv) -> int`` and the single error → exit-code map.

Only the module of the command being run is imported; ``--help`` loads the typer app.
Exit codes: 0 success, 1 a bd error (bad data, unknown id, validation), 2 usage error,
3 an internal error (a bd bug; the traceback goes to a file, never to the user).
"""

from __future__ import annotations

import os
import sys

from bd.errors import BdError, UsageError
from bd.version import VERSION  # noqa: F401 - re-exported: bd.cli.VERSION

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# command name -> module defining it; groups map "group sub".
MODULES = {
    "init": "admin", "version": "admin", "info": "admin", "config get": "admin",
    "config set": "admin", "config list": "admin", "config unset": "admin", "where": "admin",
    "create": "issues", "new": "issues", "q": "issues", "update": "issues",
    "close": "issues", "reopen": "issues", "defer": "issues", "undefer": "issues",
    "delete": "issues", "show": "issues",
    "list": "views", "search": "views", "ready": "views", "blocked": "views",
    "stale": "views", "count": "views", "stats": "views", "status": "views",
    "children": "views", "epic status": "views",
    "dep add": "links", "dep remove": "links", "dep rm": "links", "dep list": "links",
    "dep tree": "links", "dep cycles": "links", "dep relate": "links",
    "dep unrelate": "links", "relate": "links", "unrelate": "links", "dep": "links",
    "label add": "links", "label remove": "links", "label list": "links",
    "label list-all": "links", "comments": "links", "comments add": "links",
    "comment": "links",
    "hooks install": "hooks", "hooks uninstall": "hooks", "hooks list": "hooks",
    "hooks run": "hooks", "doctor": "doctor",
    "export": "data", "import": "data",
    "prime": "agents", "onboard": "agents", "quickstart": "agents", "setup": "agents",
    "mcp": "agents",
    "repair-deps": "maint", "detect-pollution": "maint", "validate": "maint", "migrate": "maint",
    "merge": "git", "resolve-conflicts": "git", "sync": "git", "history": "git",
    "completion": "completion",
    "graph": "graph", "graph check": "graph", "ui": "ui",
}
GROUPS = {"config", "dep", "label", "comments", "epic", "hooks", "graph"}
WRITES = {"create", "new", "q", "update", "close", "reopen", "defer", "undefer", "delete",
          "dep add", "dep remove", "dep rm", "dep relate", "dep unrelate", "relate",
          "unrelate", "dep", "label add", "label remove", "comments add", "comment", "import"}
# Agent memory (bd/memory, bd/cli/cmd_memory.py): kept apart so concurrent additions to the
# tables above do not collide.
MODULES.update({
    "admin compact": "memory", "compact": "memory", "admin cleanup": "memory",
    "restore": "memory", "audit record": "memory", "audit label": "memory",
    "audit list": "memory", "audit show": "memory",
    "remember": "memories", "recall": "memories", "forget": "memories", "memories": "memories",
})
GROUPS |= {"admin", "audit"}
WRITES |= {"audit record", "audit label", "remember", "forget"}
# Triage, state and reference lists (bd/cli/cmd_triage.py, cmd_helpcmds.py).
MODULES.update({
    "epic close-eligible": "triage", "duplicate": "triage", "supersede": "triage",
    "duplicates": "triage", "state": "triage", "state list": "triage", "set-state": "triage",
    "lint": "triage", "orphans": "triage", "rename-prefix": "triage",
    "admin reset": "workspace", "worktree create": "workspace", "worktree list": "workspace",
    "worktree remove": "workspace", "worktree info": "workspace",
    "repo add": "workspace", "repo remove": "workspace", "repo list": "workspace",
    "repo sync": "workspace", "preflight": "doctor", "repair": "maint", "migrate sync": "maint",
    "upgrade status": "workspace",
    "upgrade review": "workspace", "upgrade ack": "workspace",
    "human": "helpcmds", "types": "helpcmds", "statuses": "helpcmds", "edit": "edit",
})
GROUPS |= {"state", "worktree", "repo", "upgrade", "migrate"}
WRITES |= {"duplicate", "supersede", "set-state", "edit", "rename-prefix",
           "admin reset", "worktree create", "worktree remove",
           "repo add", "repo remove"}
# External trackers (bd/trackers, bd/cli/cmd_trackers.py).
MODULES.update({f"{t} {c}": "trackers" for t in ("github", "gitlab", "jira", "linear")
                for c in ("sync", "status")})
MODULES["linear teams"] = "trackers"
GROUPS |= {"github", "gitlab", "jira", "linear"}
WRITES |= {"github sync", "gitlab sync", "jira sync", "linear sync"}
# Workflows: formulas, molecules, wisps, gates (bd/workflows, cmd_formulas/mol/gates.py).
MODULES.update({
    "formula list": "formulas", "formula show": "formulas", "formula convert": "formulas",
    "cook": "formulas",
    "mol pour": "mol", "mol wisp": "mol", "mol bond": "mol", "mol fart": "mol",
    "mol squash": "mol", "mol burn": "mol", "mol distill": "mol", "mol show": "mol",
    "mol current": "mol", "mol progress": "mol", "mol stale": "mol", "mol ready": "mol",
    "gate list": "gates", "gate show": "gates", "gate resolve": "gates", "gate check": "gates",
    "gate add-waiter": "gates", "gate discover": "gates", "gate create": "gates",
    "template list": "mol", "template show": "mol", "template instantiate": "mol",
})
GROUPS |= {"formula", "mol", "gate", "template"}
WRITES |= {"cook", "formula convert", "mol pour", "mol wisp", "mol bond", "mol fart",
           "mol squash", "mol burn", "mol distill", "gate resolve", "gate check",
           "gate add-waiter", "gate discover", "gate create", "template instantiate"}
GLOBAL_BOOL = {"--json": "json", "--no-daemon": None, "--no-auto-flush": None,
               "--no-auto-import": None, "--sandbox": None, "-q": "quiet", "--quiet": "quiet",
               "--allow-stale": None, "--readonly": "readonly", "--no-db": None,
               "-v": "verbose", "--verbose": "verbose", "--profile": "profile",
               "--plain": "plain", "--no-pager": "no_pager"}
GLOBAL_VALUE: dict[str, str | None] = {"--actor": "actor", "--db": "db",
                                       "--lock-timeout": "lock_timeout", "--color": "color"}
# Commands whose output only confirms a change: -q silences it (errors still print).
CONFIRMS = WRITES | {"init", "sync", "config set", "config unset", "hooks install",
                     "hooks uninstall", "setup", "migrate", "repair-deps", "export"}
# Commands whose long human output goes through a pager on a terminal.
PAGED = {"list", "search", "show", "ready", "blocked", "stale", "dep tree", "comments",
         "label list-all", "count", "children"}


class Context:
    """What a command needs besides its own options: global flags, output, the store."""

    def __init__(self, flags: dict[str, Any], name: str | None = None) -> None:
        from bd.cli.console import Output

        self.flags = flags
        self.json = bool(flags.get("json")) or os.environ.get("BD_JSON", "") in ("1", "true")
        self.quiet = bool(flags.get("quiet"))
        color = flags.get("color")
        if color is not None and color not in ("auto", "always", "never"):
            from bd.core.choices import invalid

            raise invalid("value for --color:", color, ("auto", "always", "never"))
        self.out = Output(self.json, self.quiet, confirm=name in CONFIRMS, color=color,
                          plain=bool(flags.get("plain")),
                          paged=name in PAGED and not flags.get("no_pager"),
                          setting=self.setting)
        self._store: Any = None

    def setting(self, key: str) -> Any:
        """A config value of the workspace the command opened (None if it opened none)."""
        return self._store.config.get(key) if self._store is not None else None

    @property
    def store(self) -> Any:
        if self._store is None:
            from bd.store.store import Store

            timeout = self.flags.get("lock_timeout")
            self._store = Store.discover(db=self.flags.get("db"), actor=self.flags.get("actor"),
                                         lock_timeout=30.0 if timeout is None
                                         else lock_timeout(timeout))
            self._store.progress = self.progress()
            self._store.actor_fallback = self._git_user
        return self._store

    def _git_user(self) -> str | None:
        from bd.git.identity import user_name

        store = self._store
        return user_name(os.path.dirname(store.beads_dir), store.open_cache())

    def setup_hint(self) -> None:
        """After the first change in a clone: say so when its committed workspace lacks the
        merge driver or the hooks (git would merge issues.jsonl line by line).  Remembered
        in the cache, which the change has just written anyway."""
        cache = self._store.open_cache() if self._store is not None else None
        if cache is None or self.quiet:
            return
        try:
            if cache.meta("setup_hint") is not None:
                return
            from bd.git.initmodes import setup_missing

            missing = setup_missing(self._store.beads_dir)
            cache.set_meta("setup_hint", "shown" if missing else "ok")
        except Exception:  # noqa: BLE001 - a hint must never fail the command it follows
            return
        if missing:
            self.out.note(f"Hint: this clone has no bd {' and no '.join(missing)} set up, so "
                          "git may merge issues.jsonl line by line (conflict markers); run "
                          "'bd doctor --fix' once to set them up.  (Shown once.)")

    def mark_setup_seen(self, beads_dir: str) -> None:
        """After init: whatever it set up (or was told to skip) needs no hint."""
        from bd.store.store import Store

        store = Store(beads_dir)
        try:
            store.cache().set_meta("setup_hint", "init")
        except (BdError, OSError):
            pass
        finally:
            store.close()

    def custom(self, kind: str) -> list[str]:
        """The custom values config allows for an option kind ("status", "type")."""
        store = self.store
        return list(store.custom_statuses if kind == "status" else store.custom_types)

    def progress(self) -> Any:
        """The progress reporter for long work: drawn on a terminal (stderr), else silent."""
        if self.quiet or not _isatty(sys.stderr):
            from bd.core.progress import SILENT

            return SILENT
        from bd.cli.progress import for_cli

        return for_cli(self)

    def close(self) -> None:
        self.out.finish()
        if self._store is not None:
            for notice in self._store.notices:
                self.out.note(notice)
            self._store.close()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def partition_globals(argv: list[str]) -> tuple[list[str], list[str]]:
    """(global-flag tokens, the rest): globals are accepted anywhere before ``--``
    (clients such as the official MCP server put them last)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok == "--":
            rest.extend(argv[i - 1:])
            break
        name, eq, _ = tok.partition("=")
        if tok in GLOBAL_BOOL:
            front.append(tok)
        elif name in GLOBAL_VALUE:
            front.append(tok)
            if not eq:
                if i >= len(argv):
                    raise UsageError(f"flag needs an argument: {name}")
                front.append(argv[i])
                i += 1
        else:
            rest.append(tok)
    return front, rest


def split_globals(argv: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The global flags as a dict, and the command's own tokens."""
    front, rest = partition_globals(argv)
    flags: dict[str, Any] = {}
    i = 0
    while i < len(front):
        name, eq, value = front[i].partition("=")
        i += 1
        if name in GLOBAL_VALUE:
            if not eq:
                value = front[i]
                i += 1
            key = GLOBAL_VALUE[name]
            if key:
                flags[key] = value
        else:
            key = GLOBAL_BOOL[front[i - 1]]
            if key:
                flags[key] = True
    return flags, rest


def _find_command(tokens: list[str]) -> tuple[str | None, list[str]]:
    if not tokens:
        return None, []
    first = tokens[0]
    if first in GROUPS and len(tokens) > 1 and f"{first} {tokens[1]}" in MODULES:
        return f"{first} {tokens[1]}", tokens[2:]
    if first in GROUPS and len(tokens) > 1 and "-" not in tokens[1]:
        # Not an id (ids have a dash) nor a flag: a mistyped subcommand ('bd dep tre X')?
        from bd.core.suggest import nearest

        subs = [m.split()[1] for m in MODULES if m.startswith(first + " ")]
        found = nearest(tokens[1], subs)
        if found or first not in MODULES:
            hint = f"; did you mean '{first} {found[0]}'?" if found else ""
            raise UsageError(f"unknown subcommand {tokens[1]!r} for 'bd {first}'{hint} "
                             f"(see 'bd {first} --help')")
    if first in MODULES:
        return first, tokens[1:]
    if first in GROUPS:
        raise UsageError(f"'bd {first}' needs a subcommand (see 'bd {first} --help')")
    raise UsageError(f"unknown command {first!r} for 'bd'{command_hint(first)} "
                     "(see 'bd --help')")


def command_hint(word: str) -> str:
    """``; did you mean 'show'?`` for a mistyped command name (or ``""``); a group's
    subcommand is named with its group ('dep tree')."""
    from bd.core.suggest import nearest

    full = {m.split()[-1]: m for m in MODULES if " " in m}  # 'tree' -> 'dep tree'
    full.update({m.split()[0]: m.split()[0] for m in MODULES})
    found = nearest(word, [n for n in full if not n.startswith("_")])
    return ("; did you mean " + " or ".join(repr(full[f]) for f in found) + "?") if found else ""


def load_command(name: str) -> Any:
    import importlib

    from bd.cli.registry import COMMANDS

    importlib.import_module(f"bd.cli.cmd_{MODULES[name]}")
    return COMMANDS[name]


def lock_timeout(text: str) -> float:
    """``--lock-timeout``: seconds, or a Go-style duration (``500ms``, ``30s``, ``2m``)."""
    units = (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0))
    for suffix, scale in units:
        if text.endswith(suffix) and text[:-len(suffix)].replace(".", "", 1).isdigit():
            return float(text[:-len(suffix)]) * scale
    if text.replace(".", "", 1).isdigit():
        return float(text)
    raise UsageError(f"invalid --lock-timeout {text!r} (seconds, or 500ms, 30s, 2m)")


def _profiled(cmd: Any, ctx: Context, values: Any, name: str) -> Any:
    """``--profile``: run the command under cProfile and write the stats next to you."""
    import cProfile
    import time

    profiler = cProfile.Profile()
    try:
        return profiler.runcall(cmd.run, ctx, values)
    finally:
        path = f"bd-profile-{name.replace(' ', '-')}-{time.strftime('%Y%m%d-%H%M%S')}.prof"
        profiler.dump_stats(path)
        sys.stderr.write(f"bd: CPU profile written to {path} (python -m pstats {path})\n")


def _crash(exc: BaseException) -> str:
    import tempfile
    import traceback

    fd, path = tempfile.mkstemp(prefix="bd-crash-", suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(f"bd {VERSION} argv={sys.argv!r}\n")
        traceback.print_exception(exc, file=fh)
    return path


def _help_as_json(show_help: Any, tokens: list[str]) -> int:
    """``bd X --help --json``: the help text inside a JSON object (agents parse every
    ``--json`` output)."""
    import contextlib
    import io
    import json

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = int(show_help(tokens))
    words = [t for t in tokens if not t.startswith("-") and t != "help"]
    sys.stdout.write(json.dumps({"command": " ".join(words), "help": buf.getvalue()},
                                ensure_ascii=False, indent=2) + "\n")
    return code


def main(argv: list[str] | None = None) -> int:
    argv = [_text(a) for a in (sys.argv[1:] if argv is None else argv)]
    json_mode = "--json" in argv
    ctx: Context | None = None
    flags: dict[str, Any] = {}
    if argv[:1] == ["__complete"]:  # asked by the shell completion scripts
        from bd.cli.completion import complete_main

        return complete_main(argv[1:])
    try:
        flags, tokens = split_globals(argv)
        if tokens[:1] in (["--version"], ["-V"]):
            from bd.version import version_line

            sys.stdout.write(version_line() + "\n")
            return 0
        flags_part = tokens[:tokens.index("--")] if "--" in tokens else tokens  # -- x: text
        if not tokens or tokens[0] in ("help", "--help", "-h") or "--help" in flags_part \
                or "-h" in flags_part:
            from bd.cli.typer_app import show_help

            if json_mode:  # --json always prints one JSON document, help included
                return _help_as_json(show_help, tokens)
            return show_help(tokens)
        name, rest = _find_command(tokens)
        assert name is not None
        from bd.cli.registry import check_choices, parse

        cmd = load_command(name)
        values = parse(cmd, rest)
        ctx = Context(flags, name)
        check_choices(cmd, values, ctx.custom)
        json_mode = ctx.json
        if flags.get("readonly") and name in WRITES:
            raise BdError(f"operation '{name}' is not allowed in read-only mode")
        if flags.get("profile"):
            code = _profiled(cmd, ctx, values, name)
        else:
            code = cmd.run(ctx, values)
        if not code and name in WRITES:
            ctx.setup_hint()
        return int(code or 0)
    except BdError as exc:
        _report(str(exc), json_mode, flags.get("color"),
                whole=getattr(exc, "multiline", False))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except OSError as exc:  # a file bd was pointed at cannot be read or written: not a bug
        where = f"{exc.filename}: " if exc.filename else ""
        _report(f"{where}{exc.strerror or exc}", json_mode, flags.get("color"))
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place unexpected errors are caught
        if type(exc).__module__ == "sqlite3" and "database is locked" in str(exc):
            # Another process held beads.db past the busy timeout: not a bd bug.
            _report("the cache database (beads.db) is locked by another process; try again",
                    json_mode)
            return 1
        if type(exc).__module__ == "sqlite3" and any(m in str(exc) for m in _SQLITE_ENV):
            store = ctx._store if ctx is not None else None  # a directory bd cannot write...
            where = f"{store.db_path}: " if store is not None else ""
            _report(f"{where}cannot use the cache database: {exc}", json_mode, flags.get("color"))
            return 1
        path = _crash(exc)
        _report(f"internal error (this is a bd bug): {type(exc).__name__}: {exc}; "
                f"details written to {path}", json_mode, flags.get("color"))
        return 3
    finally:
        if ctx is not None:
            ctx.close()


# SQLite errors that come from the file system, not from bd: reported like an OSError.
_SQLITE_ENV = ("unable to open database file", "readonly database", "disk I/O error",
               "database or disk is full")


def _text(arg: str) -> str:
    """An argument as valid text: bytes that are not UTF-8 (which Python decodes to lone
    surrogates) become U+FFFD, as the original's JSON encoder writes them."""
    try:
        arg.encode("utf-8")
        return arg
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in arg)


def _report(message: str, json_mode: bool, color: str | None = None,
            whole: bool = False) -> None:
    """One line on stderr (or a JSON object); ``whole`` keeps the lines of a message that
    quotes another program (git's errors name files and causes on their later lines)."""
    if not whole:
        message = message.replace("\n", " ")
    if json_mode:
        from bd.core.model import encode_json

        sys.stdout.write(encode_json({"error": message}, indent=2) + "\n")
        return
    if _isatty(sys.stderr) or os.environ.get("CLICOLOR_FORCE") or color == "always":
        from bd.cli.console import want_color

        if want_color(color, sys.stderr):
            from bd.cli.style import error

            sys.stderr.write(error(message) + "\n")
            return
    sys.stderr.write(f"Error: {message}\n")


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
