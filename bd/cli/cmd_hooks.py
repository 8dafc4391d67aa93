"""hooks install, uninstall, list and run."""

from __future__ import annotations

import os
import sys

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_MARK = {"installed": "✓", "chained": "✓", "updated": "✓", "replaced": "✓", "unchanged": "✓",
         "removed": "✓", "restored": "✓", "absent": "-", "skipped": "!", "outdated": "!",
         "foreign": "!"}


def _print_results(ctx: Context, report: dict[str, Any]) -> None:
    ctx.out.line(f"Hooks directory: {report['hooks_dir']}")
    for r in report["results"]:
        ctx.out.line(f"  {_MARK.get(r['action'], ' ')} {r['name']:<14} {r['action']}"
                     + (f": {r['message']}" if r["message"] not in (r["action"], "") else ""))


@command("hooks install", "Install bd's git hooks (existing hooks are kept and chained)", opts=[
    opt("force", "--force", type=bool,
        help="Rewrite current shims too, and install even where lefthook or pre-commit "
             "manages the hooks (chaining their scripts)"),
    opt("chain", "--chain", type=bool,
        help="Keep and chain an existing hook (always done: bd never replaces a hook)"),
    opt("shared", "--shared", type=bool,
        help="Install into .beads-hooks/ (commit it to share the hooks) and set "
             "core.hooksPath to it"),
])
def _install(ctx: Context, o: Values) -> int:
    from bd.git import hooks

    if o.shared:
        report = hooks.install_shared(os.getcwd(), force=o.force)
    else:
        report = hooks.install(os.getcwd(), force=o.force)
    if ctx.json:
        ctx.out.json(report)
        return 0
    if not ctx.quiet:
        _print_results(ctx, report)
    manager = report["manager"]
    if report["snippet"]:
        ctx.out.line(f"\n{manager['name']} manages this repository's hooks; add this to "
                     f"{os.path.basename(manager['config'])} to run bd's hooks too:\n")
        ctx.out.line(report["snippet"].rstrip("\n"))
    return 0


@command("hooks uninstall", "Remove bd's git hooks and restore the hooks they chained")
def _uninstall(ctx: Context, o: Values) -> int:
    from bd.git import hooks

    report = hooks.uninstall(os.getcwd())
    if ctx.json:
        ctx.out.json(report)
    elif not ctx.quiet:
        _print_results(ctx, report)
    return 0


@command("hooks list", "Show each git hook: installed, chained, outdated, foreign or absent")
def _list(ctx: Context, o: Values) -> int:
    from bd.git import hooks

    report = hooks.status(os.getcwd())
    if ctx.json:
        ctx.out.json(report)
        return 0
    ctx.out.line(f"Hooks directory: {report['hooks_dir']}")
    for h in report["hooks"]:
        detail = {
            "installed": f"installed (shim v{h['version']})",
            "chained": f"installed (shim v{h['version']}), runs {h['name']}.old first",
            "outdated": "outdated: run 'bd hooks install'",
            "foreign": "another tool's hook; bd's is not installed (bd hooks install chains it)",
            "absent": "not installed",
        }[h["status"]]
        ctx.out.line(f"  {_MARK.get(h['status'], ' ')} {h['name']:<14} {detail}")
    manager = report["manager"]
    if manager and manager["name"] != "husky":
        state = "runs bd's hooks" if manager["configured"] else \
            "does not run bd's hooks yet (see 'bd hooks install')"
        ctx.out.line(f"Hooks are managed by {manager['name']} "
                     f"({os.path.basename(manager['config'])}), which {state}")
    return 0


@command("hooks run", "Run one git hook (called by the installed hook scripts)", args=[
    arg("name", help="pre-commit, post-merge, post-checkout, post-rewrite or pre-push"),
    arg("args", "*", help="The arguments git passed to the hook"),
])
def _run(ctx: Context, o: Values) -> int:
    from bd.git import hookrun, hooks

    hook_dir = os.environ.get(hooks.HOOK_DIR_ENV) or None
    stdin = None
    if hookrun.needs_stdin(o.name, hook_dir) and not sys.stdin.isatty():
        stdin = sys.stdin.buffer.read()
    try:
        outcome = hookrun.run_hook(o.name, list(o.args), cwd=os.getcwd(), hook_dir=hook_dir,
                                   stdin=stdin)
    except BdError as err:
        if o.name.startswith("post-"):  # git ignores a post-* hook's status: warn, go on
            sys.stderr.write(f"bd: warning: {o.name} hook: {err}\n")
            return 0
        raise
    for message in outcome.messages:
        sys.stderr.write(message + "\n")
    return outcome.code
