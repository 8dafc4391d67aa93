"""Where ``bd create --repo PATH`` and ``bd create --prefix P`` put a new issue: another
workspace, named by its directory or by a prefix route in ``.beads/routes.jsonl`` (the
original's format, one ``{"prefix": "gt-", "path": "../rig/.beads"}`` per line)."""

from __future__ import annotations

import json
import os

from bd.errors import NotFoundError, UsageError
from bd.store.workspace import find_beads_dir

ROUTES_FILE = "routes.jsonl"


def routes(beads_dir: str) -> list[dict[str, str]]:
    path = os.path.join(beads_dir, ROUTES_FILE)
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    raise UsageError(f"{path}:{n}: not a JSON object") from None
                if isinstance(rec, dict) and isinstance(rec.get("prefix"), str) \
                        and isinstance(rec.get("path"), str):
                    out.append({"prefix": rec["prefix"], "path": rec["path"]})
    except FileNotFoundError:
        pass
    return out


def target_for_repo(path: str) -> str:
    """The ``.beads`` of the workspace at ``path`` (a repository or its ``.beads``)."""
    path = os.path.abspath(os.path.expanduser(path))
    if os.path.basename(path) == ".beads" and os.path.isdir(path):
        return path
    return find_beads_dir(path)


def target_for_prefix(beads_dir: str, prefix: str) -> str:
    """The ``.beads`` the route for ``prefix`` (with or without its hyphen) points at."""
    want = prefix.rstrip("-")
    for route in routes(beads_dir):
        if route["prefix"].rstrip("-") == want:
            target = os.path.normpath(os.path.join(os.path.dirname(beads_dir), route["path"]))
            return target_for_repo(target)
    raise NotFoundError(f"no route for prefix '{want}-' in "
                        f"{os.path.join(beads_dir, ROUTES_FILE)}")
