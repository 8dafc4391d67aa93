"""The extension pattern: an application keeps its own tables in ``.beads/beads.db`` with
foreign keys onto bd's ``issues`` table, and bd's cache maintenance must never disturb them
(only rows of issues that really left the JSONL may cascade away)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import bd, bdj, create, jsonl_path, read_records, record

APP_DDL = ("CREATE TABLE myapp_executions(id INTEGER PRIMARY KEY, "
           "issue_id TEXT REFERENCES issues(id) ON DELETE CASCADE, note TEXT)")


def connect(repo: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(repo / ".beads" / "beads.db", timeout=30)
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def app_rows(repo: Path) -> list[tuple[str, str]]:
    conn = connect(repo)
    try:
        return sorted(conn.execute("SELECT issue_id, note FROM myapp_executions"))
    finally:
        conn.close()


def setup_app(repo: Path) -> dict[str, str]:
    ids = {name: create(repo, f"Issue {name}") for name in ("a", "b", "c", "d")}
    bd("list", cwd=repo)  # make sure the cache is current before the app opens it
    conn = connect(repo)
    with conn:
        conn.execute(APP_DDL)
        conn.executemany(
            "INSERT INTO myapp_executions(issue_id, note) VALUES (?, ?)",
            [(ids["a"], "run a1"), (ids["a"], "run a2"), (ids["b"], "run b1"),
             (ids["c"], "run c1")])
    conn.close()
    return ids


def test_app_table_survives_jsonl_rewrite_behind_bds_back(repo: Path) -> None:
    ids = setup_app(repo)
    recs = {r["id"]: r for r in read_records(repo)}
    recs[ids["a"]]["title"] = "Issue a, retitled by a teammate"
    del recs[ids["c"]]
    recs["t-new1"] = {"id": "t-new1", "title": "Pulled in", "status": "open", "priority": 1,
                      "issue_type": "task", "created_at": "2026-01-01T00:00:00Z",
                      "updated_at": "2026-01-01T00:00:00Z"}
    jsonl_path(repo).write_text("".join(json.dumps(recs[k], separators=(",", ":")) + "\n"
                                        for k in sorted(recs)))

    rows = {r["id"]: r for r in bdj("list", cwd=repo)}
    assert set(rows) == {ids["a"], ids["b"], ids["d"], "t-new1"}
    assert rows[ids["a"]]["title"] == "Issue a, retitled by a teammate"

    assert app_rows(repo) == sorted([(ids["a"], "run a1"), (ids["a"], "run a2"),
                                     (ids["b"], "run b1")])

    conn = connect(repo)
    try:
        joined = sorted(conn.execute(
            "SELECT e.note, i.title FROM myapp_executions e JOIN issues i ON i.id = e.issue_id"))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert "myapp_executions" in tables
    assert joined == [("run a1", "Issue a, retitled by a teammate"),
                      ("run a2", "Issue a, retitled by a teammate"), ("run b1", "Issue b")]


def test_app_rows_survive_cli_writes(repo: Path) -> None:
    ids = setup_app(repo)
    before = app_rows(repo)
    bd("update", ids["a"], "--title", "A updated", "--notes", "n", "--add-label", "x", cwd=repo)
    bd("close", ids["b"], "-r", "done", cwd=repo)
    bd("dep", "add", ids["c"], ids["a"], cwd=repo)
    bd("comments", "add", ids["c"], "note", cwd=repo)
    bd("label", "add", ids["c"], "y", cwd=repo)
    bd("reopen", ids["b"], cwd=repo)
    bd("dep", "remove", ids["c"], ids["a"], cwd=repo)
    create(repo, "Another issue")
    assert app_rows(repo) == before
    assert record(repo, ids["a"])["title"] == "A updated"

    conn = connect(repo)
    try:
        joined = dict(conn.execute(
            "SELECT e.note, i.title FROM myapp_executions e JOIN issues i ON i.id = e.issue_id"))
    finally:
        conn.close()
    assert joined["run a1"] == "A updated"
    assert joined["run b1"] == "Issue b"

    # a tombstone is still an issue row: deleting via bd keeps the app's history
    bd("delete", ids["c"], "--force", cwd=repo)
    assert (ids["c"], "run c1") in app_rows(repo)


def test_app_rows_survive_a_cache_version_rebuild(repo: Path) -> None:
    ids = setup_app(repo)
    before = app_rows(repo)
    conn = connect(repo)
    with conn:
        conn.execute("UPDATE metadata SET value='0' WHERE key='bd_cache_version'")
    conn.close()
    assert len(bdj("list", cwd=repo)) == 4
    assert app_rows(repo) == before, "a cache rebuild must not cascade into app tables"
    assert ids["a"] in {r[0] for r in app_rows(repo)}


def test_app_rows_survive_an_unchanged_jsonl_touch(repo: Path) -> None:
    setup_app(repo)
    before = app_rows(repo)
    path = jsonl_path(repo)
    path.write_bytes(path.read_bytes())  # same content, new mtime (e.g. git checkout)
    bd("ready", cwd=repo)
    assert app_rows(repo) == before
