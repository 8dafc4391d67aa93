"""Golden files for every ``--json`` output: the agent contract as a visible diff.

Each case runs one command (stdin from /dev/null, ``--json`` last) in a copy of a
deterministic workspace, normalises what legitimately varies (timestamps, generated ids,
hashes, temporary paths, durations) and compares the result, key order included, with
``tests/golden/<case>.json``.  A change to any JSON shape therefore fails here until the
golden file is rewritten, which makes it a reviewed diff:

    BD_UPDATE_GOLDEN=1 .venv/bin/pytest tests/cli/test_golden.py

Every command in ``bd.cli.MODULES`` must have a case (aliases and the commands listed in
``NO_JSON`` aside), so a new command cannot ship without its JSON contract pinned.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, git, jsonl_path

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("BD_UPDATE_GOLDEN", "") not in ("", "0")

# The fixed ids of the base workspace; any other id-shaped string was generated.
KNOWN_IDS = {"g-epic", "g-epic.1", "g-api", "g-impl", "g-docs", "g-bug", "g-expl", "g-tst",
             "g-imp", "g-gone", "g-nope",
             # workflows (_workflows): a molecule, a wisp, a stale molecule, gates
             "g-mol", "g-mol.1", "g-mol.2", "g-mol.3", "g-mol.4", "g-wsp", "g-wsp.1", "g-wsp.2",
             "g-old", "g-old.1", "g-tmr", "g-bdg"}
_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_ID = re.compile(r"(?<![\w-])g-(?:mol-|wisp-)?[0-9a-z]{3,8}(?:\.\d+)*(?![\w-])")
_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_AUDIT_ID = re.compile(r"\bint-(?!0{31}1\b)[0-9a-f]{32}\b")  # generated audit entry ids
_VOLATILE_NUMBERS = {"average_lead_time_hours", "tokens", "age_days", "elapsed_ms",
                     "rate_per_hour", "eta_hours"}
# Prose for agents (primer, tutorial, snippets): its wording is not the JSON contract.
_PROSE_KEYS = {"text", "snippet"}
# bd's cache format number changes with bd's internals, not with the agent contract.
_CACHE_FORMAT_KEYS = {"cache_version", "expected_version", "previous_version",
                      "schema_version"}


class Case:
    """One golden: ``args`` run in a copy of the base workspace (or a fresh directory)."""

    def __init__(self, name: str, args: list[str], *, covers: tuple[str, ...] = (),
                 setup: list[list[str]] = (), prepare: Callable[[Path], None] | None = None,
                 fresh: str | None = None, jsonl: bool = False) -> None:
        self.name, self.args, self.setup, self.prepare = name, args, list(setup), prepare
        self.covers = covers or (_command_of(args),)
        self.fresh = fresh  # None: copy the base workspace; "git": empty git repo
        self.jsonl = jsonl  # stdout is JSON lines (export to stdout)


def _command_of(args: list[str]) -> str:
    from bd.cli import GROUPS, MODULES

    if args[0] in GROUPS and len(args) > 1 and f"{args[0]} {args[1]}" in MODULES:
        return f"{args[0]} {args[1]}"
    return args[0]


def _write(name: str, text: str) -> Callable[[Path], None]:
    def prepare(root: Path) -> None:
        (root / name).write_text(text)
    return prepare


def _orphan(root: Path) -> None:
    """A dependency on an issue that does not exist (as a hand edit or merge leaves)."""
    path = jsonl_path(root)
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in recs:
        if rec["id"] == "g-docs":
            rec.setdefault("dependencies", []).append(
                {"issue_id": "g-docs", "depends_on_id": "g-gone", "type": "blocks",
                 "created_at": rec["created_at"]})
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs))


def _broken_graph(root: Path) -> None:
    """A hand-edited file: a blocks cycle, an edge to a missing issue, a dangling parent."""
    path = jsonl_path(root)
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for rec in recs:
        extra = {"g-api": ("g-impl", "blocks"), "g-docs": ("g-gone", "blocks"),
                 "g-bug": ("g-nope", "parent-child")}.get(rec["id"])
        if extra:
            rec.setdefault("dependencies", []).append(
                {"issue_id": rec["id"], "depends_on_id": extra[0], "type": extra[1],
                 "created_at": rec["created_at"]})
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in recs))


def _second_workspace(root: Path) -> None:
    """Another workspace at lib/ (a copy of this one's issues) for 'bd repo'."""
    (root / "lib" / ".beads").mkdir(parents=True)
    shutil.copy(jsonl_path(root), root / "lib" / ".beads" / "issues.jsonl")


def _with_second_repo(root: Path) -> None:
    _second_workspace(root)
    with open(root / ".beads" / "config.yaml", "a", encoding="utf-8") as fh:
        fh.write("repos.additional: lib\n")


def _conflicting_edit(root: Path) -> None:
    """issues.jsonl as git leaves it when both sides retitled g-docs."""
    path = jsonl_path(root)
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["id"] != "g-docs":
            out.append(line)
            continue
        ours, theirs = dict(rec, title="Write the docs"), dict(rec, title="Write user docs")
        theirs["updated_at"] = "2099-01-01T00:00:00Z"
        out += ["<<<<<<< HEAD", json.dumps(ours, separators=(",", ":")), "=======",
                json.dumps(theirs, separators=(",", ":")), ">>>>>>> theirs"]
    path.write_text("\n".join(out) + "\n")


def _conflicted(root: Path) -> None:
    path = jsonl_path(root)
    path.write_text(path.read_text() + "<<<<<<< HEAD\n=======\n>>>>>>> theirs\n")


def _old_closed(root: Path) -> None:
    """g-bug closed long ago, committed (compaction needs the full record in git)."""
    path = jsonl_path(root)
    lines = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec["id"] == "g-bug":
            rec.update(closed_at="2020-01-01T00:00:00Z", updated_at="2020-01-01T00:00:00Z",
                       design="Reproduced with a debugger; null config at boot",
                       notes="Root cause: config read before init")
            line = json.dumps(rec, separators=(",", ":"))
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")
    (root / "summary.txt").write_text("Fixed a null config at boot.\n")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "golden base", cwd=root)


