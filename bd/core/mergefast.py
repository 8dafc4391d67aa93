"""The merge engine's path for plain inputs: find what the sides changed without reading
every line of them, and check the base in bulk.

*Plain* here means what bd and the original write: every line an issue record whose id comes
first (``{"id":"…"``, no escapes in the id), ids strictly increasing, a newline after the
last line.  For such inputs the merge needs only the records a side changed; the 99% of lines
identical on all three inputs are copied as bytes.  Each side is compared with the base by
runs of equal bytes (``bytes.startswith`` over memory views: memcmp, no copies), so only the
lines around a difference are split, read and checked.  Every base line is still checked
(a line no loader accepts must not reach the merged file), a chunk at a time: against the
grammar of ``bd.core.mergecheck`` (one regular-expression match, nothing built), and a chunk
outside it by parsing its lines with orjson and checking the records' ids and field types.

Anything else (a blank line, conflict markers, a non-issue line, a line whose id is not first,
unsorted ids, a line the bulk check does not accept) makes these functions answer None, and
the caller takes the line-by-line path, which reads everything and names any bad line.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate, repeat
from operator import itemgetter

from bd.core import mergecheck, model
from bd.core.renumber import RENUMBERED

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    import mmap
    from typing import TypeAlias

    Side: TypeAlias = bytes | mmap.mmap  # a side's file: its bytes, or a mapping of it

_HEAD = b'{"id":"'
_RENUMBERED = b'"' + RENUMBERED.encode() + b'"'
_KEY = b'{"id":"%b"'
_CHUNK = 1000  # lines checked at once (a chunk parsed: memory reused, not grown)


def line_ok(line: bytes, rid: str) -> bool:
    """Whether a line whose id scan says ``rid`` passes the merge's check (JSON, an object
    with that id, fields of the right types): by the grammar, else by parsing it."""
    if mergecheck.lines_ok(line + b"\n", 0, len(line) + 1, line.isascii()):
        return True  # (the grammar's id is the line's first, and it has no escapes)
    import orjson  # the merge driver only; never on a read command's path

    try:
        got = orjson.loads(line)
    except (ValueError, RecursionError):
        return False
    return type(got) is dict and got.get("id") == rid and model.type_problem(got) is None


def key_at(buf: Side, pos: int, end: int) -> bytes | None:
    """The sort key (``{"id":"ID"``) of the line ``buf[pos:end]``, or None if it is not plain."""
    if buf[pos:pos + 7] != _HEAD:
        return None
    quote = buf.find(b'"', pos + 7, end)
    if quote <= pos + 7 or buf.find(b"\\", pos + 7, quote) >= 0:
        return None
    return buf[pos:quote + 1]


def key_id(key: bytes) -> str:
    return key[7:-1].decode("utf-8", "replace")


class Base:
    """The base input when it is plain and every line passes the check."""

    __slots__ = ("raw", "lines", "keys", "starts", "renumbered")

    def __init__(self, raw: bytes, lines: list[bytes], keys: list[bytes],
                 starts: list[int], renumbered: bool) -> None:
        self.raw = raw
        self.lines = lines
        self.keys = keys
        self.starts = starts  # where each line starts (and, last, the end of the file)
        # a line outside the grammar names "renumbered_from" (bd.core.renumber.follow)
        self.renumbered = renumbered

    def find(self, key: bytes) -> int:
        """The index of the line with this key, or -1."""
        i = bisect_left(self.keys, key)
        return i if i < len(self.keys) and self.keys[i] == key else -1


def read_base(raw: bytes) -> Base | None:
    if raw and not raw.endswith(b"\n"):
        return None
    lines = raw.split(b"\n")
    lines.pop()
    starts = list(accumulate(map((1).__add__, map(len, lines)), initial=0))
    parsed: list[bytes] = []
    keys = _checked_keys(raw, lines, starts, parsed)
    if keys is None or not all(map(bytes.__lt__, keys, keys[1:])):
        return None
    return Base(raw, lines, keys, starts, any(map(bytes.__contains__, parsed,
                                                   repeat(_RENUMBERED))))


def _checked_keys(raw: bytes, lines: list[bytes], starts: list[int],
                  parsed: list[bytes]) -> list[bytes] | None:
    """The sort keys of ``lines`` if every one is plain and passes the check, else None.

    A chunk of lines is matched against the grammar of ``bd.core.mergecheck``; a chunk
    outside it is parsed with orjson (stricter than the check's parser: what it refuses goes
    the line-by-line way), each record's id must be the one its line starts with, and
    ``model.type_problem`` checks the field types; its lines are added to ``parsed``."""
    ascii = raw.isascii()
    out: list[bytes] = []
    for start in range(0, len(lines), _CHUNK):
        chunk = lines[start:start + _CHUNK]
        if not mergecheck.lines_ok(raw, starts[start], starts[start + len(chunk)], ascii):
            if not _parsed_ok(chunk):
                return None
            parsed.extend(chunk)
        # a checked line starts with {"id":"ID" and ID has no quote
        ends = map((1).__add__, map(bytes.find, chunk, repeat(b'"'), repeat(7)))
        out.extend(map(bytes.__getitem__, chunk, map(slice, repeat(0), ends)))
    return out


def _parsed_ok(chunk: list[bytes]) -> bool:
    """Every line of ``chunk`` parsed (orjson), its id the one it starts with, its fields
    of the right types.  (Checking types once per distinct layout of keys and value types,
    in bulk, measured no faster than ``type_problem``.)"""
    import orjson  # the merge driver only; never on a read command's path

    try:
        recs = list(map(orjson.loads, chunk))
        ids = list(map(itemgetter("id"), recs))
        keys = list(map(_KEY.__mod__, map(str.encode, ids)))
    except (ValueError, TypeError, KeyError, RecursionError, UnicodeError):
        return False
    # (an id with a quote, a backslash or a control character is escaped in its line, so
    # its line does not start with its key)
    return all(ids) and all(map(bytes.startswith, chunk, keys)) and \
        not any(map(model.type_problem, recs))


# -- what a side changed -------------------------------------------------------------------

def _common(a: bytes, i: int, b: Side, mb: memoryview, j: int) -> int:
    """The length of the common prefix of ``a[i:]`` and ``b[j:]``."""
    n = min(len(a) - i, len(b) - j)
    k, step = 0, 4096
    while k < n:
        s = min(step, n - k)
        if a.startswith(mb[j + k:j + k + s], i + k):
            k += s
            step = min(step * 2, 1 << 22)
            continue
        lo, hi = k, k + s  # equal up to lo, different before hi
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a.startswith(mb[j + lo:j + mid], i + lo):
                lo = mid
            else:
                hi = mid
        return lo
    return n


def changes(base: Base, raw: Side) -> dict[bytes, tuple[bytes | None, int]] | None:
    """What one side changed against the base: sort key -> (the side's line, or None when
    the side has no line for that id; the line's offset in ``raw``).  None when the side is
    not plain, not strictly sorted, or a changed line fails the check."""
    if len(raw) and raw[-1:] != b"\n":
        return None
    with memoryview(raw) as mb:  # released before the caller closes a mapping
        return _changes(base, raw, mb)


def _changes(base: Base, b: Side, mb: memoryview
             ) -> dict[bytes, tuple[bytes | None, int]] | None:
    a = base.raw
    la, lb = len(a), len(b)
    out: dict[bytes, tuple[bytes | None, int]] = {}
    i = j = 0
    while True:
        n = _common(a, i, b, mb, j)
        if i + n == la and j + n == lb:
            return out
        nl = a.rfind(b"\n", i, i + n)
        if nl >= 0:
            j += nl + 1 - i
            i = nl + 1
        # a run of lines that differ: walk both sides in key order until their lines agree
        ia = first = bisect_left(base.starts, i)
        added: list[tuple[bytes, bytes, int]] = []  # (key, line, offset) of the side's lines
        while True:
            ka = base.keys[ia] if i < la else None
            kb = None
            if j < lb:
                be = b.find(b"\n", j)
                kb = key_at(b, j, be)
                if kb is None:
                    return None
            if ka is None and kb is None:
                break
            if kb is not None and (ka is None or kb <= ka):
                added.append((kb, b[j:be], j))
                j = be + 1
                if kb == ka:
                    i = base.starts[ia + 1]
                    ia += 1
            else:
                i = base.starts[ia + 1]
                ia += 1
            if i < la and j < lb:
                be = b.find(b"\n", j)
                if be - j == base.starts[ia + 1] - 1 - i and a.startswith(mb[j:be], i):
                    break
        # the side's lines of this run must be sorted between their neighbours
        before = base.keys[first - 1] if first > 0 else b""
        after = base.keys[ia] if ia < len(base.keys) else None
        for kb, line, _ in added:
            if kb <= before or (after is not None and kb >= after):
                return None
            before = kb
            if not line_ok(line, key_id(kb)):
                return None
        removed = {base.keys[x] for x in range(first, ia)}
        for kb, line, off in added:
            removed.discard(kb)
            k = base.find(kb)
            if k < 0 or base.lines[k] != line:
                out[kb] = (line, off)
        for ka in removed:
            out[ka] = (None, -1)


class Linenos:
    """The line numbers of one input's touched lines, found when asked (only the strict
    parse's error names one)."""

    __slots__ = ("raw", "at")

    def __init__(self, raw: Side, at: dict[bytes, int]) -> None:
        self.raw = raw
        self.at = at  # line -> its offset, where known

    def get(self, line: bytes, default: int = 0) -> int:
        raw = self.raw
        off = self.at.get(line)
        if off is None:
            off = raw.find(line)
            while off >= 0 and not ((off == 0 or raw[off - 1] == 10)
                                    and raw[off + len(line):off + len(line) + 1] == b"\n"):
                off = raw.find(line, off + 1)
            if off < 0:
                return default
        return raw[:off].count(b"\n") + 1


def splice(base: Base, rows: list[tuple[bytes, bytes]], touched: set[bytes]
           ) -> list[bytes | memoryview]:
    """The base with the lines of ``touched`` ids taken out and ``rows`` (sort key, line)
    put where their keys sort, as pieces (spans of the base, new lines): the merged file
    when the base is sorted."""
    rows.sort(key=itemgetter(0))
    drops = sorted(k for k in map(base.find, touched) if k >= 0)
    mv, starts = memoryview(base.raw), base.starts
    parts: list[bytes | memoryview] = []
    cur = di = 0

    def copy(upto: int) -> None:  # base lines cur..upto-1 but the dropped ones
        nonlocal cur, di
        while di < len(drops) and drops[di] < upto:
            if drops[di] > cur:
                parts.append(mv[starts[cur]:starts[drops[di]]])
            cur = drops[di] + 1
            di += 1
        if upto > cur:
            parts.append(mv[starts[cur]:starts[upto]])
            cur = upto

    for key, line in rows:
        copy(bisect_left(base.keys, key))
        parts.append(line)
    copy(len(base.keys))
    return parts
