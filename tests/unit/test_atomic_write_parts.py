"""jsonl.atomic_write_parts: the file is the pieces one after the other, however many, whatever
a short writev leaves, and without writev."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bd.store import jsonl


def pieces() -> tuple[list[bytes | memoryview], bytes]:
    data = b"".join(b"line %d\n" % k for k in range(3000))
    parts: list[bytes | memoryview] = []
    pos = 0
    for k in range(2500):  # more pieces than one writev takes
        n = k % 7
        parts.append(memoryview(data)[pos:pos + n] if k % 2 else data[pos:pos + n])
        pos += n
    parts.append(data[pos:])
    return parts, data


def test_pieces_written_in_order(tmp_path: Any) -> None:
    parts, data = pieces()
    path = tmp_path / "out.jsonl"
    jsonl.atomic_write_parts(str(path), parts)
    assert path.read_bytes() == data


def test_a_short_writev_is_completed(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.writev

    def short(fd: int, bufs: list[Any]) -> int:  # half of what was asked, at most 5 bytes
        return real(fd, [memoryview(bufs[0])[:min(5, len(bufs[0]))]]) if bufs else 0

    monkeypatch.setattr(os, "writev", short)
    parts, data = pieces()
    path = tmp_path / "out.jsonl"
    jsonl.atomic_write_parts(str(path), parts)
    assert path.read_bytes() == data


def test_without_writev(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "writev")
    parts, data = pieces()
    path = tmp_path / "out.jsonl"
    jsonl.atomic_write_parts(str(path), parts)
    assert path.read_bytes() == data
