"""Convergence: several clones of one bare remote make random changes and sync in random
order; at the end every clone and the remote hold byte-identical JSONL, every created issue is
there and every deleted issue is still deleted.

Small by default; bigger by hand:  BD_CONVERGE_CLONES=8 BD_CONVERGE_ROUNDS=10
BD_CONVERGE_OPS=8 pytest tests/git/test_convergence.py
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from conftest import bd, git, jsonl_path

CLONES = int(os.environ.get("BD_CONVERGE_CLONES", "3"))
ROUNDS = int(os.environ.get("BD_CONVERGE_ROUNDS", "3"))
OPS = int(os.environ.get("BD_CONVERGE_OPS", "4"))


def records(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, jsonl_path(path).read_text().splitlines())}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7])
def test_clones_converge(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    git("init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    clones: list[Path] = []
    for n in range(CLONES):
        path = tmp_path / f"c{n}"
        git("clone", "-q", str(tmp_path / "remote.git"), str(path), cwd=tmp_path)
        if n == 0:
            bd("init", "--prefix", "t", cwd=path)
            git("add", "-A", cwd=path)
            git("commit", "-qm", "init", cwd=path)
            git("push", "-q", "-u", "origin", "HEAD", cwd=path)
        else:
            bd("init", "--prefix", "t", cwd=path)
            if n % 2:
                git("config", "pull.rebase", "true", cwd=path)  # both pull modes in play
        clones.append(path)

    created: set[str] = set()
    deleted: set[str] = set()
    for rnd in range(ROUNDS):
        for n, clone in enumerate(clones):
            known = [rid for rid, r in records(clone).items() if r.get("status") != "tombstone"]
            for i in range(OPS):
                op = rng.choice(["create", "create", "title", "priority", "close", "reopen",
                                 "label", "comment", "dep", "undep", "delete"])
                if op == "create" or not known:
                    proc = bd("create", f"c{n} r{rnd} op{i}", "-p", str(rng.randint(0, 4)),
                              "--silent", cwd=clone)
                    rid = proc.stdout.strip()
                    created.add(rid)
                    known.append(rid)
                    continue
                rid = rng.choice(known)
                if op == "title":
                    bd("update", rid, "--title", f"title by c{n} r{rnd}", cwd=clone)
                elif op == "priority":
                    bd("update", rid, "-p", str(rng.randint(0, 4)), cwd=clone)
                elif op == "close":
                    bd("close", rid, "--reason", f"c{n}", cwd=clone)
                elif op == "reopen":
                    bd("reopen", rid, cwd=clone)
                elif op == "label":
                    bd("label", "add", rid, rng.choice(["red", "green", "blue"]), cwd=clone)
                elif op == "comment":
                    bd("comment", rid, f"comment by c{n} r{rnd} {i}", cwd=clone)
                elif op in ("dep", "undep") and len(known) > 1:
                    other = rng.choice([k for k in known if k != rid])
                    verb = "add" if op == "dep" else "remove"
                    bd("dep", verb, rid, other, cwd=clone, check=False)  # cycles are refused
                elif op == "delete":
                    bd("delete", rid, "--force", cwd=clone)
                    deleted.add(rid)
                    known.remove(rid)
        order = clones[:]
        rng.shuffle(order)
        for clone in order:
            bd("sync", cwd=clone)

    for _ in range(2):  # two full rounds carry every change to every clone
        for clone in clones:
            bd("sync", cwd=clone)

    first = jsonl_path(clones[0]).read_bytes()
    for clone in clones[1:]:
        assert jsonl_path(clone).read_bytes() == first, f"{clone.name} differs"
    remote = git("show", "HEAD:.beads/issues.jsonl", cwd=tmp_path / "remote.git")
    assert remote.encode() == first
    final = records(clones[0])
    assert created <= final.keys(), f"lost: {sorted(created - final.keys())}"
    for rid in deleted:
        assert final[rid]["status"] == "tombstone", f"{rid} came back"
    for clone in clones:
        assert "<<<<<<<" not in jsonl_path(clone).read_text()
        assert git("status", "--porcelain", "--untracked-files=no", cwd=clone) == ""
        # the cache agrees with the file
        listed = json.loads(bd("list", "--all", "--limit", "0", "--json", cwd=clone).stdout)
        live = {rid for rid, r in final.items() if r.get("status") != "tombstone"}
        assert {r["id"] for r in listed} == live
