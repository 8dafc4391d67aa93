"""A pager for long human output on a terminal, as git does it.

The command is ``$BD_PAGER``, config ``pager``, ``$PAGER``, else ``less -FRX`` (quit if one
screen, keep colour, leave the text on the screen); it runs through the shell, so
``PAGER='less -S'`` works.  Output that fits the terminal is printed directly.  Imported only
when stdout is a terminal and paging is on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

DEFAULT = "less -FRX"


def command(configured: str | None = None) -> str | None:
    """The pager to use (BD_PAGER, then config ``pager``, then PAGER, as git orders
    GIT_PAGER, core.pager and PAGER), or None when paging is off (BD_NO_PAGER, a pager of
    'cat' or '', ``pager: never``)."""
    if os.environ.get("BD_NO_PAGER"):
        return None
    for value in (os.environ.get("BD_PAGER"), configured, os.environ.get("PAGER")):
        if value is not None:
            value = str(value).strip()
            if value in ("", "cat", "never", "false", "off", "no"):
                return None
            return DEFAULT if value in ("true", "on", "yes", "auto") else value
    return DEFAULT


def page(text: str, pager: str) -> bool:
    """Show ``text`` through ``pager`` if it is taller than the terminal; False when it was
    not paged (it fits, or the pager cannot run) and the caller should print it."""
    rows = shutil.get_terminal_size((80, 24)).lines
    if text.count("\n") < rows:
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        sys.stdout.flush()
        proc = subprocess.Popen(pager, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    try:
        assert proc.stdin is not None
        proc.stdin.write(text.encode("utf-8", "replace"))
        proc.stdin.close()
    except BrokenPipeError:  # the user quit the pager early
        pass
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        code = proc.wait()
    return code != 127  # 127: the shell did not find the pager; print the text instead
