"""The audit log: ``.beads/interactions.jsonl``, one JSON object per agent interaction.

The format is the original's (``internal/audit``): an entry has an ``id`` (``int-`` and 32
hex digits), a ``kind`` (``llm_call``, ``tool_call``, ``label``, ...), ``created_at`` (UTC,
RFC 3339 with nanoseconds) and optional fields, written in the Go struct's order with
omitempty and no HTML escaping.  The file is committed and append-only: an entry is one
``write`` of one line under an exclusive ``flock`` on the file, so concurrent writers never
interleave, and git merges it with ``merge=union`` (every line of both sides, once), set up in
``.beads/.gitattributes`` when the log is created.
Labels never edit an entry: a ``label`` entry points at its parent.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import UTC, datetime

from bd.core.timeutil import ts_key
from bd.errors import DataError, NotFoundError, UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

FILE_NAME = "interactions.jsonl"
ID_PREFIX = "int-"
# Go struct order of audit.Entry; every field but id/kind/created_at is omitempty.
FIELDS = ("id", "kind", "created_at", "actor", "issue_id", "model", "prompt", "response",
          "error", "tool_name", "exit_code", "parent_id", "label", "reason", "extra")
_STRINGS = frozenset(FIELDS) - {"exit_code", "extra"}


def path_for(beads_dir: str) -> str:
    return os.path.join(beads_dir, FILE_NAME)


def _now() -> str:
    """UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano)."""
    ns = time.time_ns()
    frac = f"{ns % 1_000_000_000:09d}".rstrip("0")
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return stamp + (f".{frac}" if frac else "") + "Z"


def new_id() -> str:
    return ID_PREFIX + secrets.token_hex(16)


def _check(entry: dict[str, Any]) -> None:
    for key in _STRINGS:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"audit entry field {key} must be a string")
    code = entry.get("exit_code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise UsageError("audit entry field exit_code must be an integer")
    extra = entry.get("extra")
    if extra is not None and not isinstance(extra, dict):
        raise UsageError("audit entry field extra must be a JSON object")
    if not entry.get("kind"):
        raise UsageError("kind is required")


def normalise(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as the original writes it: known fields only, struct order, omitempty."""
    _check(entry)
    out: dict[str, Any] = {}
    for key in FIELDS:
        value = entry.get(key)
        if key in ("id", "kind", "created_at"):
            out[key] = value if value is not None else ""
        elif key == "exit_code":
            if value is not None:
                out[key] = value
        elif value not in (None, "", {}):
            out[key] = value
    return out


def encode(entry: dict[str, Any]) -> bytes:
    """One line, as Go's encoder with SetEscapeHTML(false) writes it."""
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8", "replace") + b"\n"


