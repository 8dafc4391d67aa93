"""End-to-end workflow of the bd CLI: every main command driven as a subprocess in a real
temporary git repository, with results checked both in the command output and in the
``.beads/issues.jsonl`` truth."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, bdj, create, git, jsonl_path, make_repo, read_records, record

ID_RE = re.compile(r"^t-[0-9a-z]{3,8}$")


def ids_of(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def write_jsonl(root: Path, records: list[dict[str, Any]]) -> bytes:
    data = "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for r in sorted(records, key=lambda r: r["id"])).encode()
    jsonl_path(root).write_bytes(data)
    return data


def rec(rid: str, title: str, **fields: Any) -> dict[str, Any]:
    base = {"id": rid, "title": title, "status": "open", "priority": 2, "issue_type": "task",
            "created_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-01T10:00:00Z"}
    base.update(fields)
    return base


# --------------------------------------------------------------------------------- init


def test_init_layout(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    git("init", "-q", cwd=root)
    out = bd("init", "--prefix", "t", cwd=root)
    assert "Issue prefix: t" in out.stdout
    beads = root / ".beads"
    assert (beads / "issues.jsonl").is_file()
    assert (beads / "issues.jsonl").read_bytes() == b""
    config = (beads / "config.yaml").read_text()
    assert re.search(r"^issue-prefix:\s*[\"']?t[\"']?\s*$", config, re.M), config
    ignore_lines = (beads / ".gitignore").read_text().splitlines()
    assert "*.db" in ignore_lines
    # The cache is ignored by git for real; the JSONL and config are not.
    bd("list", cwd=root)
    assert (beads / "beads.db").is_file()
    assert git("check-ignore", ".beads/beads.db", cwd=root).strip() == ".beads/beads.db"
    status = git("status", "--porcelain", "--untracked-files=all", cwd=root)
    assert ".beads/issues.jsonl" in status and ".beads/config.yaml" in status
    assert "beads.db" not in status

    before = (beads / "config.yaml").read_bytes()
    again = bd("init", "--prefix", "other", cwd=root, check=False)
    assert again.returncode == 1
    assert "already initialized" in again.stderr
    assert (beads / "config.yaml").read_bytes() == before


def test_commands_outside_a_workspace_fail(tmp_path: Path) -> None:
    git("init", "-q", cwd=tmp_path)
    proc = bd("list", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "no beads database found" in proc.stderr
    proc = bd("ready", "--json", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "no beads database found" in json.loads(proc.stdout)["error"]


# ------------------------------------------------------------------------------- create


def test_create_with_every_field_flag(repo: Path) -> None:
    rid = create(repo, "Login fails on Safari", "-p", "P1", "-t", "bug", "-d", "Steps: open",
                 "--design", "Use a cookie", "--acceptance", "Works in Safari 17",
                 "--notes", "seen twice", "-a", "alice", "--external-ref", "gh-42",
                 "-l", "auth,web", "-l", "urgent", "-e", "45")
    assert ID_RE.match(rid), rid
    r = record(repo, rid)
    assert r["title"] == "Login fails on Safari"
    assert r["priority"] == 1
    assert r["issue_type"] == "bug"
    assert r["status"] == "open"
    assert r["description"] == "Steps: open"
    assert r["design"] == "Use a cookie"
    assert r["acceptance_criteria"] == "Works in Safari 17"
    assert r["notes"] == "seen twice"
    assert r["assignee"] == "alice"
    assert r["external_ref"] == "gh-42"
    assert r["estimated_minutes"] == 45
    assert sorted(r["labels"]) == ["auth", "urgent", "web"]
    assert r["created_by"] == "tester"
    assert r["created_at"] == r["updated_at"]
    assert abs(ts(r["created_at"]) - datetime.now(UTC)) < timedelta(minutes=5)
    assert "closed_at" not in r
    # key order follows the original's struct order
    keys = list(r)
    assert keys[0] == "id" and keys.index("title") < keys.index("status") < keys.index(
        "priority") < keys.index("created_at") < keys.index("labels")


def test_create_defaults_and_numeric_priority(repo: Path) -> None:
    a = create(repo, "Plain", "-d", "x")
    b = create(repo, "Numeric prio", "-p", "1", "-d", "x")
    c = create(repo, "Critical", "-p", "0", "-d", "x")
    ra, rb, rc = record(repo, a), record(repo, b), record(repo, c)
    assert (ra["priority"], ra["issue_type"], ra["status"]) == (2, "task", "open")
    assert rb["priority"] == 1
    assert rc["priority"] == 0  # P0 is a real value and is written
    assert '"priority":0' in jsonl_path(repo).read_text()


def test_create_silent_prints_only_the_id(repo: Path) -> None:
    proc = bd("create", "No description here", "--silent", cwd=repo)
    rid = proc.stdout.strip()
    assert proc.stdout == rid + "\n"
    assert ID_RE.match(rid)
    assert proc.stderr == ""
    assert [r["id"] for r in read_records(repo)] == [rid]


def test_create_human_output_and_warnings(repo: Path) -> None:
    proc = bd("create", "Something", cwd=repo)
    rid = read_records(repo)[0]["id"]
    assert f"✓ Created issue: {rid}" in proc.stdout
    assert "Title: Something" in proc.stdout
    assert "Priority: P2" in proc.stdout
    assert "Creating issue without description." in proc.stderr


def test_create_json_object(repo: Path) -> None:
    obj = bdj("create", "Json one", "-p", "3", "-t", "feature", "-l", "x", cwd=repo)
    assert isinstance(obj, dict)
    assert ID_RE.match(obj["id"])
    assert obj["title"] == "Json one"
    assert obj["priority"] == 3
    assert obj["issue_type"] == "feature"
    assert obj["status"] == "open"
    stored = read_records(repo)[0]
    assert obj["id"] == stored["id"]
    # the object printed is the record stored: no keys the JSONL does not have
    extra = {k: v for k, v in obj.items() if k not in stored and k not in ("labels",
                                                                          "description")}
    assert extra == {}
    assert {k: obj[k] for k in stored} == stored


def test_create_with_deps_of_each_kind(repo: Path) -> None:
    a = create(repo, "A")
    b = create(repo, "B")
    c = create(repo, "C")
    d = create(repo, "D", "--deps", f"{a},blocks:{b}", "--deps", f"related:{c}")
    deps = {(x["depends_on_id"], x["type"]) for x in record(repo, d)["dependencies"]}
    assert deps == {(a, "blocks"), (b, "blocks"), (c, "related")}
    for x in record(repo, d)["dependencies"]:
        assert x["issue_id"] == d and x["created_by"] == "tester" and x["created_at"]
    shown = bdj("show", d, cwd=repo)[0]
    assert {(x["id"], x["dependency_type"]) for x in shown["dependencies"]} == deps
    # the related edge does not block; the blocks edges do
    assert d not in ids_of(bdj("ready", "--limit", "0", cwd=repo))


def test_create_with_missing_dep_target_fails_and_writes_nothing(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    proc = bd("create", "B", "--deps", "t-nope", cwd=repo, check=False)
    assert proc.returncode == 1
    assert "t-nope" in proc.stderr
    assert jsonl_path(repo).read_bytes() == before
    assert ids_of(bdj("list", cwd=repo)) == [a]


def test_create_children_get_dotted_ids(repo: Path) -> None:
    p = create(repo, "Epic", "-t", "epic")
    c1 = create(repo, "First child", "--parent", p)
    c2 = create(repo, "Second child", "--parent", p)
    assert (c1, c2) == (f"{p}.1", f"{p}.2")
    dep = record(repo, c1)["dependencies"]
    assert [(x["depends_on_id"], x["type"]) for x in dep] == [(p, "parent-child")]
    assert bdj("show", c2, cwd=repo)[0]["parent"] == p
    grand = create(repo, "Grandchild", "--parent", c1)
    assert grand == f"{p}.1.1"
    missing = bd("create", "Orphan", "--parent", "t-zzzz", cwd=repo, check=False)
    assert missing.returncode == 1
    assert "t-zzzz" in missing.stderr and "not found" in missing.stderr


def test_create_explicit_id(repo: Path) -> None:
    assert create(repo, "Mine", "--id", "t-custom1") == "t-custom1"
    assert record(repo, "t-custom1")["title"] == "Mine"
    dup = bd("create", "Again", "--id", "t-custom1", cwd=repo, check=False)
    assert dup.returncode == 1
    assert "already exists" in dup.stderr
    before = jsonl_path(repo).read_bytes()
    bad = bd("create", "Other", "--id", "zz-abc", cwd=repo, check=False)
    assert bad.returncode == 1
    assert "prefix mismatch" in bad.stderr
    assert "'t'" in bad.stderr and "'zz'" in bad.stderr
    assert jsonl_path(repo).read_bytes() == before


def test_create_due_and_defer(repo: Path) -> None:
    now = datetime.now(UTC)
    d = create(repo, "Due soon", "--due", "+1d")
    due = ts(record(repo, d)["due_at"])
    assert timedelta(hours=23) < due - now < timedelta(hours=25)
    later = create(repo, "Later", "--defer", "+2d")
    r = record(repo, later)
    assert timedelta(hours=47) < ts(r["defer_until"]) - now < timedelta(hours=49)
    ready = ids_of(bdj("ready", "--limit", "0", cwd=repo))
    assert d in ready and later not in ready
    assert later in ids_of(bdj("ready", "--limit", "0", "--include-deferred", cwd=repo))
    assert later in ids_of(bdj("list", cwd=repo))
    bad = bd("create", "Bad due", "--due", "someday-ish", cwd=repo, check=False)
    assert bad.returncode == 1
    assert 'invalid --due format "someday-ish"' in bad.stderr


def test_create_bad_priority_word(repo: Path) -> None:
    proc = bd("create", "Word prio", "-p", "high", cwd=repo, check=False)
    assert proc.returncode != 0
    assert ('invalid priority "high" (expected 0-4 or P0-P4, not words like high/medium/low)'
            in proc.stderr)
    assert jsonl_path(repo).read_bytes() == b""
    out = bd("create", "Word prio", "-p", "9", cwd=repo, check=False)
    assert out.returncode != 0
    assert jsonl_path(repo).read_bytes() == b""


def test_create_extra_positional_is_a_usage_error(repo: Path) -> None:
    proc = bd("create", "a", "b", cwd=repo, check=False)
    assert proc.returncode == 2
    assert "b" in proc.stderr
    assert jsonl_path(repo).read_bytes() == b""
    j = bd("create", "a", "b", "--json", cwd=repo, check=False)
    assert j.returncode == 2
    assert "error" in json.loads(j.stdout)


def test_create_title_flag_and_type_validation(repo: Path) -> None:
    rid = bd("create", "--title", "Via flag", "--silent", cwd=repo).stdout.strip()
    assert record(repo, rid)["title"] == "Via flag"
    clash = bd("create", "One", "--title", "Two", cwd=repo, check=False)
    assert clash.returncode != 0
    assert "cannot specify different titles" in clash.stderr
    bad = bd("create", "Typed", "-t", "nonsense", cwd=repo, check=False)
    assert bad.returncode == 2  # a usage error listing the valid types
    assert "invalid issue type 'nonsense' (valid values: bug, feature, task," in bad.stderr
    notitle = bd("create", cwd=repo, check=False)
    assert notitle.returncode != 0
    assert "title required" in notitle.stderr
    assert len(read_records(repo)) == 1


def test_q_quick_capture(repo: Path) -> None:
    proc = bd("q", "fix", "the", "flaky", "test", "-p", "1", "-l", "ci", cwd=repo)
    rid = proc.stdout.strip()
    assert proc.stdout == rid + "\n" and ID_RE.match(rid)
    r = record(repo, rid)
    assert r["title"] == "fix the flaky test"
    assert r["priority"] == 1
    assert r["labels"] == ["ci"]


# ------------------------------------------------------------------------------- update


def test_update_each_field(repo: Path) -> None:
    rid = create(repo, "Original", "-d", "old")
    created = record(repo, rid)["created_at"]
    out = bdj("update", rid, "--status", "in_progress", "-p", "0", "--title", "Renamed",
              "-t", "feature", "-a", "bob", "-d", "new desc", "--design", "D",
              "--notes", "N", "--acceptance", "A", "--external-ref", "jira-7", "-e", "30",
              cwd=repo)
    assert isinstance(out, list) and len(out) == 1 and out[0]["id"] == rid
    r = record(repo, rid)
    assert r["status"] == "in_progress"
    assert r["priority"] == 0
    assert r["title"] == "Renamed"
    assert r["issue_type"] == "feature"
    assert r["assignee"] == "bob"
    assert r["description"] == "new desc"
    assert (r["design"], r["notes"], r["acceptance_criteria"]) == ("D", "N", "A")
    assert r["external_ref"] == "jira-7"
    assert r["estimated_minutes"] == 30
    assert r["created_at"] == created
    assert ts(r["updated_at"]) > ts(created)
    assert out[0]["title"] == "Renamed"
    human = bd("update", rid, "--notes", "N2", cwd=repo)
    assert f"✓ Updated issue: {rid}" in human.stdout
    assert record(repo, rid)["notes"] == "N2"


def test_update_without_flags_changes_nothing(repo: Path) -> None:
    rid = create(repo, "Stay")
    before = jsonl_path(repo).read_bytes()
    proc = bd("update", rid, cwd=repo)
    assert proc.stdout.strip() == "No updates specified"
    assert jsonl_path(repo).read_bytes() == before


def test_update_uses_last_touched_issue(repo: Path) -> None:
    create(repo, "First")
    second = create(repo, "Second")
    bd("update", "--notes", "implicit", cwd=repo)
    assert record(repo, second)["notes"] == "implicit"


def test_update_unknown_id_fails_and_changes_nothing(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    proc = bd("update", a, "t-nosuch", "--notes", "x", cwd=repo, check=False)
    assert proc.returncode == 1
    assert "t-nosuch" in proc.stderr
    assert jsonl_path(repo).read_bytes() == before


def test_update_status_validation(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    bad = bd("update", a, "--status", "nonsense", cwd=repo, check=False)
    assert bad.returncode == 2
    assert "invalid status 'nonsense' (valid values: open, in_progress," in bad.stderr
    tomb = bd("update", a, "--status", "tombstone", cwd=repo, check=False)
    assert tomb.returncode == 2
    assert "bd delete" in tomb.stderr
    assert jsonl_path(repo).read_bytes() == before


def test_update_status_closed_and_back(repo: Path) -> None:
    a = create(repo, "A")
    bd("update", a, "--status", "closed", cwd=repo)
    assert record(repo, a)["closed_at"]
    bd("update", a, "--status", "open", cwd=repo)
    r = record(repo, a)
    assert r["status"] == "open"
    assert "closed_at" not in r and "close_reason" not in r


def test_claim_then_second_claim_fails(repo: Path) -> None:
    rid = create(repo, "Claim me")
    out = bdj("update", rid, "--claim", "--actor", "alice", cwd=repo)
    assert out[0]["assignee"] == "alice" and out[0]["status"] == "in_progress"
    r = record(repo, rid)
    assert (r["assignee"], r["status"]) == ("alice", "in_progress")
    before = jsonl_path(repo).read_bytes()
    second = bd("update", rid, "--claim", "--actor", "bob", cwd=repo, check=False)
    assert second.returncode != 0
    assert "already claimed" in second.stderr and "alice" in second.stderr
    assert jsonl_path(repo).read_bytes() == before
    j = bd("update", rid, "--claim", "--actor", "bob", "--json", cwd=repo, check=False)
    assert j.returncode != 0
    assert "already claimed" in json.loads(j.stdout)["error"]


def test_update_labels(repo: Path) -> None:
    rid = create(repo, "Labelled", "-l", "a")
    bd("update", rid, "--add-label", "b,c", "--add-label", "d", cwd=repo)
    assert sorted(record(repo, rid)["labels"]) == ["a", "b", "c", "d"]
    bd("update", rid, "--remove-label", "a", "--remove-label", "c", cwd=repo)
    assert sorted(record(repo, rid)["labels"]) == ["b", "d"]
    bd("update", rid, "--set-labels", "x,y", cwd=repo)
    assert sorted(record(repo, rid)["labels"]) == ["x", "y"]
    assert bdj("label", "list", rid, cwd=repo) == ["x", "y"]


def test_update_parent_and_remove_parent(repo: Path) -> None:
    p = create(repo, "Parent", "-t", "epic")
    q = create(repo, "Other parent", "-t", "epic")
    c = create(repo, "Child")
    bd("update", c, "--parent", p, cwd=repo)
    deps = record(repo, c)["dependencies"]
    assert [(d["depends_on_id"], d["type"]) for d in deps] == [(p, "parent-child")]
    assert bdj("show", c, cwd=repo)[0]["parent"] == p
    assert c in ids_of(bdj("show", p, cwd=repo)[0]["dependents"])
    bd("update", c, "--parent", q, cwd=repo)
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, c)["dependencies"]] == [
        (q, "parent-child")]
    bd("update", c, "--parent", "", cwd=repo)
    assert not record(repo, c).get("dependencies")
    assert "parent" not in bdj("show", c, cwd=repo)[0]
    assert bdj("show", q, cwd=repo)[0]["dependents"] == []


# -------------------------------------------------------------------- close / reopen / defer


def test_close_several_with_reason_json(repo: Path) -> None:
    a, b, c = create(repo, "A"), create(repo, "B"), create(repo, "C")
    out = bdj("close", a, b, "-r", "fixed upstream", cwd=repo)
    assert isinstance(out, list) and sorted(ids_of(out)) == sorted([a, b])
    for rid in (a, b):
        r = record(repo, rid)
        assert r["status"] == "closed"
        assert r["close_reason"] == "fixed upstream"
        assert ts(r["closed_at"]) >= ts(r["created_at"])
    assert record(repo, c)["status"] == "open"
    human = bd("close", c, cwd=repo)
    assert f"✓ Closed {c}: Closed" in human.stdout
    assert record(repo, c)["close_reason"] == "Closed"
    assert bdj("list", cwd=repo) == []


def test_close_unknown_id_changes_nothing(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    proc = bd("close", a, "t-nosuch", cwd=repo, check=False)
    assert proc.returncode == 1
    assert "t-nosuch" in proc.stderr
    assert jsonl_path(repo).read_bytes() == before
    j = bd("close", "t-nosuch", "--json", cwd=repo, check=False)
    assert j.returncode == 1
    assert "t-nosuch" in json.loads(j.stdout)["error"]
    assert jsonl_path(repo).read_bytes() == before


def test_reopen_clears_close_fields(repo: Path) -> None:
    a = create(repo, "A")
    bd("close", a, "-r", "dup", cwd=repo)
    out = bdj("reopen", a, cwd=repo)
    assert out[0]["id"] == a and out[0]["status"] == "open"
    r = record(repo, a)
    assert r["status"] == "open"
    assert "closed_at" not in r and "close_reason" not in r
    assert a in ids_of(bdj("ready", cwd=repo))


def test_defer_and_undefer_affect_ready(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    out = bdj("defer", a, cwd=repo)
    assert out[0]["status"] == "deferred"
    assert record(repo, a)["status"] == "deferred"
    assert ids_of(bdj("ready", cwd=repo)) == [b]
    assert a not in ids_of(bdj("blocked", cwd=repo))
    bd("undefer", a, cwd=repo)
    r = record(repo, a)
    assert r["status"] == "open" and "defer_until" not in r
    assert sorted(ids_of(bdj("ready", cwd=repo))) == sorted([a, b])
    bd("defer", b, "--until", "+3d", cwd=repo)
    rb = record(repo, b)
    assert rb["status"] == "deferred"
    assert ts(rb["defer_until"]) - datetime.now(UTC) > timedelta(days=2)
    assert ids_of(bdj("ready", cwd=repo)) == [a]


# ---------------------------------------------------------------------------------- show


def test_show_json_shape(repo: Path) -> None:
    p = create(repo, "Parent", "-t", "epic")
    blocker = create(repo, "Blocker")
    c = create(repo, "Child", "--parent", p, "--deps", blocker, "-l", "z,a")
    later = create(repo, "Later", "--deps", c)
    bd("comments", "add", c, "first note", cwd=repo)
    shown = bdj("show", c, cwd=repo)
    assert isinstance(shown, list) and len(shown) == 1
    d = shown[0]
    assert d["id"] == c and d["title"] == "Child"
    assert sorted(d["labels"]) == ["a", "z"]
    assert {(x["id"], x["dependency_type"]) for x in d["dependencies"]} == {
        (p, "parent-child"), (blocker, "blocks")}
    for x in d["dependencies"]:
        assert x["title"] in ("Parent", "Blocker") and "status" in x
    assert [(x["id"], x["dependency_type"]) for x in d["dependents"]] == [(later, "blocks")]
    assert [x["text"] for x in d["comments"]] == ["first note"]
    assert d["parent"] == p
    # the relation keys come last, in the original's order (then bd's unresolved ones)
    assert list(d)[-6:] == ["labels", "dependencies", "dependents", "comments", "parent",
                            "unresolved_dependencies"]
    two = bdj("show", p, blocker, cwd=repo)
    assert ids_of(two) == [p, blocker]
    assert two[0]["dependents"][0]["dependency_type"] == "parent-child"
    human = bd("show", c, cwd=repo).stdout
    assert f"{c}: Child" in human and "Depends on (2)" in human and "first note" in human


def test_show_unknown_fails(repo: Path) -> None:
    a = create(repo, "A")
    proc = bd("show", "nosuch", cwd=repo, check=False)
    assert proc.returncode == 1
    assert 'no issue found matching "nosuch"' in proc.stderr
    j = bd("show", "t-nosuch", "--json", cwd=repo, check=False)
    assert j.returncode == 1
    assert "t-nosuch" in json.loads(j.stdout)["error"]
    mixed = bd("show", a, "nosuch", cwd=repo, check=False)
    assert mixed.returncode == 1


def test_partial_id_resolution(repo: Path) -> None:
    for rid, title in (("t-abc12", "one"), ("t-abd34", "two"), ("t-xyz99", "three")):
        create(repo, title, "--id", rid)
    assert bdj("show", "t-xyz99", cwd=repo)[0]["id"] == "t-xyz99"
    assert bdj("show", "xyz99", cwd=repo)[0]["id"] == "t-xyz99"   # without prefix
    assert bdj("show", "yz9", cwd=repo)[0]["id"] == "t-xyz99"     # hash substring
    assert bdj("show", "bd3", cwd=repo)[0]["id"] == "t-abd34"
    bd("update", "c12", "--notes", "via partial", cwd=repo)
    assert record(repo, "t-abc12")["notes"] == "via partial"
    amb = bd("show", "ab", cwd=repo, check=False)
    assert amb.returncode == 1
    assert 'ambiguous ID "ab" matches 2 issues' in amb.stderr
    assert "t-abc12" in amb.stderr and "t-abd34" in amb.stderr
    none = bd("show", "qqq", cwd=repo, check=False)
    assert none.returncode == 1 and 'no issue found matching "qqq"' in none.stderr


# ---------------------------------------------------------------------- list and search


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A read-only repository with a spread of issues for list/search/count tests."""
    root = make_repo(tmp_path_factory.mktemp("listing") / "repo")
    ids = {
        "a": create(root, "Alpha login page", "-t", "bug", "-p", "0", "-l", "x,y",
                    "-d", "the login form"),
        "b": create(root, "Beta", "-p", "1", "-l", "x", "-a", "alice"),
        "c": create(root, "Gamma login", "-t", "feature", "-l", "y"),
        "d": create(root, "Delta login", "-p", "3"),
        "e": create(root, "Epsilon", "-d", "mentions login in the body"),
    }
    bd("close", ids["d"], cwd=root)
    bd("update", ids["e"], "--status", "in_progress", cwd=root)
    bd("dep", "add", ids["b"], ids["a"], cwd=root)
    bd("dep", "add", ids["c"], ids["a"], "-t", "related", cwd=root)
    return {"root": root, **ids}


