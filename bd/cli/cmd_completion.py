"""completion: the shell completion scripts."""

from __future__ import annotations

import sys

from bd.cli import Context
from bd.cli.registry import Values, arg, command


@command("completion", "Print the shell completion script for bash, zsh or fish",
         args=[arg("shell", help="bash, zsh or fish", complete=("bash", "zsh", "fish"))])
def _completion(ctx: Context, o: Values) -> int:
    from bd.cli.completion import SHELLS, script
    from bd.core.choices import check

    shell = check("shell", o.shell, SHELLS)
    if ctx.json:
        ctx.out.json({"shell": shell, "script": script(shell)})
    else:
        sys.stdout.write(script(shell))
    return 0
