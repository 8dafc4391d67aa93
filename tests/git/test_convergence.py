"""Convergence at scale: clones of one bare remote make random changes — on their main branch
or on a local branch merged back through the driver — and sync in random order, half of them
pulling with rebase.  At the end every clone and the remote hold byte-identical JSONL, no
created issue is missing, deleted issues stay deleted, and every field equals what the
documented merge rules (docs/merge.md) predict:

* scalar fields are changed only by the issue's owner (the clone that created it), so the one
  side that changed them wins: title, priority, status and close reason are the owner's last;
* labels are only added, by anyone: the union;
* comments are added by anyone: every one survives (also in a tombstone);
* blocking dependencies are added by anyone (from the later id to the earlier, so no cycles)
  and removed only by the clone that added them: added minus removed;
* an issue deleted by its owner is a tombstone everywhere, whatever others did meanwhile.

Small by default; large by hand:
BD_CONVERGE_CLONES=8 BD_CONVERGE_ROUNDS=8 BD_CONVERGE_OPS=8 pytest tests/git/test_convergence.py
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, git, jsonl_path

CLONES = int(os.environ.get("BD_CONVERGE_CLONES", "3"))
ROUNDS = int(os.environ.get("BD_CONVERGE_ROUNDS", "2"))
OPS = int(os.environ.get("BD_CONVERGE_OPS", "5"))
SEED = int(os.environ.get("BD_CONVERGE_SEED", "7"))
FIRST_ROUND = ["create", "create", "create", "dep", "label", "comment", "close", "title",
               "priority", "delete", "undep"]


def records(path: Path) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in map(json.loads, jsonl_path(path).read_text().splitlines())}


class Oracle:
    def __init__(self) -> None:
        self.owner: dict[str, int] = {}
        self.title: dict[str, str] = {}
        self.priority: dict[str, int] = {}
        self.status: dict[str, str] = {}
        self.reason: dict[str, str | None] = {}
        self.labels: dict[str, set[str]] = {}
        self.comments: dict[str, set[str]] = {}
        self.edges: dict[tuple[str, str], int] = {}  # (from, to) -> clone that added it
        self.deleted: set[str] = set()
        self.edges_added = 0


class Clone:
    def __init__(self, n: int, path: Path, rng: random.Random, oracle: Oracle) -> None:
        self.n, self.path, self.rng, self.o = n, path, rng, oracle

    def live(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in records(self.path).items() if v.get("status") != "tombstone"}

    def op(self, tag: str, kind: str | None = None) -> None:
        o, rng, n = self.o, self.rng, self.n
        live = self.live()
        mine = [k for k in live if o.owner.get(k) == n and k not in o.deleted]
        kind = kind or rng.choice(["create", "create", "title", "priority", "close", "reopen",
                           "label", "label", "comment", "comment", "dep", "dep", "undep",
                           "delete"])
        if kind == "create" or not live:
            prio = rng.randint(0, 4)
            rid = bd("create", f"c{n} {tag}", "-p", str(prio), "--silent",
                     cwd=self.path).stdout.strip()
            o.owner[rid], o.title[rid], o.priority[rid] = n, f"c{n} {tag}", prio
            o.status[rid], o.reason[rid] = "open", None
            o.labels[rid], o.comments[rid] = set(), set()
            return
        if kind in ("title", "priority", "close", "reopen", "delete") and mine:
            rid = rng.choice(mine)
            if kind == "title":
                o.title[rid] = f"c{n} retitled {tag}"
                bd("update", rid, "--title", o.title[rid], cwd=self.path)
            elif kind == "priority":
                o.priority[rid] = rng.randint(0, 4)
                bd("update", rid, "-p", str(o.priority[rid]), cwd=self.path)
            elif kind == "close" and o.status[rid] == "open":
                o.status[rid], o.reason[rid] = "closed", f"done {tag}"
                bd("close", rid, "--reason", f"done {tag}", cwd=self.path)
            elif kind == "reopen" and o.status[rid] == "closed":
                o.status[rid], o.reason[rid] = "open", None
                bd("reopen", rid, cwd=self.path)
            elif kind == "delete":
                bd("delete", rid, "--force", cwd=self.path)
                o.deleted.add(rid)
            return
        rid = rng.choice(sorted(live))
        if kind == "label":
            label = rng.choice(["red", "green", "blue", "amber"])
            bd("label", "add", rid, label, cwd=self.path)
            o.labels[rid].add(label)
        elif kind == "comment":
            text = f"c{n} says {tag}"
            bd("comment", rid, text, cwd=self.path)
            o.comments[rid].add(text)
        elif kind == "dep":
            others = [k for k in live if k < rid]
            if others:
                target = rng.choice(others)
                here = {d["depends_on_id"] for d in live[rid].get("dependencies") or ()}
                if (rid, target) not in o.edges and target not in here:
                    bd("dep", "add", rid, target, cwd=self.path)
                    o.edges[(rid, target)] = n
                    o.edges_added += 1
        elif kind == "undep":
            added = [e for e, who in o.edges.items() if who == n and e[0] in live]
            if added:
                edge = rng.choice(sorted(added))
                deps = {d["depends_on_id"] for d in live[edge[0]].get("dependencies") or ()}
                if edge[1] in deps:  # this clone added it, and still sees it
                    bd("dep", "remove", edge[0], edge[1], cwd=self.path)
                    del o.edges[edge]


def start(tmp: Path, count: int) -> list[Path]:
    git("init", "-q", "--bare", str(tmp / "remote.git"), cwd=tmp)
    paths = []
    for n in range(count):
        path = tmp / f"c{n}"
        git("clone", "-q", str(tmp / "remote.git"), str(path), cwd=tmp)
        bd("init", "--prefix", "t", cwd=path)
        if n == 0:
            git("add", "-A", cwd=path)
            git("commit", "-qm", "init", cwd=path)
            git("push", "-q", "-u", "origin", "HEAD", cwd=path)
        else:
            git("pull", "-q", "--no-rebase", "origin", "HEAD", cwd=path)
            branch = git("branch", "--show-current", cwd=path).strip()
            git("branch", "-q", f"--set-upstream-to=origin/{branch}", cwd=path)
        if n % 2:
            git("config", "pull.rebase", "true", cwd=path)
        paths.append(path)
    return paths


@pytest.mark.slow
def test_clones_converge_to_what_the_merge_rules_predict(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    oracle = Oracle()
    clones = [Clone(n, p, rng, oracle) for n, p in enumerate(start(tmp_path, CLONES))]
    for rnd in range(ROUNDS):
        for clone in clones:
            on_branch = rng.random() < 0.3
            if on_branch:  # work on a local branch, then merge it back with the driver
                git("checkout", "-qb", f"work-{rnd}", cwd=clone.path)
            # the first round walks every kind of change once, the rest is random
            kinds = FIRST_ROUND if rnd == 0 else [None] * OPS
            for i, kind in enumerate(kinds):
                clone.op(f"r{rnd} o{i}", kind)
            if on_branch:
                git("add", ".beads/issues.jsonl", cwd=clone.path)
                git("commit", "-qm", f"work {rnd}", "--allow-empty", cwd=clone.path)
                git("checkout", "-q", "-", cwd=clone.path)
                git("merge", "-q", "--no-ff", "--no-edit", f"work-{rnd}", cwd=clone.path)
                git("branch", "-qD", f"work-{rnd}", cwd=clone.path)
        order = clones[:]
        rng.shuffle(order)
        for clone in order:
            bd("sync", cwd=clone.path)
    for _ in range(2):  # two full rounds carry every change everywhere
        for clone in clones:
            bd("sync", cwd=clone.path)

    first = jsonl_path(clones[0].path).read_bytes()
    for clone in clones[1:]:
        assert jsonl_path(clone.path).read_bytes() == first, f"c{clone.n} differs from c0"
    assert git("show", "HEAD:.beads/issues.jsonl", cwd=tmp_path / "remote.git").encode() \
        == first
    final = records(clones[0].path)
    o = oracle
    # the run exercised what it claims to (a seed that does nothing would prove nothing)
    activity = (len(o.owner), len(o.deleted), o.edges_added, sum(map(len, o.labels.values())),
                sum(map(len, o.comments.values())),
                sum(1 for r in o.status.values() if r == "closed"))
    print("issues, deleted, edges, labels, comments, closed:", activity)
    assert all(activity), f"the random run skipped a kind of change: {activity}"
    missing = set(o.owner) - final.keys()
    assert not missing, f"created issues lost: {sorted(missing)}"
    for rid in o.owner:
        rec = final[rid]
        texts = {c["text"] for c in rec.get("comments") or ()}
        assert o.comments[rid] <= texts, f"{rid}: comments lost"
        if rid in o.deleted:
            assert rec["status"] == "tombstone", f"{rid} came back"
            continue
        assert rec["status"] == o.status[rid], rid
        assert rec["title"] == o.title[rid], rid
        assert rec["priority"] == o.priority[rid], rid
        assert rec.get("close_reason") == o.reason[rid], rid
        assert set(rec.get("labels") or ()) == o.labels[rid], rid
        assert texts == o.comments[rid], rid
        deps = {d["depends_on_id"] for d in rec.get("dependencies") or ()
                if d["depends_on_id"] not in o.deleted}
        expected = {t for (f, t) in o.edges if f == rid and t not in o.deleted}
        assert deps == expected, rid
    assert len({r["id"] for r in final.values()}) == len(final)
    for clone in clones:
        assert git("status", "--porcelain", "--untracked-files=no", cwd=clone.path) == ""
        listed = json.loads(bd("list", "--all", "--limit", "0", "--json", cwd=clone.path).stdout)
        live = {rid for rid, r in final.items() if r.get("status") != "tombstone"}
        assert {r["id"] for r in listed} == live
