"""Running a git hook: what each of bd's hooks does once its shim re-enters ``bd hooks run
NAME`` (see ``bd.git.hooks`` for the list, and for installing the shims).  The user's previous
hook (``NAME.old``) runs first with the same arguments and stdin; bd's part validates the
JSONL, stages it on a full commit, and refreshes the cache after merges and checkouts.  The
library never prints: ``run_hook`` returns the exit code and the messages for stderr.
"""

from __future__ import annotations

import os
import subprocess

from bd.errors import BdError, DataError
from bd.git import runner as git
from bd.git.hooks import ACTIVE_ENV, CHAIN_SUFFIX, STAGE_KEY, HookError, inspect

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


# -- running a hook --------------------------------------------------------------------------

class Outcome:
    """What a hook run ends with: the exit code and the lines for stderr."""

    __slots__ = ("code", "messages")

    def __init__(self, code: int = 0, messages: list[str] | None = None) -> None:
        self.code = code
        self.messages = messages or []


def needs_stdin(name: str, hook_dir: str | None) -> bool:
    """Whether ``run_hook`` wants the hook's stdin (git's ref list) read for it."""
    if name == "pre-push":
        return "PRE_COMMIT_TO_REF" not in os.environ
    return name == "post-rewrite" and hook_dir is not None and os.path.lexists(
        os.path.join(hook_dir, name + CHAIN_SUFFIX))


def run_hook(name: str, args: list[str], *, cwd: str, hook_dir: str | None = None,
             stdin: bytes | None = None) -> Outcome:
    """Run hook ``name``: the chained hook first (when ``hook_dir`` names the shim's
    directory), then bd's part.  Never raises for bad data: a pre-* hook refuses with exit 1
    and a message, a post-* hook warns and exits 0."""
    active = [n for n in os.environ.get(ACTIVE_ENV, "").split(",") if n]
    if name in active:
        return Outcome()  # a chained hook re-entered bd (hook managers chaining each other)
    if hook_dir:
        code = _run_chained(name, args, hook_dir, stdin, active)
        if code:
            return Outcome(code)
    ws = _workspace(cwd)
    if ws is None:
        return Outcome()
    if name == "pre-commit":
        return _pre_commit(ws)
    if name == "pre-push":
        return _pre_push(ws, stdin)
    if name in ("post-merge", "post-checkout", "post-rewrite"):
        return _refresh(ws, name)
    return Outcome()


def _run_chained(name: str, args: list[str], hook_dir: str, stdin: bytes | None,
                 active: list[str]) -> int:
    old = os.path.join(os.path.abspath(hook_dir), name + CHAIN_SUFFIX)
    if not os.path.isfile(old) or not os.access(old, os.X_OK):
        return 0  # git would not run a non-executable hook either
    if inspect(old)[0] != "foreign":
        return 0  # a bd hook kept as .old would only run bd twice (or forever)
    env = dict(os.environ)
    env[ACTIVE_ENV] = ",".join([*active, name])
    try:
        proc = subprocess.run([old, *args], input=stdin, env=env)
    except OSError as exc:
        raise HookError(f"cannot run the chained hook: {exc.strerror}", path=old) from None
    return proc.returncode


class _Workspace:
    __slots__ = ("top", "beads", "config")

    def __init__(self, top: str, beads: str, config: dict[str, Any]) -> None:
        self.top, self.beads, self.config = top, beads, config

    def rel(self, name: str) -> str:
        path = os.path.relpath(os.path.join(self.beads, name), self.top)
        return path.replace(os.sep, "/")


def _workspace(cwd: str) -> _Workspace | None:
    """The ``.beads`` of the work tree the hook runs in; None when this checkout has none,
    or when it redirects to a workspace outside the repository (its own hooks handle it)."""
    from bd.store import config as cfgmod
    from bd.store.workspace import JSONL_NAME

    top = cwd
    if not os.path.isdir(os.path.join(top, ".beads")):
        found = git.try_toplevel(cwd)  # run by hand from a subdirectory
        if found is None or not os.path.isdir(os.path.join(found, ".beads")):
            return None
        top = found
    beads = os.path.join(top, ".beads")
    if os.path.exists(os.path.join(beads, "redirect")):
        return None
    if not (os.path.exists(os.path.join(beads, JSONL_NAME))
            or os.path.exists(os.path.join(beads, "config.yaml"))):
        return None
    try:
        config = cfgmod.load(os.path.join(beads, "config.yaml"))
    except BdError:
        config = {}
    return _Workspace(top, beads, config)


