"""Shell completion: ``bd completion bash|zsh|fish`` prints a script; the script asks
``bd __complete WORD... CURRENT`` for the candidates, one per line.

The candidates come from the command declarations (commands, subcommands, flags, the values
of enumerated options) and, for issue ids, from the cache (one indexed query; the JSONL is not
re-read).  Only a completing shell imports this module.
"""

from __future__ import annotations

import sys

from bd.cli import GLOBAL_BOOL, GLOBAL_VALUE, GROUPS, MODULES, load_command
from bd.cli.registry import Command, Opt

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

SHELLS = ("bash", "zsh", "fish")
# Arguments and options that name issues, when a declaration does not say (Arg.complete).
ID_DESTS = frozenset({"id", "ids", "issue", "issue_id", "depends_on", "blocker", "blocks",
                      "blocked_by", "depends_on_opt", "parent", "a", "b"})
GLOBAL_CHOICES = {"--color": ("auto", "always", "never")}
EXTRA_COMMANDS = ("help",)


def _top_level() -> list[str]:
    names = dict.fromkeys(m.split()[0] for m in MODULES)
    return [n for n in (*names, *EXTRA_COMMANDS) if not n.startswith("_")]


def _subcommands(group: str) -> list[str]:
    return [m.split()[1] for m in MODULES if m.startswith(group + " ")]


def _ids(prefix: str, limit: int = 200) -> list[str]:
    """Live issue ids starting with ``prefix`` (or whose part after the dash does)."""
    try:
        from bd.store.store import Store

        store = Store.discover()
        try:
            return store.ids_starting(prefix, limit)  # type: ignore[no-any-return]
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - no workspace, a locked cache...: just no ids
        return []


def _config_values(key: str) -> list[str]:
    try:
        from bd.store.store import Store

        return Store.discover().config_list(key)
    except Exception:  # noqa: BLE001 - outside a workspace there is no config
        return []


def values_of(kind: tuple[str, ...] | str | None, prefix: str) -> list[str]:
    """The candidates for an option or argument of this kind."""
    from bd.core import choices

    if kind is None:
        return []
    if isinstance(kind, tuple):
        return list(kind)
    if kind == "id":
        return _ids(prefix)
    if kind == "type":
        return [*choices.ISSUE_TYPES, *_config_values("types.custom")]
    if kind == "dep-type":
        return [*choices.DEP_TYPES, *_config_values("types.custom_deps")]
    if kind in ("status", "status-filter"):
        base = choices.FILTER_STATUSES if kind == "status-filter" else choices.SETTABLE_STATUSES
        return [*base, *_config_values("status.custom")]
    return []


def _opt_kind(o: Opt) -> tuple[str, ...] | str | None:
    if o.choices is not None:
        return o.choices
    return "id" if o.dest in ID_DESTS else None


def _flags(cmd: Command | None) -> list[str]:
    own = [f for o in cmd.opts if not o.hidden for f in o.flags] if cmd else []
    glob = [f for f, d in (*GLOBAL_BOOL.items(), *GLOBAL_VALUE.items()) if d]
    return [f for f in dict.fromkeys([*own, *glob]) if f.startswith("--")] + \
        [f for f in own if not f.startswith("--")]


