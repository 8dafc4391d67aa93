"""Many agents on one clone: concurrent bd processes must serialise cleanly.

N worker threads each drive the real CLI (``python -m bd ... --json``, one process per
command, so up to N bd processes run at once) through a fixed, seeded list of mixed
operations: creates, updates, label and dependency changes, closes and reads on issues of
their own, claims of shared issues, and rounds in which every worker races for the same
thing at the same moment (a claim, or the two directions of one dependency edge).  Each
worker records what succeeded; afterwards the JSONL, the cache and every command's output
must agree with that record.

Small by default (part of ``make test``); bigger by hand, e.g.
``BD_STRESS_PROCS=16 BD_STRESS_OPS=200 pytest tests/stress/test_many_agents.py``
(``BD_STRESS_SEED`` replays a run).
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import make_repo
from stress_support import (
    assert_cache_heals,
    assert_cache_matches_rebuild,
    assert_no_leak,
    check_jsonl,
    env_int,
    run_bd,
    setup_remote,
)

pytestmark = pytest.mark.slow

PROCS = env_int("BD_STRESS_PROCS", 16)
OPS = env_int("BD_STRESS_OPS", 6)
SYNCS = env_int("BD_STRESS_SYNCS", 3)  # bd sync rounds in the sync test
SEED = env_int("BD_STRESS_SEED", random.randrange(1 << 30))
POOL = 4          # shared issues anyone may try to claim at any time
RACE_EVERY = 3    # every RACE_EVERY-th op of every worker is a synchronised race
TS = "2026-01-01T00:00:00Z"


@dataclass
class Call:
    worker: int
    args: list[str]
    rc: int
    out: str
    err: str
    seconds: float

    @property
    def error(self) -> str:
        try:
            return str(json.loads(self.out).get("error", ""))
        except (ValueError, AttributeError):
            return ""


@dataclass
class Own:
    """What one worker expects of one of its own issues (only it touches them)."""

    id: str
    title: str
    rank: int                       # dependency edges only go from higher to lower rank
    notes: str | None = None
    priority: int = 2
    closed: bool = False
    labels: set[str] = field(default_factory=set)
    deps: set[str] = field(default_factory=set)
    comments: list[str] = field(default_factory=list)


class Worker:
    def __init__(self, n: int, repo: Path, barrier: threading.Barrier) -> None:
        self.n = n
        self.actor = f"agent-{n}"
        self.repo = repo
        self.barrier = barrier
        self.rng = random.Random(SEED * 1000 + n)
        self.calls: list[Call] = []
        self.own: dict[str, Own] = {}
        for k in range(2):
            rid = f"t-w{n}o{k}"
            self.own[rid] = Own(rid, f"w{n} own {k}", k)
        self.created: list[Own] = []

    def bd(self, *args: str) -> Call:
        argv = [*args, "--json", "--actor", self.actor]
        start = time.monotonic()
        proc = run_bd(argv, self.repo, timeout=300)
        call = Call(self.n, argv, proc.returncode, proc.stdout, proc.stderr,
                    time.monotonic() - start)
        self.calls.append(call)
        assert_no_leak(proc, f"worker {self.n}: bd {' '.join(argv)}")
        return call

    def ok(self, *args: str) -> Any:
        call = self.bd(*args)
        assert call.rc == 0 and call.err == "", (
            f"worker {self.n}: bd {' '.join(call.args)} exited {call.rc}\n{call.out}{call.err}")
        return json.loads(call.out)

    def run(self) -> None:
        for i in range(OPS):
            if i % RACE_EVERY == 0:
                self.barrier.wait(timeout=600)
                self.race(i // RACE_EVERY)
                continue
            op = self.rng.choices(
                ["create", "update", "label", "comment", "close", "dep", "read", "claim"],
                [3, 4, 2, 1, 1, 2, 3, 1])[0]
            getattr(self, "op_" + op)(i)

    # -- races: everyone at once, exactly one may win ---------------------------------------

    def race(self, k: int) -> None:
        if k % 2 == 0:
            self.bd("update", f"t-race{k}", "--claim")
        else:  # half add a → b, half b → a: the first wins, the rest see a duplicate or cycle
            a, b = f"t-race{k}a", f"t-race{k}b"
            self.bd("dep", "add", *((a, b) if self.n % 2 else (b, a)))

    # -- mixed operations on the worker's own issues ----------------------------------------

    def op_create(self, i: int) -> None:
        title = f"w{self.n} created {i}"
        rec = self.ok("create", title, "-p", "3")
        own = Own(rec["id"], title, len(self.own), priority=3)
        self.own[own.id] = own
        self.created.append(own)

    def op_update(self, i: int) -> None:
        own = self.rng.choice(list(self.own.values()))
        notes, prio = f"w{self.n} note {i}", self.rng.randrange(5)
        recs = self.ok("update", own.id, "--notes", notes, "--priority", str(prio))
        assert recs[0]["notes"] == notes
        own.notes, own.priority = notes, prio

    def op_label(self, i: int) -> None:
        own = self.rng.choice(list(self.own.values()))
        if own.labels and self.rng.random() < 0.3:
            label = sorted(own.labels)[0]
            self.ok("label", "remove", own.id, label)
            own.labels.discard(label)
        else:
            label = f"l{i}"
            self.ok("label", "add", own.id, label)
            own.labels.add(label)

    def op_comment(self, i: int) -> None:
        own = self.rng.choice(list(self.own.values()))
        text = f"w{self.n} comment {i}"
        self.ok("comments", "add", own.id, text)
        own.comments.append(text)

    def op_close(self, i: int) -> None:
        own = self.rng.choice(list(self.own.values()))
        if own.closed:
            self.ok("reopen", own.id)
            own.closed = False
        else:
            self.ok("close", own.id, "--reason", f"done {i}")
            own.closed = True

    def op_dep(self, i: int) -> None:
        issues = sorted(self.own.values(), key=lambda o: o.rank)
        a = self.rng.choice(issues[1:])
        if a.deps and self.rng.random() < 0.4:
            target = sorted(a.deps)[0]
            self.ok("dep", "remove", a.id, target)
            a.deps.discard(target)
            return
        b = self.rng.choice([o for o in issues if o.rank < a.rank])
        if b.id in a.deps:
            return
        self.ok("dep", "add", a.id, b.id)
        a.deps.add(b.id)

    def op_read(self, i: int) -> None:
        own = self.rng.choice(list(self.own.values()))
        args = self.rng.choice([["list"], ["ready"], ["blocked"], ["show", own.id], ["stats"],
                                ["list", "--all"], ["dep", "list", own.id]])
        self.ok(*args)

    def op_claim(self, i: int) -> None:
        self.bd("update", f"t-pool{self.rng.randrange(POOL)}", "--claim")


def seed_records(procs: int, races: int) -> str:
    """The issues that exist before the workers start (imported in one go)."""
    recs = []

    def add(rid: str, title: str) -> None:
        recs.append({"id": rid, "title": title, "status": "open", "priority": 2,
                     "issue_type": "task", "created_at": TS, "updated_at": TS})

    for n in range(procs):
        for k in range(2):
            add(f"t-w{n}o{k}", f"w{n} own {k}")
    for k in range(POOL):
        add(f"t-pool{k}", f"pool {k}")
    for k in range(races):
        if k % 2 == 0:
            add(f"t-race{k}", f"claim race {k}")
        else:
            add(f"t-race{k}a", f"dep race {k} a")
            add(f"t-race{k}b", f"dep race {k} b")
    return "".join(json.dumps(r) + "\n" for r in recs)


def test_many_agents_on_one_clone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    races = (OPS + RACE_EVERY - 1) // RACE_EVERY
    seed_file = tmp_path / "seed.jsonl"
    seed_file.write_text(seed_records(PROCS, races))
    proc = run_bd(["import", "-i", str(seed_file), "--json"], repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    barrier = threading.Barrier(PROCS)
    workers = [Worker(n, repo, barrier) for n in range(PROCS)]
    started = time.monotonic()
    with ThreadPoolExecutor(PROCS) as pool:
        futures = [pool.submit(w.run) for w in workers]
        errors = []
        for fut in futures:
            try:
                fut.result()
            except BaseException as exc:  # noqa: BLE001 - report every worker's failure
                barrier.abort()
                errors.append(exc)
    elapsed = time.monotonic() - started
    calls = [c for w in workers for c in w.calls]
    context = (f"seed {SEED}, {PROCS} workers x {OPS} ops, {len(calls)} commands in "
               f"{elapsed:.1f}s")
    assert not errors, f"{context}: {errors[0]}"

    # The JSONL is whole and holds every successful change.
    by_id = {r["id"]: r for r in check_jsonl(repo / ".beads" / "issues.jsonl")}
    for w in workers:
        for own in w.created:
            assert by_id[own.id]["title"] == own.title, context
        for own in w.own.values():
            rec = by_id[own.id]
            assert rec.get("notes") == own.notes, (context, own.id)
            assert rec.get("priority") == own.priority, (context, own.id)
            assert (rec.get("status") == "closed") == own.closed, (context, own.id)
            assert set(rec.get("labels") or []) == own.labels, (context, own.id)
            deps = {d["depends_on_id"] for d in rec.get("dependencies") or []}
            assert deps == own.deps, (context, own.id)
            assert [c["text"] for c in rec.get("comments") or []] == own.comments, \
                (context, own.id)
    ids = [c.out for c in calls if c.args[0] == "create"]
    assert len(ids) == len({json.loads(o)["id"] for o in ids}), "two creates got one id"

    # Each contested thing had exactly one winner; the losers failed cleanly.
    contests: dict[str, list[Call]] = {}
    for c in calls:
        if "--claim" in c.args:
            contests.setdefault(c.args[1], []).append(c)
        elif c.args[:2] == ["dep", "add"] and c.args[2].startswith("t-race"):
            contests.setdefault(c.args[2][:-1], []).append(c)
    assert len([k for k in contests if k.startswith("t-race")]) == races, context
    for key, attempts in contests.items():
        winners = [c for c in attempts if c.rc == 0]
        assert len(winners) == 1, (context, key, [(c.worker, c.rc, c.error) for c in attempts])
        for c in attempts:
            if c.rc != 0:
                assert c.rc == 1 and c.error and c.err == "", (context, c)
        if key.startswith("t-pool") or "--claim" in winners[0].args:
            rec = by_id[key]
            holder = f"agent-{winners[0].worker}"
            assert rec["assignee"] == holder and rec["status"] == "in_progress", context
            for c in attempts:
                if c.rc:
                    assert c.error == f"already claimed by {holder}", (context, c.error)
        else:
            a, b = by_id[key + "a"], by_id[key + "b"]
            edges = [(x["id"], d["depends_on_id"]) for x in (a, b)
                     for d in x.get("dependencies") or []]
            assert len(edges) == 1, (context, edges)
            for c in attempts:
                if c.rc:
                    assert "already exists" in c.error or "cycle" in c.error, (context, c.error)

    # The cache is sound, current, and what a rebuild from the JSONL would hold; and after
    # an edit behind bd's back (as a git pull makes) a read still brings it in line.
    assert_cache_matches_rebuild(repo, tmp_path / "rebuilt")
    path = repo / ".beads" / "issues.jsonl"
    text = path.read_text()
    edited = text.replace('"title":"w0 own 1"', '"title":"w0 own 1, edited"')
    assert edited != text
    path.write_text(edited)
    assert_cache_heals(repo, tmp_path / "rebuilt")
    slowest = max(calls, key=lambda c: c.seconds)
    print(f"\n{context}; slowest command {slowest.seconds:.1f}s ({' '.join(slowest.args)})")


def test_agents_writing_while_one_syncs(tmp_path: Path) -> None:
    """bd sync commits and pulls (git rewrites issues.jsonl) while other agents in the same
    clone keep writing: no write may be lost, no sync may fail on their changes."""
    a, b = setup_remote(tmp_path, seeds=4)
    stop = threading.Event()
    made: list[str] = []
    updated: dict[str, str] = {}
    failures: list[str] = []

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set() or i < 2:
            proc = run_bd(["create", f"a{n} {i}", "--json"], a)
            assert_no_leak(proc, "create")
            if proc.returncode:
                failures.append(proc.stdout + proc.stderr)
            else:
                made.append(json.loads(proc.stdout)["id"])
            rid, notes = f"t-s{n}", f"a{n} note {i}"
            proc = run_bd(["update", rid, "--notes", notes, "--json"], a)
            assert_no_leak(proc, "update")
            if proc.returncode:
                failures.append(proc.stdout + proc.stderr)
            else:
                updated[rid] = notes
            i += 1

    def syncer() -> None:
        try:
            for k in range(SYNCS):
                for clone, title in ((b, f"from b {k}"), (a, None)):
                    if title:
                        assert run_bd(["create", title], clone).returncode == 0
                    proc = run_bd(["sync"], clone, timeout=300)
                    assert_no_leak(proc, f"sync in {clone.name}")
                    if proc.returncode:
                        failures.append(f"sync in {clone.name}: {proc.stdout}{proc.stderr}")
        finally:
            stop.set()

    with ThreadPoolExecutor(5) as pool:
        futures = [pool.submit(writer, n) for n in range(4)] + [pool.submit(syncer)]
        for fut in futures:
            fut.result()
    assert not failures, failures[0]
    for clone in (a, b, a):
        proc = run_bd(["sync"], clone, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    for clone in (a, b):
        by_id = {r["id"]: r for r in check_jsonl(clone / ".beads" / "issues.jsonl")}
        lost = [rid for rid in made if rid not in by_id]
        assert not lost, f"{len(lost)} of {len(made)} creates lost in {clone.name}: {lost[:5]}"
        for rid, notes in updated.items():
            assert by_id[rid].get("notes") == notes, (clone.name, rid)
        assert {f"from b {k}" for k in range(SYNCS)} <= {r["title"] for r in by_id.values()}
    assert_cache_heals(a, tmp_path / "rebuilt")
