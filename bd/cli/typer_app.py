"""The typer front end: ``--help`` screens and the CLI reference, built from the registry.

Commands run through the stdlib parser in ``bd.cli.registry``; importing typer costs ~48 ms,
more than a warm ``bd ready`` may take, so this module is imported only to render help (and
by docs and tests).  The app is nevertheless complete: each typer command builds the same
``Values`` the fast parser would and calls the same handler, so the two front ends can be
checked against each other.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from typing import Any, Optional

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from bd.cli import (
    GLOBAL_BOOL,
    GLOBAL_VALUE,
    GROUPS,
    MODULES,
    WRITES,
    Context,
    command_hint,
    partition_globals,
    registry,
)
from bd.cli.help_topics import TOPICS, topic_text
from bd.cli.registry import Command
from bd.errors import BdError, UsageError


# typer prints a Python type after each argument ("IDS <list[str]>") and braces around
# required ones in usage lines ("{ISSUE}"); bd's help uses the usual NAME, [NAME], NAME...
def _usage_name(self: Any) -> str:
    name = self.display_name_raw
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]

APP_HELP = ("bd (beads): a git-native, dependency-aware issue tracker for coding agents.\n\n"
            "Issues live in .beads/issues.jsonl, committed with your code; "
            "'bd ready' shows what can be worked on now.")

GROUP_HELP = {
    "config": "Get and set configuration (stored in .beads/config.yaml)",
    "dep": "Manage dependencies",
    "label": "Manage labels",
    "comments": "List and add comments",
    "epic": "Epic commands",
    "hooks": "Install, list and run bd's git hooks (they chain your existing hooks)",
    "graph": "Draw the dependency graph (ascii, dot, mermaid, html) and check its integrity",
    "github": "Two-way sync with GitHub Issues (see docs/trackers.md)",
    "gitlab": "Two-way sync with GitLab issues (see docs/trackers.md)",
    "jira": "Two-way sync with Jira (see docs/trackers.md)",
    "admin": "Maintenance: compact old closed issues, clean up closed issues and tombstones",
    "audit": "Record and label agent interactions (append-only .beads/interactions.jsonl)",
    "state": "Operational state of an issue: DIMENSION:VALUE labels (set with bd set-state)",
    "worktree": "Git worktrees that share this repository's issues (.beads/redirect)",
    "repo": "Other repositories whose issues this one reads (config repos.additional)",
    "upgrade": "Which bd version this clone last acknowledged, and what changed since",
    "migrate": "Bring the cache up to date, clean up old files, move to a sync branch",
    "linear": "Two-way sync with Linear (see docs/trackers.md)",
    "formula": "Formulas: reusable workflow files (.beads/formulas/*.formula.toml)",
    "mol": "Molecules: pour formulas into step issues, wisps, bond, squash, burn",
    "gate": "Gates: steps that wait for CI, a pull request, a timer or a person",
    "template": "Deprecated (use bd mol / bd formula): list, show, instantiate protos",
}

# Top-level order of `bd --help`: the everyday workflow first, then the rest.
ORDER = ("init", "create", "q", "update", "close", "reopen", "show", "ready", "blocked",
         "list", "search", "dep", "label", "comments", "children", "epic", "defer", "undefer",
         "stale", "count", "stats", "delete", "export", "import", "config", "info", "where",
         "version")

# `bd --help` sections, as the original groups its commands (cobra groups in cmd/bd).
CATEGORIES = (
    ("Working With Issues", ("create", "q", "update", "close", "reopen", "show", "list",
                             "search", "delete", "label", "comments", "defer", "undefer",
                             "gate", "edit", "move", "refile", "history", "state",
                             "set-state")),
    ("Views & Reports", ("ready", "blocked", "stale", "count", "stats", "status", "activity",
                         "lint", "orphans", "ui")),
    ("Dependencies & Structure", ("dep", "children", "epic", "graph", "duplicates",
                                  "duplicate", "supersede", "swarm", "mol", "formula",
                                  "cook")),
    ("Sync & Data", ("sync", "export", "import", "merge", "resolve-conflicts", "restore")),
    ("Setup & Configuration", ("init", "config", "hooks", "info", "where", "prime",
                               "onboard", "quickstart", "setup", "completion", "version",
                               "mcp", "human", "template", "types", "statuses")),
    ("Maintenance", ("doctor", "validate", "repair-deps", "detect-pollution", "migrate",
                     "compact", "cleanup", "rename-prefix", "upgrade", "preflight",
                     "worktree")),
    ("Integrations & Advanced", ("github", "gitlab", "jira", "linear", "admin", "repo",
                                 "audit")),
)
OTHER = "Additional Commands"
_CATEGORY_OF = {name: title for title, names in CATEGORIES for name in names}

_GLOBAL_HELP = {
    "json": "Print JSON (machine-readable) output",
    "actor": "Actor name for audit fields (default: $BD_ACTOR, config 'actor', git "
             "user.name, $USER)",
    "db": "Path of the cache database (selects the workspace)",
    "quiet": "Suppress non-essential output: warnings, notes, progress and the "
             "confirmations of changes (errors still print)",
    "readonly": "Refuse every command that writes",
    "verbose": "Verbose output (where a command has any)",
    "profile": "Write a CPU profile of the command to bd-profile-COMMAND-TIME.prof",
    "lock_timeout": "How long to wait for the workspace lock (seconds, or 500ms, 30s, 2m; "
                    "default 30s)",
    "color": "Colour: auto (on a terminal, unless NO_COLOR), always or never",
    "plain": "No emoji in human output (also config 'plain: true', BD_NO_EMOJI)",
    "no_pager": "Print long output directly instead of through $PAGER (less -FRX)",
}
_GLOBAL_METAVAR = {"actor": "NAME", "db": "PATH", "lock_timeout": "DURATION", "color": "WHEN"}
_COMPAT_HELP = "Accepted for compatibility with the original bd; no effect"
COMPAT_FLAGS = sorted([f for f, d in GLOBAL_BOOL.items() if d is None]
                      + [f for f, d in GLOBAL_VALUE.items() if d is None])
EPILOG = ("Help topics: " + ", ".join(TOPICS) + " ('bd help TOPIC').  "
          "Accepted and ignored for compatibility with the original bd: "
          + ", ".join(COMPAT_FLAGS) + ". Run 'bd COMMAND --help' for a command's options.")

_HELP_WIDTH = 100  # fixed width for usage_text so generated docs do not depend on a terminal


class _BareCommand(TyperCommand):
    """The bare form of a group (``bd dep X --blocks Y``): usage shows the group's path."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        path = ctx.parent.command_path if ctx.parent is not None else ctx.command_path
        formatter.write_usage(path, " ".join(self.collect_usage_pieces(ctx)))