def candidates(words: list[str]) -> list[str]:
    """Completions for the last word of ``words`` (the command line after ``bd``)."""
    if not words:
        words = [""]
    cur, before = words[-1], words[:-1]
    positional: list[str] = []
    expect: str | None = None  # a flag waiting for its value
    for tok in before:
        if expect is not None:
            expect = None
            continue
        if tok in GLOBAL_VALUE:
            expect = tok
        elif tok.startswith("-") and tok not in GLOBAL_BOOL and "=" not in tok:
            expect = tok  # a command flag: decided below whether it takes a value
        elif not tok.startswith("-"):
            positional.append(tok)
    name, args = _command_of(positional)
    cmd = _load(name)
    if expect is not None:
        if expect in GLOBAL_CHOICES:
            return _match(GLOBAL_CHOICES[expect], cur)
        o = _opt(cmd, expect)
        if expect in GLOBAL_VALUE or (o is not None and o.type is not bool):
            return _match(values_of(_opt_kind(o) if o else None, cur), cur)
        if o is None and cmd is None:
            return []
    if cur.startswith("-"):
        return _match(_flags(cmd), cur)
    if name is None:
        if positional and positional[0] in GROUPS:
            return _match(_subcommands(positional[0]), cur)
        return _match(_top_level(), cur)
    if name == "help":
        return _match(_top_level(), cur)
    if name in GROUPS and not args:  # 'bd dep <TAB>': a subcommand, or an id (bare form)
        extra = values_of("id", cur) if cmd is not None else []
        return _match([*_subcommands(name), *extra], cur)
    if cmd is None:
        return []
    for n, a in enumerate(cmd.args):
        if n == len(args) or a.nargs in ("*", "+"):
            kind = a.complete if a.complete is not None else (
                "id" if a.dest in ID_DESTS else None)
            return _match(values_of(kind, cur), cur)
    return []


def _command_of(positional: list[str]) -> tuple[str | None, list[str]]:
    """(the command named by the leading words, its positional arguments); None while the
    command word itself is being typed."""
    if not positional:
        return None, []
    first = positional[0]
    if first in GROUPS:
        if len(positional) > 1 and f"{first} {positional[1]}" in MODULES:
            return f"{first} {positional[1]}", positional[2:]
        if first in MODULES:
            return first, positional[1:]
        return None, []
    if first in MODULES or first in EXTRA_COMMANDS:
        return first, positional[1:]
    return None, []


def _load(name: str | None) -> Command | None:
    if name is None or name not in MODULES:
        return None
    try:
        return load_command(name)  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - a broken module must not break the shell
        return None


def _opt(cmd: Command | None, flag: str) -> Opt | None:
    if cmd is None:
        return None
    return next((o for o in cmd.opts if flag in o.flags), None)


def _match(pool: Iterable[str], cur: str) -> list[str]:
    """The candidates starting with ``cur`` (an id also by the part after its prefix)."""
    return [c for c in dict.fromkeys(pool)
            if c.startswith(cur) or ("-" in c and c.partition("-")[2].startswith(cur))]


def complete_main(words: list[str]) -> int:
    """``bd __complete WORD... CURRENT``: print the candidates, one per line."""
    out = candidates(words)
    if out:
        sys.stdout.write("\n".join(out) + "\n")
    return 0


BASH = r"""# bash completion for bd (generated by 'bd completion bash')
# Load it now:      source <(bd completion bash)
# or for good:      bd completion bash > ~/.local/share/bash-completion/completions/bd
_bd_complete() {
    local IFS=$'\n'
    local cur="${COMP_WORDS[COMP_CWORD]}"
    COMPREPLY=($(bd __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null))
}
complete -o default -o nosort -F _bd_complete bd 2>/dev/null \
    || complete -o default -F _bd_complete bd
"""

ZSH = r"""#compdef bd
# zsh completion for bd (generated by 'bd completion zsh')
# Load it now:      source <(bd completion zsh)      (after compinit)
# or for good:      bd completion zsh > "${fpath[1]}/_bd"
_bd() {
    local -a candidates
    local cur="${words[CURRENT]}"
    candidates=("${(@f)$(bd __complete "${(@)words[2,CURRENT-1]}" "$cur" 2>/dev/null)}")
    if (( ${#candidates} )) && [[ -n "${candidates[1]}" ]]; then
        compadd -Q -- "${candidates[@]}"
    else
        _files
    fi
}
if [[ "${funcstack[1]}" == "_bd" ]]; then
    _bd "$@"
else
    compdef _bd bd
fi
"""

FISH = r"""# fish completion for bd (generated by 'bd completion fish')
# Load it now:      bd completion fish | source
# or for good:      bd completion fish > ~/.config/fish/completions/bd.fish
function __bd_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    bd __complete $tokens[2..-1] "$cur" 2>/dev/null
end
complete -c bd -f -a '(__bd_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def script(shell: str) -> str:
    return SCRIPTS[shell]
