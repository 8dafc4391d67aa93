"""Command declarations and the fast argument parser.

Each command declares its options and arguments once, as data.  The same declarations
drive two front ends: this stdlib-only parser, which runs every command (typer with its
dependencies costs ~50 ms of start-up, more than a warm ``bd ready`` is allowed to take), and
the typer app in ``bd.cli.typer_app``, which renders ``--help`` and the CLI reference.
"""

from __future__ import annotations

from collections.abc import Callable

from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


# Plain classes, not dataclasses: importing dataclasses (and inspect) costs ~7 ms per process.
class Opt:
    """One option.  ``choices``: a tuple of the values it accepts (checked by the parser), or
    the name of a kind whose values depend on config ("status", "status-filter", "type",
    checked by ``check_choices``; "dep-type" and "id", used by completion only)."""

    __slots__ = ("dest", "flags", "type", "default", "help", "multiple", "hidden", "metavar",
                 "choices")

    def __init__(self, dest: str, flags: tuple[str, ...], type: type = str, default: Any = None,
                 help: str = "", multiple: bool = False, hidden: bool = False,
                 metavar: str | None = None,
                 choices: tuple[str, ...] | str | None = None) -> None:
        self.dest, self.flags, self.type, self.default = dest, flags, type, default
        self.help, self.multiple, self.hidden, self.metavar = help, multiple, hidden, metavar
        self.choices = choices


class Arg:
    """A positional argument; ``complete`` names what completes it ("id", or a tuple)."""

    __slots__ = ("dest", "nargs", "help", "complete")

    def __init__(self, dest: str, nargs: str = "1", help: str = "",
                 complete: tuple[str, ...] | str | None = None) -> None:
        self.dest, self.nargs, self.help = dest, nargs, help  # nargs: "1", "?", "*", "+"
        self.complete = complete


class Command:
    __slots__ = ("name", "help", "run", "opts", "args", "aliases", "hidden")

    def __init__(self, name: str, help: str, run: Callable[..., int | None],
                 opts: list[Opt], args: list[Arg], aliases: tuple[str, ...] = (),
                 hidden: bool = False) -> None:
        self.name, self.help, self.run, self.opts, self.args = name, help, run, opts, args
        self.aliases, self.hidden = aliases, hidden


def opt(dest: str, *flags: str, type: type = str, default: Any = None, help: str = "",
        multiple: bool = False, hidden: bool = False, metavar: str | None = None,
        choices: tuple[str, ...] | str | None = None) -> Opt:
    if type is bool and default is None:
        default = False
    if multiple and default is None:
        default = []
    if not help:
        help = next((OPTION_HELP[f] for f in flags if f in OPTION_HELP), "")
    return Opt(dest, flags or (f"--{dest.replace('_', '-')}",), type, default, help, multiple,
               hidden, metavar, choices)


def arg(dest: str, nargs: str = "1", help: str = "",
        complete: tuple[str, ...] | str | None = None) -> Arg:
    return Arg(dest, nargs, help or ARG_HELP.get(dest, ""), complete)