class _RootGroup(TyperGroup):
    """``bd --help`` lists commands in workflow order, in the original's sections."""

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(self.commands, key=_rank)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {title: [] for title, _ in CATEGORIES}
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            title = _CATEGORY_OF.get(name, OTHER)
            # the whole first paragraph: click would cut it at 45 characters or at a '.'
            summary = " ".join((cmd.help or "").split("\n\n")[0].split())
            sections.setdefault(title, []).append((name, summary))
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _GroupWithDefault(TyperGroup):
    """A group whose first word may be an argument of its bare command instead of a
    subcommand: ``bd dep add A B`` and ``bd dep A --blocks B`` both work, as in the fast
    parser."""

    default_command: str | None = None

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if (self.default_command and args and args[0] not in self.commands
                and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _annotation(o: registry.Opt) -> Any:
    if o.multiple:
        return list[o.type]  # type: ignore[name-defined]
    if o.type is bool:
        return bool
    return o.type if o.default is not None else Optional[o.type]  # noqa: UP045


def _parameters(cmd: Command) -> list[inspect.Parameter]:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter("_bd_ctx", kind, annotation=typer.Context)]
    for a in cmd.args:
        required = a.nargs in ("1", "+")
        default = typer.Argument(... if required else None, help=a.help or None,
                                 metavar=a.dest.upper(), show_default=False)
        annotation = {"1": str, "?": Optional[str], "+": list[str],  # noqa: UP045
                      "*": Optional[list[str]]}[a.nargs]  # noqa: UP045
        params.append(inspect.Parameter(a.dest, kind, default=default, annotation=annotation))
    for o in cmd.opts:
        default = None if o.multiple else o.default
        metavar = None if o.type is bool else o.metavar or _metavar_opt(o)
        info = typer.Option(default, *o.flags, help=o.help or None, hidden=o.hidden,
                            metavar=metavar, show_default=o.type is not bool)
        params.append(inspect.Parameter(o.dest, inspect.Parameter.KEYWORD_ONLY, default=info,
                                        annotation=_annotation(o)))
    return params


def _metavar_opt(o: registry.Opt) -> str:
    longs = [f for f in o.flags if f.startswith("--")]
    return (longs[0][2:] if longs else o.dest).replace("-", "_").upper()


def _metavar_arg(a: registry.Arg) -> str:
    name = a.dest.upper()
    return {"1": name, "?": f"[{name}]", "+": f"{name}...", "*": f"[{name}...]"}[a.nargs]