def test_list_default_hides_closed(listing: dict[str, Any]) -> None:
    root = listing["root"]
    rows = bdj("list", cwd=root)
    # default order: priority, then newest first
    assert ids_of(rows) == [listing[k] for k in ("a", "b", "e", "c")]
    assert listing["d"] not in ids_of(rows)
    assert sorted(ids_of(bdj("list", "--all", cwd=root))) == sorted(
        listing[k] for k in "abcde")
    assert ids_of(bdj("list", "--status", "closed", cwd=root)) == [listing["d"]]
    assert ids_of(bdj("list", "-s", "in_progress", cwd=root)) == [listing["e"]]


def test_list_json_rows_carry_counts(listing: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in bdj("list", cwd=listing["root"])}
    a, b, c, e = (rows[listing[k]] for k in "abce")
    assert (a["dependency_count"], a["dependent_count"]) == (0, 2)
    assert (b["dependency_count"], b["dependent_count"]) == (1, 0)
    assert (c["dependency_count"], c["dependent_count"]) == (1, 0)
    assert (e["dependency_count"], e["dependent_count"]) == (0, 0)
    assert sorted(a["labels"]) == ["x", "y"]
    assert e["labels"] == []
    assert b["assignee"] == "alice"
    assert "dependencies" not in a


def test_list_filters(listing: dict[str, Any]) -> None:
    root, L = listing["root"], listing
    assert ids_of(bdj("list", "-p", "0", cwd=root)) == [L["a"]]
    assert ids_of(bdj("list", "-p", "P1", cwd=root)) == [L["b"]]
    assert ids_of(bdj("list", "-t", "bug", cwd=root)) == [L["a"]]
    assert ids_of(bdj("list", "-t", "feat", cwd=root)) == [L["c"]]
    assert ids_of(bdj("list", "-a", "alice", cwd=root)) == [L["b"]]
    # --label is AND (repeated or comma list), --label-any is OR
    assert ids_of(bdj("list", "-l", "x", "-l", "y", cwd=root)) == [L["a"]]
    assert ids_of(bdj("list", "-l", "x,y", cwd=root)) == [L["a"]]
    assert sorted(ids_of(bdj("list", "-l", "x", cwd=root))) == sorted([L["a"], L["b"]])
    assert sorted(ids_of(bdj("list", "--label-any", "x,y", cwd=root))) == sorted(
        [L["a"], L["b"], L["c"]])
    assert sorted(ids_of(bdj("list", "--title-contains", "LOGIN", cwd=root))) == sorted(
        [L["a"], L["c"]])
    assert sorted(ids_of(bdj("list", "--all", "--title-contains", "login", cwd=root))) == sorted(
        [L["a"], L["c"], L["d"]])
    assert ids_of(bdj("list", "--desc-contains", "body", cwd=root)) == [L["e"]]
    assert ids_of(bdj("list", "--label-any", "nope", cwd=root)) == []


