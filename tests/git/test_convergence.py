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
* an issue deleted by its owner is a tombstone everywhere, whatever others did meanwhile;
* children minted offline under shared epics collide (two clones make ``P.1``): every child
  survives once, and each clone whose child moved to another id was told so by one of its
  own syncs (reports chain: ``P.1 -> P.2 -> P.3`` ends at the child's final id);
* claims through the remote (``--claim --sync``) race between clones: exactly one wins each
  race, later attempts fail naming the winner, and the winner holds the issue at the end;
* plain local claims on other issues may collide; every clone whose claim is not the final
  holder was told by one of its own syncs (``lost_claims``), and nothing else was reported.

Small by default; large by hand:
BD_CONVERGE_CLONES=8 BD_CONVERGE_ROUNDS=8 BD_CONVERGE_OPS=8 pytest tests/git/test_convergence.py
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, git, jsonl_path

CLONES = int(os.environ.get("BD_CONVERGE_CLONES", "3"))
ROUNDS = int(os.environ.get("BD_CONVERGE_ROUNDS", "2"))
OPS = int(os.environ.get("BD_CONVERGE_OPS", "5"))
SEED = int(os.environ.get("BD_CONVERGE_SEED", "7"))
FIRST_ROUND = ["create", "create", "create", "dep", "label", "comment", "close", "title",
               "priority", "delete", "undep", "child", "claim"]
EPICS, PLAIN_POOL, SYNC_POOL = 2, 4, 3  # shared epics and claimable issues made by clone 0


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
        self.special: set[str] = set()  # epics and claim pools: only children/claims touch them
        self.epics: list[str] = []
        self.plain_pool: list[str] = []
        self.sync_pool: list[str] = []
        self.children: dict[str, tuple[int, str]] = {}  # title -> (clone, id it was given)
        self.plain_claims: dict[str, set[int]] = {}  # issue -> clones whose claim succeeded
        self.sync_winner: dict[str, int] = {}  # issue -> the clone that won it
        self.sync_attempts = 0
        self.sync_refused = 0


class Clone:
    def __init__(self, n: int, path: Path, rng: random.Random, oracle: Oracle) -> None:
        self.n, self.path, self.rng, self.o = n, path, rng, oracle
        self.actor = f"c{n}"
        self.lost: list[dict[str, str]] = []  # lost_claims told to this clone
        # renumberings of its own issues told to it, one mapping per sync (moves within one
        # sync happen together: P.1 -> P.2 and P.2 -> P.3 is a shift, not a chain)
        self.moved: list[dict[str, str]] = []

    def live(self) -> dict[str, dict[str, Any]]:
        """Issues the random scalar/label/comment/dep ops may touch (not children, epics or
        claim pools: their oracles are the collision and claim checks)."""
        return {k: v for k, v in records(self.path).items()
                if v.get("status") != "tombstone" and "." not in k
                and k not in self.o.special}

    def sync(self) -> None:
        report = json.loads(bd("sync", "--json", "--actor", self.actor, cwd=self.path).stdout)
        self.lost += report["lost_claims"]
        self.moved.append({r["from"]: r["to"] for r in report["renumbered"] if r["yours"]})

    def heard(self, stderr: str) -> None:
        """The outcome lines a claim through the remote printed (its sync on the way)."""
        moves = {}
        for line in stderr.splitlines():
            m = re.match(r"Lost claim: (\S+) is no longer held by (\S+); holder: (\S+)\.", line)
            if m:
                holder = "" if m.group(3) == "nobody" else m.group(3)
                self.lost.append({"issue": m.group(1), "actor": m.group(2), "holder": holder})
            m = re.match(r"Renumbered: (\S+) is now (\S+) .*two issues were created", line)
            if m:
                moves[m.group(1)] = m.group(2)
        self.moved.append(moves)

    def child(self, tag: str) -> None:
        parent = self.rng.choice(self.o.epics)
        title = f"c{self.n} child {tag}"
        rid = bd("create", title, "--parent", parent, "--silent",
                 cwd=self.path).stdout.strip()
        self.o.children[title] = (self.n, rid)

    def claim(self) -> None:
        """A plain claim: exclusive in this clone only; another clone may claim it too."""
        mine = records(self.path)
        free = [k for k in self.o.plain_pool if not mine[k].get("assignee")]
        if free:
            rid = self.rng.choice(free)
            bd("update", rid, "--claim", "--actor", self.actor, cwd=self.path)
            self.o.plain_claims.setdefault(rid, set()).add(self.n)

    def op(self, tag: str, kind: str | None = None) -> None:
        o, rng, n = self.o, self.rng, self.n
        live = self.live()
        mine = [k for k in live if o.owner.get(k) == n and k not in o.deleted]
        kind = kind or rng.choice(["create", "create", "title", "priority", "close", "reopen",
                           "label", "label", "comment", "comment", "dep", "dep", "undep",
                           "delete", "child", "child", "claim"])
        if kind == "child":
            return self.child(tag)
        if kind == "claim":
            return self.claim()
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


def seed_shared(clones: list[Clone], o: Oracle) -> None:
    """Epics (children collide under them) and claimable issues, made by clone 0."""
    first = clones[0].path
    for k in range(EPICS):
        o.epics.append(bd("create", f"epic {k}", "-t", "epic", "--silent",
                          cwd=first).stdout.strip())
    for k in range(PLAIN_POOL):
        o.plain_pool.append(bd("create", f"plain claim {k}", "--silent",
                               cwd=first).stdout.strip())
    for k in range(SYNC_POOL):
        o.sync_pool.append(bd("create", f"sync claim {k}", "--silent",
                              cwd=first).stdout.strip())
    o.special = {*o.epics, *o.plain_pool, *o.sync_pool}
    for clone in clones:
        clone.sync()
    for clone in clones:
        clone.sync()


def claim_race(clones: list[Clone], o: Oracle, rng: random.Random) -> None:
    """Two or three clones claim one issue through the remote at the same moment."""
    rid = rng.choice(o.sync_pool)
    racers = rng.sample(clones, min(len(clones), rng.choice([2, 3])))
    procs = [(c, subprocess.Popen([sys.executable, "-m", "bd", "update", rid, "--claim",
                                   "--sync", "--actor", c.actor], cwd=c.path, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE))
             for c in racers]
    done = [(c, p.wait(timeout=300), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
            for c, p in procs]
    o.sync_attempts += len(done)
    winners = [c for c, rc, _, _ in done if rc == 0]
    for c, rc, text, err in done:
        c.heard(text + err)  # text mode: outcome lines on stdout; an error's on stderr
        assert rc in (0, 1), err
    if rid in o.sync_winner:  # won in an earlier round: everyone fails, naming the winner
        assert winners == [], done
    else:
        assert len(winners) == 1, done
        o.sync_winner[rid] = winners[0].n
    holder = f"c{o.sync_winner[rid]}"
    for _c, rc, _, err in done:
        if rc:
            o.sync_refused += 1
            assert f"already claimed by {holder}" in err, err


@pytest.mark.slow
def test_clones_converge_to_what_the_merge_rules_predict(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    oracle = Oracle()
    clones = [Clone(n, p, rng, oracle) for n, p in enumerate(start(tmp_path, CLONES))]
    seed_shared(clones, oracle)
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
        for i, clone in enumerate(order):
            clone.sync()
            if i == len(order) // 2:
                claim_race(clones, oracle, rng)
    claim_race(clones, oracle, rng)  # one more, on a pool issue perhaps already won
    for _ in range(2):  # two full rounds carry every change everywhere
        for clone in clones:
            clone.sync()

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
    check_claims_and_renumberings(clones, oracle, final)
    for clone in clones:
        assert git("status", "--porcelain", "--untracked-files=no", cwd=clone.path) == ""
        listed = json.loads(bd("list", "--all", "--limit", "0", "--json", cwd=clone.path).stdout)
        live = {rid for rid, r in final.items() if r.get("status") != "tombstone"}
        assert {r["id"] for r in listed} == live


def check_claims_and_renumberings(clones: list[Clone], o: Oracle,
                                  final: dict[str, dict[str, Any]]) -> None:
    """Claims through the remote held; every lost claim and every renumbering was told to
    the clone it concerned, and no clone was told of a claim it never made."""
    by_title = {r.get("title"): rid for rid, r in final.items()}
    # children: each survives exactly once; a moved one was reported to its creator
    moved = 0
    for title, (n, first_id) in o.children.items():
        assert title in by_title, f"child {title!r} lost"
        now = by_title[title]
        assert sum(1 for r in final.values() if r.get("title") == title) == 1, title
        known = first_id  # where this clone believes its child is, after each report
        for mapping in clones[n].moved:
            known = mapping.get(known, known)
        assert known == now, (f"c{n}'s child {title!r} went from {first_id} to {now}; "
                              f"its reports: {[m for m in clones[n].moved if m]}")
        moved += first_id != now
        if first_id != now:
            assert final[now].get("renumbered_from"), final[now]
    # claims through the remote: one winner per issue, who holds it at the end
    for rid, n in o.sync_winner.items():
        assert final[rid].get("assignee") == f"c{n}", (rid, final[rid])
        assert final[rid].get("status") == "in_progress", rid
    # plain claims: whoever does not hold the issue at the end was told so
    lost = 0
    for rid, claimers in o.plain_claims.items():
        holder = final[rid].get("assignee") or ""
        assert holder in {f"c{n}" for n in claimers}, (rid, holder, claimers)
        for n in claimers:
            if f"c{n}" != holder:
                lost += 1
                told = [x for x in clones[n].lost if x["issue"] == rid]
                assert told and told[-1]["actor"] == f"c{n}", (
                    rid, n, clones[n].lost, _story(clones[n], rid))
    for clone in clones:
        for x in clone.lost:
            assert x["actor"] == clone.actor, (clone.n, x)
            assert clone.n in o.plain_claims.get(x["issue"], ()), (clone.n, x)
    print(f"children: {len(o.children)}, renumbered: {moved}, plain claims: "
          f"{sum(map(len, o.plain_claims.values()))}, lost claims reported: {lost}, "
          f"sync-claim attempts: {o.sync_attempts}, refused: {o.sync_refused}, "
          f"won: {len(o.sync_winner)}")
    assert o.children and o.plain_claims and o.sync_winner, "the run skipped claims/children"


def _story(clone: Clone, rid: str) -> str:
    """What a clone saw of one issue (for a failure message): git history and its log."""
    hist = bd("history", rid, cwd=clone.path, check=False).stdout
    log = [line for line in (clone.path / ".beads" / "events.jsonl").read_text().splitlines()
           if f'"{rid}"' in line]
    commits = git("log", "--format=%h %an %s", "-8", cwd=clone.path)
    return f"\n{hist}\nlocal log:\n" + "\n".join(log) + f"\nlast commits:\n{commits}"
