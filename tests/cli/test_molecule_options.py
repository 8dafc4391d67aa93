"""Each option of the workflow commands (formula, cook, mol, gate) has the effect it says."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from conftest import bd, bdj, read_records
from test_molecules import BUGFIX, PATROL, _fake_gh, _formula


def _recs(root: Path) -> dict[str, dict]:
    out = {r["id"]: r for r in read_records(root)}
    wisps = root / ".beads" / "wisps.jsonl"
    if wisps.exists():
        out.update({json.loads(x)["id"]: json.loads(x) for x in wisps.read_text().splitlines()
                    if x.strip()})
    return out


def test_cook_mode_prefix_and_search_path(tmp_path: Path, repo: Path) -> None:
    elsewhere = tmp_path / "shared-formulas"
    elsewhere.mkdir()
    (elsewhere / "mol-bugfix.formula.toml").write_text(BUGFIX)
    assert bd("cook", "mol-bugfix", cwd=repo, check=False).returncode == 1  # not on the path
    compiled = bdj("cook", "mol-bugfix", "--mode", "compile", "--search-path", str(elsewhere),
                   cwd=repo)
    assert compiled["steps"][0]["title"] == "Reproduce the {{component}} bug"
    runtime = bdj("cook", "mol-bugfix", "--mode", "runtime", "--var", "component=db",
                  "--search-path", str(elsewhere), cwd=repo)
    assert runtime["steps"][0]["title"] == "Reproduce the db bug"
    missing = bd("cook", "mol-bugfix", "--mode", "runtime", "--search-path", str(elsewhere),
                 cwd=repo, check=False)
    assert missing.returncode == 2 and "component" in missing.stderr
    bad = bd("cook", "mol-bugfix", "--mode", "fast", cwd=repo, check=False)
    assert bad.returncode == 2
    persisted = bdj("cook", "mol-bugfix", "--persist", "--prefix", "tpl-", "--search-path",
                    str(elsewhere), cwd=repo)
    assert persisted["proto_id"] == "tpl-mol-bugfix"
    assert _recs(repo)["tpl-mol-bugfix.repro"]["is_template"] is True
    assert bd("cook", "mol-bugfix", "--prefix", "x-", cwd=repo, check=False).returncode == 2


def test_formula_commands_take_a_search_path(tmp_path: Path, repo: Path) -> None:
    elsewhere = tmp_path / "more"
    elsewhere.mkdir()
    (elsewhere / "mol-patrol.formula.json").write_text(json.dumps(
        {"formula": "mol-patrol", "steps": [{"id": "a", "title": "A"}]}))
    assert bdj("formula", "list", cwd=repo) == []
    listed = bdj("formula", "list", "--search-path", str(elsewhere), cwd=repo)
    assert [r["name"] for r in listed] == ["mol-patrol"]
    shown = bdj("formula", "show", "mol-patrol", "--search-path", str(elsewhere), cwd=repo)
    assert shown["source"].endswith("mol-patrol.formula.json")
    conv = bdj("formula", "convert", "mol-patrol", "--search-path", str(elsewhere), cwd=repo)
    assert conv[0]["target"] == str(elsewhere / "mol-patrol.formula.toml")
    assert (elsewhere / "mol-patrol.formula.toml").exists()


def _fake_gt(tmp_path: Path, env: dict[str, str]) -> Path:
    bin_dir = Path(env["PATH"].split(os.pathsep)[0])
    log = tmp_path / "gt.log"
    gt = bin_dir / "gt"
    gt.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    gt.chmod(gt.stat().st_mode | stat.S_IEXEC)
    return log


def test_gate_check_dry_run_limit_escalate(tmp_path: Path, repo: Path) -> None:
    a = bd("create", "A", "--silent", cwd=repo).stdout.strip()
    b = bd("create", "B", "--silent", cwd=repo).stdout.strip()
    g1 = bdj("gate", "create", "--blocks", a, "--type", "gh:pr", "--await-id", "5",
             "--reason", "wait for the PR", cwd=repo)
    assert bdj("gate", "show", g1["id"], cwd=repo)["description"] == "wait for the PR"
    bdj("gate", "create", "--blocks", b, "--type", "timer", "--timeout", "1ms", cwd=repo)
    assert len(bdj("gate", "list", "--limit", "1", cwd=repo)) == 1
    assert len(bdj("gate", "list", "--limit", "0", cwd=repo)) == 2
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {"5": {"state": "CLOSED", "merged": False,
                                                         "title": "Nope"}}})
    log = _fake_gt(tmp_path, env)
    one = bdj("gate", "check", "--limit", "1", cwd=repo, env=env)
    assert one["checked"] == 1
    dry = bdj("gate", "check", "--dry-run", cwd=repo, env=env)
    assert dry["resolved"] == 1 and dry["escalated"] == 1 and dry["dry_run"]
    assert len(bdj("gate", "list", cwd=repo)) == 2  # nothing closed
    assert not log.exists()
    esc = bdj("gate", "check", "--escalate", cwd=repo, env=env)
    assert esc["resolved"] == 1 and esc["escalated"] == 1
    assert f"Gate escalation: {g1['id']}" in log.read_text()
    assert [g["id"] for g in bdj("gate", "list", cwd=repo)] == [g1["id"]]


def test_gate_discover_branch_commit_limit_dry_run(tmp_path: Path, repo: Path) -> None:
    step = bd("create", "Ship", "--silent", cwd=repo).stdout.strip()
    gate = bdj("gate", "create", "--blocks", step, "--type", "gh:run", "--await-id", "ci",
               cwd=repo)["id"]
    runs = [{"databaseId": 7, "name": "ci", "headBranch": "dev", "headSha": "aaa111",
             "createdAt": "2099-01-01T00:00:00Z", "status": "queued", "conclusion": ""},
            {"databaseId": 8, "name": "ci", "headBranch": "dev", "headSha": "bbb222",
             "createdAt": "2099-01-01T00:00:00Z", "status": "queued", "conclusion": ""}]
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {}, "list": runs})
    dry = bdj("gate", "discover", "--dry-run", "--commit", "bbb", "--branch", "dev",
              "--limit", "5", cwd=repo, env=env)
    assert dry["gates"][0]["run_id"] == "8"
    assert bdj("gate", "show", gate, cwd=repo)["await_id"] == "ci"  # dry run: unchanged
    log = (tmp_path / "gh-state.json.log").read_text()
    assert "--branch dev" in log and "--limit 5" in log
    bdj("gate", "discover", "--commit", "aaa", cwd=repo, env=env)
    assert bdj("gate", "show", gate, cwd=repo)["await_id"] == "7"


def test_pour_and_wisp_assignee_and_attach(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    _formula(repo, "mol-patrol", PATROL)
    poured = bdj("mol", "pour", "mol-bugfix", "--var", "component=x", "--assignee", "ann",
                 "--attach", "mol-patrol", "--attach-type", "parallel", cwd=repo)
    root = poured["new_epic_id"]
    assert poured["attached"] == 1 and poured["created"] == 8
    recs = _recs(repo)
    assert recs[root]["assignee"] == "ann"
    attached = [r for r in recs.values() if r["title"] == "mol-patrol"]
    assert attached[0]["dependencies"][-1]["depends_on_id"] == root
    assert attached[0]["dependencies"][-1]["type"] == "parent-child"
    assert bd("mol", "pour", "mol-bugfix", "--var", "component=x", "--attach", "mol-patrol",
              "--attach-type", "sideways", cwd=repo, check=False).returncode == 1
    wisp = bdj("mol", "wisp", "mol-patrol", "--assignee", "bob", "--attach", "mol-bugfix",
               "--var", "component=y", "--attach-type", "sequential", cwd=repo)
    recs = _recs(repo)
    wroot = recs[wisp["new_epic_id"]]
    assert wroot["assignee"] == "bob" and wroot["ephemeral"] is True
    bug = next(r for r in recs.values() if r["title"] == "mol-bugfix" and r.get("ephemeral"))
    assert {"issue_id": bug["id"], "depends_on_id": wroot["id"], "type": "blocks"}.items() <= \
        bug["dependencies"][-1].items()


def test_wisp_list_type_and_gc_closed_force(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "wisp", "mol-patrol", cwd=repo)["new_epic_id"]
    assert [w["id"] for w in bdj("mol", "wisp", "list", "--type", "molecule", cwd=repo)] == \
        [root]
    steps = [s["id"] for s in bdj("mol", "show", root, cwd=repo)["steps"]]
    bd("close", *steps, cwd=repo)  # the root auto-closes too
    preview = bdj("mol", "wisp", "gc", "--closed", cwd=repo)
    assert preview["preview"] and preview["count"] == 3
    assert len(bdj("mol", "wisp", "list", "--all", cwd=repo)) == 3
    done = bdj("mol", "wisp", "gc", "--closed", "--force", cwd=repo)
    assert not done["preview"] and bdj("mol", "wisp", "list", "--all", cwd=repo) == []


def test_bond_as_dry_run_pour_ephemeral_var(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    _formula(repo, "mol-patrol", PATROL)
    bdj("cook", "mol-bugfix", "--persist", cwd=repo)
    bdj("cook", "mol-patrol", "--persist", cwd=repo)
    before = len(_recs(repo))
    dry = bdj("mol", "bond", "mol-bugfix", "mol-patrol", "--dry-run", cwd=repo)
    assert dry["result_type"] == "compound_proto" and len(_recs(repo)) == before
    compound = bdj("mol", "bond", "mol-bugfix", "mol-patrol", "--as", "Fix then patrol",
                   cwd=repo)
    assert _recs(repo)[compound["result_id"]]["title"] == "Fix then patrol"
    mol = bdj("mol", "pour", "mol-patrol", cwd=repo)["new_epic_id"]
    eph = bdj("mol", "bond", "mol-bugfix", mol, "--ephemeral", "--var", "component=cache",
              cwd=repo)
    spawned = _recs(repo)[eph["spawned_root"]]
    assert spawned["ephemeral"] is True and eph["spawned_root"].startswith("t-wisp-")
    titles = {_recs(repo)[i]["title"] for i in eph["id_mapping"].values()}
    assert "Fix cache" in titles
    wisp = bdj("mol", "wisp", "mol-patrol", cwd=repo)["new_epic_id"]
    solid = bdj("mol", "bond", "mol-bugfix", wisp, "--pour", "--var", "component=q",
                cwd=repo)
    assert "ephemeral" not in _recs(repo)[solid["spawned_root"]]
    both = bd("mol", "bond", "mol-bugfix", wisp, "--pour", "--ephemeral", cwd=repo,
              check=False)
    assert both.returncode == 1 and "both" in both.stderr


def test_squash_dry_run_and_keep_children(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "wisp", "mol-patrol", cwd=repo)["new_epic_id"]
    dry = bdj("mol", "squash", root, "--dry-run", cwd=repo)
    assert dry["squashed"] == 2 and dry["digest_id"] == "" and len(_recs(repo)) == 3
    kept = bdj("mol", "squash", root, "--keep-children", cwd=repo)
    assert kept["deleted"] == [] and kept["kept_children"]
    recs = _recs(repo)
    assert kept["digest_id"] in recs and len(recs) == 4  # root, 2 steps, digest
    assert "Scan the logs" in recs[kept["digest_id"]]["description"]


def test_burn_dry_run_and_force(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "pour", "mol-patrol", cwd=repo)["new_epic_id"]
    dry = bdj("mol", "burn", root, "--dry-run", cwd=repo)
    assert dry["preview"] and dry["deleted_count"] == 3
    assert _recs(repo)[root]["status"] == "open"
    burned = bdj("mol", "burn", root, "--force", cwd=repo)
    assert not burned.get("preview")
    assert _recs(repo)[root]["status"] == "tombstone"


def test_current_limit_and_range(repo: Path) -> None:
    steps = "".join(f'\n[[steps]]\nid = "s{i}"\ntitle = "Step {i}"\n' for i in range(5))
    _formula(repo, "mol-five", 'formula = "mol-five"\n' + steps)
    root = bdj("mol", "pour", "mol-five", cwd=repo)["new_epic_id"]
    limited = bdj("mol", "current", root, "--limit", "2", cwd=repo)[0]["steps"]
    assert [s["title"] for s in limited] == ["Step 0", "Step 1"]
    ranged = bdj("mol", "current", root, "--range", "2-3", cwd=repo)[0]["steps"]
    assert [s["title"] for s in ranged] == ["Step 1", "Step 2"]
    assert bd("mol", "current", root, "--range", "x", cwd=repo, check=False).returncode == 1


def test_distill_output_directory(tmp_path: Path, repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    root = bdj("mol", "pour", "mol-patrol", cwd=repo)["new_epic_id"]
    out = tmp_path / "out"
    result = bdj("mol", "distill", root, "mol-copy", "--output", str(out), cwd=repo)
    assert result["path"] == str(out / "mol-copy.formula.json")
    assert json.loads((out / "mol-copy.formula.json").read_text())["steps"][1]["needs"] == \
        ["scan-the-logs"]


def test_stale_all_blocking_unassigned(repo: Path) -> None:
    _formula(repo, "mol-patrol", PATROL)
    a = bdj("mol", "pour", "mol-patrol", "--assignee", "ann", cwd=repo)
    b = bdj("mol", "pour", "mol-patrol", cwd=repo)
    for m in (a, b):
        for step in m["id_mapping"].values():
            if step != m["new_epic_id"]:
                bd("update", step, "--status", "closed", cwd=repo)
    empty = bd("create", "Empty molecule", "-t", "molecule", "--silent", cwd=repo).stdout.strip()
    waiting = bd("create", "Needs b", "--silent", cwd=repo).stdout.strip()
    bd("dep", "add", waiting, b["new_epic_id"], cwd=repo)
    ids = {r["id"] for r in bdj("mol", "stale", cwd=repo)}
    assert ids == {a["new_epic_id"], b["new_epic_id"]}
    assert {r["id"] for r in bdj("mol", "stale", "--all", cwd=repo)} == ids | {empty}
    assert [r["id"] for r in bdj("mol", "stale", "--blocking", cwd=repo)] == [b["new_epic_id"]]
    assert [r["id"] for r in bdj("mol", "stale", "--unassigned", cwd=repo)] == \
        [b["new_epic_id"]]


def test_template_commands_are_deprecated_aliases(repo: Path) -> None:
    _formula(repo, "mol-bugfix", BUGFIX)
    bdj("cook", "mol-bugfix", "--persist", cwd=repo)
    listed = bd("template", "list", "--json", cwd=repo)
    assert "deprecated" in listed.stderr
    assert json.loads(listed.stdout) == [{"id": "mol-bugfix", "title": "mol-bugfix",
                                          "steps": 4}]
    shown = bdj("template", "show", "mol-bugfix", cwd=repo)
    assert shown["root"]["id"] == "mol-bugfix" and len(shown["steps"]) == 4
    made = bdj("template", "instantiate", "mol-bugfix", "--var", "component=api",
               "--assignee", "ann", cwd=repo)
    recs = _recs(repo)
    assert recs[made["new_epic_id"]]["assignee"] == "ann"
    assert recs[made["id_mapping"]["mol-bugfix.fix"]]["title"] == "Fix api"


def test_gate_discover_max_age(tmp_path: Path, repo: Path) -> None:
    from datetime import UTC, datetime, timedelta

    step = bd("create", "Ship", "--silent", cwd=repo).stdout.strip()
    gate = bdj("gate", "create", "--blocks", step, "--type", "gh:run", "--await-id", "ci",
               cwd=repo)["id"]
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    env = _fake_gh(tmp_path, {"runs": {}, "prs": {}, "list": [
        {"databaseId": 11, "name": "ci", "headBranch": "main", "headSha": "abc",
         "createdAt": two_hours_ago, "status": "completed", "conclusion": "success"}]})
    assert bdj("gate", "discover", cwd=repo, env=env)["matched"] == 0  # older than 30m
    assert bdj("gate", "discover", "--max-age", "1h", cwd=repo, env=env)["matched"] == 0
    found = bdj("gate", "discover", "--max-age", "3h", cwd=repo, env=env)
    assert found["matched"] == 1 and bdj("gate", "show", gate, cwd=repo)["await_id"] == "11"