def test_list_limit_and_note(listing: dict[str, Any]) -> None:
    root = listing["root"]
    assert len(bdj("list", "--limit", "2", cwd=root)) == 2
    proc = bd("list", "--limit", "2", cwd=root)
    assert len(proc.stdout.splitlines()) == 2
    assert "Showing 2 issues (use --limit 0 for all)" in proc.stderr
    full = bd("list", "--limit", "0", "--json", cwd=root)
    assert len(json.loads(full.stdout)) == 4
    assert "Showing" not in full.stderr
    exact = bd("list", "--limit", "4", cwd=root)
    assert "Showing" not in exact.stderr


def test_list_sort(listing: dict[str, Any]) -> None:
    root, L = listing["root"], listing
    open_ids = [L[k] for k in "abce"]
    assert ids_of(bdj("list", "--sort", "id", cwd=root)) == sorted(open_ids)
    assert ids_of(bdj("list", "--sort", "id", "-r", cwd=root)) == sorted(open_ids, reverse=True)
    assert ids_of(bdj("list", "--sort", "title", cwd=root)) == [L[k] for k in "abec"]
    assert ids_of(bdj("list", "--sort", "created", cwd=root)) == [L[k] for k in "ecba"]
    assert ids_of(bdj("list", "--sort", "priority", cwd=root)) == [L[k] for k in "abec"]
    bad = bd("list", "--sort", "bogus", cwd=root, check=False)
    assert bad.returncode == 2


