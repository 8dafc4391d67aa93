"""A tolerant read of the JSONL: every problem found, not just the first.

The store's reader stops at the first bad line (it must: the file is the truth); the doctor
wants the whole picture, so this scan keeps going and files each line under what it is.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

_MARKERS = (b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")


class Scan:
    """``records``: (line, record) of every valid line; ``markers``: lines with conflict
    markers; ``bad``: (line, reason); ``duplicates``: (id, first line, later line)."""

    __slots__ = ("path", "records", "markers", "bad", "duplicates", "missing", "error",
                 "others")

    def __init__(self, path: str) -> None:
        self.path = path
        self.records: list[tuple[int, dict[str, Any]]] = []
        self.markers: list[int] = []
        self.bad: list[tuple[int, str]] = []
        self.duplicates: list[tuple[str, int, int]] = []
        self.missing = False
        self.error: str | None = None
        self.others = 0  # non-issue lines (``_type`` other than "issue")

    def by_id(self) -> dict[str, dict[str, Any]]:
        return {rec["id"]: rec for _, rec in self.records}


def scan(path: str) -> Scan:
    result = Scan(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        result.missing = True
        return result
    except OSError as exc:
        result.error = f"cannot read: {exc.strerror}"
        return result
    first: dict[str, int] = {}
    for n, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        if line.startswith(_MARKERS):
            result.markers.append(n)
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError) as exc:
            reason = str(exc).split(":", 1)[0] if isinstance(exc, ValueError) else "too deep"
            result.bad.append((n, f"malformed JSON ({reason})"))
            continue
        if not isinstance(rec, dict):
            result.bad.append((n, "line is not a JSON object"))
            continue
        kind = rec.get("_type")
        if isinstance(kind, str) and kind and kind != "issue":
            result.others += 1  # a memory or another non-issue line: kept as it is
            continue
        rid = rec.get("id")
        if not isinstance(rid, str) or not rid:
            result.bad.append((n, "record has no id"))
            continue
        if rid in first:
            result.duplicates.append((rid, first[rid], n))
            continue
        first[rid] = n
        result.records.append((n, rec))
    return result
