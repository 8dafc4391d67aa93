"""Whole-process benchmarks of bd against interpreter yardsticks measured in the same run.

Usage: python bench/run.py [--sizes 1000,10000] [--runs 15]
Datasets come from ../shared/bench/gen_dataset.py into bench/out/ (git-ignored). Commands
are interleaved round-robin so machine noise hits all of them alike; the table reports the
median, min and max in ms and the median as a ratio to `python -c pass`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN = HERE.parent.parent / "shared" / "bench" / "gen_dataset.py"
PY = sys.executable
BD = [PY, "-c", "from bd.cli import run; run()"]


def sh(cmd: list[str], cwd: Path, stdin: bytes | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, input=stdin, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - start) * 1000


def setup(size: int, out: Path) -> tuple[Path, bytes]:
    data = subprocess.run([PY, str(GEN), "--issues", str(size), "--seed", "42", "--prefix",
                           "bd"], capture_output=True, check=True).stdout
    repo = out / f"repo-{size}"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*BD, "init", "--prefix", "bd", "-q"], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL)
    (repo / ".beads" / "issues.jsonl").write_bytes(data)
    subprocess.run([*BD, "list", "-q"], cwd=repo, stdout=subprocess.DEVNULL, check=True)
    return repo, data


def bench(size: int, runs: int, out: Path) -> dict[str, list[float]]:
    repo, data = setup(size, out)
    jsonl = repo / ".beads" / "issues.jsonl"
    some_id = json.loads(data.split(b"\n", 1)[0])["id"]
    lines = data.splitlines(keepends=True)
    results: dict[str, list[float]] = {}

    def touch_10() -> None:  # 10 records changed behind bd's back, as after a git pull
        new = list(lines)
        for i in range(0, len(new), max(1, len(new) // 10))[:10]:
            rec = json.loads(new[i])
            rec["notes"] = f"edited {time.time_ns()}"
            new[i] = (json.dumps(rec, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        jsonl.write_bytes(b"".join(new))

    cases = {
        "python -c pass": lambda: sh([PY, "-c", "pass"], repo),
        "python -c 'import sqlite3'": lambda: sh([PY, "-c", "import sqlite3"], repo),
        "ready --json": lambda: sh([*BD, "ready", "--json"], repo),
        "list --json": lambda: sh([*BD, "list", "--json"], repo),
        "show ID --json": lambda: sh([*BD, "show", some_id, "--json"], repo),
        "stats --json": lambda: sh([*BD, "stats", "--json"], repo),
        "blocked --json": lambda: sh([*BD, "blocked", "--json"], repo),
        "create": lambda: sh([*BD, "create", "bench issue", "-p", "2", "--silent"], repo),
        "update --status": lambda: sh([*BD, "update", some_id, "--status", "in_progress"],
                                      repo),
    }
    for _ in range(runs):
        for name, fn in cases.items():
            results.setdefault(name, []).append(fn())
    for _ in range(max(3, runs // 3)):
        touch_10()
        results.setdefault("ready --json after 10 changed", []).append(
            sh([*BD, "ready", "--json"], repo))
        for f in (repo / ".beads").glob("beads.db*"):
            f.unlink()
        results.setdefault("cold ready --json (no cache)", []).append(
            sh([*BD, "ready", "--json"], repo))
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    report: dict[str, dict[str, dict[str, float]]] = {}
    md = ["| size | command | median ms | min | max | × pass |", "|---|---|---|---|---|---|"]
    for size in (int(s) for s in args.sizes.split(",")):
        res = bench(size, args.runs, out)
        base = statistics.median(res["python -c pass"])
        report[str(size)] = {}
        for name, xs in res.items():
            med = statistics.median(xs)
            report[str(size)][name] = {"median": med, "min": min(xs), "max": max(xs),
                                       "ratio_to_pass": med / base}
            md.append(f"| {size} | {name} | {med:.1f} | {min(xs):.1f} | {max(xs):.1f} | "
                      f"{med / base:.2f} |")
    (out / "bench.json").write_text(json.dumps(report, indent=2))
    (out / "bench.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"\nwritten: {out / 'bench.md'}, {out / 'bench.json'} (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