def append(beads_dir: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one entry (id and created_at filled in when missing); returns it as written."""
    entry = dict(entry)
    if not entry.get("id"):
        entry["id"] = new_id()
    created = entry.get("created_at")
    if not created:
        entry["created_at"] = _now()
    elif not isinstance(created, str) or ts_key(created) is None:
        raise UsageError(f"audit entry created_at is not a timestamp: {created!r}")
    entry = normalise(entry)
    data = encode(entry)
    path = path_for(beads_dir)
    if not os.path.exists(path):
        ensure_union_merge(beads_dir)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX: O_APPEND alone
            fcntl = None  # type: ignore[assignment]
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:  # one write in practice; the lock covers a short one
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


ATTRIBUTES_LINE = f"{FILE_NAME} merge=union"


def ensure_union_merge(beads_dir: str) -> bool:
    """Have git merge the log with its ``union`` driver (every line of both sides): a line in
    ``.beads/.gitattributes`` (git reads attribute files in subdirectories too, so the
    project's own ``.gitattributes`` is left alone).  True when the line was added."""
    path = os.path.join(beads_dir, ".gitattributes")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    if ATTRIBUTES_LINE in (line.strip() for line in text.splitlines()):
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("\n" if text and not text.endswith("\n") else "") + ATTRIBUTES_LINE + "\n")
    return True


def record(beads_dir: str, *, kind: str, actor: str | None = None,
           issue_id: str | None = None, model: str | None = None, prompt: str | None = None,
           response: str | None = None, error: str | None = None,
           tool_name: str | None = None, exit_code: int | None = None) -> dict[str, Any]:
    """``bd audit record``: append an llm_call / tool_call / other entry."""
    if not kind:
        raise UsageError("--kind is required")
    return append(beads_dir, {"kind": kind, "actor": actor, "issue_id": issue_id,
                              "model": model, "prompt": prompt, "response": response,
                              "error": error, "tool_name": tool_name, "exit_code": exit_code})


def record_json(beads_dir: str, text: str, *, actor: str | None = None) -> dict[str, Any]:
    """``bd audit record --stdin``: one JSON object in the entry's schema."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"invalid JSON on stdin: {str(exc).split(':')[0]}") from None
    if not isinstance(obj, dict):
        raise UsageError("invalid JSON on stdin: expected an object")
    if actor:
        obj["actor"] = actor
    return append(beads_dir, {k: v for k, v in obj.items() if k in FIELDS})


def label(beads_dir: str, parent_id: str, value: str, *, reason: str | None = None,
          actor: str | None = None, check_parent: bool = True) -> dict[str, Any]:
    """``bd audit label``: a ``label`` entry referring to ``parent_id`` (never an edit)."""
    if not value:
        raise UsageError("--label is required")
    if check_parent and get(beads_dir, parent_id) is None:
        raise NotFoundError(f"no audit entry {parent_id}")
    return append(beads_dir, {"kind": "label", "actor": actor, "parent_id": parent_id,
                              "label": value, "reason": reason})


def read(beads_dir: str) -> list[dict[str, Any]]:
    """Every entry, in file order, each id once (a log merged twice keeps the first)."""
    path = path_for(beads_dir)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            if line.startswith((b"<<<<<<<", b"=======", b">>>>>>>")):
                raise DataError("git conflict markers: the audit log merges with "
                                "merge=union (see docs/memory.md)", path=path, line=n) from None
            raise DataError("malformed JSON in the audit log", path=path, line=n) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise DataError("audit entry without an id", path=path, line=n)
        if obj["id"] in seen:
            continue
        seen.add(obj["id"])
        out.append(obj)
    return out


def get(beads_dir: str, entry_id: str) -> dict[str, Any] | None:
    for entry in read(beads_dir):
        if entry["id"] == entry_id:
            return entry
    return None


def show(beads_dir: str, entry_id: str) -> dict[str, Any]:
    """One entry and the labels that refer to it."""
    entries = read(beads_dir)
    matches = [e for e in entries if e["id"] == entry_id]
    if not matches:
        prefixed = [e for e in entries if e["id"].startswith(entry_id)
                    or e["id"].startswith(ID_PREFIX + entry_id)]
        if len(prefixed) > 1:
            raise UsageError(f"ambiguous audit entry id {entry_id} "
                             f"({len(prefixed)} entries match)")
        matches = prefixed
    if not matches:
        raise NotFoundError(f"no audit entry {entry_id}")
    entry = matches[0]
    labels = [e for e in entries if e.get("kind") == "label" and e.get("parent_id") == entry["id"]]
    return {"entry": entry, "labels": labels}


def list_entries(beads_dir: str, *, kind: str | None = None, issue_id: str | None = None,
                 limit: int = 0) -> list[dict[str, Any]]:
    """Entries, newest last; ``limit`` keeps the last N."""
    out = [e for e in read(beads_dir)
           if (kind is None or e.get("kind") == kind)
           and (issue_id is None or e.get("issue_id") == issue_id)]
    if limit > 0:
        out = out[-limit:]
    return out