_WHEN = " (2025-01-15, -7d, yesterday, ...)"
# Help for options and arguments many commands share, used where a declaration gives none
# (tests/unit/test_help.py checks that every visible option and argument has help).
OPTION_HELP = {
    "--acceptance": "Acceptance criteria", "--design": "Design notes", "--notes": "Notes",
    "--assignee": "Assignee", "--add-label": "Add these labels",
    "--remove-label": "Remove these labels", "--set-labels": "Replace all labels with these",
    "--assigned": "Only issues assigned to the actor",
    "--body-file": "Read the description from a file ('-' reads stdin)",
    "--description": "Description ('-' reads stdin)",
    "--by-assignee": "Count per assignee", "--by-label": "Count per label",
    "--by-priority": "Count per priority", "--by-status": "Count per status",
    "--by-type": "Count per issue type",
    "--closed-after": "Closed after this time" + _WHEN,
    "--closed-before": "Closed before this time" + _WHEN,
    "--created-after": "Created after this time" + _WHEN,
    "--created-before": "Created before this time" + _WHEN,
    "--updated-after": "Updated after this time" + _WHEN,
    "--updated-before": "Updated before this time" + _WHEN,
    "--due-after": "Due after this time" + _WHEN, "--due-before": "Due before this time" + _WHEN,
    "--defer-after": "Deferred until after this time" + _WHEN,
    "--defer-before": "Deferred until before this time" + _WHEN,
    "--days": "Not updated for this many days", "--deferred": "Only deferred issues",
    "--desc-contains": "Description contains this text (case-insensitive)",
    "--title-contains": "Title contains this text (case-insensitive)",
    "--notes-contains": "Notes contain this text (case-insensitive)",
    "--title": "Title (exact)", "--dry-run": "Show what would change; change nothing",
    "--due": "Due time (+6h, tomorrow, 2025-01-15; '' clears it)",
    "--empty-description": "Only issues without a description",
    "--estimate": "Estimate in minutes", "--external-ref": "External reference (gh-9, ...)",
    "--include-deferred": "Include issues deferred to a later time",
    "--include-gates": "Include gate issues", "--include-templates": "Include templates",
    "--labels": "Labels (comma list)", "--limit": "Maximum number of issues (0 = all)",
    "--long": "Show more detail per issue", "--max-depth": "How deep to follow dependencies",
    "--no-assignee": "Only unassigned issues", "--no-labels": "Only issues without labels",
    "--no-pinned": "Leave pinned issues out", "--pinned": "Only pinned issues",
    "--overdue": "Only issues past their due time",
    "--priority": "Only this priority (0-4 or P0-P4)",
    "--priority-max": "Priority at most this (0-4)", "--priority-min": "Priority at least this",
    "--query": "Search text (instead of the positional QUERY)",
    "--reason": "Why (recorded with the change)", "--reverse": "Reverse the order",
    "--skip-existing": "Leave issues that already exist unchanged",
    "--type": "Only this type",
}
ARG_HELP = {
    "id": "Issue id (a unique part of it is enough)",
    "ids": "Issue ids (a unique part of each is enough)",
    "issue": "The issue that depends", "depends_on": "The issue it depends on",
    "blocker": "The blocking issue", "a": "One issue", "b": "The other issue",
    "args": "Issue ids, then the label", "key": "Config key (see 'bd config list')",
    "value": "The value to set", "text": "The comment text", "title": "Title",
    "query": "Text to search for", "extra": "Not accepted: use -i FILE",
    "entry_id": "Audit entry id (from 'bd audit list')",
    "dimension": "State dimension: the DIM of a DIM:VALUE label",
    "new_prefix": "The new id prefix",
    "name": "Its name", "proto": "The proto: a template molecule's id or a formula's name",
    "waiter": "The issue that waits on the gate",
    "path": "A path",
}

COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, *, opts: tuple[Opt, ...] | list[Opt] = (),
            args: tuple[Arg, ...] | list[Arg] = (), aliases: tuple[str, ...] = (),
            hidden: bool = False
            ) -> Callable[[Callable[..., int | None]], Callable[..., int | None]]:
    def register(fn: Callable[..., int | None]) -> Callable[..., int | None]:
        cmd = Command(name, help, fn, list(opts), list(args), aliases, hidden)
        COMMANDS[name] = cmd
        for alias in aliases:
            COMMANDS[alias] = cmd
        return fn
    return register


class Values(dict):  # type: ignore[type-arg]
    """Parsed values; attribute access for convenience."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _convert(o: Opt, flag: str, raw: str) -> Any:
    if o.type is int:
        try:
            value = int(raw)
        except ValueError:
            raise UsageError(f"invalid value for {flag}: {raw!r} is not an integer") from None
        if not -(1 << 63) <= value < 1 << 63:  # what SQLite and the original's int64 hold
            raise UsageError(f"invalid value for {flag}: {raw[:30]} is out of range")
        return value
    if o.type is float:
        try:
            return float(raw)
        except ValueError:
            raise UsageError(f"invalid value for {flag}: {raw!r} is not a number") from None
    if type(o.choices) is tuple and raw not in o.choices and not (raw == "" and o.default):
        from bd.core.choices import invalid

        raise invalid(f"value for {flag}:", raw, o.choices)
    return raw


def _check_priority(o: Opt, value: str) -> None:
    """A priority option's value is a usage error when it is not 0-4 or P0-P4."""
    from bd.core.model import parse_priority
    from bd.errors import ValidationError

    try:
        parse_priority(value)
    except ValidationError as exc:
        raise UsageError(f"{exc.message} ({'/'.join(o.flags)})") from None