def test_list_human_line(listing: dict[str, Any]) -> None:
    out = bd("list", cwd=listing["root"]).stdout.splitlines()
    a = listing["a"]
    assert f"{a} [P0] [bug] open [x y] - Alpha login page" in out
    assert f"{listing['b']} [P1] [task] open @alice [x] - Beta" in out


def test_search_includes_closed(listing: dict[str, Any]) -> None:
    root, L = listing["root"], listing
    found = ids_of(bdj("search", "login", cwd=root))
    assert sorted(found) == sorted([L["a"], L["c"], L["d"], L["e"]])  # title, desc, closed
    assert ids_of(bdj("search", "Epsilon", cwd=root)) == [L["e"]]
    assert ids_of(bdj("search", L["b"], cwd=root)) == [L["b"]]        # id match
    assert bdj("search", "nothing-matches-this", cwd=root) == []
    human = bd("search", "login", cwd=root).stdout
    assert "Found 4 issues matching 'login':" in human
    missing = bd("search", cwd=root, check=False)
    assert missing.returncode != 0 and "search query is required" in missing.stderr


def test_count(listing: dict[str, Any]) -> None:
    root = listing["root"]
    assert bd("count", cwd=root).stdout.strip() == "4"
    assert bdj("count", cwd=root) == {"count": 4}
    assert bdj("count", "--all", cwd=root) == {"count": 5}
    assert bdj("count", "-l", "x", cwd=root) == {"count": 2}
    groups = bdj("count", "--all", "--by-status", cwd=root)
    assert groups["total"] == 5
    assert {g["group"]: g["count"] for g in groups["groups"]} == {
        "open": 3, "in_progress": 1, "closed": 1}
    by_prio = bdj("count", "--by-priority", cwd=root)
    assert {g["group"]: g["count"] for g in by_prio["groups"]} == {"0": 1, "1": 1, "2": 2}


def test_stale(listing: dict[str, Any], repo: Path) -> None:
    assert bdj("stale", cwd=listing["root"]) == []
    # A record last touched long ago, written as a git pull would have.
    write_jsonl(repo, [rec("t-old1", "Old", updated_at="2020-01-01T00:00:00Z",
                           created_at="2020-01-01T00:00:00Z"),
                       rec("t-old2", "Old closed", status="closed",
                           closed_at="2020-01-02T00:00:00Z",
                           created_at="2020-01-01T00:00:00Z",
                           updated_at="2020-01-02T00:00:00Z"),
                       rec("t-new1", "New", created_at=datetime.now(UTC).isoformat(),
                           updated_at=datetime.now(UTC).isoformat())])
    assert ids_of(bdj("stale", cwd=repo)) == ["t-old1"]
    assert ids_of(bdj("stale", "--days", "0", cwd=repo)) == ["t-old1", "t-new1"]
    assert ids_of(bdj("stale", "-s", "in_progress", cwd=repo)) == []
    bad = bd("stale", "-s", "closed", cwd=repo, check=False)
    assert bad.returncode != 0
    assert ("invalid value for -s: 'closed' (valid values: open, in_progress, blocked, "
            "deferred)") in bad.stderr


