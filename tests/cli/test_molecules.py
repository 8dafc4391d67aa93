"""Molecules, wisps and gates end to end through the real CLI (issue 14 acceptance)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from conftest import bd, bdj, git, make_repo, read_records

BUGFIX = """\
formula = "mol-bugfix"
version = 1
type = "workflow"
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

PATROL = """\
formula = "mol-patrol"
type = "workflow"
phase = "vapor"

[[steps]]
id = "scan"
title = "Scan the logs"

[[steps]]
id = "report"
title = "Report findings"
needs = ["scan"]
"""


def _formula(root: Path, name: str, text: str) -> None:
    d = root / ".beads" / "formulas"
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.formula.toml").write_text(text)


def _ready_ids(root: Path, *args: str) -> list[str]:
    return [r["id"] for r in bdj("ready", *args, cwd=root)]


def test_spec_example_flow(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    missing = bd("mol", "pour", "mol-bugfix", cwd=repo, check=False)
    assert missing.returncode == 1 and "component" in missing.stderr
    poured = bdj("mol", "pour", "mol-bugfix", "--var", "component=auth", cwd=repo)
    assert poured["created"] == 5 and poured["phase"] == "liquid"
    root = poured["new_epic_id"]
    assert root.startswith("t-mol-")
    mapping = poured["id_mapping"]
    assert all(v.startswith("t-mol-") for v in mapping.values())
    recs = {r["id"]: r for r in read_records(repo)}
    assert recs[root]["issue_type"] == "molecule" and recs[root]["title"] == "mol-bugfix"
    repro, fix, verify = (mapping[f"mol-bugfix.{s}"] for s in ("repro", "fix", "verify"))
    gate = mapping["mol-bugfix.gate-verify"]
    assert recs[repro]["title"] == "Reproduce the auth bug"
    assert recs[verify]["title"] == "Verify on staging"
    assert recs[gate]["issue_type"] == "gate" and recs[gate]["await_type"] == "human"
    edges = {(d["issue_id"], d["depends_on_id"], d["type"])
             for r in recs.values() for d in r.get("dependencies") or []}
    assert {(fix, repro, "blocks"), (verify, fix, "blocks"), (verify, gate, "blocks"),
            (gate, root, "parent-child"), (repro, root, "parent-child")} <= edges
    assert _ready_ids(repo) == [repro]  # root (molecule) and gate (gate) are never ready
    bd("close", repro, cwd=repo)
    assert _ready_ids(repo) == [fix]
    cont = bdj("close", fix, "--continue", cwd=repo)
    assert cont["next_step"] is None and not cont["molecule_complete"]
    assert _ready_ids(repo) == []  # verify waits for the human gate
    assert gate in [g["id"] for g in bdj("gate", "list", cwd=repo)]
    bdj("gate", "resolve", gate, "--reason", "QA signed off", cwd=repo)
    assert _ready_ids(repo) == [verify]
    progress = bdj("mol", "progress", root, cwd=repo)
    assert (progress["completed"], progress["total"]) == (2, 3)
    assert progress["next_step"] == verify
    bd("close", verify, cwd=repo)
    rec = {r["id"]: r for r in read_records(repo)}[root]
    assert rec["status"] == "closed" and rec["close_reason"].startswith("Auto-closed")
    progress = bdj("mol", "progress", root, cwd=repo)
    assert (progress["completed"], progress["total"], progress["percent"]) == (3, 3, 100)
    assert progress["status"] == "closed"


def test_close_continue_claims_the_next_step(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    poured = bdj("mol", "pour", "mol-patrol", cwd=repo)
    scan, report = (poured["id_mapping"][f"mol-patrol.{s}"] for s in ("scan", "report"))
    no_auto = bdj("close", scan, "--continue", "--no-auto", cwd=repo)
    assert no_auto["next_step"]["id"] == report and not no_auto["auto_advanced"]
    assert no_auto["next_step"]["status"] == "open"
    bd("reopen", scan, cwd=repo)
    auto = bdj("close", scan, "--continue", "--actor", "agent-7", cwd=repo)
    assert auto["auto_advanced"] and auto["next_step"]["status"] == "in_progress"
    assert auto["next_step"]["assignee"] == "agent-7"
    current = bdj("mol", "current", "--for", "agent-7", cwd=repo)
    states = {s["id"]: s["state"] for s in current[0]["steps"]}
    assert states == {scan: "done", report: "current"}
    done = bdj("close", report, "--continue", cwd=repo)
    assert done["molecule_complete"]
    bad = bd("close", scan, "--no-auto", cwd=repo, check=False)
    assert bad.returncode == 2


def test_vapor_formula_poured_warns(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    proc = bd("mol", "pour", "mol-patrol", cwd=repo)
    assert "bd mol wisp mol-patrol" in proc.stderr


def _remote(tmp_path: Path) -> Path:
    git("init", "-q", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    clone = tmp_path / "a"
    git("clone", "-q", str(tmp_path / "remote.git"), str(clone), cwd=tmp_path)
    bd("init", "--prefix", "t", cwd=clone)
    git("add", "-A", cwd=clone)
    git("commit", "-qm", "init", cwd=clone)
    git("push", "-q", "-u", "origin", "HEAD", cwd=clone)
    return clone


def test_wisps_never_reach_git(tmp_path: Path) -> None:
    repo = _remote(tmp_path)
    _formula(repo, "mol-patrol", PATROL)
    keep = bd("create", "Persistent work", "--silent", cwd=repo).stdout.strip()
    wisp = bdj("mol", "wisp", "mol-patrol", cwd=repo)
    assert wisp["phase"] == "vapor" and wisp["new_epic_id"].startswith("t-wisp-")
    ids = set(wisp["id_mapping"].values())
    root = wisp["new_epic_id"]
    jsonl = (repo / ".beads" / "issues.jsonl").read_text()
    assert not any(i in jsonl for i in ids)
    wisp_file = (repo / ".beads" / "wisps.jsonl").read_text()
    assert all(i in wisp_file for i in ids)
    assert "wisps.jsonl" in (repo / ".beads" / ".gitignore").read_text().split()
    # work on the wisp: its steps are ready through --mol, not in the plain ready list
    steps = _ready_ids(repo, "--mol", root)
    assert len(steps) == 1 and keep not in steps and steps[0] not in _ready_ids(repo)
    bd("close", steps[0], "--continue", cwd=repo)
    listed = {w["id"] for w in bdj("mol", "wisp", "list", cwd=repo)}
    assert listed == ids - {steps[0]}  # the closed step is listed with --all only
    assert {w["id"] for w in bdj("mol", "wisp", "list", "--all", cwd=repo)} == ids
    bd("sync", "-m", "mid-wisp", cwd=repo)  # a sync while the wisp lives: nothing of it leaves
    squashed = bdj("mol", "squash", root, "--summary", "All clean", cwd=repo)
    assert squashed["squashed"] == 2 and len(squashed["deleted"]) == 2
    digest = squashed["digest_id"]
    recs = read_records(repo)
    digests = [r for r in recs if r["title"].startswith("Digest: ")]
    assert [r["id"] for r in digests] == [digest]
    assert digests[0]["status"] == "closed" and digests[0]["description"] == "All clean"
    assert not any(r.get("ephemeral") for r in recs)
    assert not any(r["id"] in ids - {root} for r in recs)
    assert not (repo / ".beads" / "wisps.jsonl").read_text().strip()
    export = bd("export", cwd=repo).stdout
    assert not any(i in export for i in ids - {root})
    bd("sync", "-m", "after squash", cwd=repo)
    # The remote: no wisp file and no wisp step in any commit.
    remote = tmp_path / "remote.git"
    files = git("log", "--all", "--name-only", "--format=", cwd=remote)
    assert "wisps.jsonl" not in files
    history = git("log", "--all", "-p", cwd=remote)
    assert not any(i in history for i in ids - {root})
    assert '"ephemeral":true' not in history
    assert digest in git("show", "HEAD:.beads/issues.jsonl", cwd=remote)
    status = git("status", "--porcelain", "--ignored", cwd=repo)
    assert "wisps.jsonl" not in status or "!! .beads/wisps.jsonl" in status


def test_wisp_cache_rebuild_and_burn(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "wisp", "create", "mol-patrol", cwd=repo)["new_epic_id"]
    (repo / ".beads" / "beads.db").unlink()  # the cache is rebuilt from both files
    assert bdj("show", root, cwd=repo)[0]["ephemeral"] is True
    listed = bdj("mol", "wisp", "list", cwd=repo)
    assert root in [w["id"] for w in listed]
    burned = bdj("mol", "burn", root, cwd=repo)
    assert burned["deleted_count"] == 3 and not burned.get("preview")
    assert not (repo / ".beads" / "wisps.jsonl").read_text().strip()
    assert bd("show", root, cwd=repo, check=False).returncode == 1
    bad = bd("mol", "wisp", "list", "--age", "2h", cwd=repo, check=False)
    assert bad.returncode == 2 and "--age" in bad.stderr


def test_doctor_flags_a_wisp_in_issues_jsonl(repo: Path) -> None:
    jsonl = repo / ".beads" / "issues.jsonl"
    line = json.dumps({"id": "t-wisp-abc", "title": "leaked", "status": "open",
                       "priority": 2, "issue_type": "task", "ephemeral": True,
                       "created_at": "2026-01-01T00:00:00Z",
                       "updated_at": "2026-01-01T00:00:00Z"}, separators=(",", ":"))
    jsonl.write_text(jsonl.read_text() + line + "\n")
    report = bdj("doctor", cwd=repo, check=False)
    check = next(c for c in report["checks"] if c["name"] == "wisps")
    assert check["status"] != "ok" and "t-wisp-abc" in check["message"]
    bdj("doctor", "--fix", cwd=repo, check=False)
    assert "t-wisp-abc" not in jsonl.read_text()
    assert "t-wisp-abc" in (repo / ".beads" / "wisps.jsonl").read_text()


# -- gates -----------------------------------------------------------------------------------

FAKE_GH = """#!/usr/bin/env python3
import json, os, sys
state = json.load(open(os.environ["FAKE_GH_STATE"]))
args = sys.argv[1:]
with open(os.environ["FAKE_GH_STATE"] + ".log", "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:2] == ["run", "view"]:
    run = state["runs"].get(args[2])
    if run is None:
        sys.stderr.write(f"could not find any workflow run with ID {args[2]}: not found\\n")
        sys.exit(1)
    fields = args[args.index("--json") + 1].split(",")
    print(json.dumps({k: run[k] for k in fields}))
elif args[:2] == ["pr", "view"]:
    pr = state["prs"].get(args[2])
    if pr is None:
        sys.stderr.write("GraphQL: Could not resolve to a PullRequest\\n")
        sys.exit(1)
    print(json.dumps(pr))
elif args[:2] == ["run", "list"]:
    print(json.dumps(state.get("list", [])))
else:
    sys.stderr.write("unknown command\\n")
    sys.exit(1)
"""


def _fake_gh(tmp_path: Path, state: dict[str, object]) -> dict[str, str]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    state_file = tmp_path / "gh-state.json"
    state_file.write_text(json.dumps(state))
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_GH_STATE": str(state_file)}


def test_gh_run_gate_resolves_when_the_run_succeeds(tmp_path: Path, repo: Path) -> None:
    step = bd("create", "Deploy", "--silent", cwd=repo).stdout.strip()
    gate = bdj("gate", "create", "--blocks", step, "--type", "gh:run", "--await-id", "4242",
               cwd=repo)
    assert gate["blocks"] == [step] and _ready_ids(repo) == []
    run = {"status": "in_progress", "conclusion": "", "name": "CI"}
    env = _fake_gh(tmp_path, {"runs": {"4242": run}, "prs": {}})
    pending = bdj("gate", "check", cwd=repo, env=env)
    assert (pending["checked"], pending["resolved"]) == (1, 0)
    assert pending["gates"][0]["outcome"] == "pending"
    assert _ready_ids(repo) == []
    env = _fake_gh(tmp_path, {"runs": {"4242": dict(run, status="completed",
                                                    conclusion="success")}, "prs": {}})
    done = bdj("gate", "check", "--type", "gh", cwd=repo, env=env)
    assert done["resolved"] == 1 and "succeeded" in done["gates"][0]["reason"]
    assert _ready_ids(repo) == [step]
    log = (tmp_path / "gh-state.json.log").read_text()
    assert "run view 4242 --json status,conclusion,name" in log


def test_gh_pr_gate_escalates_when_closed_unmerged(tmp_path: Path, repo: Path) -> None:
    step = bd("create", "Release", "--silent", cwd=repo).stdout.strip()
    bdj("gate", "create", "--blocks", step, "--type", "gh:pr", "--await-id", "17", cwd=repo)
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {"17": {"state": "CLOSED", "merged": False,
                                                          "title": "Fix"}}})
    out = bdj("gate", "check", cwd=repo, env=env)
    assert out["escalated"] == 1 and out["resolved"] == 0
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {"17": {"state": "MERGED", "merged": True,
                                                          "title": "Fix"}}})
    assert bdj("gate", "check", cwd=repo, env=env)["resolved"] == 1


