"""Crashes: a bd process killed with SIGKILL at any moment leaves the JSONL either exactly
as it was or exactly as the command meant to write it (never torn), the next command works
(no stale lock or temp file gets in its way), and the cache heals itself to what a rebuild
from the JSONL holds.

Two halves:

* deterministic: ``crash_driver.py`` runs a command in-process with the library's crash hook
  (``bd.store.jsonl._crash_hook``) set to SIGKILL the process at write step N, for every N the
  command has (temp written, synced, renamed, JSONL replaced, events appended, before the
  cache commit, a cache refresh before its commit), for create, update, claim, close,
  dependencies, delete, import, export, the merge driver and resolve-conflicts;
* randomised: real ``bd`` processes (create, update, claim, close, dep add, import, the
  merge driver, sync against a local bare remote that another clone pushes to) killed after
  a random short delay, many times, with the invariants checked after each kill.

``BD_CRASH_ROUNDS`` (default 16) sets the number of random kills, ``BD_CRASH_SEED`` replays.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import git, make_repo
from stress_support import (
    assert_cache_heals,
    assert_no_leak,
    check_jsonl,
    env_int,
    run_bd,
    setup_remote,
)

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("crash_driver.py")
TS = "2026-01-01T00:00:00Z"
ROUNDS = env_int("BD_CRASH_ROUNDS", 16)
SEED = env_int("BD_CRASH_SEED", random.randrange(1 << 30))


def rec(rid: str, title: str, **extra: Any) -> dict[str, Any]:
    out = {"id": rid, "title": title, "status": "open", "priority": 2, "issue_type": "task",
           "created_at": TS, "updated_at": TS}
    out.update(extra)
    return out


def lines(*recs: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in recs)


# ------------------------------------------------------------------------------ checks


def check_events(root: Path) -> None:
    """The audit log is append-only: a kill leaves whole lines."""
    path = root / ".beads" / "events.jsonl"
    if path.exists():
        raw = path.read_bytes()
        assert not raw or raw.endswith(b"\n"), "events.jsonl: torn last line"
        for line in raw.splitlines():
            json.loads(line)


def check_temp_files(root: Path) -> None:
    """Temp files a kill left behind are ignored by git (and bd never reads them)."""
    temps = [p for p in (root / ".beads").iterdir() if p.name.endswith(".tmp")]
    spare = root / ".beads" / ".bd-spare"
    if temps or spare.exists():
        status = git("status", "--porcelain", "-uall", cwd=root)
        for p in temps:
            assert p.name not in status, f"{p.name} would be committed: {status}"
        assert ".bd-spare" not in status, f"the spare would be committed: {status}"


# -------------------------------------------------------------- deterministic kill points


def build_template(root: Path) -> None:
    """A workspace with a little of everything: blocked issues, labels, events."""
    make_repo(root)
    seed = root.parent / "seed.jsonl"
    seed.write_text(lines(rec("t-a", "alpha"), rec("t-b", "beta", labels=["x"]),
                          rec("t-c", "gamma"), rec("t-d", "delta")))
    assert run_bd(["import", "-i", str(seed)], root).returncode == 0
    assert run_bd(["dep", "add", "t-c", "t-b"], root).returncode == 0
    (root / "incoming.jsonl").write_text(lines(
        rec("t-e", "epsilon"), rec("t-f", "phi", labels=["y"]),
        rec("t-a", "alpha renamed", updated_at="2026-02-01T00:00:00Z")))
    m = root / "m"
    m.mkdir()
    base = [rec("t-a", "alpha"), rec("t-b", "beta")]
    (m / "base.jsonl").write_text(lines(*base))
    (m / "out.jsonl").write_text(lines(rec("t-a", "alpha", priority=1), base[1],
                                       rec("t-l", "left only")))
    (m / "right.jsonl").write_text(lines(base[0], rec("t-b", "beta", status="closed",
                                                      closed_at=TS), rec("t-r", "right only")))
    assert run_bd(["export", "-o", "exported.jsonl"], root).returncode == 0


# name: (args, file that must be old-or-new, setup in the copy before the run)
SCENARIOS: dict[str, tuple[list[str], str, str | None]] = {
    "create": (["create", "made while crashing", "-p", "1", "-l", "z"], ".beads/issues.jsonl",
               None),
    "update": (["update", "t-a", "--notes", "new notes", "--add-label", "n"],
               ".beads/issues.jsonl", None),
    "claim": (["update", "t-a", "--claim"], ".beads/issues.jsonl", None),
    "close": (["close", "t-b", "--reason", "done"], ".beads/issues.jsonl", None),
    "dep-add": (["dep", "add", "t-a", "t-d"], ".beads/issues.jsonl", None),
    "delete": (["delete", "t-d", "--force"], ".beads/issues.jsonl", None),
    "import": (["import", "-i", "incoming.jsonl"], ".beads/issues.jsonl", None),
    "export": (["export", "-o", "exported.jsonl", "--force"], "exported.jsonl", "append"),
    "merge-driver": (["merge", "m/out.jsonl", "m/base.jsonl", "m/out.jsonl", "m/right.jsonl"],
                     "m/out.jsonl", None),
    "resolve-conflicts": (["resolve-conflicts"], ".beads/issues.jsonl", "conflict"),
    "refresh": (["list", "--all"], ".beads/issues.jsonl", "append"),
    "cold-rebuild": (["ready"], ".beads/issues.jsonl", "drop-cache"),
}


def prepare(work: Path, setup: str | None, spare: bool = False) -> None:
    path = work / ".beads" / "issues.jsonl"
    if spare:  # a previous version kept as the spare, longer than any file the run writes
        folder = work / ".beads" / ".bd-spare"
        folder.mkdir()
        (folder / ".gitignore").write_text("*\n")
        (folder / "issues.jsonl").write_bytes(b"stale spare bytes\n" * 4000)
    if setup == "append":  # a change made behind bd's back (a git pull, say)
        with open(path, "a") as fh:
            fh.write(json.dumps(rec("t-z", "from a pull")) + "\n")
    elif setup == "drop-cache":
        for suffix in ("", "-wal", "-shm"):
            (work / ".beads" / f"beads.db{suffix}").unlink(missing_ok=True)
    elif setup == "conflict":
        raw = path.read_text().splitlines(keepends=True)
        ours = raw[0]
        theirs = json.dumps(rec("t-a", "alpha theirs", updated_at="2026-03-01T00:00:00Z"))
        path.write_text(f"<<<<<<< HEAD\n{ours}=======\n{theirs}\n>>>>>>> other\n"
                        + "".join(raw[1:]))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash-template") / "repo"
    build_template(root)
    return root


# Store transactions again with the JSONL's spare file in use (bd.store.jsonl._atomic: a
# large file's previous version is filled in place of a new temporary file).
SPARE_SCENARIOS = ["create", "update", "delete", "import"]


@pytest.mark.parametrize("name,spare", [(n, False) for n in sorted(SCENARIOS)]
                         + [(n, True) for n in SPARE_SCENARIOS])
def test_kill_at_every_write_step(template: Path, tmp_path: Path, name: str,
                                  spare: bool) -> None:
    args, target_rel, setup = SCENARIOS[name]
    env = {**os.environ, "BD_TEST_SPARE": "1"} if spare else None
    seen: list[str] = []
    for n in range(1, 40):
        work, record = tmp_path / f"run{n}", tmp_path / f"record{n}"
        shutil.copytree(template, work, symlinks=True)
        record.mkdir()
        prepare(work, setup, spare)
        target = work / target_rel
        old = target.read_bytes()
        proc = subprocess.run([sys.executable, str(DRIVER), str(n), str(record), *args,
                               "--json"], cwd=work, capture_output=True, text=True, timeout=60,
                              env=env)
        steps = (record / "steps").read_text().split() if (record / "steps").exists() else []
        new = None
        for k in range(8):
            if (record / f"write-{k}.path").exists() and \
                    (record / f"write-{k}.path").read_text() == str(target.resolve()):
                new = (record / f"write-{k}.data").read_bytes()
        after = target.read_bytes()
        killed = proc.returncode == -signal.SIGKILL
        where = f"{name}: killed at step {n} ({steps[-1] if steps else '-'}) of {seen}"
        if killed:
            assert len(steps) == n, where
            seen.append(steps[-1])
            assert after in (old, new), f"{where}: the file is neither old nor new"
            if steps[-1] in ("written", "synced"):
                assert after == old, where
            if new is not None and (steps[-1] == "renamed" or steps[-1].startswith("store:")):
                assert after == new, where
        else:
            assert_no_leak(proc, name)
            assert proc.returncode == 0, f"{name}: {proc.stdout}{proc.stderr}"
            assert new is None or after == new, name
            if spare:  # the old version is the next write's spare, the stale bytes are gone
                assert (work / ".beads" / ".bd-spare" / "issues.jsonl").read_bytes() == old
        if after != old or setup != "conflict":
            check_jsonl(target)
        check_events(work)
        check_temp_files(work)
        if setup == "conflict" and after == old:  # still conflicted: resolving must work now
            again = run_bd(["resolve-conflicts", "--json"], work, timeout=60)
            assert again.returncode == 0, again.stdout + again.stderr
        settled = target.read_bytes()
        assert_cache_heals(work, tmp_path / "rebuilt")
        assert target.read_bytes() == settled, f"{where}: a read changed the file"
        if not killed or any(p.suffix == ".tmp" for p in (work / ".beads").iterdir()):
            # A temp file left behind (or a finished run): the next write works too.
            follow = run_bd(["update", "t-a", "--notes", f"after {n}", "--json"], work,
                            timeout=60)
            assert_no_leak(follow, f"{where}: the next write")
            assert follow.returncode == 0, follow.stdout + follow.stderr
            check_jsonl(work / ".beads" / "issues.jsonl")
        shutil.rmtree(work)
        if not killed:
            break
    else:
        pytest.fail(f"{name}: never finished")
    if setup in ("append", "drop-cache") and name != "export":
        assert "cache:before-commit" in seen, f"{name}: the refresh was not hit ({seen})"
    elif args[0] in ("merge", "resolve-conflicts", "export"):
        assert seen[-3:] == ["written", "synced", "renamed"], f"{name}: {seen}"
    else:  # a Store transaction: every step between the JSONL and the cache commit
        assert {"renamed", "store:jsonl-written", "store:before-commit"} <= set(seen), \
            f"{name}: {seen}"


# ---------------------------------------------------------------------- random kills


def drain_group(pgid: int) -> None:
    """Wait until every process of the killed command's group (git children) has exited."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError("children of the killed bd never exited")