def _compacted(root: Path) -> None:
    _old_closed(root)
    bd("admin", "compact", "--apply", "--id", "g-bug", "--summary", "summary.txt", cwd=root)
    git("commit", "-qam", "compacted", cwd=root)


AUDIT_LINE = ('{"id":"int-00000000000000000000000000000001","kind":"llm_call",'
              '"created_at":"2026-01-05T09:30:00.123456789Z","actor":"agent","issue_id":"g-api",'
              '"model":"claude-haiku-4-5-20251001","prompt":"Summarise","response":"Done"}\n')


def _audit(root: Path) -> None:
    (root / ".beads" / "interactions.jsonl").write_text(AUDIT_LINE)


GOLDEN_FORMULA = """\
formula = "mol-golden"
description = "Reproduce, fix and verify a bug"

[vars.component]
description = "Area of the code"
required = true

[vars.env]
default = "staging"

[[steps]]
id = "repro"
title = "Reproduce the {{component}} bug"

[[steps]]
id = "fix"
title = "Fix {{component}}"
needs = ["repro"]

[[steps]]
id = "verify"
title = "Verify on {{env}}"
needs = ["fix"]
[steps.gate]
type = "human"
"""
GOLDEN_EXPANSION = {"formula": "exp-golden", "type": "expansion",
                    "template": [{"id": "{target}-review", "title": "Review {target.title}"}]}
_T0 = "2026-01-05T09:30:00Z"


def _rec(rid: str, title: str, *, deps: tuple[tuple[str, str], ...] = (), **kw: Any
         ) -> dict[str, Any]:
    rec = {"id": rid, "title": title, "status": "open", "priority": 2, "issue_type": "task",
           "created_at": _T0, "updated_at": _T0, **kw}
    if deps:
        rec["dependencies"] = [{"issue_id": rid, "depends_on_id": t, "type": k,
                                "created_at": _T0} for t, k in deps]
    return rec