def test_missing_gh_is_a_clear_error_not_a_crash(tmp_path: Path, repo: Path) -> None:
    step = bd("create", "Deploy", "--silent", cwd=repo).stdout.strip()
    bdj("gate", "create", "--blocks", step, "--type", "gh:run", "--await-id", "1", cwd=repo)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    git_dir = os.path.dirname(__import__("shutil").which("git") or "/usr/bin/git")
    env = {"PATH": f"{empty}{os.pathsep}{os.path.dirname(os.sys.executable)}{os.pathsep}"
                   f"{git_dir}"}
    proc = bd("gate", "check", cwd=repo, env=env, check=False)
    assert proc.returncode == 0 and "gh CLI not installed" in proc.stdout
    assert "1 errors" in proc.stdout


def test_gate_discover_fills_the_run_id(tmp_path: Path, repo: Path) -> None:
    step = bd("create", "Ship", "--silent", cwd=repo).stdout.strip()
    gate = bdj("gate", "create", "--blocks", step, "--type", "gh:run", "--await-id",
               "release", cwd=repo)["id"]
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {}, "list": [
        {"databaseId": 99, "name": "build", "headBranch": "main", "headSha": "abc",
         "createdAt": "2099-01-01T00:00:00Z", "status": "queued", "conclusion": ""},
        {"databaseId": 100, "name": "release", "headBranch": "main", "headSha": "abc",
         "createdAt": "2099-01-01T00:00:00Z", "status": "queued", "conclusion": ""}]})
    found = bdj("gate", "discover", cwd=repo, env=env)
    assert found["matched"] == 1 and found["gates"][0]["run_id"] == "100"
    assert bdj("gate", "show", gate, cwd=repo)["await_id"] == "100"


