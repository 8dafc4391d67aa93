"""The floor of an atomic rewrite of a large file on this machine, two ways.

    python bench/write_floor.py PATH [--rounds 5]

"temp": copy PATH into a new temporary file, fsync, rename over a copy of PATH (what every
write did before the spare file: allocate the new file's blocks, free the old one's).
"spare": overwrite a spare of the same size in place, fsync, and swap names so the replaced
file becomes the next spare (bd.store.jsonl._atomic with a spare).  Medians in ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time


def copy_into(src: str, fd: int) -> None:
    with open(src, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        off = 0
        while off < size:
            off += os.copy_file_range(fh.fileno(), fd, size - off, off)
    os.ftruncate(fd, size)


def temp_way(src: str, target: str) -> float:
    start = time.perf_counter()
    tmp = target + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    copy_into(src, fd)
    os.fsync(fd)
    os.close(fd)
    os.replace(tmp, target)
    return (time.perf_counter() - start) * 1000


def spare_way(src: str, target: str, spare: str) -> float:
    start = time.perf_counter()
    fd = os.open(spare, os.O_WRONLY)
    copy_into(src, fd)
    os.fsync(fd)
    os.close(fd)
    os.link(target, spare + ".next")
    os.replace(spare, target)
    os.replace(spare + ".next", spare)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    work = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(args.path)))
    try:
        target, spare = os.path.join(work, "file"), os.path.join(work, "spare")
        shutil.copyfile(args.path, target)
        shutil.copyfile(args.path, spare)
        os.sync()
        temp, spares = [], []
        for _ in range(args.rounds):
            temp.append(temp_way(args.path, target))
            time.sleep(0.5)
            spares.append(spare_way(args.path, target, spare))
            time.sleep(0.5)
        size = os.path.getsize(args.path) / 1e6
        print(f"{size:.1f} MB: new temporary file {statistics.median(temp):.1f} ms, "
              f"spare filled in place {statistics.median(spares):.1f} ms "
              f"(medians of {args.rounds})")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
