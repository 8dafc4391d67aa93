"""Where the merge driver's time goes, stage by stage, in one process.

    python bench/merge_floor.py DIR [--rounds 5]

DIR holds base.jsonl, left.jsonl and right.jsonl (bench/run.py writes them to
bench/out/merge-SIZE/).  Each stage is timed on its own, medians in ms; "merge_bytes" is the
whole engine (read_base, changes and the grammar are parts of it; parsing is what a chunk
outside the grammar costs), "write" the atomic write of its result.  The stages every line
pays for (reading, splitting, checking, writing) are the floor of a merge that checks every
line of its inputs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from operator import itemgetter
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import orjson  # noqa: E402

from bd.core import merge, mergecheck, mergefast, model  # noqa: E402
from bd.store import jsonl  # noqa: E402


def timed(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    paths = [os.path.join(args.dir, f"{n}.jsonl") for n in ("base", "left", "right")]
    n = args.rounds
    rows: list[tuple[str, float]] = []

    def add(name: str, fn: Callable[[], Any]) -> Any:
        ms, out = timed(fn, n)
        rows.append((name, ms))
        return out

    add("python -c pass (a process)", lambda: subprocess.run([sys.executable, "-c", "pass"]))
    raws = add("read the three files", lambda: [open(p, "rb").read() for p in paths])
    base = raws[0]
    lines = add("split the base into lines", lambda: base.split(b"\n")[:-1])
    chunks = [lines[i:i + 1000] for i in range(0, len(lines), 1000)]

    def parse() -> None:
        for chunk in chunks:
            list(map(orjson.loads, chunk))

    def parse_and_check() -> None:
        for chunk in chunks:
            any(map(model.type_problem, map(orjson.loads, chunk)))

    add("parse every base line (orjson)", parse)
    add("parse and type-check every base line", parse_and_check)
    ascii = base.isascii()
    add("every base line against the grammar (mergecheck)",
        lambda: mergecheck.lines_ok(base, 0, len(base), ascii))
    pb = add("base read and checked (mergefast.read_base)", lambda: mergefast.read_base(base))
    add("what both sides changed (mergefast.changes)",
        lambda: [mergefast.changes(pb, raw) for raw in raws[1:]])
    res = add("merge_bytes (all of the engine)", lambda: merge.merge_bytes(*raws))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        add("atomic write of the result (fsync)",
            lambda: jsonl.atomic_write_parts(out, res.parts))
    width = max(map(len, map(itemgetter(0), rows)))
    print(f"{len(lines):,} lines, {len(base) / 1e6:.1f} MB a file, median of {n} rounds")
    for name, ms in rows:
        print(f"{name:<{width}}  {ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
