"""Checks of the local files around the JSONL: the cache and ``.beads/.gitignore``."""

from __future__ import annotations

import os

from bd.doctor.registry import Result, check, ok

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.doctor.context import DoctorContext


def _inspect_cache(db_path: str, jsonl_path: str) -> tuple[str, str]:
    """(state, detail): state is missing, corrupt, stale or fresh."""
    import sqlite3

    from bd.store.cache import schema, stat_sig

    if not os.path.exists(db_path):
        return "missing", "not built yet"
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        return "corrupt", str(exc)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            return "corrupt", "; ".join(str(r[0]) for r in rows[:3])
        try:
            meta = dict(conn.execute("SELECT key, value FROM metadata WHERE key IN "
                                     "('bd_cache_version', 'bd_jsonl_sig')"))
        except sqlite3.OperationalError:
            return "stale", "has no bd metadata"
    except sqlite3.DatabaseError as exc:
        return "corrupt", str(exc)
    finally:
        conn.close()
    if meta.get("bd_cache_version") != schema.CACHE_VERSION:
        return "stale", f"format {meta.get('bd_cache_version')}, expected {schema.CACHE_VERSION}"
    if meta.get("bd_jsonl_sig") != stat_sig(jsonl_path):
        return "stale", "the JSONL changed since the last refresh"
    return "fresh", "matches the JSONL"


def _fix_cache(ctx: DoctorContext) -> None:
    """Rebuild or refresh the cache; a corrupt file is moved aside first, never deleted."""
    from bd.core.timeutil import now_ts
    from bd.store.store import Store

    state, _ = _inspect_cache(ctx.db_path, ctx.jsonl_path)
    if state == "corrupt":
        stamp = now_ts()[:19].replace(":", "").replace("-", "")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(ctx.db_path + suffix):
                os.replace(ctx.db_path + suffix, f"{ctx.db_path}.corrupt-{stamp}{suffix}")
    store = Store(ctx.beads_dir or "")
    try:
        store.cache()
    finally:
        store.close()


@check("cache", "Cache fresh and intact", fix=_fix_cache)
def cache(ctx: DoctorContext) -> Result:
    state, detail = _inspect_cache(ctx.db_path, ctx.jsonl_path)
    if state == "fresh":
        return ok("cache", f"{ctx.db_path}: {detail}, integrity ok")
    if state == "corrupt":
        return Result("cache", "error", f"{ctx.db_path} is damaged ({detail}); --fix moves it "
                                        "aside and rebuilds it from the JSONL", fixable=True)
    return Result("cache", "warn", f"{ctx.db_path}: {detail} (any bd command refreshes it; "
                                   "--fix does it now)", fixable=True)


def _fix_gitignore(ctx: DoctorContext) -> None:
    from bd.git.initmodes import ensure_gitignore

    ensure_gitignore(ctx.beads_dir or "")


@check("gitignore", ".beads/.gitignore keeps the cache out of git", fix=_fix_gitignore)
def gitignore(ctx: DoctorContext) -> Result:
    from bd.git.initmodes import GITIGNORE_REQUIRED

    path = os.path.join(ctx.beads_dir or "", ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            have = {line.strip() for line in fh}
    except OSError:
        have = set()
    missing = [p for p in GITIGNORE_REQUIRED if p not in have]
    if not missing:
        return ok("gitignore", "the cache, its journals and the lock are ignored")
    return Result("gitignore", "warn", f"{path} does not ignore {', '.join(missing)}; the "
                                       "cache could be committed", fixable=True)