def test_timer_gate_resolves_once_due(repo: Path) -> None:
    step = bd("create", "Cool down", "--silent", cwd=repo).stdout.strip()
    gate = bdj("gate", "create", "--blocks", step, "--type", "timer", "--timeout", "1ms",
               cwd=repo)
    assert gate["timeout"] == "0s" or gate["await_type"] == "timer"
    out = bdj("gate", "check", "--type", "timer", cwd=repo)
    assert out["resolved"] == 1 and "timer expired" in out["gates"][0]["reason"]
    assert _ready_ids(repo) == [step]
    far = bd("create", "Later", "--silent", cwd=repo).stdout.strip()
    bdj("gate", "create", "--blocks", far, "--type", "timer", "--timeout", "2h", cwd=repo)
    later = bdj("gate", "check", cwd=repo)
    assert later["resolved"] == 0 and "expires in 1h59m" in later["gates"][0]["reason"]


def test_timer_gate_with_an_injected_clock(repo: Path) -> None:
    import bd as bdlib
    from bd.core import timeutil
    from bd.workflows import gates

    step = bd("create", "Wait a day", "--silent", cwd=repo).stdout.strip()
    gid = bdj("gate", "create", "--blocks", step, "--type", "timer", "--timeout", "1d",
              cwd=repo)["id"]
    store = bdlib.open(str(repo))
    try:
        created = timeutil.ts_key(store.get(gid)["created_at"])
        assert created is not None
        hour = 3600 * 10**9
        early = gates.check(store, now_ns=created + 23 * hour)
        assert early["resolved"] == 0 and early["gates"][0]["reason"] == "expires in 1h0m0s"
        assert store.get(gid)["status"] == "open"
        dry = gates.check(store, now_ns=created + 25 * hour, dry_run=True)
        assert dry["resolved"] == 1 and store.get(gid)["status"] == "open"
        due = gates.check(store, now_ns=created + 25 * hour)
        assert due["resolved"] == 1 and due["gates"][0]["reason"] == "timer expired 1h0m0s ago"
        assert store.get(gid)["status"] == "closed"
    finally:
        store.close()
    assert _ready_ids(repo) == [step]


