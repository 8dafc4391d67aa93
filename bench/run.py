"""Whole-process benchmarks of bd against interpreter yardsticks measured in the same run.

    python bench/run.py                       # 1,000 / 10,000 / 20,000 issues, 11 runs
    python bench/run.py --sizes 10000 --runs 9
    python bench/run.py --quick               # 1,000 and 10,000 issues, 3 runs (smoke test)
    python bench/run.py --write-doc           # also refresh the table in docs/performance.md

Datasets come from ../shared/bench/gen_dataset.py (seed 42) and are generated into bench/out/
(git-ignored) with one git repository per size.  Every figure is a whole ``bd`` process,
started the way a user or an agent starts it, from the interpreter running this script.
Commands are interleaved round-robin (after one unrecorded warm-up round) so machine noise
hits all of them alike, and ``python -c pass`` / ``python -c "import sqlite3"`` are timed in
the same rounds as yardsticks: targets are ratios to them, never absolute times, except the
import time and the peak RSS.  Peak RSS is each child's own ``ru_maxrss`` (from wait4).

Output: bench/out/bench.md (tables) and bench/out/bench.json (every sample).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GEN = ROOT.parent / "shared" / "bench" / "gen_dataset.py"
DOC = ROOT / "docs" / "performance.md"
PY = sys.executable
BD = [PY, "-c", "from bd.cli import run; run()"]
PASS = "python -c pass"
SQLITE = "python -c 'import sqlite3'"
MERGE = "merge driver (500 changes a side)"
POUR = "mol pour (50-step formula)"
DOC_BEGIN, DOC_END = "<!-- bench:begin -->", "<!-- bench:end -->"
UI_PAGE = "bd ui: first page (server up)"
DOT_ALL = "graph --all --format dot | dot -Tsvg"
# Timed processes may write bytecode: an installed bd has it (make compiles it), and a
# shell's PYTHONDONTWRITEBYTECODE would make every process compile bd from source.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GIT_ENV = {**ENV, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}

# (command, kind, limit, size): kind "x" is a ratio to `python -c pass` in the same run.
TARGETS: list[tuple[str, str, float, int]] = [
    ("ready --json", "x", 3, 10000),
    ("list --json", "x", 4, 10000),
    ("show ID --json", "x", 4, 10000),
    ("blocked --json", "x", 4, 10000),
    ("stats --json", "x", 4, 10000),
    ("create", "x", 6, 10000),
    ("update --status", "x", 6, 10000),
    ("close", "x", 6, 10000),
    ("dep add", "x", 6, 10000),
    (POUR, "x", 8, 10000),
    ("ready --json after 10 changed", "x", 6, 10000),
    ("cold ready --json (no cache)", "x", 25, 10000),
    (MERGE, "x", 15, 10000),
    ("import (fresh repo)", "ms", 5000, 20000),
    ("ready --json", "rss", 60, 20000),
    ("graph ID (epic)", "x", 8, 10000),
    (UI_PAGE, "ms", 300, 10000),
    (DOT_ALL, "ms", 60000, 10000),
    # 100,000 issues (python bench/run.py --sizes 100000): costs that grow with what a
    # command touches, not with the file.
    ("ready --json", "x", 3, 100000),
    ("list --json", "x", 3, 100000),
    ("show ID --json", "x", 3, 100000),
    ("create", "x", 6, 100000),
    ("update --status", "x", 6, 100000),
    ("close", "x", 6, 100000),
    ("dep add", "x", 6, 100000),
    ("ready --json after 10 changed", "x", 6, 100000),
    ("stats --json", "x", 4, 100000),
    ("search WORD --json", "x", 4, 100000),
    ("blocked --json", "x", 25, 100000),
    ("blocked --json", "rss", 60, 100000),
    ("ready --json --limit 0", "x", 25, 100000),
    ("ready --json --limit 0", "rss", 60, 100000),
    ("import (fresh repo)", "ms", 15000, 100000),
    (MERGE, "x", 30, 100000),
]


@dataclass
class Sample:
    ms: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)


@dataclass
class Case:
    name: str
    argv: Callable[[int], list[str]]
    cwd: Path
    prepare: Callable[[int], None] | None = None
    after: Callable[[int], None] | None = None  # undoes what prepare did, once timed


def run_timed(argv: list[str], cwd: Path) -> tuple[float, int]:
    """(wall ms, exit code) of one child process, its output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV)
    _, status, _ = os.wait4(proc.pid, 0)
    elapsed = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode


