"""edit: one field of an issue in $VISUAL / $EDITOR (people only: agents get a refusal)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from bd.cli import Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError, UsageError

_FIELDS = (("title", "title"), ("description", "description"), ("design", "design"),
           ("notes", "notes"), ("acceptance", "acceptance_criteria"))


def _editor() -> list[str]:
    import shlex

    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for name in ("vim", "vi", "nano", "emacs"):
        if shutil.which(name):
            return [name]
    raise UsageError("no editor: set $VISUAL or $EDITOR (or use 'bd update ID --FIELD TEXT')")


@command("edit", "Edit one field of an issue in $VISUAL or $EDITOR (needs a terminal)",
         args=[arg("id")], opts=[
             opt("title", "--title", type=bool, help="Edit the title"),
             opt("description", "--description", type=bool,
                 help="Edit the description (the default)"),
             opt("design", "--design", type=bool, help="Edit the design notes"),
             opt("notes", "--notes", type=bool, help="Edit the notes"),
             opt("acceptance", "--acceptance", type=bool, help="Edit the acceptance criteria"),
         ])
def _edit(ctx: Context, o: Values) -> int:
    from bd.ops import issues as ops

    chosen = [key for flag, key in _FIELDS if o[flag]]
    if len(chosen) > 1:
        raise UsageError("choose one field to edit")
    field = chosen[0] if chosen else "description"
    if ctx.flags.get("readonly"):
        raise BdError("operation 'edit' is not allowed in read-only mode")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("bd edit opens an editor and needs a terminal; without one use "
                         f"'bd update ID --{field.replace('_criteria', '')} TEXT'")
    editor = _editor()
    store = ctx.store
    rid = store.resolve(o.id)
    old = str(store.get(rid).get(field) or "")
    fd, path = tempfile.mkstemp(prefix=f"bd-edit-{rid}-", suffix=".md")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(old)
        proc = subprocess.run([*editor, path])
        if proc.returncode != 0:
            raise BdError(f"the editor ({editor[0]}) exited with status {proc.returncode}; "
                          "nothing changed")
        with open(path, encoding="utf-8", errors="replace") as fh:
            new = fh.read()
    finally:
        os.unlink(path)
    if field == "title":
        new = new.strip()
        if not new:
            raise UsageError("the title cannot be empty; nothing changed")
    elif new.endswith("\n") and not old.endswith("\n"):
        new = new[:-1]  # editors add a final newline
    if new == old:
        ctx.out.line(f"No changes to {field} of {rid}")
        return 0
    rec = ops.update(store, rid, {field: new})
    if ctx.json:
        from bd.cli.output import issue_json

        ctx.out.json(issue_json(rec))
    else:
        ctx.out.line(f"✓ Updated {field} of {rid}")
    return 0
