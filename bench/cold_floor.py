"""What a cold cache build costs, split into bd's Python work and SQLite's own work.

    python bench/cold_floor.py --size 10000 [--runs 5]

A cold ``bd ready --json`` (no beads.db) reads the JSONL, parses and checks every line, turns
each record into rows, and has SQLite insert them, build the indexes and the blocked set.
This script times the SQLite part alone on the same rows: the rows are prepared first (not
timed), then a fresh database gets the schema, the bulk inserts, the indexes and the blocked
set exactly as bd's cold build issues them (``bd.store.cache.build``).  It prints both, and
``python -c pass`` for scale, so the floor of a cold build on this machine is a measured figure
(docs/performance.md, "What stands in the way").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_dataset.py"


def sqlite_only(data: bytes, runs: int) -> list[float]:
    """Milliseconds for SQLite to build the cache from prepared rows."""
    from bd.core import codec
    from bd.store.cache import Cache, line_hash, schema
    from bd.store.cache.build import fill_blocked
    from bd.store.cache.rows import (
        _INSERT_COMMENT,
        _INSERT_DEP,
        _INSERT_LABEL,
        _bulk_rows,
        _insert_sql,
        _relation_rows,
    )

    lines = codec.Lines("data", data)
    upserts = [(codec.parse_line(line, "data", n), line, line_hash(line))
               for line, n in zip(lines.lines, lines.linenos, strict=True)]
    groups = list(_bulk_rows(upserts).items())
    labels, deps, comments = _relation_rows([r for r, _, _ in upserts])
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            cache = Cache(os.path.join(tmp, "beads.db"))
            start = time.perf_counter()
            cache.ensure_schema()
            conn = cache.conn
            # The settings and steps of a cold build (bd.store.cache.refresh and build._load).
            conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute(f"PRAGMA cache_size = -{max(2000, 3 * len(data) // 1024)}")
            conn.execute("BEGIN IMMEDIATE")
            for name in schema.BULK_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            for (present, ns), rows in groups:
                conn.executemany(_insert_sql(present, ns), rows)
            conn.executemany(_INSERT_LABEL, labels)
            conn.executemany(_INSERT_DEP, deps)
            conn.executemany(_INSERT_COMMENT, comments)
            for sql in schema.INDEXES:
                if sql.split()[5] not in schema.LAZY_INDEXES:
                    conn.execute(sql)
            fill_blocked(conn)
            conn.execute(f"INSERT INTO bd_done_parents(issue_id) {schema.DONE_PARENTS_SQL}")
            conn.execute("COMMIT")
            times.append((time.perf_counter() - start) * 1000)
            cache.close()
    return times


def whole(argv: list[str], cwd: Path, runs: int, before: object = None) -> list[float]:
    times = []
    for _ in range(runs):
        if callable(before):
            before()
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        data = subprocess.run([sys.executable, str(GEN), "--issues", str(args.size)],
                              check=True, capture_output=True).stdout
        (repo / ".beads").mkdir()
        (repo / ".beads" / "issues.jsonl").write_bytes(data)
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)

        def drop() -> None:
            for f in (repo / ".beads").glob("beads.db*"):
                f.unlink()

        bd = [sys.executable, "-m", "bd", "ready", "--json"]
        cold = whole(bd, repo, args.runs, drop)
        floor = sqlite_only(data, args.runs)
        bare = whole([sys.executable, "-c", "pass"], repo, args.runs)
    med = statistics.median
    print(f"{args.size:,} issues, medians of {args.runs} runs")
    print(f"  python -c pass:               {med(bare):8.1f} ms")
    print(f"  cold bd ready --json:         {med(cold):8.1f} ms  ({med(cold) / med(bare):.1f} x)")
    print(f"  SQLite alone (same rows):     {med(floor):8.1f} ms  "
          f"({med(floor) / med(bare):.1f} x, {100 * med(floor) / med(cold):.0f} % of cold)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
