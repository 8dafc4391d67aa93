"""Run one bd command in-process and SIGKILL it at its Nth write step.

usage: python crash_driver.py N RECORD_DIR BD_ARGS...

The library calls ``bd.store.jsonl._crash_hook(name)`` between the steps of a write (temp file
written, synced, renamed; JSONL replaced, events appended, before the cache commit, ...).
This driver counts those calls, appends each step's name to RECORD_DIR/steps, and kills
its own process with SIGKILL at call N (N = 0: never), exactly as ``kill -9`` would.  Every
``atomic_write`` is recorded first (RECORD_DIR/write-K.path and write-K.data), so the test
knows the "new" bytes a killed write was about to put in place.
"""

from __future__ import annotations

import os
import signal
import sys

from bd.cli import main
from bd.store import jsonl

target = int(sys.argv[1])
record = sys.argv[2]
argv = sys.argv[3:]
count = 0
writes = 0


def _append(name: str, data: str) -> None:
    with open(os.path.join(record, name), "a") as fh:
        fh.write(data)


def hook(step: str) -> None:
    global count
    count += 1
    _append("steps", step + "\n")
    if count == target:
        os.kill(os.getpid(), signal.SIGKILL)


real_atomic_write = jsonl.atomic_write


def _record_write(path: str, data: bytes) -> None:
    """RECORD_DIR/write-K.path and write-K.data: the bytes write K is about to put in place."""
    global writes
    _append(f"write-{writes}.path", os.path.abspath(path))
    with open(os.path.join(record, f"write-{writes}.data"), "wb") as fh:
        fh.write(data)
    writes += 1


def recording_atomic_write(path: str, data: bytes, **kw: bool) -> None:
    _record_write(path, data)
    real_atomic_write(path, data, **kw)


real_atomic_write_parts = jsonl.atomic_write_parts


def recording_atomic_write_parts(path: str, parts: list[bytes]) -> None:
    """A write of parts (the merge driver's): the record is their concatenation."""
    parts = [bytes(p) for p in parts]
    _record_write(path, b"".join(parts))
    real_atomic_write_parts(path, parts)


real_atomic_splice = jsonl.atomic_splice


def recording_atomic_splice(path: str, edits: list[tuple[int, int, bytes]]) -> None:
    """The same record for a spliced write: the bytes the new file will hold."""
    with open(path, "rb") as fh:
        old = fh.read()
    new, pos = [], 0
    for start, end, line in edits:
        new += [old[pos:start], line]
        pos = end
    new.append(old[pos:])
    _record_write(path, b"".join(new))
    real_atomic_splice(path, edits)


jsonl._crash_hook = hook
if os.environ.get("BD_TEST_SPARE"):  # the spare-file path for a file of any size and age
    jsonl.SPARE_MIN_BYTES = 0
    jsonl.SPARE_MIN_AGE_NS = 0
jsonl.atomic_write = recording_atomic_write
jsonl.atomic_splice = recording_atomic_splice
jsonl.atomic_write_parts = recording_atomic_write_parts
sys.exit(main(argv))