def _truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in ("false", "0", "no", "off", "")


def validate_jsonl(data: bytes, label: str) -> None:
    """Raise a DataError naming ``label:line`` if ``data`` is not a valid issues JSONL:
    conflict markers, a line that is not a JSON object with an id, or a duplicate id."""
    from bd.core import codec

    lines = codec.Lines(label, data)
    for line, lineno in zip(lines.lines, lines.linenos, strict=True):
        codec.parse_line(line, label, lineno)


def _read(path: str) -> bytes:
    from bd.store.jsonl import read_bytes

    return read_bytes(path)


def _refuse(what: str, err: BdError, bypass: str) -> Outcome:
    return Outcome(1, [f"bd: refusing to {what}: {err}",
                       f"bd: fix the file ('bd doctor' lists every problem), or {bypass}"])


def _pre_commit(ws: _Workspace) -> Outcome:
    issues = ws.rel("issues.jsonl")
    index = os.environ.get("GIT_INDEX_FILE")
    # git commits from a temporary index (next-index-*.lock) when the user named the paths
    # (`git commit --only PATH`, `git commit PATH`): commit exactly those, stage nothing.
    partial = index is not None and os.path.basename(index) not in ("index", "index.lock")
    stage = (_truthy(ws.config.get(STAGE_KEY), True) and not partial
             and not ws.config.get("sync.branch") and not os.environ.get("BD_SYNC_IN_PROGRESS")
             and not os.environ.get("PRE_COMMIT"))  # the pre-commit framework stashes; no adds
    validated = False
    if stage and os.path.exists(os.path.join(ws.top, issues)) \
            and _worktree_changed(ws.top, issues):
        try:
            validate_jsonl(_read(os.path.join(ws.top, issues)), issues)
        except DataError as err:
            return _refuse(f"commit {issues}", err, "commit with --no-verify")
        git.run(["add", "--", issues], ws.top)
        validated = True
    if not validated:
        changed = git.run(["diff", "--cached", "--name-only", "-z", "--no-renames", "--",
                           issues], ws.top, check=False).stdout.split(b"\0")
        if issues.encode() in changed:
            data = git.show_blob(ws.top, f":{issues}")
            if data is not None:
                try:
                    validate_jsonl(data, f"{issues} (staged)")
                except DataError as err:
                    return _refuse(f"commit {issues}", err, "commit with --no-verify")
    return Outcome()


def _worktree_changed(top: str, path: str) -> bool:
    """The working-tree file differs from the index, or is untracked (ignored files never
    count: bd does not force files into git)."""
    proc = git.run(["status", "--porcelain", "-z", "--untracked-files=all", "--no-renames",
                    "--", path], top, check=False)
    return any(len(entry) > 3 and entry[1:2] != b" " for entry in proc.stdout.split(b"\0"))