# ------------------------------------------------------------------- ready and blocked


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A small dependency graph covering each readiness rule (read-only)."""
    root = make_repo(tmp_path_factory.mktemp("graph") / "repo")
    g: dict[str, Any] = {"root": root}
    g["a"] = create(root, "A root")
    g["b"] = create(root, "B blocked by A", "--deps", g["a"])
    g["c"] = create(root, "C child of B", "--parent", g["b"])
    g["d"] = create(root, "D in progress", "-p", "1", "-a", "alice")
    bd("update", g["d"], "--status", "in_progress", cwd=root)
    g["e"] = create(root, "E explicitly blocked")
    bd("update", g["e"], "--status", "blocked", cwd=root)
    g["g"] = create(root, "G done")
    bd("close", g["g"], cwd=root)
    g["f"] = create(root, "F after G", "--deps", g["g"])
    g["h"] = create(root, "H deferred", "--defer", "+2d")
    g["i"] = create(root, "I ephemeral", "--ephemeral")
    g["j"] = create(root, "J gate", "-t", "gate")
    g["k"] = create(root, "K related to A", "--deps", f"related:{g['a']}")
    g["ep"] = create(root, "Epic", "-t", "epic")
    g["ep1"] = create(root, "Epic child", "--parent", g["ep"], "-l", "ui")
    g["m"] = create(root, "M urgent", "-p", "0", "-a", "bob", "-l", "backend")
    g["ready"] = {g[k] for k in ("a", "d", "f", "k", "ep", "ep1", "m")}
    g["blocked"] = {g[k] for k in ("b", "c", "e")}
    return g


def test_ready_default(graph: dict[str, Any]) -> None:
    rows = bdj("ready", cwd=graph["root"])
    assert set(ids_of(rows)) == graph["ready"]
    assert all(r["status"] in ("open", "in_progress") for r in rows)
    assert all(isinstance(r["labels"], list) for r in rows)
    human = bd("ready", cwd=graph["root"]).stdout
    assert "Ready work (7 issues with no blockers)" in human
    assert f"[P0] [task] {graph['m']}: M urgent" in human


def test_ready_filters(graph: dict[str, Any]) -> None:
    root, g = graph["root"], graph
    assert ids_of(bdj("ready", "-p", "0", cwd=root)) == [g["m"]]
    assert ids_of(bdj("ready", "-a", "alice", cwd=root)) == [g["d"]]
    unassigned = set(ids_of(bdj("ready", "-u", cwd=root)))
    assert unassigned == g["ready"] - {g["d"], g["m"]}
    assert ids_of(bdj("ready", "-u", "-a", "bob", cwd=root)) != [g["m"]]  # -u wins
    assert ids_of(bdj("ready", "-l", "ui", cwd=root)) == [g["ep1"]]
    assert set(ids_of(bdj("ready", "--label-any", "ui,backend", cwd=root))) == {g["ep1"], g["m"]}
    assert ids_of(bdj("ready", "-t", "epic", cwd=root)) == [g["ep"]]
    assert ids_of(bdj("ready", "--parent", g["ep"], cwd=root)) == [g["ep1"]]
    assert bdj("ready", "--parent", g["b"], cwd=root) == []
    assert g["h"] in ids_of(bdj("ready", "--include-deferred", "--limit", "0", cwd=root))
    assert len(bdj("ready", "--limit", "2", cwd=root)) == 2
    assert len(bdj("ready", "--limit", "0", cwd=root)) == 7


def test_ready_sort_policies(graph: dict[str, Any]) -> None:
    root, g = graph["root"], graph
    by_prio = [g[k] for k in ("m", "d", "a", "f", "k", "ep", "ep1")]
    assert ids_of(bdj("ready", "--sort", "priority", cwd=root)) == by_prio
    assert ids_of(bdj("ready", "-s", "oldest", cwd=root)) == [
        g[k] for k in ("a", "d", "f", "k", "ep", "ep1", "m")]
    # every issue is recent, so hybrid is priority order
    assert ids_of(bdj("ready", "--sort", "hybrid", cwd=root)) == by_prio
    bad = bd("ready", "--sort", "newest", cwd=root, check=False)
    assert bad.returncode != 0
    assert bad.returncode == 2
    assert ("invalid value for --sort: 'newest' (valid values: hybrid, priority, oldest)"
            in bad.stderr)


def test_ready_hybrid_puts_recent_first(repo: Path) -> None:
    now = datetime.now(UTC)
    recent = (now - timedelta(hours=1)).isoformat()
    write_jsonl(repo, [
        rec("t-old1", "old P0", priority=0, created_at="2025-01-02T00:00:00Z"),
        rec("t-old2", "old P3", priority=3, created_at="2025-01-01T00:00:00Z"),
        rec("t-new1", "new P3", priority=3, created_at=recent, updated_at=recent),
        rec("t-new2", "new P1", priority=1, created_at=now.isoformat(),
            updated_at=now.isoformat()),
    ])
    assert ids_of(bdj("ready", cwd=repo)) == ["t-new2", "t-new1", "t-old2", "t-old1"]
    assert ids_of(bdj("ready", "--sort", "oldest", cwd=repo)) == [
        "t-old2", "t-old1", "t-new1", "t-new2"]
    assert ids_of(bdj("ready", "--sort", "priority", cwd=repo)) == [
        "t-old1", "t-new2", "t-old2", "t-new1"]


def test_blocked_json(graph: dict[str, Any]) -> None:
    g = graph
    rows = {r["id"]: r for r in bdj("blocked", cwd=g["root"])}
    assert set(rows) == g["blocked"]
    assert rows[g["b"]]["blocked_by"] == [g["a"]]
    assert rows[g["b"]]["blocked_by_count"] == 1
    assert rows[g["c"]]["blocked_by"] == [g["b"]]
    assert rows[g["c"]]["blocked_by_count"] == 1
    assert rows[g["e"]]["blocked_by"] == []
    assert rows[g["e"]]["blocked_by_count"] == 0
    assert ids_of(bdj("blocked", "--parent", g["b"], cwd=g["root"])) == [g["c"]]
    human = bd("blocked", cwd=g["root"]).stdout
    assert "Blocked issues (3)" in human
    assert f"Blocked by 1 open dependency: [{g['a']}]" in human


def test_ready_and_blocked_partition_the_work(graph: dict[str, Any]) -> None:
    root = graph["root"]
    ready = set(ids_of(bdj("ready", "--limit", "0", cwd=root)))
    blocked = set(ids_of(bdj("blocked", cwd=root)))
    work = {r["id"] for r in read_records(root)
            if r.get("status", "open") in ("open", "in_progress", "blocked")
            and not r.get("ephemeral") and r.get("issue_type") != "gate"
            and not r.get("defer_until")}
    assert ready.isdisjoint(blocked)
    assert ready | blocked == work
    assert ready == graph["ready"] and blocked == graph["blocked"]


def test_stats_agree_with_ready_and_blocked(graph: dict[str, Any]) -> None:
    root = graph["root"]
    stats = bdj("stats", cwd=root)
    assert "summary" in stats
    s = stats["summary"]
    for key in ("total_issues", "open_issues", "in_progress_issues", "closed_issues",
                "blocked_issues", "ready_issues"):
        assert stats[key] == s[key], key
    assert s["ready_issues"] == len(bdj("ready", "--limit", "0", cwd=root)) == 7
    assert s["blocked_issues"] == len(bdj("blocked", cwd=root)) == 3
    wisps = (root / ".beads" / "wisps.jsonl").read_text().splitlines()
    assert len(wisps) == 1  # the ephemeral issue lives in the git-ignored wisps file
    assert s["total_issues"] == len(read_records(root)) + len(wisps) == 14
    assert s["closed_issues"] == 1
    assert s["in_progress_issues"] == 1
    human = bd("stats", cwd=root).stdout
    assert "Ready to Work:" in human and "Total Issues:" in human


def test_closing_a_blocker_unblocks_dependents_and_children(repo: Path) -> None:
    a = create(repo, "A")
    b = create(repo, "B", "--deps", a)
    c = create(repo, "C", "--parent", b)
    assert ids_of(bdj("ready", cwd=repo)) == [a]
    bd("close", a, cwd=repo)
    assert set(ids_of(bdj("ready", cwd=repo))) == {b, c}
    assert bdj("blocked", cwd=repo) == []
    bd("reopen", a, cwd=repo)
    assert ids_of(bdj("ready", cwd=repo)) == [a]
    assert set(ids_of(bdj("blocked", cwd=repo))) == {b, c}


# ------------------------------------------------------------------------- dependencies


def test_dep_add_list_remove(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    assert bdj("dep", "add", a, b, cwd=repo) == {
        "status": "added", "issue_id": a, "depends_on_id": b, "type": "blocks"}
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, a)["dependencies"]] == [
        (b, "blocks")]
    down = bdj("dep", "list", a, cwd=repo)
    assert [(r["id"], r["dependency_type"]) for r in down] == [(b, "blocks")]
    up = bdj("dep", "list", b, "--direction", "up", cwd=repo)
    assert [(r["id"], r["dependency_type"]) for r in up] == [(a, "blocks")]
    assert bdj("dep", "list", b, cwd=repo) == []
    assert ids_of(bdj("ready", cwd=repo)) == [b]
    dup = bd("dep", "add", a, b, cwd=repo, check=False)
    assert dup.returncode == 1
    assert bdj("dep", "remove", a, b, cwd=repo) == {
        "status": "removed", "issue_id": a, "depends_on_id": b}
    assert not record(repo, a).get("dependencies")
    assert set(ids_of(bdj("ready", cwd=repo))) == {a, b}
    gone = bd("dep", "remove", a, b, cwd=repo, check=False)
    assert gone.returncode == 1 and "does not exist" in gone.stderr
    human = bd("dep", "add", a, b, "-t", "related", cwd=repo).stdout
    assert f"✓ Added dependency: {a} depends on {b} (related)" in human
    assert set(ids_of(bdj("ready", cwd=repo))) == {a, b}


def test_dep_blocks_shortcut(repo: Path) -> None:
    x, y = create(repo, "X"), create(repo, "Y")
    out = bdj("dep", x, "--blocks", y, cwd=repo)
    assert out == {"status": "added", "blocker_id": x, "blocked_id": y, "type": "blocks"}
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, y)["dependencies"]] == [
        (x, "blocks")]
    assert ids_of(bdj("ready", cwd=repo)) == [x]


def test_dep_self_and_cycle_rejected(repo: Path) -> None:
    a, b, c = create(repo, "A"), create(repo, "B"), create(repo, "C")
    bd("dep", "add", a, b, cwd=repo)
    bd("dep", "add", b, c, cwd=repo)
    before = jsonl_path(repo).read_bytes()
    cyc = bd("dep", "add", c, a, cwd=repo, check=False)
    assert cyc.returncode == 1
    assert "would create a cycle" in cyc.stderr
    assert f"{c} → {a} → {b} → {c}" in cyc.stderr
    # a cycle across types (parent-child + blocks) is rejected too
    pc = bd("dep", "add", c, a, "-t", "parent-child", cwd=repo, check=False)
    assert pc.returncode == 1 and "would create a cycle" in pc.stderr
    self_dep = bd("dep", "add", a, a, cwd=repo, check=False)
    assert self_dep.returncode == 1 and "issue cannot depend on itself" in self_dep.stderr
    j = bd("dep", "add", c, a, "--json", cwd=repo, check=False)
    assert "would create a cycle" in json.loads(j.stdout)["error"]
    assert jsonl_path(repo).read_bytes() == before
    # non-blocking types never form a readiness cycle
    bd("dep", "add", c, a, "-t", "related", cwd=repo)
    assert bdj("dep", "cycles", cwd=repo) == []


def test_dep_relate_is_symmetric_and_does_not_block(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    assert bdj("dep", "relate", a, b, cwd=repo) == {"id1": a, "id2": b, "related": True}
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, a)["dependencies"]] == [
        (b, "relates-to")]
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, b)["dependencies"]] == [
        (a, "relates-to")]
    assert set(ids_of(bdj("ready", cwd=repo))) == {a, b}
    # related issues can still get a blocking edge (cycle checks ignore relates-to)
    bd("dep", "add", a, b, cwd=repo)
    assert ids_of(bdj("ready", cwd=repo)) == [b]
    bd("dep", "unrelate", a, b, cwd=repo)
    assert [(d["depends_on_id"], d["type"]) for d in record(repo, a)["dependencies"]] == [
        (b, "blocks")]
    assert not record(repo, b).get("dependencies")


def test_dep_tree_directions(repo: Path) -> None:
    a = create(repo, "A")
    b = create(repo, "B", "--deps", a)
    c = create(repo, "C", "--deps", b)

    def nodes(*args: str) -> list[tuple[str, int, str]]:
        return [(n["id"], n["depth"], n["parent_id"]) for n in bdj("dep", "tree", *args,
                                                                   cwd=repo)]
    assert nodes(c) == [(c, 0, c), (b, 1, c), (a, 2, b)]
    assert nodes(c, "--direction", "down") == nodes(c)
    assert nodes(a, "--direction", "up") == [(a, 0, a), (b, 1, a), (c, 2, b)]
    both = nodes(b, "--direction", "both")
    assert both[0] == (b, 0, b)
    assert sorted(both[1:]) == sorted([(a, 1, b), (c, 1, b)])
    assert nodes(c, "--max-depth", "1") == [(c, 0, c), (b, 1, c)]
    tree = bdj("dep", "tree", c, "--max-depth", "1", cwd=repo)
    assert tree[1]["truncated"] is True and tree[1]["title"] == "B"
    human = bd("dep", "tree", c, cwd=repo).stdout
    assert f"└── {b}: B [P2] (open)" in human
    bad = bd("dep", "tree", c, "--direction", "sideways", cwd=repo, check=False)
    assert bad.returncode == 2


def test_dep_cycles_reports_a_cycle_written_by_hand(repo: Path) -> None:
    dep = {"type": "blocks", "created_at": "2026-01-01T10:00:00Z"}
    write_jsonl(repo, [
        rec("t-aaa", "A", dependencies=[{"issue_id": "t-aaa", "depends_on_id": "t-bbb", **dep}]),
        rec("t-bbb", "B", dependencies=[{"issue_id": "t-bbb", "depends_on_id": "t-aaa", **dep}]),
        rec("t-ccc", "C"),
    ])
    cycles = bdj("dep", "cycles", cwd=repo)
    assert len(cycles) == 1
    assert sorted(ids_of(cycles[0])) == ["t-aaa", "t-bbb"]
    assert ids_of(cycles[0])[0] == "t-aaa"  # rotated to start at the smallest id
    assert "Found 1 dependency cycle:" in bd("dep", "cycles", cwd=repo).stdout
    # both members are blocked; neither is ready
    assert ids_of(bdj("ready", cwd=repo)) == ["t-ccc"]


# ------------------------------------------------------------------------------- labels


def test_labels(repo: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    out = bdj("label", "add", a, b, "area:ui", cwd=repo)
    assert out == [{"status": "added", "issue_id": a, "label": "area:ui"},
                   {"status": "added", "issue_id": b, "label": "area:ui"}]
    bd("label", "add", a, "zeta", cwd=repo)
    assert bdj("label", "list", a, cwd=repo) == ["area:ui", "zeta"]
    assert record(repo, a)["labels"] == ["area:ui", "zeta"]
    assert bdj("label", "list-all", cwd=repo) == [{"label": "area:ui", "count": 2},
                                                  {"label": "zeta", "count": 1}]
    assert bdj("label", "remove", b, "area:ui", cwd=repo) == [
        {"status": "removed", "issue_id": b, "label": "area:ui"}]
    assert bdj("label", "list", b, cwd=repo) == []
    assert "labels" not in record(repo, b)
    assert f"{b} has no labels" in bd("label", "list", b, cwd=repo).stdout
    before = jsonl_path(repo).read_bytes()
    bad = bd("label", "add", a, "t-nosuch", "x", cwd=repo, check=False)
    assert bad.returncode == 1
    assert jsonl_path(repo).read_bytes() == before
    reserved = bd("label", "add", a, "provides:auth", cwd=repo, check=False)
    assert reserved.returncode == 1 and "reserved" in reserved.stderr


# ----------------------------------------------------------------------------- comments


def test_comments(repo: Path) -> None:
    a = create(repo, "A")
    updated = record(repo, a)["updated_at"]
    c = bdj("comments", "add", a, "first comment", cwd=repo)
    assert c["text"] == "first comment" and c["issue_id"] == a
    assert c["author"] == "tester"
    assert c["created_at"]
    bd("comments", "add", a, "second", "--author", "zoe", cwd=repo)
    listed = bdj("comments", a, cwd=repo)
    assert [(x["author"], x["text"]) for x in listed] == [("tester", "first comment"),
                                                          ("zoe", "second")]
    r = record(repo, a)
    assert [(x["author"], x["text"]) for x in r["comments"]] == [("tester", "first comment"),
                                                                 ("zoe", "second")]
    assert r["updated_at"] == updated
    human = bd("comments", a, cwd=repo).stdout
    assert f"Comments on {a}:" in human and "[zoe] second" in human
    b = create(repo, "B")
    assert bdj("comments", b, cwd=repo) == []
    empty = bd("comments", "add", b, cwd=repo, check=False)
    assert empty.returncode != 0 and "comment text required" in empty.stderr


# ------------------------------------------------------------------------------- delete


def test_delete_preview_then_force(repo: Path) -> None:
    a = create(repo, "Doomed")
    b = create(repo, "Survivor", "-d", f"see {a} for context", "--deps", a)
    assert ids_of(bdj("ready", cwd=repo)) == [a]
    before = jsonl_path(repo).read_bytes()
    preview = bd("delete", a, cwd=repo)
    assert a in preview.stdout and "--force" in preview.stdout
    assert jsonl_path(repo).read_bytes() == before
    out = bdj("delete", a, "--force", cwd=repo)
    assert out["deleted"] in (a, [a])
    assert out["dependencies_removed"] == 1
    assert out["references_updated"] == 1
    ra = record(repo, a)
    assert ra["status"] == "tombstone"
    assert ra["deleted_at"] and ra["deleted_by"] == "tester"
    assert ra["original_type"] == "task"
    assert "closed_at" not in ra
    rb = record(repo, b)
    assert rb["description"] == f"see [deleted:{a}] for context"
    assert not rb.get("dependencies")
    assert ids_of(bdj("list", "--all", cwd=repo)) == [b]
    assert ids_of(bdj("ready", cwd=repo)) == [b]
    assert a not in ids_of(bdj("search", "Doomed", cwd=repo))
    assert bdj("count", "--all", cwd=repo) == {"count": 1}
    assert ids_of(bdj("list", "--status", "tombstone", cwd=repo)) == [a]


def test_delete_unknown_id_fails(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    proc = bd("delete", a, "t-nosuch", "--force", cwd=repo, check=False)
    assert proc.returncode == 1
    assert "t-nosuch" in proc.stderr
    assert jsonl_path(repo).read_bytes() == before


# ------------------------------------------------------------------------ export/import


def test_export_equals_the_jsonl(repo: Path) -> None:
    a = create(repo, "A", "-l", "x")
    create(repo, "B", "--deps", a)
    bd("comments", "add", a, "kept in export", cwd=repo)
    proc = bd("export", cwd=repo)
    assert proc.stdout.encode() == jsonl_path(repo).read_bytes()
    create(repo, "Wisp", "--ephemeral")
    exported = bd("export", cwd=repo).stdout
    assert "Wisp" not in exported
    assert len(exported.splitlines()) == 2
    assert "kept in export" in exported
    out = repo / "out.jsonl"
    bd("export", "-o", str(out), cwd=repo)
    assert out.read_text() == exported


def test_import_into_fresh_repo(repo: Path, tmp_path: Path) -> None:
    a = create(repo, "A", "-l", "x", "-d", "alpha")
    b = create(repo, "B", "--deps", a)
    c = create(repo, "C")
    bd("comments", "add", a, "hello", cwd=repo)
    bd("close", c, cwd=repo)
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(jsonl_path(repo).read_bytes())

    other = make_repo(tmp_path / "other")
    first = bd("import", "-i", str(dump), cwd=other)
    assert "Import complete: 3 created, 0 updated" in first.stderr
    assert jsonl_path(other).read_bytes() == dump.read_bytes()
    assert ids_of(bdj("ready", cwd=other)) == [a]
    assert ids_of(bdj("blocked", cwd=other)) == [b]
    assert [x["text"] for x in bdj("comments", a, cwd=other)] == ["hello"]

    again = bdj("import", "-i", str(dump), cwd=other)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert jsonl_path(other).read_bytes() == dump.read_bytes()

    # a newer updated_at wins; an older one does not
    recs = {r["id"]: r for r in read_records(repo)}
    newer = dict(recs[a], title="A renamed", updated_at="2099-01-01T00:00:00Z")
    older = dict(recs[b], title="B stale edit", updated_at="2000-01-01T00:00:00Z")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(newer) + "\n" + json.dumps(older) + "\n")
    counts = bdj("import", "-i", str(feed), cwd=other)
    assert (counts["created"], counts["updated"], counts["unchanged"]) == (0, 1, 1)
    assert record(other, a)["title"] == "A renamed"
    assert record(other, b)["title"] == "B"
    assert [x["text"] for x in record(other, a)["comments"]] == ["hello"]

    # stdin works too
    piped = bd("import", cwd=other, input=dump.read_text())
    assert "Import complete:" in piped.stderr


def test_import_does_not_resurrect_a_local_tombstone(repo: Path, tmp_path: Path) -> None:
    a, b = create(repo, "A"), create(repo, "B")
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(jsonl_path(repo).read_bytes())
    bd("delete", a, "--force", cwd=repo)
    counts = bdj("import", "-i", str(dump), cwd=repo)
    assert counts["skipped"] == 1 and counts["created"] == 0
    assert record(repo, a)["status"] == "tombstone"
    assert ids_of(bdj("list", cwd=repo)) == [b]


def test_import_malformed_line_changes_nothing(repo: Path, tmp_path: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(rec("t-new1", "fine")) + "\n{not json\n"
                   + json.dumps(rec("t-new2", "also fine")) + "\n")
    proc = bd("import", "-i", str(bad), cwd=repo, check=False)
    assert proc.returncode == 1
    assert f"{bad}:2" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert jsonl_path(repo).read_bytes() == before
    assert ids_of(bdj("list", cwd=repo)) == [a]
    positional = bd("import", str(bad), cwd=repo, check=False)
    assert positional.returncode == 2 and "-i" in positional.stderr


# --------------------------------------------------------------------- config and info


def test_config_set_get_list(repo: Path) -> None:
    assert bd("config", "set", "jira.url", "https://example.org", cwd=repo).returncode == 0
    assert bd("config", "get", "jira.url", cwd=repo).stdout.strip() == "https://example.org"
    got = bdj("config", "get", "jira.url", cwd=repo)
    assert got["key"] == "jira.url" and got["value"] == "https://example.org"
    assert "jira.url" in (repo / ".beads" / "config.yaml").read_text()
    listed = bdj("config", "list", cwd=repo)
    assert listed["jira.url"] == "https://example.org"
    assert listed["issue-prefix"] == "t"
    assert "not set" in bd("config", "get", "nothing.here", cwd=repo).stdout
    bd("config", "set", "status.custom", "review", cwd=repo)
    a = create(repo, "A")
    bd("update", a, "--status", "review", cwd=repo)
    assert record(repo, a)["status"] == "review"
    bd("config", "unset", "jira.url", cwd=repo)
    assert "jira.url" not in bdj("config", "list", cwd=repo)


def test_info_json(repo: Path) -> None:
    create(repo, "A")
    create(repo, "B")
    info = bdj("info", cwd=repo)
    assert Path(info["database_path"]).resolve() == (repo / ".beads" / "beads.db").resolve()
    assert info["issue_count"] == 2
    assert info["config"]["issue-prefix"] == "t"
    assert info["daemon_connected"] is False
    schema = bdj("info", "--schema", cwd=repo)["schema"]
    for table in ("issues", "dependencies", "labels", "comments", "events"):
        assert table in schema["tables"]


def test_version(repo: Path) -> None:
    assert bd("--version", cwd=repo).stdout.startswith("bd version 0.46.0")
    assert bd("version", cwd=repo).stdout.startswith("bd version 0.46.0")
    assert bdj("version", cwd=repo)["version"] == "0.46.0"


# ------------------------------------------------------------------------- global flags


def test_global_flags_after_args(repo: Path) -> None:
    a = create(repo, "A")
    rows = json.loads(bd("list", "--json", "--no-daemon", "--actor", "x", cwd=repo).stdout)
    assert ids_of(rows) == [a]
    assert ids_of(json.loads(bd("--json", "list", cwd=repo).stdout)) == [a]
    made = json.loads(bd("create", "By zed", "--actor", "zed", "--json", "--sandbox",
                         "--no-auto-flush", "--no-auto-import", "-q", cwd=repo).stdout)
    assert record(repo, made["id"])["created_by"] == "zed"
    assert json.loads(bd("ready", "--actor=y", "--json", "--db",
                         str(repo / ".beads" / "beads.db"), cwd=repo).stdout)
    bd("update", a, "--claim", "--actor", "wes", cwd=repo)
    assert record(repo, a)["assignee"] == "wes"


def test_actor_from_environment(repo: Path) -> None:
    rid = bd("create", "Env actor", "--silent", cwd=repo, env={"BD_ACTOR": "envy"}).stdout
    assert record(repo, rid.strip())["created_by"] == "envy"


def test_readonly_blocks_writes(repo: Path) -> None:
    a = create(repo, "A")
    before = jsonl_path(repo).read_bytes()
    for args in (("create", "nope"), ("update", a, "--notes", "x"), ("close", a),
                 ("label", "add", a, "x"), ("dep", "add", a, a)):
        proc = bd(*args, "--readonly", cwd=repo, check=False)
        assert proc.returncode == 1, args
        assert "not allowed in read-only mode" in proc.stderr, args
    assert "operation 'create' is not allowed in read-only mode" in bd(
        "create", "x", "--readonly", cwd=repo, check=False).stderr
    assert jsonl_path(repo).read_bytes() == before
    assert ids_of(bdj("list", "--readonly", cwd=repo)) == [a]


def test_unknown_command_and_flag_are_usage_errors(repo: Path) -> None:
    assert bd("frobnicate", cwd=repo, check=False).returncode == 2
    bad = bd("list", "--no-such-flag", cwd=repo, check=False)
    assert bad.returncode == 2 and "--no-such-flag" in bad.stderr


# ------------------------------------------------------------------------ miscellaneous


def test_empty_workspace_outputs(repo: Path) -> None:
    assert bdj("list", cwd=repo) == []
    assert bdj("ready", cwd=repo) == []
    assert bdj("blocked", cwd=repo) == []
    assert bd("list", cwd=repo).stdout.strip() == "No issues found."
    assert "No open issues" in bd("ready", cwd=repo).stdout
    assert bdj("stats", cwd=repo)["summary"]["total_issues"] == 0
    assert bd("export", cwd=repo).stdout == ""


def test_json_from_environment(repo: Path) -> None:
    a = create(repo, "A")
    proc = bd("list", cwd=repo, env={"BD_JSON": "1"})
    assert ids_of(json.loads(proc.stdout)) == [a]


def test_workspace_found_from_subdirectory_and_env(repo: Path, tmp_path: Path) -> None:
    a = create(repo, "A")
    sub = repo / "src" / "deep"
    sub.mkdir(parents=True)
    assert ids_of(bdj("list", cwd=sub)) == [a]
    b = create(sub, "Made from a subdirectory")
    assert {r["id"] for r in read_records(repo)} == {a, b}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git("init", "-q", cwd=elsewhere)
    via_env = bd("list", "--json", cwd=elsewhere, env={"BEADS_DIR": str(repo / ".beads")})
    assert sorted(ids_of(json.loads(via_env.stdout))) == sorted([a, b])
    via_db = bdj("list", "--db", str(repo / ".beads" / "beads.db"), cwd=elsewhere)
    assert sorted(ids_of(via_db)) == sorted([a, b])


def test_unicode_round_trip(repo: Path) -> None:
    rid = create(repo, "Café ☕ naïve 日本", "-d", "line one\nline two\ttab \"quoted\"")
    raw = jsonl_path(repo).read_text(encoding="utf-8")
    assert "Café ☕ naïve 日本" in raw          # UTF-8 as is, like Go's encoder
    assert len(raw.splitlines()) == 1           # the newline is escaped
    r = record(repo, rid)
    assert r["description"] == "line one\nline two\ttab \"quoted\""
    shown = bdj("show", rid, cwd=repo)[0]
    assert shown["title"] == "Café ☕ naïve 日本"
    assert ids_of(bdj("search", "naïve", cwd=repo)) == [rid]


def test_description_from_stdin_and_file(repo: Path, tmp_path: Path) -> None:
    a = bd("create", "From stdin", "-d", "-", "--silent", cwd=repo,
           input="piped text\nsecond line\n").stdout.strip()
    assert record(repo, a)["description"].startswith("piped text\nsecond line")
    body = tmp_path / "body.md"
    body.write_text("## Heading\nfrom a file")
    b = create(repo, "From file", "--body-file", str(body))
    assert record(repo, b)["description"] == "## Heading\nfrom a file"
    bd("update", b, "--body-file", str(body), "--title", "Still from file", cwd=repo)
    assert record(repo, b)["title"] == "Still from file"


def test_hierarchy_depth_and_child_numbers(repo: Path) -> None:
    p = create(repo, "Root", "-t", "epic")
    c1 = create(repo, "c1", "--parent", p)
    c11 = create(repo, "c11", "--parent", c1)
    c111 = create(repo, "c111", "--parent", c11)
    assert c111 == f"{p}.1.1.1"
    too_deep = bd("create", "c1111", "--parent", c111, cwd=repo, check=False)
    assert too_deep.returncode == 1
    assert "maximum hierarchy depth" in too_deep.stderr
    c2 = create(repo, "c2", "--parent", p)
    assert c2 == f"{p}.2"
    bd("delete", c2, "--force", cwd=repo)
    assert create(repo, "c3", "--parent", p) == f"{p}.3"   # a deleted number is not reused
    assert set(ids_of(bdj("ready", "--parent", p, "--limit", "0", cwd=repo))) == {
        c1, c11, c111, f"{p}.3"}
    assert sorted(ids_of(bdj("list", "--parent", p, cwd=repo))) == sorted([c1, f"{p}.3"])


def test_every_requested_id_must_exist(repo: Path) -> None:
    a = create(repo, "A")
    bd("close", a, cwd=repo)
    before = jsonl_path(repo).read_bytes()
    for args in (("reopen", a, "t-nosuch"), ("defer", a, "t-nosuch"),
                 ("undefer", "t-nosuch"), ("label", "remove", a, "t-nosuch", "x"),
                 ("dep", "add", a, "t-nosuch"), ("comments", "add", "t-nosuch", "hi"),
                 ("dep", "tree", "t-nosuch"), ("dep", "list", "t-nosuch")):
        proc = bd(*args, cwd=repo, check=False)
        assert proc.returncode == 1, args
        assert "t-nosuch" in proc.stderr, args
    assert jsonl_path(repo).read_bytes() == before


def test_priority_forms(repo: Path) -> None:
    assert record(repo, create(repo, "p", "-p", "p3"))["priority"] == 3
    assert record(repo, create(repo, "P", "-p", "P4"))["priority"] == 4
    for bad in ("5", "-1", "P9", "1.5", ""):
        proc = bd("create", "bad", "-p", bad, cwd=repo, check=False)
        assert proc.returncode != 0, bad
    assert len(read_records(repo)) == 2


def test_concurrent_creates_all_land(repo: Path) -> None:
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-m", "bd", "create", f"parallel {n}",
                               "--silent"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
             for n in range(8)]
    made = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        made.append(out.strip())
    assert len(set(made)) == 8
    recs = read_records(repo)
    assert sorted(r["id"] for r in recs) == sorted(made)
    assert sorted(r["title"] for r in recs) == sorted(f"parallel {n}" for n in range(8))
    assert len(bdj("list", cwd=repo)) == 8


def test_import_rejects_a_foreign_prefix(repo: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(rec("zz-abc", "foreign")) + "\n")
    proc = bd("import", "-i", str(feed), cwd=repo, check=False)
    assert proc.returncode == 1
    assert "prefix" in proc.stderr
    assert jsonl_path(repo).read_bytes() == b""
    bd("import", "-i", str(feed), "--force", cwd=repo)
    assert ids_of(bdj("list", cwd=repo)) == ["zz-abc"]


def test_validation_messages(repo: Path) -> None:
    p = create(repo, "Parent")
    c = create(repo, "Child", "--parent", p)
    before = jsonl_path(repo).read_bytes()
    child_dep = bd("dep", "add", c, p, cwd=repo, check=False)
    assert child_dep.returncode == 1
    assert f"{c} is already a child of {p}" in child_dep.stderr
    long_title = bd("create", "x" * 501, "-d", "d", cwd=repo, check=False)
    assert long_title.returncode == 1
    assert "title must be 500 characters or less (got 501)" in long_title.stderr
    assert jsonl_path(repo).read_bytes() == before
    quiet = bd("create", "quiet one", "-q", cwd=repo)
    assert quiet.stderr == ""
    bd("close", p, cwd=repo)
    claim = bd("update", p, "--claim", cwd=repo, check=False)
    assert claim.returncode == 1 and "closed" in claim.stderr


def test_update_due_and_defer_clear(repo: Path) -> None:
    a = create(repo, "A")
    bd("update", a, "--defer", "+1d", "--due", "+2d", cwd=repo)
    r = record(repo, a)
    assert r["defer_until"] and r["due_at"]
    assert bdj("ready", cwd=repo) == []
    bd("update", a, "--defer", "", cwd=repo)
    r = record(repo, a)
    assert "defer_until" not in r and r["due_at"]
    assert ids_of(bdj("ready", cwd=repo)) == [a]


def test_external_dependency(repo: Path) -> None:
    a = create(repo, "Needs another project")
    out = bdj("dep", "add", a, "external:proj:cap", cwd=repo)
    assert out["depends_on_id"] == "external:proj:cap"
    assert [d["depends_on_id"] for d in record(repo, a)["dependencies"]] == ["external:proj:cap"]
    # without external_projects configured an external dependency does not block
    assert ids_of(bdj("ready", cwd=repo)) == [a]
    shown = bdj("show", a, cwd=repo)[0]
    assert shown["dependencies"] == []  # embedded issues only: clients validate each one
    assert shown["unresolved_dependencies"] == [
        {"id": "external:proj:cap", "dependency_type": "blocks", "status": "external"}]
    bad = bd("dep", "add", a, "external:nocap", cwd=repo, check=False)
    assert bad.returncode == 1 and "external:" in bad.stderr
    bd("dep", "remove", a, "external:proj:cap", cwd=repo)
    assert not record(repo, a).get("dependencies")


def test_a_tombstone_cannot_be_linked_or_labelled(repo: Path) -> None:
    # update/close/reopen already refuse a deleted issue ("issue X is deleted"); linking to
    # it or labelling it must refuse the same way instead of silently editing dead data.
    a, c = create(repo, "Deleted"), create(repo, "Alive")
    bd("delete", a, "--force", cwd=repo)
    before = jsonl_path(repo).read_bytes()
    accepted = []
    for args in (("update", a, "--notes", "x"), ("close", a), ("reopen", a),
                 ("dep", "add", c, a), ("create", "New", "-d", "x", "--deps", a),
                 ("create", "Kid", "-d", "x", "--parent", a), ("update", c, "--parent", a),
                 ("label", "add", a, "x")):
        proc = bd(*args, cwd=repo, check=False)
        if proc.returncode != 1 or a not in proc.stderr:
            accepted.append(" ".join(args))
        jsonl_path(repo).write_bytes(before)
    assert accepted == []
    assert bdj("show", a, cwd=repo)[0]["status"] == "tombstone"
