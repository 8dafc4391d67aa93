"""Across clones nothing is silent (real git: a bare remote and two or three clones, driven
through the CLI): sync and resolve-conflicts report every field both sides changed with the
value kept and the value dropped, claims that did not survive, and renumberings, to the
clone they concern whichever clone ran the merge; ``update --claim --sync`` claims through
the remote (exactly one winner of a race); reopen reasons travel as comments."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import bd, bdj, create, git, jsonl_path, read_records, record
from test_sync import setup_remote


def claim_proc(path: Path, rid: str, actor: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bd", "update", rid, "--claim", "--sync",
                             "--actor", actor], cwd=path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# -- reports ---------------------------------------------------------------------------------

def test_sync_reports_each_field_both_sides_changed_with_kept_and_dropped(
        tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "shared", "-p", "2")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", x, "-p", "3", "--title", "title from a", cwd=a)  # a deliberately lowers it
    bd("sync", cwd=a)
    time.sleep(0.01)
    bd("update", x, "-p", "1", "--title", "title from b", cwd=b)
    out = bdj("sync", cwd=b)
    rows = {c["field"]: c for c in out["conflicts"]}
    assert rows["priority"] == {"issue": x, "field": "priority", "kept": 1, "dropped": 3,
                                "dropped_from": "remote",
                                "rule": "kept the more urgent priority"}
    assert rows["title"]["kept"] == "title from b"
    assert rows["title"]["dropped"] == "title from a"
    assert rows["title"]["dropped_from"] == "remote"
    assert ".merge_file" not in json.dumps(out)
    # the clone whose value was dropped sees the result at its next sync (a fast-forward)
    text = bd("sync", cwd=a).stdout
    assert record(a, x)["priority"] == 1
    # and the human report of the merging clone names both values
    bd("update", x, "-p", "4", cwd=a)
    bd("sync", cwd=a)
    bd("update", x, "-p", "0", cwd=b)
    text = bd("sync", cwd=b).stdout
    assert f"{x} priority: kept 0, dropped 4 (theirs)" in text, text


def test_a_lost_claim_is_reported_to_the_clone_that_lost_it_whoever_merged(
        tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "wanted")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", x, "--claim", "--actor", "alice", cwd=a)  # plain claims: local only
    bd("sync", cwd=a)
    time.sleep(0.01)
    bd("update", x, "--claim", "--actor", "bob", cwd=b)
    merged = bdj("sync", "--actor", "bob", cwd=b)  # b merges: the later claim (bob) stands
    assert merged["lost_claims"] == []
    assert [c["field"] for c in merged["conflicts"]] == ["assignee"]
    out = bdj("sync", "--actor", "alice", cwd=a)  # a only fast-forwards, and is told
    assert out["lost_claims"] == [{"issue": x, "actor": "alice", "holder": "bob"}]
    assert record(a, x)["assignee"] == "bob"
    # told once: the next sync has nothing new to say
    assert bdj("sync", cwd=a)["lost_claims"] == []


def test_a_claim_lost_in_this_clones_own_merge_is_reported_too(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "wanted")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", x, "--claim", "--actor", "alice", cwd=a)
    time.sleep(0.01)
    bd("update", x, "--claim", "--actor", "bob", cwd=b)
    bd("sync", cwd=b)  # bob's later claim reaches the remote first
    text = bd("sync", "--actor", "alice", cwd=a).stdout  # a merges and loses
    assert f"Lost claim: {x} is no longer held by alice; holder: bob" in text


def test_renumbering_travels_to_the_clone_whose_issue_moved(tmp_path: Path) -> None:
    c, d = setup_remote(tmp_path, "c", "d")
    parent = create(c, "epic", "-t", "epic")
    bd("sync", cwd=c)
    bd("sync", cwd=d)
    early = create(d, "child made first, on d", "--parent", parent)
    time.sleep(0.01)
    late = create(c, "child made later, on c", "--parent", parent)
    assert early == late == f"{parent}.1"
    bd("sync", cwd=c)  # c's child reaches the remote first
    bd("comment", late, "c worked on it", cwd=c)
    merged = bdj("sync", cwd=d)  # d merges: c's later child moves to .2
    assert merged["renumbered"] == [{"from": f"{parent}.1", "to": f"{parent}.2",
                                     "title": "child made later, on c", "yours": False}]
    # c edited its child meanwhile (under the old id), then syncs: it is told, and the edit
    # lands on its own issue, not on d's issue now at .1
    bd("update", f"{parent}.1", "--title", "c renamed its child", cwd=c)
    out = bdj("sync", cwd=c)
    assert out["renumbered"] == [{"from": f"{parent}.1", "to": f"{parent}.2",
                                  "title": "c renamed its child", "yours": True}]
    text = json.dumps(out)
    assert ".merge_file" not in text
    bd("sync", cwd=d)
    for clone in (c, d):
        titles = {r["id"]: r["title"] for r in read_records(clone)}
        assert titles[f"{parent}.1"] == "child made first, on d"
        assert titles[f"{parent}.2"] == "c renamed its child"
    assert jsonl_path(c).read_bytes() == jsonl_path(d).read_bytes()
    assert record(c, f"{parent}.2")["renumbered_from"] == [f"{parent}.1"]
    # shared history keeps the two issues apart: .2's includes c's work done under .1
    hist = bdj("history", f"{parent}.2", cwd=d)
    created = [e for e in hist["entries"] if e["kind"] == "created"]
    assert [(e["id"], _field(e, "title")) for e in created] == [
        (f"{parent}.1", "child made later, on c")]
    assert any(e["id"] == f"{parent}.1" and _field(e, "title") == "c renamed its child"
               for e in hist["entries"]), hist
    other = bdj("history", f"{parent}.1", cwd=c)
    assert [_field(e, "title") for e in other["entries"] if e["kind"] == "created"] == [
        "child made first, on d"]
    assert all(_field(e, "title") != "c renamed its child" for e in other["entries"])
    # c's own log moved with the issue: its events of the old id now belong to .2
    events = [json.loads(x) for x in (c / ".beads" / "events.jsonl").read_text().splitlines()]
    assert {e["issue_id"] for e in events if e["event_type"] == "commented"} == {
        f"{parent}.2"}
    assert any(e["event_type"] == "renumbered" and e["issue_id"] == f"{parent}.2"
               for e in events)


def test_history_merges_every_clones_commits_with_local_uncommitted_changes(
        tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "shared", "-p", "2")
    time.sleep(1.1)  # commits fall in a later second than the events they carry (see below)
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    git("config", "user.name", "Bea", cwd=b)
    bd("update", x, "-p", "1", cwd=b)
    bd("sync", cwd=b)
    bd("sync", cwd=a)
    bd("update", x, "--title", "not committed yet", cwd=a)
    h = bdj("history", x, cwd=a)
    kinds = [(e["kind"], e["author"]) for e in h["entries"]]
    assert kinds == [("created", "tester"), ("changed", "Bea")], kinds
    assert h["entries"][1]["changes"] == [{"field": "priority", "old": 2, "new": 1}]
    assert [e["event_type"] for e in h["local"]] == ["updated"]
    text = bd("history", x, cwd=a).stdout
    assert "priority 2 -> 1" in text and "Not committed yet (1, this clone)" in text
    last = bdj("history", x, "--limit", "1", cwd=a)
    assert [e["author"] for e in last["entries"]] == ["Bea"]
    # cached: the second call reads no commit again, and sees a new one
    assert (a / ".beads" / "history.db").exists()
    # git stores commit times in whole seconds, and an event in the same second as the commit
    # that carries it counts as not yet committed: let the sync's commit fall a second later.
    time.sleep(1.1)
    bd("sync", cwd=a)
    h = bdj("history", x, cwd=a)
    assert [e["kind"] for e in h["entries"]] == ["created", "changed", "changed"]
    assert h["local"] == []
    assert "Local history" in bd("show", x, cwd=a).stdout


def _field(entry: dict[str, object], name: str) -> object:
    for change in entry["changes"]:  # type: ignore[attr-defined]
        if change["field"] == name:
            return change["new"]
    return None


def test_a_clone_that_minted_a_second_child_meanwhile_keeps_both(tmp_path: Path) -> None:
    c, d = setup_remote(tmp_path, "c", "d")
    parent = create(c, "epic", "-t", "epic")
    bd("sync", cwd=c)
    bd("sync", cwd=d)
    create(d, "d first", "--parent", parent)
    time.sleep(0.01)
    create(c, "c first", "--parent", parent)
    bd("sync", cwd=c)
    bd("sync", cwd=d)  # c first -> .2 on the remote
    second = create(c, "c second", "--parent", parent)  # c still thinks .1 is its own
    assert second == f"{parent}.2"
    out = bdj("sync", cwd=c)
    moved = {(r["from"], r["to"]) for r in out["renumbered"]}
    assert moved == {(f"{parent}.1", f"{parent}.2"), (f"{parent}.2", f"{parent}.3")}
    bd("sync", cwd=d)
    titles = sorted(r["title"] for r in read_records(d) if r["id"].startswith(parent + "."))
    assert titles == ["c first", "c second", "d first"]
    assert jsonl_path(c).read_bytes() == jsonl_path(d).read_bytes()


def test_a_git_pull_run_by_hand_tells_the_same_through_the_hook(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "wanted")
    parent = create(a, "epic", "-t", "epic")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", x, "--claim", "--actor", "alice", cwd=a)
    child = create(b, "b's child, first", "--parent", parent)
    time.sleep(0.01)
    mine = create(a, "a's child, later", "--parent", parent)
    assert child == mine
    bd("sync", cwd=a)
    time.sleep(0.01)
    bd("update", x, "--claim", "--actor", "bob", cwd=b)
    bd("sync", cwd=b)  # b merges: bob's later claim stands, a's later child moves to .2
    proc = subprocess.run(["git", "pull", "--no-rebase", "--no-edit", "-q", "origin", "main"],
                          cwd=a, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert f"bd: lost claim: {x} is no longer held by alice; holder: bob" in proc.stderr
    assert f"bd: renumbered: {mine} is now {parent}.2" in proc.stderr
    events = [json.loads(x) for x in (a / ".beads" / "events.jsonl").read_text().splitlines()]
    assert {e["issue_id"] for e in events if e["event_type"] == "created"
            and "child" in (e.get("new_value") or "")} == {f"{parent}.2"}


def test_resolve_conflicts_reports_like_sync(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "shared", "-p", "2")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    # git's own text merge for the JSONL in b (as in a clone without bd's driver): markers
    (b / ".git" / "info").mkdir(exist_ok=True)
    (b / ".git" / "info" / "attributes").write_text(".beads/issues.jsonl merge=text\n")
    bd("update", x, "-p", "3", "--claim", "--actor", "alice", cwd=a)
    bd("sync", cwd=a)
    time.sleep(0.01)
    bd("update", x, "-p", "1", "--claim", "--actor", "bob", cwd=b)
    git("commit", "-qam", "b", cwd=b)
    proc = subprocess.run(["git", "pull", "-q", "--no-rebase", "origin", "main"], cwd=b,
                          capture_output=True, text=True)
    assert "<<<<<<<" in jsonl_path(b).read_text(), proc.stderr
    out = bdj("resolve-conflicts", cwd=b)
    rows = {r["field"]: r for r in out["conflicts"]}
    assert rows["priority"]["kept"] == 1 and rows["priority"]["dropped"] == 3
    assert rows["priority"]["dropped_from"] == "remote"
    assert rows["assignee"]["kept"] == "bob" and rows["assignee"]["dropped"] == "alice"
    assert out["lost_claims"] == []  # bob (this clone) kept it


# -- claims through the remote ---------------------------------------------------------------

def test_claim_sync_race_has_exactly_one_winner_20_times(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    ids = [create(a, f"job {n}") for n in range(20)]
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    for rid in ids:
        procs = {"alice": claim_proc(a, rid, "alice"), "bob": claim_proc(b, rid, "bob")}
        results = {who: (p.wait(timeout=120), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
                   for who, p in procs.items()}
        winners = [who for who, (rc, _, _) in results.items() if rc == 0]
        assert len(winners) == 1, (rid, results)
        (loser,) = set(results) - set(winners)
        rc, _, err = results[loser]
        assert rc == 1 and f"already claimed by {winners[0]}" in err, results
        # the loser's clone pulled the tip that names the holder
        assert record({"alice": a, "bob": b}[loser], rid)["assignee"] == winners[0]
        remote = git("show", "main:.beads/issues.jsonl", cwd=tmp_path / "remote.git")
        held = {json.loads(x)["id"]: json.loads(x) for x in remote.splitlines()}[rid]
        assert held["assignee"] == winners[0] and held["status"] == "in_progress"
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    assert jsonl_path(a).read_bytes() == jsonl_path(b).read_bytes()
    assert git("status", "--porcelain", "--untracked-files=no", cwd=a) == ""


def test_claim_sync_refuses_an_issue_another_clone_holds_and_names_the_holder(
        tmp_path: Path) -> None:
    a, b, c = setup_remote(tmp_path, "a", "b", "c")
    x = create(a, "job")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("sync", cwd=c)
    ok = bd("update", x, "--claim", "--sync", "--actor", "alice", cwd=a)
    assert "Claimed" in ok.stdout
    # b has not synced: its own copy says unassigned, but the remote decides
    assert record(b, x).get("assignee", "") == ""
    res = bd("update", x, "--claim", "--sync", "--actor", "bob", cwd=b, check=False)
    assert res.returncode == 1 and "already claimed by alice" in res.stderr
    assert record(b, x)["assignee"] == "alice"  # b now knows
    # a plain claim stays local and fast; it fails against what this clone knows
    res = bd("update", x, "--claim", "--actor", "carol", cwd=b, check=False)
    assert res.returncode == 1
    # the winner's json answer is the claimed issue
    y = create(c, "another")
    bd("sync", cwd=c)
    rows = bdj("update", y, "--claim", "--sync", "--actor", "carol", cwd=c)
    assert rows[0]["assignee"] == "carol" and rows[0]["status"] == "in_progress"


def test_claim_sync_in_sync_branch_mode_leaves_the_users_branch_alone(
        tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a", branch_mode=True)
    x = create(a, "job on the sync branch")
    bd("sync", cwd=a)  # the sync branch is on the remote before b starts
    b = tmp_path / "b"
    git("clone", "-q", str(tmp_path / "remote.git"), str(b), cwd=tmp_path)
    bd("init", "--prefix", "t", cwd=b)
    bd("sync", cwd=b)
    head_a = git("rev-parse", "HEAD", cwd=a)
    procs = {"alice": claim_proc(a, x, "alice"), "bob": claim_proc(b, x, "bob")}
    rcs = {who: p.wait(timeout=120) for who, p in procs.items()}
    assert sorted(rcs.values()) == [0, 1], rcs
    winner = next(who for who, rc in rcs.items() if rc == 0)
    held = [json.loads(x) for x in git("show", "beads-sync:.beads/issues.jsonl",
                                       cwd=tmp_path / "remote.git").splitlines()]
    assert [r["assignee"] for r in held if r["id"] == x] == [winner]
    assert git("rev-parse", "HEAD", cwd=a) == head_a  # main untouched
    assert git("status", "--porcelain", cwd=a) == ""


def test_claim_sync_needs_a_remote(tmp_path: Path) -> None:
    git("init", "-q", str(tmp_path / "solo"), cwd=tmp_path)
    solo = tmp_path / "solo"
    bd("init", "--prefix", "t", cwd=solo)
    x = create(solo, "job")
    res = bd("update", x, "--claim", "--sync", cwd=solo, check=False)
    assert res.returncode == 1 and "needs" in res.stderr and "remote" in res.stderr
    assert record(solo, x).get("assignee", "") == ""
    res = bd("update", x, "--sync", "-p", "1", cwd=solo, check=False)
    assert res.returncode == 2 and "--sync goes with --claim" in res.stderr


def test_mcp_claim_tool_can_claim_through_the_remote(tmp_path: Path) -> None:
    from bd.agents import mcp_server

    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "job")
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    bd("update", x, "--claim", "--sync", "--actor", "alice", cwd=a)
    ws = mcp_server.Workspaces(str(b))
    with pytest.raises(Exception, match="already claimed by alice"):
        mcp_server.call(ws, "claim", {"issue_id": x, "sync": True})
    y = create(b, "other")
    got = mcp_server.call(ws, "claim", {"issue_id": y, "sync": True})
    assert got["status"] == "in_progress"
    remote = git("show", "main:.beads/issues.jsonl", cwd=tmp_path / "remote.git")
    assert any(json.loads(x)["id"] == y and json.loads(x)["assignee"] for x in
               remote.splitlines())


# -- reopen, close, notes ----------------------------------------------------------------------

def test_reopen_reason_is_a_comment_teammates_see(tmp_path: Path) -> None:
    a, b = setup_remote(tmp_path, "a", "b")
    x = create(a, "job")
    bd("close", x, "-r", "done", cwd=a)
    bd("reopen", x, "-r", "the fix broke login", cwd=a)
    bd("sync", cwd=a)
    bd("sync", cwd=b)
    texts = [c["text"] for c in bdj("comments", x, cwd=b)]
    assert texts == ["the fix broke login"]


def test_closing_a_closed_issue_changes_nothing_and_says_so(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a")
    x = create(a, "job")
    bd("close", x, "-r", "first reason", cwd=a)
    before = jsonl_path(a).read_bytes()
    res = bd("close", x, "-r", "second reason", cwd=a)
    assert "already closed" in res.stdout and "nothing changed" in res.stdout
    assert jsonl_path(a).read_bytes() == before
    res = bd("close", x, "-r", "third", "--json", cwd=a)
    assert json.loads(res.stdout)[0]["close_reason"] == "first reason"
    assert "already closed" in res.stderr
    assert jsonl_path(a).read_bytes() == before


def test_notes_with_append_notes_is_a_usage_error(tmp_path: Path) -> None:
    a, = setup_remote(tmp_path, "a")
    x = create(a, "job")
    before = jsonl_path(a).read_bytes()
    res = bd("update", x, "--notes", "A", "--append-notes", "B", cwd=a, check=False)
    assert res.returncode == 2 and "--append-notes" in res.stderr
    assert jsonl_path(a).read_bytes() == before