def check_choices(cmd: Command, values: Values, valid: Callable[[str], list[str]]) -> None:
    """Check the options whose values depend on config (``choices`` a kind name);
    ``valid(kind)`` gives the custom values of that kind."""
    from bd.core import choices

    for o in cmd.opts:
        kind = o.choices
        value = values.get(o.dest)
        if value and o.dest in ("priority", "priority_min", "priority_max") \
                and type(value) is str:
            _check_priority(o, value)
            continue
        if type(kind) is not str or not value or kind in ("dep-type", "id"):
            continue
        for one in (value if o.multiple else [value]):
            if kind == "type":
                if one not in choices.ISSUE_TYPES and one not in choices.TYPE_ALIASES:
                    choices.issue_type(one, valid("type"))
            elif kind == "status-filter":
                if one not in choices.FILTER_STATUSES:
                    choices.status(one, valid("status"), filter=True)
            elif one not in choices.SETTABLE_STATUSES:
                choices.status(one, valid("status"))


def _is_number(token: str) -> bool:
    return token[1:].replace(".", "", 1).isdigit()


def _flag_hint(cmd: Command, flag: str) -> str:
    from bd.cli import GLOBAL_BOOL, GLOBAL_VALUE
    from bd.core.suggest import did_you_mean

    known = [f for o in cmd.opts if not o.hidden for f in o.flags if f.startswith("--")]
    return did_you_mean(flag, [*known, *GLOBAL_BOOL, *GLOBAL_VALUE])


def parse(cmd: Command, tokens: list[str]) -> Values:
    """Parse a command's own tokens (global options already removed)."""
    by_flag = {f: o for o in cmd.opts for f in o.flags}
    values = Values({o.dest: (list(o.default) if o.multiple else o.default) for o in cmd.opts})
    given: set[str] = set()
    positionals: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            positionals.extend(tokens[i:])
            break
        if tok.startswith("--") and len(tok) > 2:
            name, eq, inline = tok.partition("=")
            o = by_flag.get(name)
            if o is None:
                raise UsageError(f"unknown flag: {name}{_flag_hint(cmd, name)} "
                                 f"(see 'bd {cmd.name} --help')")
            if o.type is bool:
                value: Any = True if not eq else inline.lower() not in ("false", "0", "no", "")
            else:
                if not eq:
                    if i >= len(tokens):
                        raise UsageError(f"flag needs an argument: {name}")
                    inline = tokens[i]
                    i += 1
                value = _convert(o, name, inline)
        elif tok.startswith("-") and len(tok) > 1 and not _is_number(tok):
            short = tok[:2]
            o = by_flag.get(short)
            if o is None:
                raise UsageError(f"unknown shorthand flag: {short!r} in {tok} "
                                 f"(see 'bd {cmd.name} --help')")
            rest = tok[2:]
            if o.type is bool:
                value = True
                if rest:  # combined short booleans: -fq
                    tokens = tokens[:i] + [f"-{rest}"] + tokens[i:]
            else:
                if rest.startswith("="):
                    rest = rest[1:]
                if not rest:
                    if i >= len(tokens):
                        raise UsageError(f"flag needs an argument: {short}")
                    rest = tokens[i]
                    i += 1
                value = _convert(o, short, rest)
        else:
            positionals.append(tok)
            continue
        if o.multiple:
            values[o.dest].append(value)
        else:
            values[o.dest] = value
        given.add(o.dest)
    values["_given"] = given
    _assign(cmd, positionals, values)
    return values


def _assign(cmd: Command, positionals: list[str], values: Values) -> None:
    rest = list(positionals)
    for n, a in enumerate(cmd.args):
        remaining_required = sum(1 for b in cmd.args[n + 1:] if b.nargs in ("1", "+"))
        if a.nargs == "1":
            if not rest:
                raise UsageError(f"missing argument {a.dest.upper()} (see 'bd {cmd.name} --help')")
            values[a.dest] = rest.pop(0)
        elif a.nargs == "?":
            values[a.dest] = rest.pop(0) if len(rest) > remaining_required else None
        else:
            take = max(0, len(rest) - remaining_required)
            if a.nargs == "+" and take == 0:
                raise UsageError(f"missing argument {a.dest.upper()} (see 'bd {cmd.name} --help')")
            values[a.dest], rest = rest[:take], rest[take:]
    if rest:
        raise UsageError(f"unexpected extra argument(s) for 'bd {cmd.name}': {' '.join(rest)}")
