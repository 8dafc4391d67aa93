"""The JSONL codec: scanning lines, locating records without parsing them, atomic writes.

The file is the source of truth, so this module is strict: a malformed line, a record with
no id, duplicate ids or git conflict markers raise a DataError naming the file and line.
Untouched lines are carried as raw bytes so a write never changes them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd.errors import ConflictMarkersError, DataError

_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")
_ID_HEAD = b'{"id":"'


def fast_id(line: bytes) -> str | None:
    """The id of a canonical line without parsing it (None when the line is not canonical)."""
    if line.startswith(_ID_HEAD):
        end = line.find(b'"', 7)
        if end > 7:
            seg = line[7:end]
            if b"\\" not in seg:
                return seg.decode("utf-8", "replace")
    return None


def parse_line(line: bytes, path: str, lineno: int, loads: Any = None) -> dict[str, Any]:
    """Parse one line into a record dict, or raise a one-line DataError."""
    try:
        try:
            rec = (loads or json.loads)(line)
        except ValueError:
            if loads is None:
                raise
            rec = json.loads(line)  # orjson is stricter (NaN, huge ints): be liberal
    except (ValueError, RecursionError) as exc:
        detail = str(exc).split(":", 1)[0] if isinstance(exc, ValueError) else "nested too deeply"
        raise DataError(f"malformed JSON ({detail})", path=path, line=lineno) from None
    if not isinstance(rec, dict):
        raise DataError("line is not a JSON object", path=path, line=lineno)
    rid = rec.get("id")
    if not isinstance(rid, str) or not rid:
        raise DataError("record has no id", path=path, line=lineno, field="id")
    return rec


class Lines:
    """The lines of a JSONL file with their ids; records are parsed only on demand."""

    __slots__ = ("path", "raw", "lines", "ids", "index", "linenos")

    def __init__(self, path: str, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.lines: list[bytes] = []
        self.ids: list[str] = []
        self.linenos: list[int] = []
        self.index: dict[str, int] = {}
        self._scan()

    def _scan(self) -> None:
        path = self.path
        lines, ids, linenos, index = self.lines, self.ids, self.linenos, self.index
        for n, line in enumerate(self.raw.split(b"\n"), 1):
            if not line.strip():
                continue
            if line.startswith(_MARKERS):
                raise ConflictMarkersError(
                    "git conflict markers found; resolve the merge first "
                    "(bd resolve-conflicts, or git checkout --theirs/--ours)", path=path, line=n)
            rid = fast_id(line)
            if rid is None:
                rid = parse_line(line, path, n)["id"]
            if rid in index:
                raise DataError(f"duplicate id {rid} (first on line {linenos[index[rid]]})",
                                path=path, line=n, issue_id=rid)
            index[rid] = len(lines)
            lines.append(line)
            ids.append(rid)
            linenos.append(n)

    def __len__(self) -> int:
        return len(self.lines)

    def record(self, rid: str) -> dict[str, Any] | None:
        i = self.index.get(rid)
        if i is None:
            return None
        return parse_line(self.lines[i], self.path, self.linenos[i])

    def render(self, changed: dict[str, bytes], removed: Iterable[str] = ()) -> bytes:
        """The file with ``changed`` lines replaced or inserted (in id order) and ``removed`` gone.

        Every other line keeps its exact bytes.  A file that was not sorted is sorted, since a
        write is canonical.
        """
        gone = set(removed)
        new = {rid: line for rid, line in changed.items() if rid not in self.index}
        out: list[tuple[str, bytes]] = []
        for rid, line in zip(self.ids, self.lines):
            if rid in gone:
                continue
            out.append((rid, changed.get(rid, line + b"\n")))
        if new:
            out.extend(new.items())
        if new or any(out[i][0] > out[i + 1][0] for i in range(len(out) - 1)):
            out.sort(key=lambda pair: pair[0])
        return b"".join(line for _, line in out)


def read_bytes(path: str) -> bytes:
    """The file's bytes; a missing file is empty. A directory or unreadable file is an error."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""
    except IsADirectoryError:
        raise DataError("is a directory, expected a JSONL file", path=path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", path=path) from None


# Test hook for crash tests: called with a step name between the steps of a write.
_crash_hook = None


def _step(name: str) -> None:
    if _crash_hook is not None:
        _crash_hook(name)


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so a crash leaves either the old or the new file, never a mix."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    tmp = os.path.join(directory, f".{os.path.basename(real)}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        _step("written")
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    try:
        mode = os.stat(real).st_mode & 0o777
        os.chmod(tmp, mode)
    except FileNotFoundError:
        pass
    _step("synced")
    os.replace(tmp, real)
    _step("renamed")
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
