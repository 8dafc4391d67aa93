"""edit (through a pseudo-terminal), rename-prefix, admin reset, prime --mcp/--stealth/--full
and the quickstart heading: through the real CLI."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

from conftest import bd, bdj, git, jsonl_path


def _records(root: Path) -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in map(json.loads, jsonl_path(root).read_text().splitlines())}


def _on_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run bd with a pseudo-terminal as stdin and stdout (what a person's shell gives)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bd", *args], cwd=cwd, stdin=follower,
                            stdout=follower, stderr=subprocess.PIPE, env={**os.environ, **env})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_edit_opens_the_editor_on_one_field(repo: Path, tmp_path: Path) -> None:
    bd("create", "Old title", "--id", "t-a", "-d", "old text", cwd=repo)
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\ngrep -q 'old text' \"$1\" && printf 'new text\\n' > \"$1\"\n")
    editor.chmod(0o755)
    code, out = _on_terminal(["edit", "t-a"], repo, {"EDITOR": str(editor)})
    assert code == 0, out
    assert _records(repo)["t-a"]["description"] == "new text"
    title_editor = tmp_path / "title.sh"
    title_editor.write_text("#!/bin/sh\nprintf 'New title\\n' > \"$1\"\n")
    title_editor.chmod(0o755)
    for args, key in ((["edit", "t-a", "--title"], "title"),
                      (["edit", "t-a", "--design"], "design"),
                      (["edit", "t-a", "--notes"], "notes"),
                      (["edit", "t-a", "--acceptance"], "acceptance_criteria")):
        code, out = _on_terminal(args, repo, {"VISUAL": str(title_editor)})
        assert code == 0, out
        assert _records(repo)["t-a"][key] == "New title"  # the editor's final newline dropped
    code, _ = _on_terminal(["edit", "t-a", "--description"], repo,
                           {"EDITOR": "false"})  # the editor fails: nothing changes
    assert code == 1 and _records(repo)["t-a"]["description"] == "new text"


def test_edit_refuses_without_a_terminal(repo: Path) -> None:
    bd("create", "A", "--id", "t-a", cwd=repo)
    proc = bd("edit", "t-a", cwd=repo, check=False, env={"EDITOR": "true"})
    assert proc.returncode == 2 and "needs a terminal" in proc.stderr
    two = bd("edit", "t-a", "--title", "--notes", cwd=repo, check=False)
    assert two.returncode == 2


def test_rename_prefix_rewrites_ids_links_and_text(repo: Path) -> None:
    bd("create", "A", "--id", "t-a", cwd=repo)
    bd("create", "Child", "--parent", "t-a", cwd=repo)
    bd("create", "B", "--id", "t-b", "--deps", "t-a", "-d", "after t-a and t-a.1", cwd=repo)
    dry = bdj("rename-prefix", "app", "--dry-run", cwd=repo)
    assert dry["renamed"] == {"t-a": "app-a", "t-a.1": "app-a.1", "t-b": "app-b"}
    assert "t-a" in _records(repo)
    bd("rename-prefix", "app", cwd=repo)
    recs = _records(repo)
    assert set(recs) == {"app-a", "app-a.1", "app-b"}
    assert recs["app-b"]["description"] == "after app-a and app-a.1"
    assert {d["depends_on_id"] for d in recs["app-b"]["dependencies"]} == {"app-a"}  # type: ignore[union-attr, index]
    assert [c["id"] for c in bdj("children", "app-a", cwd=repo)] == ["app-a.1"]
    new = bdj("create", "Next", cwd=repo)["id"]
    assert new.startswith("app-")
    # a workspace with two prefixes needs --repair
    bd("create", "Stray", "--id", "zz-s", "--force", cwd=repo)
    assert bd("rename-prefix", "web", cwd=repo, check=False).returncode == 1
    bd("rename-prefix", "web", "--repair", cwd=repo)
    assert {rid.split("-")[0] for rid in _records(repo)} == {"web"}


def test_admin_reset_removes_bd_but_keeps_issues(repo: Path) -> None:
    bd("create", "Keep me", "--id", "t-k", cwd=repo)
    preview = bdj("admin", "reset", cwd=repo)
    assert preview["preview"] is True and "pre-commit" in preview["hooks"]
    assert git("config", "--get", "merge.beads.driver", cwd=repo).strip()
    done = bdj("admin", "reset", "--force", cwd=repo)
    assert done["preview"] is False
    assert subprocess.run(["git", "config", "--get", "merge.beads.driver"], cwd=repo,
                          capture_output=True).returncode == 1
    assert not (repo / ".beads" / "beads.db").exists()
    assert "t-k" in _records(repo)  # the issues stay
    assert not (repo / ".gitattributes").exists() or \
        "merge=beads" not in (repo / ".gitattributes").read_text()
    bd("admin", "reset", "--force", "--data", cwd=repo)
    assert not (repo / ".beads").exists()



def test_admin_reset_removes_the_jsonl_spare(repo: Path) -> None:
    """The spare a large JSONL keeps (bd.store.jsonl.SPARE_DIR) is local and disposable."""
    bd("create", "Keep me", "--id", "t-k", cwd=repo)
    spare = repo / ".beads" / ".bd-spare"
    spare.mkdir()
    (spare / ".gitignore").write_text("*\n")
    (spare / "issues.jsonl").write_bytes((repo / ".beads" / "issues.jsonl").read_bytes())
    assert str(spare) in bdj("admin", "reset", cwd=repo)["cache_files"]
    bdj("admin", "reset", "--force", cwd=repo)
    assert not spare.exists()
    assert "t-k" in _records(repo)

def test_prime_modes(repo: Path) -> None:
    full = bd("prime", cwd=repo).stdout
    assert bd("prime", "--full", cwd=repo).stdout == full
    mcp = bd("prime", "--mcp", cwd=repo).stdout
    assert "MCP tools" in mcp and len(mcp) < len(full) / 2
    assert bd("prime", "--mcp", "--full", cwd=repo).stdout == full
    stealth = bd("prime", "--stealth", cwd=repo).stdout
    assert "stealth" in stealth and "(commits `.beads/` only" not in stealth
    assert "(commits `.beads/` only" in full


def test_quickstart_keeps_the_original_heading(repo: Path) -> None:
    assert "bd - Dependency-Aware Issue Tracker" in bd("quickstart", cwd=repo).stdout


def test_create_repo_and_prefix_route_to_another_workspace(repo: Path, tmp_path: Path) -> None:
    from conftest import make_repo

    other = make_repo(tmp_path / "other", prefix="oth")
    made = bdj("create", "Elsewhere", "--repo", str(other), cwd=repo)
    assert made["id"].startswith("oth-") and made["id"] in _records(other)
    assert _records(repo) == {}
    (repo / ".beads" / "routes.jsonl").write_text(
        json.dumps({"prefix": "oth-", "path": str(other / ".beads")}) + "\n")
    routed = bdj("create", "Routed", "--prefix", "oth", cwd=repo)
    assert routed["id"] in _records(other)
    assert bd("create", "X", "--prefix", "nope", cwd=repo, check=False).returncode == 1
    assert bd("create", "X", "--repo", str(other), "--prefix", "oth", cwd=repo,
              check=False).returncode == 2


def test_repo_add_list_sync_remove_and_read_only_show(repo: Path, tmp_path: Path) -> None:
    from conftest import make_repo

    other = make_repo(tmp_path / "lib", prefix="lib")
    bd("create", "Library bug", "--id", "lib-b", cwd=other)
    assert bdj("repo", "add", str(other), cwd=repo)["added"] is True
    listed = bdj("repo", "list", cwd=repo)["additional"]
    assert listed[0]["issue_count"] == 1 and listed[0]["prefixes"] == ["lib"]
    first = bdj("repo", "sync", cwd=repo)
    assert first["repos"][0]["changed"] is True
    assert bdj("repo", "sync", cwd=repo)["repos"][0]["changed"] is False
    bd("create", "Another", cwd=other)
    assert bdj("repo", "sync", cwd=repo)["repos"][0]["changed"] is True
    shown = bdj("show", "lib-b", cwd=repo)
    assert shown[0]["title"] == "Library bug" and shown[0]["source_repo"] == str(other)
    assert "read-only" in bd("show", "lib-b", cwd=repo).stdout
    assert _records(repo) == {}  # nothing of the other repository is written here
    bd("repo", "remove", str(other), cwd=repo)
    assert bdj("repo", "list", cwd=repo)["additional"] == []
    assert bd("show", "lib-b", cwd=repo, check=False).returncode == 1
    assert bd("repo", "remove", str(other), cwd=repo, check=False).returncode == 1
    bd("repo", "add", str(tmp_path / "missing"), cwd=repo, check=False)


def test_upgrade_status_review_ack(repo: Path) -> None:
    assert bdj("upgrade", "status", cwd=repo)["upgraded"] is False
    assert "no version acknowledged" in bd("upgrade", "status", cwd=repo).stdout
    first = bdj("upgrade", "ack", cwd=repo)
    assert first["previous_version"] is None and first["acknowledged"] is True
    (repo / ".beads" / ".local_version").write_text("0.45.0\n")
    status = bdj("upgrade", "status", cwd=repo)
    assert status["upgraded"] is True and status["previous_version"] == "0.45.0"
    review = bdj("upgrade", "review", cwd=repo)
    assert review["new_versions"] and review["new_versions"][0]["version"] == "0.46.0"
    assert "bd upgrade ack" in bd("upgrade", "review", cwd=repo).stdout
    bd("upgrade", "ack", cwd=repo)
    assert bdj("upgrade", "status", cwd=repo)["upgraded"] is False
    assert bdj("upgrade", "review", cwd=repo)["new_versions"] == []
    git_status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, text=True,
                                capture_output=True).stdout
    assert ".local_version" not in git_status  # git-ignored