def values_from(cmd: Command, kwargs: dict[str, Any], given: set[str]) -> registry.Values:
    """The ``Values`` the fast parser would produce for the same command line."""
    values = registry.Values()
    for o in cmd.opts:
        value = kwargs.get(o.dest)
        values[o.dest] = list(value or []) if o.multiple else value
    for a in cmd.args:
        value = kwargs.get(a.dest)
        values[a.dest] = list(value or []) if a.nargs in ("*", "+") else value
    values["_given"] = given
    return values


def _callback(name: str, cmd: Command) -> Any:
    def run(**kwargs: Any) -> int:
        tctx = kwargs.pop("_bd_ctx")
        given = {o.dest for o in cmd.opts
                 if getattr(tctx.get_parameter_source(o.dest), "name", "") == "COMMANDLINE"}
        values = values_from(cmd, kwargs, given)
        flags = dict(tctx.meta.get("bd.flags") or {})
        ctx = Context(flags, name)
        try:
            registry.check_choices(cmd, values, ctx.custom)
            if flags.get("readonly") and name in WRITES:
                raise BdError(f"operation '{name}' is not allowed in read-only mode")
            return int(cmd.run(ctx, values) or 0)
        finally:
            ctx.close()

    run.__signature__ = inspect.Signature(_parameters(cmd))  # type: ignore[attr-defined]
    run.__name__ = name.replace(" ", "_").replace("-", "_")
    run.__doc__ = cmd.help
    return run


_FLAG_DESTS = {d for d in (*GLOBAL_BOOL.values(), *GLOBAL_VALUE.values()) if d}


def _app_callback(tctx: typer.Context, **flags: Any) -> None:
    # Only the flags the fast path keeps (split_globals); the others are accepted and ignored.
    tctx.meta["bd.flags"] = {k: v for k, v in flags.items()
                             if k in _FLAG_DESTS and v not in (None, False)}


def _print_version(value: bool) -> None:
    if value:
        from bd.version import version_line

        typer.echo(version_line())
        raise typer.Exit(0)