def test_random_kills(tmp_path: Path) -> None:
    from bd.core import merge

    rng = random.Random(SEED)
    a, b = setup_remote(tmp_path, seeds=6)
    jsonl = a / ".beads" / "issues.jsonl"
    created = 0
    completed: list[str] = []
    killed = landed = 0
    # How long each kind of command takes here: kills are aimed inside that window.
    took = {"sync": 0.6, "merge": 0.1}
    for rnd in range(ROUNDS):
        op = rng.choice(["create", "update", "close", "claim", "dep", "import", "merge",
                         "sync", "sync"])
        where = f"seed {SEED} round {rnd} ({op})"
        old = jsonl.read_bytes()
        old_ids = {r["id"] for r in check_jsonl(jsonl)}
        target, expect = jsonl, None
        if op == "create":
            created += 1
            args = ["create", f"random {rnd}"]
        elif op in ("update", "close", "claim"):
            rid = f"t-s{rng.randrange(6)}"
            args = {"update": ["update", rid, "--notes", f"round {rnd}"],
                    "close": ["close", rid, "--reason", f"round {rnd}"],
                    "claim": ["update", rid, "--claim", "--actor", f"agent-{rnd}"]}[op]
        elif op == "dep":
            x, y = rng.sample(range(6), 2)
            args = ["dep", "add", f"t-s{max(x, y)}", f"t-s{min(x, y)}"]
        elif op == "import":
            incoming = tmp_path / "incoming.jsonl"
            incoming.write_text(lines(rec(f"t-i{rnd}", f"imported {rnd}"),
                                      rec("t-s0", f"seed 0 v{rnd}",
                                          updated_at=f"2027-01-01T00:00:{rnd % 60:02d}Z")))
            args = ["import", "-i", str(incoming)]
        elif op == "merge":
            mdir = tmp_path / "m"
            mdir.mkdir(exist_ok=True)
            base = lines(rec("t-a", "a"), rec("t-b", "b"))
            left = lines(rec("t-a", "a", priority=0), rec("t-b", "b"), rec(f"t-l{rnd}", "l"))
            right = lines(rec("t-a", "a"), rec("t-b", "b2"), rec(f"t-r{rnd}", "r"))
            for fname, text in (("base", base), ("out", left), ("right", right)):
                (mdir / f"{fname}.jsonl").write_text(text)
            target = mdir / "out.jsonl"
            old = left.encode()
            expect = merge.merge_bytes(base.encode(), left.encode(), right.encode()).data
            args = ["merge", str(target), str(mdir / "base.jsonl"), str(target),
                    str(mdir / "right.jsonl")]
        else:  # sync while the other clone has pushed: a pull that merges with the driver
            assert run_bd(["create", f"from b {rnd}"], b).returncode == 0
            proc = run_bd(["sync"], b, timeout=120)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            args = ["sync"]
        out_path = tmp_path / "out.txt"
        with open(out_path, "w") as out:
            child = subprocess.Popen([sys.executable, "-m", "bd", *args], cwd=a, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
            started = time.monotonic()
            time.sleep(rng.uniform(0.3, 1.05) * took.get(op, 0.1))
            try:
                os.kill(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc = child.wait(timeout=60)
            guess = took.get(op, 0.1)
            # Adapt: a kill that came first means the command takes longer than guessed.
            took[op] = guess * 1.2 if rc == -signal.SIGKILL else (
                guess + time.monotonic() - started) / 2
        drain_group(child.pid)
        text = out_path.read_text()
        if rc == -signal.SIGKILL:
            killed += 1
            landed += target.read_bytes() != old
        else:
            completed.append(op)
            refused = (op == "claim" and ("already claimed" in text or "cannot claim" in text)
                       or op == "dep" and "already exists" in text)
            assert rc == 0 or (rc == 1 and refused), (where, rc, text)
            for bad in ("Traceback", "database is locked", "internal error"):
                assert bad not in text, (where, text)

        # The file is whole: old bytes, or valid JSONL that lost nothing.
        after = target.read_bytes()
        if expect is not None:
            assert after in (old, expect), where
        records = check_jsonl(target)
        if target == jsonl:
            assert old_ids <= {r["id"] for r in records}, f"{where}: records lost"
        check_events(a)
        check_temp_files(a)
        # The next command works and the cache heals.
        assert_cache_heals(a, tmp_path / "rebuilt")
        if op == "sync":
            proc = run_bd(["sync"], a, timeout=120)
            assert_no_leak(proc, where)
            assert proc.returncode == 0, (where, proc.stdout + proc.stderr)
            check_jsonl(jsonl)
            assert_cache_heals(a, tmp_path / "rebuilt")

    # Both clones converge: nothing a completed command wrote was lost on the way.
    for _ in range(2):
        for clone in (a, b):
            proc = run_bd(["sync"], clone, timeout=120)
            assert proc.returncode == 0, (clone.name, proc.stdout + proc.stderr)
    assert jsonl.read_bytes() == (b / ".beads" / "issues.jsonl").read_bytes()
    print(f"\nseed {SEED}: {ROUNDS} rounds, {killed} killed mid-way ({landed} after changing "
          "the file), "
          f"{len(completed)} finished first ({', '.join(sorted(set(completed)))})")