def _workflows(root: Path) -> None:
    """A formula, an expansion, a poured molecule (a closed step, a ready step, a human gate
    and a gated step), a wisp in wisps.jsonl, a stale molecule and two more gates."""
    d = root / ".beads" / "formulas"
    d.mkdir(parents=True, exist_ok=True)
    (d / "mol-golden.formula.toml").write_text(GOLDEN_FORMULA)
    (d / "exp-golden.formula.json").write_text(json.dumps(GOLDEN_EXPANSION))
    closed = {"status": "closed", "closed_at": _T0, "close_reason": "Done"}
    mol = [
        _rec("g-mol", "Fix the login bug", issue_type="molecule", source_formula="mol-golden"),
        _rec("g-mol.1", "Reproduce", deps=(("g-mol", "parent-child"),), **closed),
        _rec("g-mol.2", "Fix", deps=(("g-mol", "parent-child"), ("g-mol.1", "blocks"))),
        _rec("g-mol.3", "Gate: human", issue_type="gate", await_type="human",
             deps=(("g-mol", "parent-child"),)),
        _rec("g-mol.4", "Verify", deps=(("g-mol", "parent-child"), ("g-mol.2", "blocks"),
                                        ("g-mol.3", "blocks"))),
        _rec("g-old", "Old run", issue_type="molecule"),
        _rec("g-old.1", "Only step", deps=(("g-old", "parent-child"),), **closed),
        _rec("g-tmr", "Gate: timer", issue_type="gate", await_type="timer",
             timeout=3_600_000_000_000, deps=(("g-mol", "parent-child"),)),
        _rec("g-bdg", "Gate: bead g-bug", issue_type="gate", await_type="bead",
             await_id="g-bug"),
    ]
    wisp = [
        _rec("g-wsp", "Patrol", issue_type="molecule", ephemeral=True),
        _rec("g-wsp.1", "Scan", deps=(("g-wsp", "parent-child"),), ephemeral=True, **closed),
        _rec("g-wsp.2", "Report", deps=(("g-wsp", "parent-child"), ("g-wsp.1", "blocks")),
             ephemeral=True),
    ]
    path = jsonl_path(root)
    path.write_text(path.read_text() + "".join(json.dumps(r, separators=(",", ":")) + "\n"
                                               for r in mol))
    (root / ".beads" / "wisps.jsonl").write_text(
        "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in wisp))


def _workflows_gate_open(root: Path) -> None:
    _workflows(root)
    bd("close", "g-mol.2", cwd=root)
    bd("gate", "resolve", "g-mol.3", cwd=root)


IMPORT_LINE = json.dumps({"id": "g-imp", "title": "Imported", "status": "open", "priority": 2,
                          "issue_type": "task", "created_at": "2026-01-05T09:30:00Z",
                          "updated_at": "2026-01-05T09:30:00Z"}, separators=(",", ":"))

CASES = [
    # -- issues
    Case("create", ["create", "New bug", "-p", "1", "-t", "bug", "-d", "It breaks",
                    "-l", "ui", "--deps", "g-api"]),
    Case("create_explicit_id", ["create", "Explicit", "--id", "g-expl", "--assignee", "ann",
                                "--design", "D", "--acceptance", "A", "--external-ref", "gh-9"]),
    Case("q", ["q", "Quick capture"]),
    Case("completion", ["completion", "bash"]),
    Case("show", ["show", "g-impl"]),
    Case("show_many", ["show", "g-api", "g-epic"]),
    Case("show_refs", ["show", "g-api", "--refs"]),
    Case("show_unresolved", ["show", "g-docs"], prepare=_orphan,
         setup=[["dep", "add", "g-docs", "external:proj:cap"]]),
    Case("update", ["update", "g-docs", "--status", "in_progress", "--assignee", "bob",
                    "--notes", "Started"]),
    Case("update_claim", ["update", "g-docs", "--claim", "--actor", "agent-1"]),
    Case("update_nothing", ["update", "g-docs"]),
    Case("close", ["close", "g-api", "--reason", "Done"]),
    Case("close_suggest_next", ["close", "g-api", "--suggest-next"]),
    Case("close_suggest_next_none", ["close", "g-docs", "--suggest-next"]),
    Case("reopen", ["reopen", "g-bug", "--reason", "Came back"]),
    Case("defer", ["defer", "g-docs", "--until", "2030-01-01"]),
    Case("undefer", ["undefer", "g-docs"], setup=[["defer", "g-docs"]]),
    Case("delete_preview", ["delete", "g-api"]),
    Case("delete", ["delete", "g-docs", "--force"]),
    # -- views
    Case("list", ["list"]),
    Case("list_all", ["list", "--all", "--limit", "0"]),
    Case("list_empty", ["list", "--label", "nope"]),
    Case("search", ["search", "API"]),
    Case("ready", ["ready"]),
    Case("ready_empty", ["ready", "--label", "nope"]),
    Case("blocked", ["blocked"]),
    Case("blocked_empty", ["blocked", "--parent", "g-docs"]),
    Case("stale", ["stale", "--days", "0"]),
    Case("count", ["count"]),
    Case("count_by_status", ["count", "--by-status"]),
    Case("stats", ["stats"]),
    Case("status", ["status"]),
    Case("children", ["children", "g-epic"]),
    Case("epic_status", ["epic", "status"]),
    Case("epic_close_eligible", ["epic", "close-eligible"],
         setup=[["close", "g-epic.1"]]),
    Case("epic_close_eligible_dry_run", ["epic", "close-eligible", "--dry-run"],
         setup=[["close", "g-epic.1"]]),
    Case("epic_close_eligible_none", ["epic", "close-eligible"]),
    Case("duplicate", ["duplicate", "g-docs", "--of", "g-api"]),
    Case("supersede", ["supersede", "g-docs", "--with", "g-impl"]),
    Case("duplicates", ["duplicates"],
         setup=[["create", "Twin", "-d", "same", "--id", "g-tw1"],
                ["create", "Twin", "-d", "same", "--id", "g-tw2"]]),
    Case("duplicates_auto_merge", ["duplicates", "--auto-merge"],
         setup=[["create", "Twin", "-d", "same", "--id", "g-tw1", "-l", "a"],
                ["create", "Twin", "-d", "same", "--id", "g-tw2"]]),
    Case("merge_into", ["merge", "g-docs", "--into", "g-impl"]),
    Case("set_state", ["set-state", "g-api", "mode=degraded", "--reason", "disk full"]),
    Case("state", ["state", "g-api", "mode"], setup=[["set-state", "g-api", "mode=normal"]]),
    Case("state_unset", ["state", "g-api", "mode"]),
    Case("state_list", ["state", "list", "g-api"],
         setup=[["set-state", "g-api", "mode=normal"]]),
    Case("lint", ["lint", "--status", "all"]),
    Case("orphans", ["orphans"]),
    Case("human", ["human"]),
    Case("types", ["types"]),
    Case("statuses", ["statuses"]),
    Case("error_create_validate", ["create", "Bug", "-t", "bug", "--validate"],
         covers=("errors",)),
    Case("rename_prefix_dry_run", ["rename-prefix", "app", "--dry-run"]),
    Case("admin_reset_preview", ["admin", "reset"]),
    Case("edit_without_terminal", ["edit", "g-api"]),
    Case("prime_mcp", ["prime", "--mcp"]),
    Case("export_obsidian", ["export", "--format", "obsidian", "-o", "log.md"]),
    Case("sync_check", ["sync", "--check"]),
    Case("preflight", ["preflight"]),
    Case("upgrade_status", ["upgrade", "status"],
         prepare=_write(".beads/.local_version", "0.45.0\n")),
    Case("upgrade_review", ["upgrade", "review"],
         prepare=_write(".beads/.local_version", "0.45.0\n")),
    Case("upgrade_ack", ["upgrade", "ack"]),
    Case("preflight_check", ["preflight", "--check"]),
    Case("migrate_cleanup", ["migrate", "--cleanup", "--yes"],
         prepare=_write(".beads/bd.db", "old\n")),
    Case("worktree_list", ["worktree", "list"]),
    Case("repo_list", ["repo", "list"], prepare=_with_second_repo),
    Case("repo_sync", ["repo", "sync"], prepare=_with_second_repo),
    Case("repo_add", ["repo", "add", "lib"], prepare=_second_workspace),
    Case("error_repo_add_self", ["repo", "add", ".beads"], covers=("errors",)),
    Case("repo_remove", ["repo", "remove", "nowhere"]),
    Case("worktree_info", ["worktree", "info"]),
    Case("worktree_create", ["worktree", "create", "wt"], setup=[["sync", "-m", "base"]]),
    Case("worktree_remove", ["worktree", "remove", "wt"],
         setup=[["sync", "-m", "base"], ["worktree", "create", "wt"]]),
    Case("stats_assigned", ["stats", "--assigned", "--actor", "alice"]),
    Case("show_thread", ["show", "g-docs", "--thread"],
         setup=[["dep", "add", "g-docs", "g-api", "--type", "replies-to"]]),
    Case("info_whats_new", ["info", "--whats-new"]),
    Case("doctor_pollution", ["doctor", "--check", "pollution"],
         setup=[["create", "test issue for parsing", "--id", "g-tst"]]),
    Case("delete_hard", ["delete", "g-docs", "--force", "--hard"]),
    Case("import_orphans_skipped", ["import", "-i", "extra.jsonl", "--orphan-handling", "skip",
                                    "--rename-on-import", "--dedupe-after"],
         prepare=_write("extra.jsonl", IMPORT_LINE.replace('"g-imp"', '"x-imp"') + "\n"
                        + IMPORT_LINE.replace('"g-imp"', '"g-gone.1"') + "\n")),
    # -- dependencies, labels, comments
    Case("dep_add", ["dep", "add", "g-docs", "g-impl"]),
    Case("dep_blocks", ["dep", "g-impl", "--blocks", "g-docs"]),
    Case("dep_remove", ["dep", "remove", "g-impl", "g-api"]),
    Case("dep_list", ["dep", "list", "g-impl"]),
    Case("dep_list_up", ["dep", "list", "g-api", "--direction", "up"]),
    Case("dep_tree", ["dep", "tree", "g-impl"]),
    Case("dep_tree_status", ["dep", "tree", "g-impl", "--status", "open"]),
    Case("dep_tree_type", ["dep", "tree", "g-docs", "-t", "related"]),
    Case("dep_cycles", ["dep", "cycles"]),
    # -- views
    Case("graph", ["graph", "g-epic"]),
    Case("graph_neighbours", ["graph", "g-impl"]),
    Case("graph_all", ["graph", "--all"]),
    Case("graph_check", ["graph", "check"]),
    Case("graph_check_problems", ["graph", "check"], prepare=_broken_graph),
    Case("error_picture_and_json", ["list", "--pretty"]),
    Case("dep_relate", ["dep", "relate", "g-docs", "g-bug"]),
    Case("dep_unrelate", ["dep", "unrelate", "g-docs", "g-bug"],
         setup=[["dep", "relate", "g-docs", "g-bug"]]),
    Case("label_add", ["label", "add", "g-docs", "g-impl", "urgent"]),
    Case("label_remove", ["label", "remove", "g-api", "api"]),
    Case("label_list", ["label", "list", "g-api"]),
    Case("label_list_empty", ["label", "list", "g-docs"]),
    Case("label_list_all", ["label", "list-all"]),
    Case("comments", ["comments", "g-api"]),
    Case("comments_empty", ["comments", "g-docs"]),
    Case("comments_add", ["comments", "add", "g-docs", "Looks good", "--author", "carol"]),
    # -- data
    Case("export_file", ["export", "-o", "out.jsonl"]),
    Case("export_stdout", ["export"], jsonl=True),
    Case("import", ["import", "-i", "extra.jsonl"], prepare=_write("extra.jsonl",
                                                                    IMPORT_LINE + "\n")),
    Case("import_dry_run", ["import", "-i", "extra.jsonl", "--dry-run"],
         prepare=_write("extra.jsonl", IMPORT_LINE + "\n")),
    # -- agents
    Case("prime", ["prime"]),
    Case("prime_outside_a_workspace", ["prime"], fresh="git"),
    Case("onboard", ["onboard"]),
    Case("quickstart", ["quickstart"]),
    Case("setup_list", ["setup", "--list"]),
    Case("setup_claude", ["setup", "claude", "--project"]),
    Case("setup_windsurf_print", ["setup", "windsurf", "--print"]),
    Case("setup_check_missing", ["setup", "cursor", "--check"]),
    # -- git
    Case("hooks_list", ["hooks", "list"]),
    Case("hooks_install", ["hooks", "install"]),
    Case("hooks_uninstall", ["hooks", "uninstall"]),
    Case("doctor", ["doctor"]),
    Case("doctor_problems", ["doctor"], prepare=_orphan),
    Case("doctor_fix", ["doctor", "--fix"], setup=[["hooks", "uninstall"]]),
    Case("sync_status", ["sync", "--status"]),
    Case("sync_dry_run", ["sync", "--dry-run"]),
    Case("sync", ["sync", "-m", "golden sync"]),
    Case("sync_import_only", ["sync", "--import-only"]),
    Case("resolve_conflicts", ["resolve-conflicts"], prepare=_conflicting_edit),
    Case("resolve_conflicts_none", ["resolve-conflicts", "--dry-run"]),
    Case("history", ["history", "g-docs"],
         setup=[["sync", "-m", "golden history"], ["update", "g-docs", "-p", "0"]]),
    # -- workspace and config
    Case("init", ["init", "--prefix", "z"], fresh="git"),
    Case("version", ["version"]),
    Case("where", ["where"]),
    Case("info", ["info"]),
    Case("info_schema", ["info", "--schema"]),
    Case("config_get", ["config", "get", "issue-prefix"]),
    Case("config_get_unset", ["config", "get", "no.such.key"]),
    Case("config_set", ["config", "set", "actor", "golden-agent"]),
    Case("config_unset", ["config", "unset", "actor"], setup=[["config", "set", "actor", "x"]]),
    Case("config_list", ["config", "list"]),
    # -- maintenance
    Case("repair_deps", ["repair-deps"], prepare=_orphan),
    Case("repair", ["repair"], prepare=_orphan),
    Case("repair_dry_run", ["repair", "--dry-run"], prepare=_orphan),
    Case("repair_deps_fix", ["repair-deps", "--fix"], prepare=_orphan),
    Case("repair_deps_clean", ["repair-deps"]),
    Case("detect_pollution", ["detect-pollution"],
         setup=[["create", "test issue for parsing", "--id", "g-tst"]]),
    Case("detect_pollution_clean", ["detect-pollution", "--clean", "--yes"],
         setup=[["create", "test issue for parsing", "--id", "g-tst"]]),
    Case("detect_pollution_none", ["detect-pollution"]),
    Case("validate", ["validate"]),
    Case("validate_problems", ["validate"], prepare=_orphan,
         setup=[["create", "test issue for parsing", "--id", "g-tst"]]),
    Case("validate_fix_all", ["validate", "--checks", "orphans,conflicts", "--fix-all"],
         prepare=_orphan),
    Case("validate_conflicts", ["validate"], prepare=_conflicted),
    Case("migrate_inspect", ["migrate", "--inspect"]),
    Case("migrate", ["migrate"]),
    Case("migrate_dry_run", ["migrate", "--dry-run"]),
    Case("migrate_sync_dry_run", ["migrate", "sync", "beads-sync", "--dry-run"]),
    # -- memory: compaction, cleanup, restore, audit
    Case("compact_stats", ["admin", "compact", "--stats"], prepare=_old_closed),
    Case("compact_analyze", ["admin", "compact", "--analyze"], prepare=_old_closed),
    Case("compact_apply", ["admin", "compact", "--apply", "--id", "g-bug", "--summary",
                           "summary.txt"], prepare=_old_closed),
    Case("compact_auto_dry_run", ["admin", "compact", "--auto", "--dry-run"],
         prepare=_old_closed),
    Case("compact_prune_dry_run", ["admin", "compact", "--prune", "--older-than", "0",
                                   "--dry-run"], setup=[["delete", "g-docs", "--force"]]),
    Case("compact_purge_tombstones", ["admin", "compact", "--purge-tombstones"],
         setup=[["delete", "g-docs", "--force"]]),
    Case("cleanup_dry_run", ["admin", "cleanup", "--dry-run"]),
    Case("cleanup", ["admin", "cleanup", "--force"]),
    Case("cleanup_nothing", ["admin", "cleanup", "--older-than", "36500"]),
    Case("restore", ["restore", "g-bug"], prepare=_compacted),
    Case("restore_apply", ["restore", "g-bug", "--apply"], prepare=_compacted),
    Case("audit_record", ["audit", "record", "--kind", "tool_call", "--tool-name", "pytest",
                          "--exit-code", "0"]),
    Case("audit_label", ["audit", "label", "int-00000000000000000000000000000001", "--label",
                         "good", "--reason", "accurate"], prepare=_audit),
    Case("audit_list", ["audit", "list"], prepare=_audit),
    Case("audit_show", ["audit", "show", "int-00000000000000000000000000000001"],
         prepare=_audit),
    Case("remember", ["remember", "Run make lint before pushing", "--tag", "ci"]),
    Case("remember_update", ["remember", "Lint with ruff", "--key", "lint"],
         setup=[["remember", "Run make lint", "--key", "lint"]]),
    Case("recall", ["recall", "lint"], setup=[["remember", "Run make lint", "--key", "lint"]]),
    Case("recall_search", ["recall", "MAKE"],
         setup=[["remember", "Run make lint", "--key", "lint"],
                ["remember", "make demo needs no identity", "--key", "demo"]]),
    Case("recall_missing", ["recall", "nothing"]),
    Case("forget", ["forget", "lint"], setup=[["remember", "Run make lint", "--key", "lint"]]),
    Case("memories", ["memories"], setup=[["remember", "Run make lint", "--key", "lint"],
                                          ["remember", "API is /v2", "--key", "api"]]),
    Case("memories_empty", ["memories"]),
    Case("error_forget_missing", ["forget", "nope"], covers=("errors",)),
    Case("error_compact_no_mode", ["admin", "compact"], covers=("errors",)),
    Case("error_restore_not_compacted", ["restore", "g-api"], covers=("errors",)),


    # -- workflows: formulas, molecules, wisps, gates
    Case("formula_list", ["formula", "list"], prepare=_workflows),
    Case("formula_show", ["formula", "show", "mol-golden"], prepare=_workflows),
    Case("formula_convert", ["formula", "convert", "exp-golden", "--stdout"],
         prepare=_workflows),
    Case("cook", ["cook", "mol-golden"], prepare=_workflows),
    Case("cook_dry_run", ["cook", "mol-golden", "--dry-run", "--var", "component=auth"],
         prepare=_workflows),
    Case("cook_persist", ["cook", "mol-golden", "--persist"], prepare=_workflows),
    Case("mol_pour", ["mol", "pour", "mol-golden", "--var", "component=auth"],
         prepare=_workflows),
    Case("mol_pour_dry_run", ["mol", "pour", "mol-golden", "--var", "component=auth",
                              "--dry-run"], prepare=_workflows),
    Case("mol_wisp", ["mol", "wisp", "mol-golden", "--var", "component=auth"],
         prepare=_workflows),
    Case("mol_wisp_list", ["mol", "wisp", "list", "--all"], prepare=_workflows),
    Case("mol_wisp_gc", ["mol", "wisp", "gc", "--dry-run"], prepare=_workflows),
    Case("mol_bond", ["mol", "bond", "g-mol", "g-old"], prepare=_workflows),
    Case("mol_squash", ["mol", "squash", "g-wsp", "--summary", "All clean"],
         prepare=_workflows),
    Case("mol_burn", ["mol", "burn", "g-wsp"], prepare=_workflows),
    Case("mol_burn_preview", ["mol", "burn", "g-old"], prepare=_workflows),
    Case("mol_distill", ["mol", "distill", "g-mol", "mol-again", "--var", "component=login",
                         "--dry-run"], prepare=_workflows),
    Case("mol_show", ["mol", "show", "g-mol", "--parallel"], prepare=_workflows),
    Case("mol_current", ["mol", "current", "g-mol"], prepare=_workflows),
    Case("mol_progress", ["mol", "progress", "g-mol"], prepare=_workflows),
    Case("mol_stale", ["mol", "stale"], prepare=_workflows),
    Case("mol_ready_gated", ["mol", "ready", "--gated"], prepare=_workflows_gate_open),
    Case("close_continue", ["close", "g-mol.2", "--continue"], prepare=_workflows),
    Case("ready_mol", ["ready", "--mol", "g-wsp"], prepare=_workflows),
    Case("gate_list", ["gate", "list"], prepare=_workflows),
    Case("gate_show", ["gate", "show", "g-mol.3"], prepare=_workflows),
    Case("gate_resolve", ["gate", "resolve", "g-mol.3", "--reason", "QA ok"],
         prepare=_workflows),
    Case("gate_check", ["gate", "check", "--type", "bead"], prepare=_workflows),
    Case("gate_add_waiter", ["gate", "add-waiter", "g-mol.3", "mayor/"], prepare=_workflows),
    Case("gate_discover", ["gate", "discover"], prepare=_workflows),
    Case("gate_create", ["gate", "create", "--blocks", "g-docs", "--type", "timer",
                         "--timeout", "30m"], prepare=_workflows),
    Case("error_missing_var", ["mol", "pour", "mol-golden"], prepare=_workflows,
         covers=("errors",)),
    # -- errors: {"error": "..."} on stdout, non-zero exit
    Case("error_not_found", ["show", "g-nope"], covers=("errors",)),
    Case("error_ambiguous_flag", ["list", "--bogus"], covers=("errors",)),
    Case("error_unknown_command", ["frobnicate"], covers=("errors",)),
    Case("error_missing_argument", ["dep", "add"], covers=("errors",)),
    Case("error_invalid_value", ["create", "x", "-p", "9"], covers=("errors",)),
    Case("error_cycle", ["dep", "add", "g-api", "g-impl"], covers=("errors",)),
    Case("error_not_initialized", ["list"], fresh="git", covers=("errors",)),
    Case("error_conflict_markers", ["ready"], prepare=_conflicted, covers=("errors",)),
    Case("error_bad_check", ["validate", "--checks", "bogus"], covers=("errors",)),
    Case("error_clean_needs_yes", ["detect-pollution", "--clean"], covers=("errors",),
         setup=[["create", "test issue for parsing", "--id", "g-tst"]]),
    Case("error_readonly", ["--readonly", "close", "g-api"], covers=("errors",)),
    Case("error_update_all_failed", ["update", "g-docs", "g-api", "--claim", "--actor", "bob"],
         setup=[["update", "g-docs", "--claim", "--actor", "agent-1"]], covers=("errors",)),
]

# Commands with no JSON output of their own, and why.
NO_JSON: dict[str, str] = {
    "merge": "the git merge driver: it writes the merged file and answers with its exit "
             "status (0 merged, 1 conflicts left, 2 error), messages on stderr",
    "hooks run": "the entry point of the installed git hooks: git reads its exit status, "
                 "messages go to stderr",
    "mcp": "serves the Model Context Protocol (JSON-RPC) on stdin/stdout; its tools' "
           "results are pinned by tests/cli/test_mcp.py",
    "ui": "serves the web board until stopped; its --json start line is pinned against "
          "tests/golden/ui_start.json by tests/browser/test_ui_server.py",
}

# Commands whose goldens need a fake server: tests/trackers/test_golden_trackers.py (its
# COVERS set must match; test_trackers_goldens_cover_these checks it).
COVERED_ELSEWHERE = {f"{t} {c}" for t in ("github", "gitlab", "jira", "linear")
                     for c in ("sync", "status")} | {"linear teams"}


# -------------------------------------------------------------------------- the workspace


def _build_base(root: Path) -> None:
    root.mkdir(parents=True)
    git("init", "-q", cwd=root)
    bd("init", "--prefix", "g", cwd=root)
    steps = [
        ["create", "Ship v1", "-t", "epic", "-p", "1", "--id", "g-epic", "-l", "release",
         "-d", "Everything for the first release"],
        ["create", "Release notes", "--parent", "g-epic", "-d", "What changed"],
        ["create", "Design the API", "-t", "feature", "-p", "1", "--id", "g-api",
         "-d", "Endpoints and errors", "--design", "REST", "--acceptance", "Reviewed",
         "--assignee", "alice", "-l", "api", "-l", "backend", "--external-ref", "gh-1"],
        ["create", "Implement the API", "-p", "2", "--id", "g-impl", "-d", "Handlers",
         "-l", "backend", "--deps", "g-api"],
        ["create", "Write docs", "-t", "chore", "-p", "3", "--id", "g-docs",
         "-d", "User guide", "--deps", "related:g-api"],
        ["create", "Crash on start", "-t", "bug", "-p", "0", "--id", "g-bug",
         "-d", "Segfault at launch"],
        ["close", "g-bug", "--reason", "Fixed"],
        ["comments", "add", "g-api", "Use JSON:API", "--author", "alice"],
    ]
    for args in steps:
        bd(*args, cwd=root)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("golden") / "base"
    _build_base(root)
    return root


# -------------------------------------------------------------------------- normalising


def normalise(value: Any, roots: list[str], key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {normalise(k, roots): normalise(v, roots, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, roots, key) for v in value]
    if key in _VOLATILE_NUMBERS and isinstance(value, (int, float)):
        return "<number>"
    if key in _CACHE_FORMAT_KEYS and isinstance(value, str) and value.isdigit():
        return "<cache-format>"
    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{7,40}", value):
        return "<sha>"  # a git commit, abbreviated or not
    if key in _PROSE_KEYS and isinstance(value, str) and len(value) > 200:
        return "<text>"
    if isinstance(value, str):
        for root, mark in roots:
            value = value.replace(root, mark)
        if _TS.fullmatch(value):
            return "<timestamp>"
        value = _TS.sub("<timestamp>", value)
        value = _SHA.sub("<sha>", _HASH.sub("<hash>", value))
        value = _AUDIT_ID.sub("<audit-id>", value)
        return _ID.sub(lambda m: m.group(0) if m.group(0) in KNOWN_IDS else "<id>", value)
    return value


def run_case(case: Case, base: Path, tmp_path: Path) -> dict[str, Any]:
    root = tmp_path / "repo"
    if case.fresh == "git":
        root.mkdir()
        git("init", "-q", cwd=root)
    else:
        shutil.copytree(base, root, symlinks=True)
        bd("count", cwd=root)  # the copy has a new inode: let the cache notice it first
    for args in case.setup:
        bd(*args, cwd=root)
    if case.prepare:
        case.prepare(root)
    proc = bd(*case.args, "--json", cwd=root, check=False)
    if case.jsonl:
        parsed: Any = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    else:
        try:
            parsed = json.loads(proc.stdout)
        except ValueError:
            pytest.fail(f"bd {' '.join(case.args)} --json printed no single JSON document "
                        f"(exit {proc.returncode})\n--- stdout ---\n{proc.stdout}\n"
                        f"--- stderr ---\n{proc.stderr}")
    roots = []
    for path, mark in ((root, "<repo>"), (tmp_path, "<tmp>"),
                       (Path(sys.executable).parent, "<venv-bin>")):
        for variant in dict.fromkeys((str(path), os.path.realpath(path))):
            roots.append((variant, mark))
    return {"command": "bd " + " ".join([*case.args, "--json"]), "exit_code": proc.returncode,
            "output": normalise(parsed, roots)}


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case, base: Path, tmp_path: Path) -> None:
    got = run_case(case, base, tmp_path)
    path = GOLDEN / f"{case.name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        if not path.exists() or path.read_text() != _dump(got):
            path.write_text(_dump(got))
        return
    assert path.exists(), (f"no golden file {path.name}; create it with "
                           "BD_UPDATE_GOLDEN=1 .venv/bin/pytest tests/cli/test_golden.py")
    want = path.read_text()
    assert _dump(got) == want, (
        f"the JSON of '{got['command']}' changed (a contract change for agents). If it is "
        "intended, rewrite the golden files with BD_UPDATE_GOLDEN=1 and review the diff.")


def test_errors_are_json_with_nonzero_exit() -> None:
    for case in CASES:
        if "errors" not in case.covers:
            continue
        data = json.loads((GOLDEN / f"{case.name}.json").read_text())
        assert data["exit_code"] != 0, case.name
        assert list(data["output"]) == ["error"] and isinstance(data["output"]["error"], str)


def test_empty_collections_are_arrays() -> None:
    """No golden output anywhere holds a null where a collection belongs."""
    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("labels", "dependencies", "dependents", "comments", "orphans",
                         "suggestions", "findings", "blocked_by", "warnings", "unblocked",
                         "closed", "in_progress", "ready", "deleted_ids"):
                    assert v is not None, f"{where}: {k} is null"
                walk(v, f"{where}.{k}")
        elif isinstance(value, list):
            for n, v in enumerate(value):
                walk(v, f"{where}[{n}]")
    for case in CASES:
        path = GOLDEN / f"{case.name}.json"
        if path.exists():
            walk(json.loads(path.read_text())["output"], case.name)
    for name in ("list_empty", "ready_empty", "blocked_empty", "dep_cycles",
                 "label_list_empty", "comments_empty"):
        assert json.loads((GOLDEN / f"{name}.json").read_text())["output"] == []
    none = json.loads((GOLDEN / "detect_pollution_none.json").read_text())["output"]
    assert none["issues"] == []


def test_every_command_has_a_golden() -> None:
    from bd.cli import MODULES, load_command

    covered = {c for case in CASES for c in case.covers} | COVERED_ELSEWHERE
    missing = []
    for name in MODULES:
        cmd = load_command(name)
        if cmd.name != name or cmd.hidden:  # an alias, or a hidden compatibility command
            continue
        if name not in covered and name not in NO_JSON:
            missing.append(name)
    assert not missing, (f"commands without a golden JSON case in tests/cli/test_golden.py: "
                         f"{', '.join(sorted(missing))} (add a Case, or list the command in "
                         "NO_JSON with the reason it prints no JSON)")


# Goldens pinned by other test files (for commands that cannot run to completion here).
OTHER_GOLDENS = {"ui_start.json": "tests/browser/test_ui_server.py"}


def test_no_stale_golden_files() -> None:
    names = {f"{c.name}.json" for c in CASES} | set(OTHER_GOLDENS)
    stale = sorted(p.name for p in GOLDEN.glob("*.json") if p.name not in names)
    assert not stale, f"golden files without a case (delete them): {', '.join(stale)}"


def test_without_a_tty(base: Path, tmp_path: Path) -> None:
    """Commands never wait for input: stdin is /dev/null above; here it is a closed pipe."""
    root = tmp_path / "repo"
    shutil.copytree(base, root, symlinks=True)
    proc = subprocess.run([sys.executable, "-m", "bd", "ready", "--json"], cwd=root,
                          input="", capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and isinstance(json.loads(proc.stdout), list)
