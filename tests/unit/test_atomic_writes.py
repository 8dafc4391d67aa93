"""bd.store.jsonl's atomic writes, and the spare file a large JSONL keeps for its next write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bd.store import jsonl


@pytest.fixture
def small_spares(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "SPARE_MIN_BYTES", 10)
    monkeypatch.setattr(jsonl, "SPARE_MIN_AGE_NS", 0)


def spare_of(path: Path) -> Path:
    return path.parent / jsonl.SPARE_DIR / path.name


def test_the_previous_version_is_the_spare_and_the_next_write_fills_it(
        tmp_path: Path, small_spares: None) -> None:
    path = tmp_path / "issues.jsonl"
    path.write_bytes(b"a" * 40 + b"\n" + b"b" * 40 + b"\n")
    first = os.stat(path).st_ino
    jsonl.atomic_splice(str(path), [(0, 41, b"A\n")])
    assert path.read_bytes() == b"A\n" + b"b" * 40 + b"\n"
    assert spare_of(path).read_bytes() == b"a" * 40 + b"\n" + b"b" * 40 + b"\n"
    assert os.stat(spare_of(path)).st_ino == first  # the old file itself, not a copy
    second = os.stat(path).st_ino
    jsonl.atomic_splice(str(path), [(0, 2, b"AA\n")])
    assert path.read_bytes() == b"AA\n" + b"b" * 40 + b"\n"  # written into the longer spare
    assert os.stat(path).st_ino == first  # ... which was the first file's inode
    assert os.stat(spare_of(path)).st_ino == second
    assert (path.parent / jsonl.SPARE_DIR / ".gitignore").read_text().endswith("*\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [jsonl.SPARE_DIR, "issues.jsonl"]
    jsonl.atomic_write(str(path), b"whole\n" * 5, spare=True)
    assert path.read_bytes() == b"whole\n" * 5
    assert os.stat(path).st_ino == second


def test_a_young_spare_is_not_reused(tmp_path: Path, small_spares: None,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader may still have the version that was replaced a moment ago open."""
    monkeypatch.setattr(jsonl, "SPARE_MIN_AGE_NS", 60 * 10**9)
    path = tmp_path / "issues.jsonl"
    path.write_bytes(b"x" * 50 + b"\n")
    jsonl.atomic_write(str(path), b"y" * 50 + b"\n", spare=True)
    spare_ino = os.stat(spare_of(path)).st_ino
    jsonl.atomic_write(str(path), b"z" * 50 + b"\n", spare=True)
    assert os.stat(path).st_ino != spare_ino  # a new file, the young spare left alone
    assert spare_of(path).read_bytes() == b"y" * 50 + b"\n"  # the newer old version
    assert path.read_bytes() == b"z" * 50 + b"\n"


def test_small_files_and_odd_spares_take_the_plain_path(tmp_path: Path, small_spares: None
                                                        ) -> None:
    path = tmp_path / "issues.jsonl"
    path.write_bytes(b"tiny\n")  # under SPARE_MIN_BYTES: no spare is kept
    jsonl.atomic_write(str(path), b"t" * 30 + b"\n", spare=True)
    assert not spare_of(path).exists()
    jsonl.atomic_write(str(path), b"u" * 30 + b"\n", spare=True)
    assert spare_of(path).read_bytes() == b"t" * 30 + b"\n"
    # A spare with a second name (a hard link someone made) is never written into.
    os.link(spare_of(path), tmp_path / "elsewhere")
    jsonl.atomic_write(str(path), b"v" * 30 + b"\n", spare=True)
    assert (tmp_path / "elsewhere").read_bytes() == b"t" * 30 + b"\n"
    assert path.read_bytes() == b"v" * 30 + b"\n"
    # A symbolic link planted as the spare is not followed.
    spare_of(path).unlink()
    (tmp_path / "target").write_bytes(b"keep me\n")
    spare_of(path).symlink_to(tmp_path / "target")
    jsonl.atomic_write(str(path), b"w" * 30 + b"\n", spare=True)
    assert (tmp_path / "target").read_bytes() == b"keep me\n"
    assert path.read_bytes() == b"w" * 30 + b"\n"


def test_without_spare_the_write_never_keeps_one(tmp_path: Path, small_spares: None) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"k: " + b"v" * 40 + b"\n")
    jsonl.atomic_write(str(path), b"k: w\n")
    assert path.read_bytes() == b"k: w\n"
    assert not (tmp_path / jsonl.SPARE_DIR).exists()