def _pre_push(ws: _Workspace, stdin: bytes | None) -> Outcome:
    issues = ws.rel("issues.jsonl")
    refs: list[tuple[str, str, str]] = []  # (local ref, local sha, remote sha)
    if "PRE_COMMIT_TO_REF" in os.environ:  # run by the pre-commit framework
        refs.append((os.environ.get("PRE_COMMIT_LOCAL_BRANCH", "HEAD"),
                     os.environ["PRE_COMMIT_TO_REF"], os.environ.get("PRE_COMMIT_FROM_REF", "")))
    for line in (stdin or b"").decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 4:
            refs.append((parts[0], parts[1], parts[3]))
    refs = [r for r in refs if r[1] and set(r[1]) != {"0"}]  # deletions push no content
    messages: list[str] = []
    if refs:
        specs = []
        for _ref, local, remote in refs:
            specs.append(f"{local}:{issues}")
            specs.append(f"{remote}:{issues}" if remote and set(remote) != {"0"} else "-")
        proc = git.run(["cat-file", "--batch-check=%(objectname) %(objecttype)"], ws.top,
                       input="\n".join(specs).encode() + b"\n", check=False)
        answers = proc.stdout.decode("utf-8", "replace").splitlines()
        seen: set[str] = set()
        for i, (ref, _local, _remote) in enumerate(refs):
            mine = _blob(answers, 2 * i)
            theirs = _blob(answers, 2 * i + 1)
            if mine is None or mine == theirs or mine in seen:
                continue  # no JSONL, or the remote already has exactly this one
            seen.add(mine)
            data = git.run(["cat-file", "blob", mine], ws.top).stdout
            try:
                validate_jsonl(data, f"{issues} (in {ref})")
            except DataError as err:
                return _refuse(f"push {ref}", err,
                               "commit a fixed file first, or push with --no-verify")
    if not os.environ.get("BD_SYNC_IN_PROGRESS"):
        proc = git.run(["status", "--porcelain", "--untracked-files=no", "--", issues],
                       ws.top, check=False)
        if proc.stdout.strip():
            messages.append(f"bd: note: {issues} has changes that are not committed, so they "
                            "are not part of this push")
    return Outcome(0, messages)


def _blob(answers: list[str], i: int) -> str | None:
    if i >= len(answers):
        return None
    parts = answers[i].split()
    return parts[0] if len(parts) == 2 and parts[1] == "blob" else None


def _refresh(ws: _Workspace, name: str) -> Outcome:
    """Bring the cache up to date with the JSONL git just changed (a no-op when unchanged)."""
    if os.environ.get("BD_SYNC_IN_PROGRESS"):
        return Outcome()  # bd sync holds the lock and refreshes itself
    if ws.config.get("sync.branch"):
        return Outcome()  # bd reads the sync branch's worktree, which git did not touch
    if name != "post-rewrite" and git.rebase_in_progress(ws.top):
        return Outcome()  # post-rewrite runs when the rebase is done
    from bd.errors import LockTimeoutError
    from bd.store.store import Store

    store = Store(ws.beads, lock_timeout=2.0)
    try:
        store.cache()
        told = _outcomes_of_merge(ws, store) if name in ("post-merge", "post-rewrite") else []
    except LockTimeoutError:
        return Outcome()  # another bd is busy here; the next command refreshes
    except BdError as err:
        return Outcome(0, [f"bd: warning: {err}",
                           "bd: bd commands will fail until the file is fixed "
                           "(see 'bd doctor')"])
    else:
        return Outcome(0, [*store.notices, *told])
    finally:
        store.close()


def _outcomes_of_merge(ws: _Workspace, store: Any) -> list[str]:
    """After a merge or rebase the user ran (not bd sync): tell them which of this clone's
    claims and issues it moved, as bd sync would (ORIG_HEAD is where they were before)."""
    from bd.core import outcomes
    from bd.core.timeutil import now_ts
    from bd.store import eventlog

    before = git.show_blob(ws.top, f"ORIG_HEAD:{ws.rel('issues.jsonl')}")
    after = _read(store.jsonl_path)
    if before is None or before == after:
        return []
    lines = []
    actors = eventlog.claim_actors(store.events_path) | {store.actor}
    for lost in outcomes.lost_claims(before, after, actors):
        lines.append(f"bd: lost claim: {lost['issue']} is no longer held by {lost['actor']}; "
                     f"holder: {lost['holder'] or 'nobody'}")
    moves = outcomes.renumberings(before, after)
    for m in moves:
        lines.append(f"bd: renumbered: {m['from']} is now {m['to']} (two issues were created "
                     f"under {m['from']} in different clones; {m['from']} names the other)")
    if moves:
        with store.lock:
            if eventlog.rekey(store.events_path, {m["from"]: m["to"] for m in moves},
                              note_time=now_ts(), actor=store.actor):
                eventlog.reload_cache(store)
    return lines