# Linux reports a child's peak RSS as at least its parent's RSS at fork time (the forked
# image counts), so the peak is measured through this small launcher (about 8 MB, less than
# any Python process it starts), not from this script's own children.
_RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_RDWR)
    for n in (0, 1, 2):
        os.dup2(fd, n)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_rss(argv: list[str], cwd: Path) -> int:
    """Peak RSS in KiB of one child process."""
    proc = subprocess.run([PY, "-I", "-S", "-c", _RSS_LAUNCHER, *argv], cwd=cwd,
                          capture_output=True, text=True, check=True, env=ENV)
    rss, code = proc.stdout.split()
    return int(rss) if code == "0" else 0


def check(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=GIT_ENV)


def dataset(size: int, out: Path) -> Path:
    path = out / "data" / f"issues-{size}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = check([PY, str(GEN), "--issues", str(size), "--seed", "42", "--prefix", "bd"],
                     out).stdout
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def init_repo(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    check(["git", "init", "-q"], path)
    check([*BD, "init", "--prefix", "bd", "--skip-hooks", "--skip-merge-driver", "-q"], path)


def commit_all(repo: Path, message: str) -> None:
    check(["git", "add", "-A"], repo)
    check(["git", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message], repo)


def changed_line(line: bytes, note: str) -> bytes:
    """The line with its ``notes`` changed, keys in their order (still a valid record)."""
    rec = json.loads(line)
    rec["notes"] = note
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()


def edit_lines(data: bytes, picks: list[int], note: str) -> bytes:
    lines = data.split(b"\n")
    for i in picks:
        lines[i] = changed_line(lines[i], note)
    return b"\n".join(lines)


def merge_available(cwd: Path) -> bool:
    proc = subprocess.run([*BD, "merge", "--help"], cwd=cwd, capture_output=True)
    return proc.returncode == 0 and b"unknown command" not in proc.stderr


class Bench:
    def __init__(self, size: int, out: Path, runs: int, only: list[str] | None = None) -> None:
        self.size, self.out, self.runs, self.only = size, out, runs, only
        self.notes: list[str] = []
        self.failures: dict[str, str] = {}

    # -- set-up (never timed) ---------------------------------------------------------------

    def setup(self) -> list[Case]:
        size, out = self.size, self.out
        data_path = dataset(size, out)
        data = data_path.read_bytes()
        recs = [json.loads(line) for line in data.splitlines()]
        repo = out / f"repo-{size}"
        init_repo(repo)
        jsonl = repo / ".beads" / "issues.jsonl"
        jsonl.write_bytes(data)
        commit_all(repo, f"{size} issues")
        check([*BD, "list", "-q"], repo)  # build the cache once

        # Ids for the commands.  Sources of new edges are open tasks nothing depends on and
        # targets are other tasks, so `dep add` never closes a cycle or repeats an edge.
        targets = {d["depends_on_id"] for r in recs for d in r.get("dependencies") or []}
        open_tasks = [r["id"] for r in recs if r.get("issue_type") == "task"
                      and r.get("status") == "open" and r["id"] not in targets]
        show_id = next(r["id"] for r in recs if r.get("dependencies") and r.get("comments"))
        tree_id = next(r["id"] for r in recs if any(
            d["type"] == "blocks" for d in r.get("dependencies") or []))
        kids: dict[str, int] = {}
        for r in recs:
            for d in r.get("dependencies") or []:
                if d["type"] == "parent-child":
                    kids[d["depends_on_id"]] = kids.get(d["depends_on_id"], 0) + 1
        epic_id = max((r["id"] for r in recs if r.get("issue_type") == "epic"),
                      key=lambda i: (kids.get(i, 0), i))
        need = self.runs + 2  # the warm-up round, the recorded rounds, the RSS round
        if len(open_tasks) < 3 * need + 1:
            raise SystemExit(f"{size} issues: too few open tasks for {need} runs")
        update_id = open_tasks[0]
        close_ids = open_tasks[1:1 + need]
        dep_src = open_tasks[1 + need:1 + 2 * need]
        dep_dst = [r["id"] for r in recs if r.get("issue_type") == "task"
                   and r["id"] not in set(open_tasks)][:need]

        # Import: a fresh initialised repository per run, copied from a template.
        tpl = out / f"fresh-{size}-template"
        init_repo(tpl)
        fresh = out / f"fresh-{size}"

        def fresh_repo(_: int) -> None:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.copytree(tpl, fresh, symlinks=True)

        # Merge driver inputs: 500 different records changed on each side.
        mdir = out / f"merge-{size}"
        mdir.mkdir(exist_ok=True)
        n = len(recs)
        changes = min(500, n // 2)
        step = n / (2 * changes)
        left = [int(2 * k * step) for k in range(changes)]
        right = [int((2 * k + 1) * step) for k in range(changes)]
        (mdir / "base.jsonl").write_bytes(data)
        (mdir / "left.jsonl").write_bytes(edit_lines(data, left, "changed on the left"))
        (mdir / "right.jsonl").write_bytes(edit_lines(data, right, "changed on the right"))

        def behind_back(r: int) -> None:  # as after a git pull: 10 lines rewritten
            raw = jsonl.read_bytes()
            count = raw.count(b"\n")
            picks = [(r * 7 + k * (count // 10)) % count for k in range(10)]
            jsonl.write_bytes(edit_lines(raw, picks, f"edited behind bd's back, round {r}"))

        aside = out / f"warm-cache-{size}"

        def drop_cache(_: int) -> None:  # the warm cache is kept aside, not lost: the
            aside.mkdir(exist_ok=True)    # cases after this one measure a warm cache again
            for f in (repo / ".beads").glob("beads.db*"):
                f.replace(aside / f.name)

        def restore_cache(_: int) -> None:
            for f in (repo / ".beads").glob("beads.db*"):
                f.unlink()
            for f in aside.glob("beads.db*"):
                f.replace(repo / ".beads" / f.name)

        def fixed(*args: str) -> Callable[[int], list[str]]:
            return lambda _: [*BD, *args]

        # A 50-step formula (a chain, every tenth step gated) for `bd mol pour`.
        formulas = repo / ".beads" / "formulas"
        formulas.mkdir(exist_ok=True)
        steps = "".join(
            f'\n[[steps]]\nid = "s{i}"\ntitle = "Step {i} of {{{{run}}}}"\n'
            + (f'needs = ["s{i - 1}"]\n' if i else "")
            + ('[steps.gate]\ntype = "human"\n' if i % 10 == 9 else "")
            for i in range(50))
        (formulas / "bench-50.formula.toml").write_text(
            'formula = "bench-50"\n[vars.run]\nrequired = true\n' + steps)

        cases = [
            Case(PASS, lambda _: [PY, "-c", "pass"], repo),
            Case(SQLITE, lambda _: [PY, "-c", "import sqlite3"], repo),
            Case("ready --json", fixed("ready", "--json"), repo),
            Case("ready --json --limit 0", fixed("ready", "--json", "--limit", "0"), repo),
            Case("list --json", fixed("list", "--json"), repo),
            Case("list --json --limit 0", fixed("list", "--json", "--limit", "0"), repo),
            Case("show ID --json", fixed("show", show_id, "--json"), repo),
            Case("blocked --json", fixed("blocked", "--json"), repo),
            Case("stats --json", fixed("stats", "--json"), repo),
            Case("search WORD --json", fixed("search", "memory", "--json"), repo),
            Case("dep tree ID", fixed("dep", "tree", tree_id), repo),
            Case("graph ID (epic)", fixed("graph", epic_id), repo),
            Case("create", lambda r: [*BD, "create", f"bench issue {r}", "-p", "2", "--silent"],
                 repo),
            Case("update --status", lambda r: [*BD, "update", update_id, "--status",
                                               ("in_progress", "open")[r % 2]], repo),
            Case("close", lambda r: [*BD, "close", close_ids[r]], repo),
            Case("dep add", lambda r: [*BD, "dep", "add", dep_src[r], dep_dst[r]], repo),
            Case(POUR, lambda r: [*BD, "mol", "pour", "bench-50", "--var", f"run=r{r}"], repo),
            Case("export", fixed("export"), repo),
            Case("ready --json after 10 changed", fixed("ready", "--json"), repo, behind_back),
            Case("cold ready --json (no cache)", fixed("ready", "--json"), repo, drop_cache,
                 restore_cache),
            Case("import (fresh repo)", fixed("import", "-i", str(data_path)), fresh,
                 fresh_repo),
        ]
        self.repo = repo
        if self.only:  # the yardsticks always run: every ratio needs them
            cases = [c for c in cases if c.name in (PASS, SQLITE)
                     or any(word in c.name for word in self.only)]
        if self.only and not any(word in MERGE for word in self.only):
            return cases
        if merge_available(repo):
            cases.append(Case(MERGE, fixed("merge", str(mdir / "out.jsonl"),
                                           str(mdir / "base.jsonl"), str(mdir / "left.jsonl"),
                                           str(mdir / "right.jsonl")), mdir))
        else:
            self.notes.append(f"{MERGE}: skipped, `bd merge` does not exist yet")
        return cases

    # -- measurement --------------------------------------------------------------------------

    def measure(self) -> dict[str, Sample]:
        cases = self.setup()
        results: dict[str, Sample] = {c.name: Sample() for c in cases}
        for r in range(self.runs + 2):
            # Round 0 is a warm-up, the last round measures peak RSS (through a launcher,
            # so not timed), the rounds between are the timings.
            for case in cases:
                if case.name in self.failures:
                    continue
                if case.prepare:
                    case.prepare(r)
                argv = case.argv(r)
                if r == self.runs + 1:
                    results[case.name].rss_kb.append(run_rss(argv, case.cwd))
                    if case.after:
                        case.after(r)
                    continue
                ms, code = run_timed(argv, case.cwd)
                if case.after:
                    case.after(r)
                if code != 0:
                    proc = subprocess.run(argv, cwd=case.cwd, capture_output=True)
                    self.failures[case.name] = (f"exit {code}: "
                                                f"{proc.stderr.decode()[-300:].strip()}")
                elif r:
                    results[case.name].ms.append(ms)
        if not self.only or any(w in UI_PAGE for w in self.only):
            results[UI_PAGE] = Sample(ms=ui_first_page(self.repo, self.runs))
        if self.size > 20000:  # a picture of every issue is for the sizes people look at
            self.notes.append(f"{DOT_ALL}: not run above 20,000 issues")
        elif shutil.which("dot") and (not self.only or any(w in DOT_ALL for w in self.only)):
            results[DOT_ALL] = Sample(ms=[dot_all(self.repo)])
        elif not shutil.which("dot"):
            self.notes.append(f"{DOT_ALL}: skipped, graphviz is not installed")
        return {k: v for k, v in results.items() if v.ms}


def ui_first_page(repo: Path, runs: int) -> list[float]:
    """Milliseconds from the first request to the last byte of what the board's first page
    needs (the page, its scripts and styles, the board data), once per run, with the server
    already up: a fresh `bd ui` per run, so no run sees another's warm state."""
    import http.client

    times = []
    for _ in range(runs):
        proc = subprocess.Popen([*BD, "ui", "--json"], cwd=repo, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                                env=ENV)
        try:
            assert proc.stdout is not None
            text = ""
            while True:
                line = proc.stdout.readline()
                if not line:
                    raise SystemExit("bd ui exited before its start line")
                text += line
                try:
                    info = json.loads(text)
                    break
                except ValueError:
                    continue
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=30)
            for path, headers in (("/", {}), ("/static/graph.css", {}), ("/static/app.css", {}),
                                  ("/static/graph.js", {}), ("/static/app.js", {}),
                                  ("/api/board", {"X-Bd-Token": info["token"]})):
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    raise SystemExit(f"bd ui answered {resp.status} for {path}")
            times.append((time.perf_counter() - start) * 1000)
            conn.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return times


def dot_all(repo: Path) -> float:
    """Milliseconds for `bd graph --all --format dot` piped into `dot -Tsvg` (once)."""
    cmd = " ".join(BD[:2]) + " '" + BD[2] + "' graph --all --format dot | dot -Tsvg >/dev/null"
    start = time.perf_counter()
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=repo, env=ENV,
                          capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{DOT_ALL} failed: {proc.stderr.decode()[-300:]}")
    return (time.perf_counter() - start) * 1000


def summarise(results: dict[str, Sample]) -> dict[str, dict[str, Any]]:
    base = statistics.median(results[PASS].ms)
    out: dict[str, dict[str, Any]] = {}
    for name, s in results.items():
        med = statistics.median(s.ms)
        out[name] = {"median_ms": round(med, 2), "min_ms": round(min(s.ms), 2),
                     "max_ms": round(max(s.ms), 2), "ratio_to_pass": round(med / base, 2),
                     "peak_rss_mb": round(max(s.rss_kb or [0]) / 1024, 1), "runs": len(s.ms),
                     "samples_ms": [round(x, 2) for x in s.ms]}
    return out


def evaluate(report: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, object]]:
    rows = []
    for name, kind, limit, size in TARGETS:
        res = report.get(str(size), {}).get(name)
        label = {"x": f"≤ {limit:g} × pass", "ms": f"≤ {limit / 1000:g} s",
                 "rss": f"≤ {limit:g} MB peak RSS"}[kind]
        row: dict[str, object] = {"command": name, "size": size, "target": label}
        if res is None:
            row.update(measured="not measured", met=None)
        else:
            value = {"x": res["ratio_to_pass"], "ms": res["median_ms"],
                     "rss": res["peak_rss_mb"]}[kind]
            shown = {"x": f"{value:.2f} × ({res['median_ms']:.1f} ms)",
                     "ms": f"{value / 1000:.2f} s", "rss": f"{value:.1f} MB"}[kind]
            row.update(measured=shown, value=value, met=value <= limit)
        rows.append(row)
    return rows


def markdown(report: dict[str, dict[str, dict[str, Any]]], targets: list[dict[str, object]],
             notes: list[str], meta: dict[str, object]) -> str:
    sizes = sorted(report, key=int)
    md = [f"Measured {meta['date']} with `{meta['command']}` (Python {meta['python']}, "
          f"{meta['cores']} cores, commit {meta['commit']}).", "",
          "### Targets (10,000 issues unless noted; ratios to `python -c pass` in the same run)",
          "", "| command | size | target | measured (median) | |", "|---|---|---|---|---|"]
    for t in targets:
        mark = {True: "met", False: "**missed**", None: "—"}[t["met"]]  # type: ignore[index]
        md.append(f"| {t['command']} | {t['size']:,} | {t['target']} | {t['measured']} "
                  f"| {mark} |")
    md += ["", "### Trend (median ms; the ratio columns show how cost grows with size)", ""]
    head = "| command | " + " | ".join(f"{int(s):,}" for s in sizes) + " |"
    ratios = list(zip(sizes, sizes[1:], strict=False))
    head += "".join(f" {int(b) // 1000}K/{int(a) // 1000}K |" for a, b in ratios)
    md += [head, "|---|" + "---|" * (len(sizes) + len(ratios))]
    names = list(dict.fromkeys(n for s in sizes for n in report[s]))
    for name in names:
        cells = [report[s].get(name, {}).get("median_ms") for s in sizes]
        line = f"| {name} | " + " | ".join("—" if c is None else f"{c:.1f}" for c in cells) + " |"
        for (a, b) in ratios:
            x, y = report[a].get(name), report[b].get(name)
            line += f" {y['median_ms'] / x['median_ms']:.2f} |" if x and y else " — |"
        md.append(line)
    for s in sizes:
        md += ["", f"### {int(s):,} issues", "",
               "| command | median ms | min | max | × pass | peak RSS MB |",
               "|---|---|---|---|---|---|"]
        for name, r in report[s].items():
            md.append(f"| {name} | {r['median_ms']:.1f} | {r['min_ms']:.1f} | {r['max_ms']:.1f} "
                      f"| {r['ratio_to_pass']:.2f} | {r['peak_rss_mb']:.1f} |")
    if notes:
        md += ["", *[f"- {n}" for n in notes]]
    return "\n".join(md) + "\n"


def write_doc(text: str) -> None:
    doc = DOC.read_text() if DOC.exists() else f"# Performance\n\n{DOC_BEGIN}\n{DOC_END}\n"
    head, sep, rest = doc.partition(DOC_BEGIN)
    _, sep2, tail = rest.partition(DOC_END)
    if not sep or not sep2:
        raise SystemExit(f"{DOC} has no {DOC_BEGIN} … {DOC_END} section")
    DOC.write_text(f"{head}{DOC_BEGIN}\n{text}{DOC_END}{tail}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", help="comma-separated issue counts (default 1000,10000,20000)")
    ap.add_argument("--runs", type=int, help="recorded rounds per size (default 11)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1,000 and 10,000 issues, 3 rounds (unless given)")
    ap.add_argument("--only", help="comma-separated words: run only the commands whose name "
                    "contains one (and the yardsticks)")
    ap.add_argument("--out", type=Path, default=HERE / "out", help="work and output folder")
    ap.add_argument("--write-doc", action="store_true",
                    help=f"replace the generated section of {DOC.relative_to(ROOT)}")
    args = ap.parse_args()
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if args.quick else
                                               "1000,10000,20000")).split(",")]
    runs = args.runs or (3 if args.quick else 11)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "bd")], check=True, env=ENV)
    report: dict[str, dict[str, dict[str, Any]]] = {}
    notes: list[str] = []
    for size in sizes:
        t0 = time.perf_counter()
        bench = Bench(size, out, runs, args.only.split(",") if args.only else None)
        report[str(size)] = summarise(bench.measure())
        notes += [f"{size:,} issues: {n}" for n in bench.notes]
        notes += [f"{size:,} issues: `{k}` FAILED ({v})" for k, v in bench.failures.items()]
        print(f"{size:,} issues: {runs} rounds in {time.perf_counter() - t0:.0f} s",
              file=sys.stderr)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "bd"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    cmd = "python bench/run.py " + " ".join(sys.argv[1:])
    meta = {"date": datetime.date.today().isoformat(), "python": platform.python_version(),
            "cores": os.cpu_count(), "commit": commit + ("+dirty" if dirty else ""),
            "command": cmd.strip(), "runs": runs, "sizes": sizes,
            "load_average": os.getloadavg()}
    targets = evaluate(report)
    text = markdown(report, targets, notes, meta)
    (out / "bench.md").write_text(text)
    (out / "bench.json").write_text(json.dumps({"meta": meta, "targets": targets,
                                                "notes": notes, "results": report}, indent=2))
    if args.write_doc:
        write_doc(text)
    print(text)
    print(f"written: {out / 'bench.md'}, {out / 'bench.json'}", file=sys.stderr)
    return 1 if any(k for k in notes if "FAILED" in k) else 0


if __name__ == "__main__":
    sys.exit(main())