def test_bead_gate_and_waiters(repo: Path) -> None:
    other = bd("create", "Upstream fix", "--silent", cwd=repo).stdout.strip()
    step = bd("create", "Use the fix", "--silent", cwd=repo).stdout.strip()
    gid = bdj("gate", "create", "--blocks", step, "--type", "bead", "--await-id",
              f"rig:{other}", cwd=repo)["id"]
    assert bdj("gate", "add-waiter", gid, "mayor/", cwd=repo)["added"]
    assert not bdj("gate", "add-waiter", gid, "mayor/", cwd=repo)["added"]
    assert bdj("gate", "show", gid, cwd=repo)["waiters"] == ["mayor/"]
    assert bdj("gate", "check", cwd=repo)["resolved"] == 0
    bd("close", other, cwd=repo)
    assert bdj("gate", "check", cwd=repo)["resolved"] == 1
    assert _ready_ids(repo) == [step]
    assert bdj("gate", "list", cwd=repo) == []
    assert [g["id"] for g in bdj("gate", "list", "--all", cwd=repo)] == [gid]


def test_mol_ready_gated_lists_molecules_to_resume(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    poured = bdj("mol", "pour", "mol-bugfix", "--var", "component=db", cwd=repo)
    m = poured["id_mapping"]
    for s in ("repro", "fix"):
        bd("close", m[f"mol-bugfix.{s}"], cwd=repo)
    assert bdj("mol", "ready", "--gated", cwd=repo) == []
    bd("gate", "resolve", m["mol-bugfix.gate-verify"], cwd=repo)
    rows = bdj("mol", "ready", "--gated", cwd=repo)
    assert rows == [{"molecule_id": poured["new_epic_id"], "molecule_title": "mol-bugfix",
                     "ready_step": m["mol-bugfix.verify"],
                     "gate_id": m["mol-bugfix.gate-verify"]}]


def test_bond_proto_onto_molecule_with_ref(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "pour", "mol-bugfix", "--var", "component=ui", cwd=repo)["new_epic_id"]
    bonded = bdj("mol", "bond", "mol-patrol", root, "--type", "parallel", "--ref", "arm-ace",
                 cwd=repo)
    assert bonded["result_type"] == "compound_molecule" and bonded["spawned"] == 3
    assert bonded["spawned_root"] == f"{root}.arm-ace"
    assert f"{root}.arm-ace.scan" in bonded["id_mapping"].values()
    kids = bdj("mol", "show", root, cwd=repo)["steps"]
    assert f"{root}.arm-ace.report" in [s["id"] for s in kids]
    other = bdj("mol", "pour", "mol-patrol", cwd=repo)["new_epic_id"]
    mm = bdj("mol", "bond", root, other, cwd=repo)
    assert mm["result_type"] == "compound_molecule"
    deps = [d for d in bdj("show", other, cwd=repo)[0]["dependencies"]]
    assert any(d["id"] == root and d["dependency_type"] == "blocks" for d in deps)


def test_cook_persist_then_pour_the_proto(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    cooked = bdj("cook", "mol-bugfix", "--persist", cwd=repo)
    assert cooked["proto_id"] == "mol-bugfix" and cooked["created"] == 5
    again = bd("cook", "mol-bugfix", "--persist", cwd=repo, check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert bdj("cook", "mol-bugfix", "--persist", "--force", cwd=repo)["created"] == 5
    (repo / ".beads" / "formulas" / "mol-bugfix.formula.toml").unlink()
    poured = bdj("mol", "pour", "mol-bugfix", "--var", "component=x", "--var", "env=prod",
                 cwd=repo)
    titles = sorted(r["title"] for r in read_records(repo) if r["id"] in
                    poured["id_mapping"].values())
    assert "Verify on prod" in titles and "Fix x" in titles
    assert _ready_ids(repo) == [poured["id_mapping"]["mol-bugfix.repro"]]


def test_distill_round_trip(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    root = bdj("mol", "pour", "mol-bugfix", "--var", "component=auth", cwd=repo)["new_epic_id"]
    out = bdj("mol", "distill", root, "mol-again", "--var", "component=auth", cwd=repo)
    assert out["variables"] == ["component"] and out["steps"] == 3
    data = json.loads(Path(out["path"]).read_text())
    assert data["steps"][0]["title"] == "Reproduce the {{component}} bug"
    assert data["steps"][2]["gate"] == {"type": "human"}
    again = bdj("mol", "pour", "mol-again", "--var", "component=cache", cwd=repo)
    assert again["created"] == 5


def test_formula_convert_and_list(tmp_path: Path, repo: Path) -> None:
    d = repo / ".beads" / "formulas"
    d.mkdir(parents=True)
    (d / "exp-review.formula.json").write_text(json.dumps({
        "formula": "exp-review", "type": "expansion", "description": "Review a step",
        "template": [{"id": "{target}-review", "title": "Review {target.title}"}]}))
    rows = bdj("formula", "list", cwd=repo)
    assert [(r["name"], r["type"]) for r in rows] == [("exp-review", "expansion")]
    shown = bd("formula", "convert", "exp-review", "--stdout", cwd=repo).stdout
    assert 'formula = "exp-review"' in shown and not (d / "exp-review.formula.toml").exists()
    conv = bdj("formula", "convert", "--all", "--delete", cwd=repo)
    assert conv[0]["deleted"] and (d / "exp-review.formula.toml").exists()
    assert not (d / "exp-review.formula.json").exists()
    assert bdj("formula", "show", "exp-review", cwd=repo)["formula"]["template"][0]["id"] == \
        "{target}-review"
    bad = repo / ".beads" / "formulas" / "broken.formula.toml"
    bad.write_text("formula = \n")
    err = bd("cook", "broken", cwd=repo, check=False)
    assert err.returncode == 1 and "broken.formula.toml" in err.stderr


def test_formulas_found_in_home_and_gt_root(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    home = Path(os.environ["HOME"])
    _formula(home, "mol-home", PATROL.replace("mol-patrol", "mol-home"))
    gt = tmp_path / "gt"
    _formula(gt, "mol-gt", PATROL.replace("mol-patrol", "mol-gt"))
    names = [r["name"] for r in bdj("formula", "list", cwd=repo, env={"GT_ROOT": str(gt)})]
    assert names == ["mol-gt", "mol-home"]