def _global_parameters() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter("tctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=typer.Context)]
    by_dest: dict[str, list[str]] = {}
    for flag, dest in GLOBAL_BOOL.items():
        by_dest.setdefault(dest or flag.lstrip("-").replace("-", "_"), []).append(flag)
    for dest, flags in by_dest.items():
        info = typer.Option(False, *flags, help=_GLOBAL_HELP.get(dest, _COMPAT_HELP),
                            show_default=False, hidden=dest not in _GLOBAL_HELP)
        params.append(inspect.Parameter(dest, kw, default=info, annotation=bool))
    for flag, dest in GLOBAL_VALUE.items():
        name = dest or flag.lstrip("-").replace("-", "_")
        info = typer.Option(None, flag, help=_GLOBAL_HELP.get(name, _COMPAT_HELP),
                            metavar=_GLOBAL_METAVAR.get(name, "VALUE"),
                            hidden=name not in _GLOBAL_HELP)
        params.append(inspect.Parameter(name, kw, default=info, annotation=Optional[str]))  # noqa: UP045
    params.append(inspect.Parameter(
        "version", kw, annotation=bool,
        default=typer.Option(False, "--version", "-V", help="Print the version and exit",
                             is_eager=True, callback=_print_version, show_default=False)))
    return params


def load_commands() -> list[Command]:
    """Import every command module; the distinct commands in declaration order."""
    for suffix in dict.fromkeys(MODULES.values()):
        importlib.import_module(f"bd.cli.cmd_{suffix}")
    seen: dict[int, Command] = {}
    for cmd in registry.COMMANDS.values():
        seen.setdefault(id(cmd), cmd)
    return list(seen.values())


def _help_of(cmd: Command) -> str:
    if not cmd.aliases:
        return cmd.help
    return f"{cmd.help} (alias: {', '.join('bd ' + a for a in cmd.aliases)})"


def build_app() -> typer.Typer:
    """The typer app mirroring every registered command (aliases as hidden commands)."""
    settings = {"help_option_names": ["--help", "-h"]}
    app = typer.Typer(name="bd", help=APP_HELP, epilog=EPILOG, cls=_RootGroup,
                      add_completion=False, no_args_is_help=True,
                      pretty_exceptions_enable=False, rich_markup_mode=None,
                      context_settings=settings)
    app.callback()(_with_signature(_app_callback, _global_parameters()))
    commands = load_commands()
    bare = {c.name: c for c in commands if c.name in GROUPS}
    groups: dict[str, typer.Typer] = {}
    for group in sorted(GROUPS, key=_rank):
        default = bare.get(group)
        cls = type(f"{group.title()}Group", (_GroupWithDefault,),
                   {"default_command": group if default else None})
        help_text = GROUP_HELP.get(group, group)
        if default is not None:
            shape = " ".join(_metavar_arg(a) for a in default.args)
            extra = default.help if f"bd {group}" in default.help else \
                f"'bd {group} {shape}': {default.help}"
            help_text += f"\n\n{extra}"
        groups[group] = typer.Typer(name=group, help=help_text, cls=cls, no_args_is_help=True,
                                    rich_markup_mode=None, context_settings=settings)
    entries: list[tuple[str, Command, bool]] = []
    for cmd in commands:
        entries.append((cmd.name, cmd, cmd.hidden))
        entries.extend((alias, cmd, True) for alias in cmd.aliases)
    entries.sort(key=lambda e: _rank(e[0].split()[0]))
    for path, cmd, hidden in entries:
        fn = _callback(cmd.name, cmd)
        help_text = _help_of(cmd) if path == cmd.name else cmd.help
        words = path.split()
        if len(words) == 2:
            groups[words[0]].command(words[1], help=help_text, hidden=hidden)(fn)
        elif path in GROUPS:  # the bare form of a group, reached through _GroupWithDefault
            groups[path].command(path, help=help_text, hidden=True, cls=_BareCommand)(fn)
        else:
            app.command(path, help=help_text, hidden=hidden)(fn)
    for group in sorted(GROUPS, key=_rank):
        app.add_typer(groups[group], name=group)
    return app


def _rank(word: str) -> tuple[int, int]:
    if word in ORDER:
        return (ORDER.index(word), 0)
    names = [m.split()[0] for m in MODULES]
    return (len(ORDER), names.index(word) if word in names else len(names))


def _with_signature(fn: Any, params: list[inspect.Parameter]) -> Any:
    def wrapper(**kwargs: Any) -> Any:
        return fn(**kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__name__ = fn.__name__
    return wrapper


def _command_path(words: list[str]) -> list[str] | None:
    """The typer path of the command named by the leading words; None if unknown."""
    if not words:
        return []
    first = words[0]
    if first in GROUPS:
        if len(words) > 1 and f"{first} {words[1]}" in MODULES:
            return [first, words[1]]
        if first in MODULES and len(words) > 1:
            return [first, first]  # bare form with arguments: 'bd dep X --blocks Y --help'
        return [first]
    if first in MODULES:
        return [first]
    return None


def show_help(tokens: list[str]) -> int:
    """Print help for the command named in ``tokens`` (``bd help X``, ``bd X --help``, ``bd``)."""
    words = [t for t in tokens if t not in ("--help", "-h")]
    while words[:1] == ["help"]:
        words = words[1:]
    if not words or words[0].startswith("-"):
        return run_app(["--help"])
    path = _command_path(words)
    if path is None and topic_text(words[0]) is not None:
        sys.stdout.write(str(topic_text(words[0])))
        return 0
    if path is None:
        sys.stderr.write(f"Error: unknown command {words[0]!r} for 'bd'"
                         f"{command_hint(words[0])} (see 'bd --help')\n")
        return 2
    return run_app([*path, "--help"])


def hoist_globals(argv: list[str]) -> list[str]:
    """Move global flags to the front, where click expects them."""
    try:
        front, rest = partition_globals(argv)
    except UsageError:
        return list(argv)  # let click report the missing value
    return front + rest


def run_app(argv: list[str]) -> int:
    """Run the typer app on ``argv``; returns the exit code."""
    app = build_app()
    try:
        rv = app(args=hoist_globals(argv), prog_name="bd", standalone_mode=False)
    except typer.Exit as exc:  # pragma: no cover - raised only in standalone mode
        return int(exc.exit_code)
    except BdError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except Exception as exc:
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        return int(getattr(exc, "exit_code", 2))
    return int(rv or 0)


def _click_command(path: list[str]) -> tuple[Any, Any]:
    """(click command, context) for ``bd <path>``, rendered at a fixed width."""
    root = typer.main.get_command(build_app())
    ctx = root.make_context("bd", [], resilient_parsing=True, terminal_width=_HELP_WIDTH,
                            max_content_width=_HELP_WIDTH)
    cmd: Any = root
    for word in path:
        cmd = cmd.get_command(ctx, word)
        if cmd is None:
            raise KeyError(" ".join(path))
        ctx = cmd.make_context(word, [], parent=ctx, resilient_parsing=True)
    return cmd, ctx


def usage_text(name: str) -> str:
    """The ``--help`` text of one command (``"create"``, ``"dep add"``; ``""`` = bd itself)."""
    words = name.split()
    path = [words[0], words[0]] if name in GROUPS and name in MODULES else words
    cmd, ctx = _click_command(path)
    return str(cmd.get_help(ctx))
