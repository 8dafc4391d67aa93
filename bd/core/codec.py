"""The JSONL codec: scanning lines, locating records without parsing them, atomic writes.

The file is the source of truth, so this module is strict about what it cannot read back: a
malformed line, an issue record with no id or git conflict markers raise a DataError naming
the file and line.  It is liberal about what other writers put there: lines whose ``_type``
is not ``issue`` (the original's later versions write ``{"_type":"memory",...}``) are kept
byte for byte in their place, and an id that appears on several lines is read as one record
(:func:`bd.core.mergerules.collapse`) until ``bd doctor --fix`` merges the lines.
Untouched lines are carried as raw bytes so a write never changes them, and a write keeps the
file's order: changed lines stay where they are, new ones go where they sort.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from bd.core.model import type_problem
from bd.errors import ConflictMarkersError, DataError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")
_ID_HEAD = ID_HEAD = b'{"id":"'  # how a canonical line starts


def fast_id(line: bytes) -> str | None:
    """The id of a canonical line without parsing it (None when the line is not canonical)."""
    if line.startswith(_ID_HEAD):
        end = line.find(b'"', 7)
        if end > 7:
            seg = line[7:end]
            if b"\\" not in seg:
                return seg.decode("utf-8", "replace")
    return None


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value - value != 0:  # inf: a number too large for a float (Go refuses it too)
        raise ValueError(f"number out of range {text[:20]}")
    return value


# NaN, Infinity and 1e400 would be written back as non-JSON; Go's decoder refuses them.
_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


def other_type(rec: dict[str, Any]) -> str | None:
    """The ``_type`` of a non-issue record (a memory, say), or None for an issue record.

    The original's later versions mark every line: ``"_type":"issue"`` for issues, another
    word for the rest.  A record without ``_type`` (every file of v0.46) is an issue.
    """
    kind = rec.get("_type")
    if isinstance(kind, str) and kind and kind != "issue":
        return kind
    return None


def parse_line(line: bytes, path: str, lineno: int, loads: Any = None, *,
               others: bool = False) -> dict[str, Any]:
    """Parse one line into a record dict, or raise a one-line DataError.

    With ``others`` a non-issue line (:func:`other_type`) is returned as parsed, unchecked
    (bd keeps its bytes and never writes it); without, it is an error naming its type.

    Besides JSON syntax this refuses what bd could not store or write back: a known field
    of the wrong type or nested too deeply (:func:`bd.core.model.type_problem`), NaN/Infinity,
    invalid UTF-8, a lone surrogate escape (orjson refuses those itself), and a second "id"
    key that disagrees with the first (the id scan reads the first, a parser the last).
    """
    try:
        rec = None
        if loads is not None:
            try:
                rec = loads(line)
            except ValueError:
                pass  # orjson is stricter (huge ints): be liberal
        if rec is None:
            rec = _loads(line)
            if (b"\\ud" in line or b"\\uD" in line) and isinstance(rec, dict):
                json.dumps(rec, ensure_ascii=False).encode("utf-8")  # lone surrogates raise
    except UnicodeError:
        raise DataError("invalid text (not UTF-8, or a lone surrogate escape)", path=path,
                        line=lineno) from None
    except (ValueError, RecursionError) as exc:
        detail = str(exc).split(":", 1)[0] if isinstance(exc, ValueError) else "nested too deeply"
        raise DataError(f"malformed JSON ({detail})", path=path, line=lineno) from None
    if not isinstance(rec, dict):
        raise DataError("line is not a JSON object", path=path, line=lineno)
    kind = other_type(rec)
    if kind is not None:
        if others:
            return rec
        raise DataError(f"not an issue record (_type {kind!r})", path=path, line=lineno,
                        field="_type")
    rid = rec.get("id")
    if not isinstance(rid, str) or not rid:
        raise DataError("record has no id", path=path, line=lineno, field="id")
    first = fast_id(line)
    if first is not None and first != rid:
        raise DataError(f'two "id" keys ({first}, {rid})', path=path, line=lineno,
                        field="id")
    problem = type_problem(rec)
    if problem is not None:
        raise DataError(problem, path=path, line=lineno, issue_id=rid)
    return rec


def _loads(line: bytes) -> Any:
    return _DECODER.decode(line.decode("utf-8-sig"))


class Lines:
    """The lines of a JSONL file with their ids; records are parsed only on demand.

    ``lines``/``ids``/``linenos`` hold the issue lines in file order (an id repeated on
    several lines appears once per line; ``index`` maps it to its first, ``duplicates`` to
    all of them).  ``others`` holds the non-issue lines as ``(lineno, bytes)``.
    """

    __slots__ = ("path", "raw", "lines", "ids", "index", "linenos", "others", "duplicates",
                 "ordered", "result_sorted", "_seq")

    def __init__(self, path: str, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.lines: list[bytes] = []
        self.ids: list[str] = []
        self.linenos: list[int] = []
        self.index: dict[str, int] = {}
        self.others: list[tuple[int, bytes]] = []
        self.duplicates: dict[str, list[int]] = {}
        # File order: i >= 0 is lines[i], i < 0 is others[-i - 1].
        self._seq: list[int] = []
        self._scan()
        ids = self.ids
        # Issue ids strictly increasing: new records are inserted where they sort.
        self.ordered = all(a < b for a, b in zip(ids, ids[1:], strict=False))
        self.result_sorted = self.ordered  # of the last render

    def _scan(self) -> None:
        path = self.path
        lines, ids, linenos, index = self.lines, self.ids, self.linenos, self.index
        seq, dups = self._seq, self.duplicates
        for n, line in enumerate(self.raw.split(b"\n"), 1):
            if not line.strip():
                continue
            check_markers(line, path, n)
            rid = fast_id(line)
            if rid is None:
                rec = parse_line(line, path, n, others=True)
                if other_type(rec) is not None:
                    self.others.append((n, line))
                    seq.append(-len(self.others))
                    continue
                rid = rec["id"]
            if rid in index:
                dups.setdefault(rid, [index[rid]]).append(len(lines))
            else:
                index[rid] = len(lines)
            seq.append(len(lines))
            lines.append(line)
            ids.append(rid)
            linenos.append(n)

    def __len__(self) -> int:
        return len(self.index)

    def has(self, rid: str) -> bool:
        return rid in self.index

    def ids_with_prefix(self, prefix: str) -> list[str]:
        return [rid for rid in self.index if rid.startswith(prefix)]

    def record(self, rid: str) -> dict[str, Any] | None:
        i = self.index.get(rid)
        if i is None:
            return None
        where = self.duplicates.get(rid)
        if where is None:
            return parse_line(self.lines[i], self.path, self.linenos[i])
        from bd.core.mergerules import collapse

        return collapse([parse_line(self.lines[k], self.path, self.linenos[k])
                         for k in where])

    def other_lines(self) -> list[bytes]:
        """The non-issue lines, in file order."""
        return [line for _, line in self.others]

    def render(self, changed: dict[str, bytes], removed: Iterable[str] = (),
               others: list[bytes] | None = None) -> bytes:
        """The file with ``changed`` lines replaced or inserted and ``removed`` gone.

        Every other line keeps its exact bytes and its place: the file's order is kept (a
        write changes only the lines it must).  A new record goes where its id sorts when the
        file's issue ids are sorted, else after the last issue line.  A changed id that was
        on several lines is written once, where it first was.  ``others`` (when given) is
        the new list of non-issue lines: those already in the file stay where they are, the
        rest go at the end.
        """
        gone = set(removed)
        new = sorted((rid, line) for rid, line in changed.items() if rid not in self.index)
        keep_other = [True] * len(self.others)
        added: list[bytes] = []
        if others is not None:
            pool: dict[bytes, int] = {}
            for line in others:
                line = line.rstrip(b"\n")
                pool[line] = pool.get(line, 0) + 1
            for k, (_, line) in enumerate(self.others):
                if pool.get(line):
                    pool[line] -= 1
                else:
                    keep_other[k] = False
            for line in others:
                line = line.rstrip(b"\n")
                if pool.get(line):
                    pool[line] -= 1
                    added.append(line + b"\n")
        last_issue = max((k for k, i in enumerate(self._seq) if i >= 0), default=-1)
        out: list[bytes] = []
        out_ids: list[str] = []
        written: set[str] = set()
        pending = 0  # next new record to insert (sorted file)

        def insert_upto(limit: str | None) -> None:
            nonlocal pending
            while pending < len(new) and (limit is None or new[pending][0] < limit):
                out_ids.append(new[pending][0])
                out.append(new[pending][1])
                pending += 1

        if last_issue < 0:
            insert_upto(None)
        for k, i in enumerate(self._seq):
            if i < 0:
                if keep_other[-i - 1]:
                    out.append(self.others[-i - 1][1] + b"\n")
            else:
                rid = self.ids[i]
                if self.ordered:
                    insert_upto(rid)
                if rid not in gone and rid not in written:
                    new_line = changed.get(rid)
                    if new_line is not None:
                        written.add(rid)  # a repeated id is written once, where it first was
                    out.append(new_line if new_line is not None else self.lines[i] + b"\n")
                    out_ids.append(rid)
            if k == last_issue:
                insert_upto(None)
        out.extend(added)
        self.result_sorted = all(a < b for a, b in zip(out_ids, out_ids[1:], strict=False))
        return b"".join(out)


class NotPlain(Exception):
    """The file turned out not to be plain where SortedLines looked; use Lines instead."""


_NotPlain = NotPlain


class SortedLines:
    """A *plain* file (see :func:`is_plain`) whose lines are found by binary search.

    Same interface as :class:`Lines`, but nothing is scanned up front: a write that touches a
    few records of a 10,000-line file looks up and splices just those lines.  The caller
    must know the file is plain (the cache records it, with the stat signature of the bytes
    it checked); anything unexpected falls back to a full :class:`Lines` scan.
    """

    __slots__ = ("path", "raw", "_full", "spliced")
    # ``raw`` is the file's bytes, or a read-only mmap of them (bd.store.jsonl.map_bytes):
    # then a write touches a few pages, not the whole file.

    # Above this many changed records a full scan and render costs less than the searches.
    MAX_SPLICE = 64

    def __init__(self, path: str, raw: Any) -> None:  # bytes, or an mmap of them
        self.path = path
        self.raw = raw
        self._full: Lines | None = None
        self.spliced = False  # render spliced lines into a plain file: the result is plain

    def full(self) -> Lines:
        if self._full is None:
            self._full = Lines(self.path, self._bytes())
        return self._full

    def _bytes(self) -> bytes:
        """The whole file as bytes (``raw`` may be a read-only mapping of it)."""
        raw = self.raw
        return raw if isinstance(raw, bytes) else raw[:]

    # The Lines attributes, for callers that need every line.
    @property
    def lines(self) -> list[bytes]:
        return self.full().lines

    @property
    def ids(self) -> list[str]:
        return self.full().ids

    @property
    def index(self) -> dict[str, int]:
        return self.full().index

    @property
    def linenos(self) -> list[int]:
        return self.full().linenos

    def __len__(self) -> int:
        return self._bytes().count(b"\n") if self._full is None else len(self._full)

    def _id_at(self, start: int) -> bytes:
        raw = self.raw
        if raw[start:start + 7] != _ID_HEAD:
            raise _NotPlain
        end = raw.find(b'"', start + 7)
        if end < 0:
            raise _NotPlain
        seg = raw[start + 7:end]
        if b"\\" in seg or b"\n" in seg:
            raise _NotPlain
        return seg

    def _locate(self, rid: str) -> tuple[int, int, bool]:
        """(start, end, found): the byte span of rid's line (with its newline), or the
        position where a line for rid would be inserted."""
        raw, key = self.raw, rid.encode("utf-8", "surrogatepass")
        lo, hi = 0, len(raw)
        while lo < hi:
            mid = (lo + hi) // 2
            start = raw.rfind(b"\n", lo, mid) + 1 or lo
            end = raw.find(b"\n", start) + 1
            if not end:
                raise _NotPlain
            seg = self._id_at(start)
            if seg == key:
                return start, end, True
            if seg < key:
                lo = end
            else:
                hi = start
        return lo, lo, False

    def offset(self, rid: str) -> int:
        """Where rid's line starts, or would be inserted (raises NotPlain when the search
        meets a line that is not plain)."""
        return self._locate(rid)[0]

    def has(self, rid: str) -> bool:
        if self._full is None:
            try:
                return self._locate(rid)[2]
            except _NotPlain:
                pass
        return rid in self.full().index

    def record(self, rid: str) -> dict[str, Any] | None:
        if self._full is not None:
            return self._full.record(rid)
        try:
            start, end, found = self._locate(rid)
        except _NotPlain:
            return self.full().record(rid)
        if not found:
            return None
        line = self.raw[start:end - 1]
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        if isinstance(rec, dict) and rec.get("id") == rid:
            return rec
        if not isinstance(rec, dict):  # raises the one-line error with the line number
            parse_line(line, self.path, self._bytes().count(b"\n", 0, start) + 1)
        return self.full().record(rid)

    def ids_with_prefix(self, prefix: str) -> list[str]:
        if self._full is None:
            try:
                start = self._locate(prefix)[0]
                raw, key, out = self.raw, prefix.encode("utf-8", "surrogatepass"), []
                while start < len(raw):
                    seg = self._id_at(start)
                    if not seg.startswith(key):
                        break
                    out.append(seg.decode("utf-8", "replace"))
                    start = raw.find(b"\n", start) + 1
                return out
            except _NotPlain:
                pass
        return self.full().ids_with_prefix(prefix)

    def edits(self, changed: dict[str, bytes], removed: Iterable[str] = ()
              ) -> list[tuple[int, int, bytes]] | None:
        """The byte spans a write replaces, ``(start, end, new line)`` sorted by position, or
        None when splicing does not apply (too many changes, a line that is not plain):
        then :meth:`render` the whole file.  Lines that would not change are left out."""
        gone = set(removed)
        if (self._full is not None or len(changed) + len(gone) > self.MAX_SPLICE
                or gone & changed.keys()
                or any(fast_id(line) != rid or not line.endswith(b"\n") or line.count(b"\n") != 1
                       for rid, line in changed.items())):
            return None
        out = []
        try:
            for rid in sorted(changed.keys() | gone):
                start, end, found = self._locate(rid)
                if rid in gone:
                    if found:
                        out.append((start, end, b""))
                elif not found:
                    out.append((start, start, changed[rid]))
                elif self.raw[start:end] != changed[rid]:
                    out.append((start, end, changed[rid]))
        except _NotPlain:
            return None
        self.spliced = True
        return out

    @property
    def others(self) -> list[tuple[int, bytes]]:
        return [] if self._full is None else self._full.others  # a plain file has none

    @property
    def duplicates(self) -> dict[str, list[int]]:
        return {} if self._full is None else self._full.duplicates

    def other_lines(self) -> list[bytes]:
        return [line for _, line in self.others]

    @property
    def result_sorted(self) -> bool:
        return self.spliced or self._full is None or self._full.result_sorted

    def render(self, changed: dict[str, bytes], removed: Iterable[str] = (),
               others: list[bytes] | None = None) -> bytes:
        """As :meth:`Lines.render`: splices only the touched lines into the raw bytes."""
        gone = set(removed)
        if others is not None:
            return self.full().render(changed, gone, others)
        if (self._full is not None or len(changed) + len(gone) > self.MAX_SPLICE
                or gone & changed.keys()
                or any(fast_id(line) != rid or not line.endswith(b"\n") or line.count(b"\n") != 1
                       for rid, line in changed.items())):
            return self.full().render(changed, gone)
        try:
            edits = []
            for rid in sorted(changed.keys() | gone):
                start, end, found = self._locate(rid)
                if rid in gone:
                    if found:
                        edits.append((start, end, b""))
                else:
                    edits.append((start, end if found else start, changed[rid]))
        except _NotPlain:
            return self.full().render(changed, gone)
        self.spliced = True
        view, pos = memoryview(self.raw), 0  # one copy of the untouched bytes
        out: list[bytes | memoryview] = []
        for start, end, line in edits:
            out.append(view[pos:start])
            out.append(line)
            pos = end
        out.append(view[pos:])
        return b"".join(out)


def is_plain(data: bytes, ids_sorted: bool) -> bool:
    """True when the file is what bd writes: every line a record whose id comes first, ids
    strictly increasing, no blank lines, a newline at the end (so SortedLines can be used)."""
    if not data:
        return True
    return (ids_sorted and data.endswith(b"\n") and data.startswith(_ID_HEAD)
            and data.count(b'\n{"id":"') == data.count(b"\n") - 1)


def check_markers(line: bytes, path: str, lineno: int) -> None:
    if line.startswith(_MARKERS):
        raise ConflictMarkersError(
            "git conflict markers found; resolve the merge first "
            "(bd resolve-conflicts, or git checkout --theirs/--ours)", path=path, line=lineno)
