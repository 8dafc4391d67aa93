"""Helpers shared by the stress tests: run the real CLI, check the JSONL, compare the cache
with a fresh rebuild."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

# What no bd command may ever print: a raw SQLite error or a Python traceback.
FORBIDDEN = ("Traceback", "database is locked", "internal error", "OperationalError")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def run_bd(args: list[str], cwd: Path | str, *, timeout: float = 120,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI, in its own process (no assertion: callers check)."""
    return subprocess.run([sys.executable, "-m", "bd", *args], cwd=cwd, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def assert_no_leak(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """No traceback, no raw 'database is locked', no internal error (exit 3)."""
    text = proc.stdout + proc.stderr
    assert proc.returncode != 3, f"{what}: internal error\n{text}"
    for bad in FORBIDDEN:
        assert bad not in text, f"{what}: {bad!r} leaked out (exit {proc.returncode})\n{text}"


def check_jsonl(path: Path) -> list[dict[str, Any]]:
    """The file must be whole: every line a JSON object with an id, newline-terminated,
    ids unique and sorted (what bd writes)."""
    raw = path.read_bytes()
    if not raw:
        return []
    assert raw.endswith(b"\n"), f"{path}: last line is torn (no newline)"
    records = []
    for n, line in enumerate(raw[:-1].split(b"\n"), 1):
        try:
            rec = json.loads(line)
        except ValueError as exc:
            raise AssertionError(
                f"{path}:{n}: torn or malformed line ({exc}): {line[:120]!r}") from None
        assert isinstance(rec, dict) and isinstance(rec.get("id"), str), f"{path}:{n}"
        records.append(rec)
    ids = [r["id"] for r in records]
    assert ids == sorted(set(ids)), f"{path}: ids not unique and sorted"
    return records


# Bookkeeping, not a view of the data: signatures and offsets, an unused table, and the
# refresh's hashes of runs of lines (how the file is cut into runs depends on its history).
BOOKKEEPING = ("metadata", "config", "bd_blocks")
# Built on first need by a warm cache, never by a cold one (bd/store/cache/counts.py): the
# rebuild has none; what they answer is compared through `bd stats --json` below (READS).
LAZY = ("bd_counts",)


def cache_dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the cache as sorted rows, without the bookkeeping tables and the
    autoincrement ids (events, comments)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not conn.execute("PRAGMA foreign_key_check").fetchall()
        out = {}
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if r[0] not in BOOKKEEPING and r[0] not in LAZY]
        for table in tables:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            if table in ("events", "comments"):
                cols = [c for c in cols if c != "id"]
            rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
        return out
    finally:
        conn.close()


def cache_signature(db: Path) -> str | None:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT value FROM metadata WHERE key = 'bd_jsonl_sig'").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


READS = (["list", "--all", "--json"], ["ready", "--json"], ["blocked", "--json"],
         ["stats", "--json"])


def assert_same_tables(mine: dict[str, list[tuple[Any, ...]]],
                       rebuilt: dict[str, list[tuple[Any, ...]]]) -> None:
    for table in sorted(set(mine) | set(rebuilt)):
        a, b = mine.get(table) or [], rebuilt.get(table) or []
        assert a == b, (f"cache table {table} != a rebuild:\n only in the cache: "
                        f"{[r for r in a if r not in b][:3]}\n only in the rebuild: "
                        f"{[r for r in b if r not in a][:3]}")


def assert_cache_current(root: Path) -> None:
    """The cache records the signature of the JSONL as it is now."""
    from bd.store.cache import stat_sig

    beads = root / ".beads"
    assert cache_signature(beads / "beads.db") == stat_sig(str(beads / "issues.jsonl")), \
        "the cache does not record the JSONL's current signature"


def assert_cache_matches_rebuild(repo: Path, scratch: Path) -> None:
    """The cache of ``repo`` (current, no command run since the last write) holds what a
    rebuild from the JSONL holds, and reads print the same from both."""
    assert_cache_current(repo)
    mine = cache_dump(repo / ".beads" / "beads.db")
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(repo, scratch, symlinks=True)
    for suffix in ("", "-wal", "-shm"):
        (scratch / ".beads" / f"beads.db{suffix}").unlink(missing_ok=True)
    outputs: dict[str, list[Any]] = {}
    for where in (scratch, repo):
        for args in READS:
            proc = run_bd(args, where, timeout=60)
            assert_no_leak(proc, " ".join(args))
            assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
            outputs.setdefault(" ".join(args), []).append(json.loads(proc.stdout))
    assert_same_tables(mine, cache_dump(scratch / ".beads" / "beads.db"))
    for args, (fresh, cached) in outputs.items():
        assert cached == fresh, f"bd {args}: cached output differs from a rebuilt cache"


def assert_cache_heals(root: Path, scratch: Path) -> None:
    """A real read works, and the cache then equals a rebuild from the JSONL and the event
    log (built in-process in a copy of .beads without beads.db)."""
    from bd.store.store import Store

    proc = run_bd(["list", "--all", "--json"], root, timeout=60)
    assert_no_leak(proc, "the read after the crash")
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
    assert_cache_current(root)
    beads = root / ".beads"
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(beads, scratch)
    for suffix in ("", "-wal", "-shm"):
        (scratch / f"beads.db{suffix}").unlink(missing_ok=True)
    with Store(str(scratch)) as store:
        store.cache()
    assert_same_tables(cache_dump(beads / "beads.db"), cache_dump(scratch / "beads.db"))


def setup_remote(tmp: Path, seeds: int) -> tuple[Path, Path]:
    """Clones a and b of a bare remote; a has issues t-s0 ... committed and pushed."""
    from conftest import git

    git("init", "-q", "--bare", str(tmp / "remote.git"), cwd=tmp)
    a, b = tmp / "a", tmp / "b"
    git("clone", "-q", str(tmp / "remote.git"), str(a), cwd=tmp)
    assert run_bd(["init", "--prefix", "t"], a).returncode == 0
    seed = tmp / "seed.jsonl"
    ts = "2026-01-01T00:00:00Z"
    seed.write_text("".join(json.dumps({"id": f"t-s{k}", "title": f"seed {k}", "status": "open",
                                        "priority": 2, "issue_type": "task", "created_at": ts,
                                        "updated_at": ts}) + "\n" for k in range(seeds)))
    assert run_bd(["import", "-i", str(seed)], a).returncode == 0
    git("add", "-A", cwd=a)
    git("commit", "-qm", "init", cwd=a)
    git("push", "-q", "-u", "origin", "HEAD", cwd=a)
    git("clone", "-q", str(tmp / "remote.git"), str(b), cwd=tmp)
    assert run_bd(["init", "--prefix", "t"], b).returncode == 0
    return a, b
