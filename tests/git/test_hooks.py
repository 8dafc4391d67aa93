"""Git hooks, driven through real git: install/uninstall/list, chaining the user's hooks,
core.hooksPath, linked worktrees, hook managers, and what each hook does."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bd, bdj, create, git, jsonl_path

from bd.git import hooks

HOOK_NAMES = ["pre-commit", "post-merge", "post-checkout", "post-rewrite", "pre-push"]


def run_git(*args: str, cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """git that may fail (hooks refusing); the caller checks the result."""
    return subprocess.run(["git", *args], cwd=cwd, text=True, capture_output=True, timeout=60,
                          env=None if env is None else {**os.environ, **env})


def committed_files(root: Path, rev: str = "HEAD") -> set[str]:
    return set(git("show", "--name-only", "--format=", rev, cwd=root).split())


def write_hook(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def plain_repo(tmp_path: Path, name: str = "plain") -> Path:
    root = tmp_path / name
    root.mkdir()
    git("init", "-q", cwd=root)
    return root


def first_commit(root: Path) -> None:
    (root / "README").write_text("hello\n")
    git("add", "-A", cwd=root)
    git("commit", "-qm", "initial", cwd=root)


def cache_state(root: Path) -> tuple[set[str], str | None]:
    """(ids in the cache, its stored JSONL signature), read without running bd."""
    conn = sqlite3.connect(root / ".beads" / "beads.db")
    try:
        ids = {r[0] for r in conn.execute("SELECT id FROM issues")}
        sig = conn.execute("SELECT value FROM metadata WHERE key = 'bd_jsonl_sig'").fetchone()
    finally:
        conn.close()
    return ids, sig[0] if sig else None


def stat_sig(path: Path) -> str:
    from bd.store.cache import stat_sig as sig

    return sig(str(path))


# ------------------------------------------------------------------ install / list / uninstall


def test_init_installs_hooks_and_list_reports_them(repo: Path) -> None:
    report = bdj("hooks", "list", cwd=repo)
    assert report["hooks_dir"] == str(repo / ".git" / "hooks")
    assert [h["name"] for h in report["hooks"]] == HOOK_NAMES
    assert {h["status"] for h in report["hooks"]} == {"installed"}
    assert all(h["version"] == hooks.SHIM_VERSION and not h["chained"]
               for h in report["hooks"])
    human = bd("hooks", "list", cwd=repo).stdout
    assert "pre-commit" in human and "installed" in human


def test_shim_is_small_posix_sh_with_a_version_marker(repo: Path) -> None:
    shim = repo / ".git" / "hooks" / "pre-commit"
    text = shim.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert f"# bd-hooks-version: {hooks.SHIM_VERSION}" in text
    assert "exec bd hooks run pre-commit" in text
    assert len(text.splitlines()) < 25
    assert os.access(shim, os.X_OK)
    assert subprocess.run(["sh", "-n", str(shim)]).returncode == 0


def test_uninstall_then_install_again(repo: Path) -> None:
    out = bdj("hooks", "uninstall", cwd=repo)
    assert {r["action"] for r in out["results"]} == {"removed"}
    assert not any((repo / ".git" / "hooks" / n).exists() for n in HOOK_NAMES)
    assert {h["status"] for h in bdj("hooks", "list", cwd=repo)["hooks"]} == {"absent"}
    again = bdj("hooks", "uninstall", cwd=repo)
    assert {r["action"] for r in again["results"]} == {"absent"}
    out = bdj("hooks", "install", cwd=repo)
    assert {r["action"] for r in out["results"]} == {"installed"}
    out = bdj("hooks", "install", cwd=repo)
    assert {r["action"] for r in out["results"]} == {"unchanged"}


def test_outdated_shim_is_reported_and_updated(repo: Path) -> None:
    shim = repo / ".git" / "hooks" / "post-merge"
    shim.write_text(shim.read_text().replace(f"bd-hooks-version: {hooks.SHIM_VERSION}",
                                             "bd-hooks-version: 0"))
    states = {h["name"]: h for h in bdj("hooks", "list", cwd=repo)["hooks"]}
    assert states["post-merge"]["status"] == "outdated"
    assert states["post-merge"]["version"] == 0
    out = bdj("hooks", "install", cwd=repo)
    actions = {r["name"]: r["action"] for r in out["results"]}
    assert actions["post-merge"] == "updated"
    assert shim.read_text() == hooks.render("post-merge")


def test_original_bd_hook_is_replaced_not_chained(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    write_hook(hook, "# bd (beads) pre-commit hook\nbd sync --flush-only\n")
    assert {h["name"]: h["status"] for h in bdj("hooks", "list", cwd=repo)["hooks"]}[
        "pre-commit"] == "outdated"
    out = bdj("hooks", "install", cwd=repo)
    assert {r["name"]: r["action"] for r in out["results"]}["pre-commit"] == "replaced"
    assert not (repo / ".git" / "hooks" / "pre-commit.old").exists()


# ------------------------------------------------------------------------------- chaining


def test_existing_hook_is_chained_runs_first_and_is_restored(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    mark = tmp_path / "mark"
    user_hook = root / ".git" / "hooks" / "pre-commit"
    write_hook(user_hook, f'echo "user hook $#" >> "{mark}"\n')
    original = user_hook.read_text()
    out = bd("init", "--prefix", "t", cwd=root).stdout
    assert "chained the existing pre-commit" in out
    assert (root / ".git" / "hooks" / "pre-commit.old").read_text() == original
    states = {h["name"]: h for h in bdj("hooks", "list", cwd=root)["hooks"]}
    assert states["pre-commit"]["status"] == "chained"
    assert states["pre-commit"]["chained_path"].endswith("pre-commit.old")

    rid = create(root, "Ride along")
    (root / "code.txt").write_text("x\n")
    git("add", "code.txt", cwd=root)
    git("commit", "-qm", "code", cwd=root)
    assert mark.read_text() == "user hook 0\n"             # the user's hook ran ...
    assert ".beads/issues.jsonl" in committed_files(root)  # ... and so did bd's
    assert rid in git("show", "HEAD:.beads/issues.jsonl", cwd=root)

    out = bdj("hooks", "uninstall", cwd=root)
    assert {r["name"]: r["action"] for r in out["results"]}["pre-commit"] == "restored"
    assert user_hook.read_text() == original
    assert not (root / ".git" / "hooks" / "pre-commit.old").exists()
    (root / "code.txt").write_text("y\n")
    git("commit", "-qam", "again", cwd=root)
    assert mark.read_text() == "user hook 0\nuser hook 0\n"


def test_failing_chained_hook_blocks_the_commit(repo: Path) -> None:
    write_hook(repo / ".git" / "hooks" / "pre-commit.old", "echo nope >&2\nexit 3\n")
    (repo / "f.txt").write_text("x\n")
    git("add", "f.txt", cwd=repo)
    proc = run_git("commit", "-qm", "blocked", cwd=repo)
    assert proc.returncode != 0
    assert "nope" in proc.stderr


def test_chained_pre_push_gets_args_and_stdin(tmp_path: Path, repo: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("remote", "add", "origin", str(remote), cwd=repo)
    seen = tmp_path / "seen"
    write_hook(repo / ".git" / "hooks" / "pre-push.old",
               f'echo "$1 $2" > "{seen}"\ncat >> "{seen}"\n')
    first_commit(repo)
    git("push", "-q", "origin", "main", cwd=repo)
    lines = seen.read_text().splitlines()
    assert lines[0] == f"origin {remote}"
    assert lines[1].startswith("refs/heads/main ")
    assert lines[1].endswith(" refs/heads/main " + "0" * 40)


def test_existing_hook_and_old_both_foreign_is_left_alone(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    write_hook(root / ".git" / "hooks" / "post-merge", "echo current\n")
    write_hook(root / ".git" / "hooks" / "post-merge.old", "echo older\n")
    out = bdj("hooks", "install", cwd=root)
    result = {r["name"]: r for r in out["results"]}["post-merge"]
    assert result["action"] == "skipped" and "both exist" in result["message"]
    assert (root / ".git" / "hooks" / "post-merge").read_text().endswith("echo current\n")
    assert (root / ".git" / "hooks" / "post-merge.old").read_text().endswith("echo older\n")


def test_chained_bd_shim_is_never_run_twice(repo: Path) -> None:
    # A bd shim kept as .old (someone copied hooks around) must not make bd call itself.
    hooks_dir = repo / ".git" / "hooks"
    (hooks_dir / "post-checkout.old").write_text(hooks.render("post-checkout"))
    (hooks_dir / "post-checkout.old").chmod(0o755)
    proc = run_git("checkout", "-q", "-b", "other", cwd=repo)
    assert proc.returncode == 0, proc.stderr


def test_recursion_guard_when_managers_chain_each_other(repo: Path) -> None:
    # pre-commit.old runs bd's shim again (as when two managers each chain the other).
    hooks_dir = repo / ".git" / "hooks"
    write_hook(hooks_dir / "pre-commit.old", f'exec "{hooks_dir}/pre-commit" "$@"\n')
    (repo / "f.txt").write_text("x\n")
    git("add", "f.txt", cwd=repo)
    proc = run_git("commit", "-qm", "no loop", cwd=repo)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------- hooks dir: hooksPath, worktrees


def test_core_hookspath_husky_style(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    mark = tmp_path / "mark"
    husky = root / ".husky" / "_"
    write_hook(husky / "pre-commit", f'echo husky >> "{mark}"\n')
    git("config", "core.hooksPath", ".husky/_", cwd=root)
    bd("init", "--prefix", "t", cwd=root)
    report = bdj("hooks", "list", cwd=root)
    assert report["hooks_dir"] == str(husky)
    assert report["manager"]["name"] == "husky"
    assert {h["name"]: h["status"] for h in report["hooks"]}["pre-commit"] == "chained"
    assert not (root / ".git" / "hooks" / "pre-commit").exists()
    create(root, "Through husky")
    (root / "a.txt").write_text("a\n")
    git("add", "a.txt", cwd=root)
    git("commit", "-qm", "a", cwd=root)
    assert mark.read_text() == "husky\n"
    assert ".beads/issues.jsonl" in committed_files(root)


def test_linked_worktree_uses_the_common_hooks(repo: Path, tmp_path: Path) -> None:
    first_commit(repo)
    wt = tmp_path / "wt"
    git("worktree", "add", "-q", str(wt), "-b", "feat", cwd=repo)
    report = bdj("hooks", "list", cwd=wt)
    assert report["hooks_dir"] == str(repo / ".git" / "hooks")
    assert {h["status"] for h in report["hooks"]} == {"installed"}
    # Installing from the worktree writes to the common dir, where git looks.
    out = bdj("hooks", "install", cwd=wt)
    assert out["hooks_dir"] == str(repo / ".git" / "hooks")
    assert not (repo / ".git" / "worktrees" / "wt" / "hooks").exists()
    rid = create(wt, "Made in the worktree")
    (wt / "w.txt").write_text("w\n")
    git("add", "w.txt", cwd=wt)
    git("commit", "-qm", "in worktree", cwd=wt)
    assert ".beads/issues.jsonl" in committed_files(wt)
    assert rid in git("show", "feat:.beads/issues.jsonl", cwd=repo)
    assert rid not in jsonl_path(repo).read_text()  # main's checkout is untouched


# -------------------------------------------------------------------------------- managers


def test_lefthook_gets_a_snippet_not_files(tmp_path: Path) -> None:
    root = plain_repo(tmp_path)
    (root / "lefthook.yml").write_text("pre-commit:\n  commands:\n    lint:\n      run: true\n")
    out = bd("init", "--prefix", "t", cwd=root).stdout
    assert "bd hooks run pre-commit" in out  # the snippet
    assert not (root / ".git" / "hooks" / "pre-commit").exists()
    report = bdj("hooks", "install", cwd=root)
    assert report["manager"]["name"] == "lefthook" and not report["manager"]["configured"]
    assert "bd hooks run pre-push" in report["snippet"]
    assert {r["action"] for r in report["results"]} == {"skipped"}
    (root / "lefthook.yml").write_text(report["snippet"])
    report = bdj("hooks", "list", cwd=root)
    assert report["manager"]["configured"] is True
    forced = bdj("hooks", "install", "--force", cwd=root)
    assert {r["action"] for r in forced["results"]} == {"installed"}


def test_pre_commit_framework_snippet_and_manifest(tmp_path: Path) -> None:
    import yaml

    root = plain_repo(tmp_path)
    (root / ".pre-commit-config.yaml").write_text("repos: []\n")
    report = bdj("hooks", "install", cwd=root)
    assert report["manager"]["name"] == "pre-commit"
    snippet = yaml.safe_load("repos:\n" + report["snippet"])
    ids = [h["id"] for h in snippet["repos"][0]["hooks"]]
    assert ids == [f"bd-{n}" for n in HOOK_NAMES]
    manifest = yaml.safe_load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml")
                              .read_text())
    assert [h["id"] for h in manifest] == ids
    for h in manifest:
        assert h["entry"].startswith("bd hooks run ") and h["pass_filenames"] is False


def test_template_ships_inside_the_package() -> None:
    import bd

    template = Path(bd.__file__).parent / "git" / "hooks_templates" / "shim.sh"
    assert template.is_file()
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    assert '"hooks_templates/*"' in pyproject
    assert (Path(__file__).parents[2] / "hooks" / "README.md").is_file()


# ------------------------------------------------------------------------------- pre-commit


def test_normal_commit_carries_issue_changes(repo: Path) -> None:
    first_commit(repo)
    rid = create(repo, "Rides along")
    (repo / "README").write_text("changed\n")
    git("commit", "-qam", "edit", cwd=repo)  # -a: the index is index.lock
    assert ".beads/issues.jsonl" in committed_files(repo)
    assert rid in git("show", "HEAD:.beads/issues.jsonl", cwd=repo)
    rid2 = create(repo, "Plain commit")
    (repo / "b.txt").write_text("b\n")
    git("add", "b.txt", cwd=repo)
    git("commit", "-qm", "plain", cwd=repo)   # plain: the index is .git/index
    assert rid2 in git("show", "HEAD:.beads/issues.jsonl", cwd=repo)
    assert git("status", "--porcelain", "--", ".beads/issues.jsonl", cwd=repo) == ""


def test_stage_jsonl_can_be_turned_off(repo: Path) -> None:
    first_commit(repo)
    bd("config", "set", "hooks.stage-jsonl", "false", cwd=repo)
    create(repo, "Stays out")
    (repo / "b.txt").write_text("b\n")
    git("add", "b.txt", cwd=repo)
    git("commit", "-qm", "b", cwd=repo)
    assert committed_files(repo) == {"b.txt"}


@pytest.mark.parametrize("form", [["--only", "other.txt"], ["other.txt"], ["-o", "other.txt"]],
                         ids=["--only", "pathspec", "-o"])
def test_partial_commit_commits_exactly_the_named_paths(repo: Path, form: list[str]) -> None:
    first_commit(repo)
    (repo / "other.txt").write_text("1\n")
    git("add", "other.txt", cwd=repo)
    git("commit", "-qm", "add other", cwd=repo)
    create(repo, "Not in this commit")
    before = jsonl_path(repo).read_bytes()
    (repo / "other.txt").write_text("2\n")
    git("commit", "-q", "-m", "only other", *form, cwd=repo)
    assert committed_files(repo) == {"other.txt"}
    assert jsonl_path(repo).read_bytes() == before
    status = git("status", "--porcelain", cwd=repo)
    assert " M .beads/issues.jsonl" in status  # still modified, not staged


def test_pre_commit_refuses_conflict_markers(repo: Path) -> None:
    first_commit(repo)
    a = create(repo, "A")
    good = jsonl_path(repo).read_text()
    jsonl_path(repo).write_text(f"<<<<<<< HEAD\n{good}=======\n{good}>>>>>>> theirs\n")
    git("add", ".beads/issues.jsonl", cwd=repo)
    proc = run_git("commit", "-qm", "broken", cwd=repo)
    assert proc.returncode == 1
    assert ".beads/issues.jsonl (staged):1: git conflict markers" in proc.stderr
    assert "--no-verify" in proc.stderr
    assert a not in git("show", "HEAD:.beads/issues.jsonl", cwd=repo)


def test_pre_commit_refuses_an_invalid_line_unstaged_too(repo: Path) -> None:
    first_commit(repo)
    create(repo, "A")
    create(repo, "B")
    lines = jsonl_path(repo).read_text().splitlines()
    lines[1] = lines[1][:20]  # a truncated record: its id still parses fast
    jsonl_path(repo).write_text("\n".join(lines) + "\n")
    (repo / "f.txt").write_text("f\n")
    git("add", "f.txt", cwd=repo)
    proc = run_git("commit", "-qm", "x", cwd=repo)  # the JSONL would ride along: refused
    assert proc.returncode == 1
    assert ".beads/issues.jsonl:2: malformed JSON" in proc.stderr
    # A partial commit does not carry the JSONL, so it is not checked.
    proc = run_git("commit", "-qm", "x", "--only", "f.txt", cwd=repo)
    assert proc.returncode == 0, proc.stderr


def test_commit_succeeds_where_beads_is_absent(repo: Path) -> None:
    first_commit(repo)  # commits .beads too
    git("checkout", "-q", "-b", "nobeads", cwd=repo)
    git("rm", "-rq", ".beads", cwd=repo)
    proc = run_git("commit", "-qm", "drop beads", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    (repo / "x.txt").write_text("x\n")
    git("add", "x.txt", cwd=repo)
    proc = run_git("commit", "-qm", "more", cwd=repo)
    assert proc.returncode == 0 and proc.stderr == ""
    proc = run_git("checkout", "-q", "main", cwd=repo)
    assert proc.returncode == 0 and proc.stderr == ""


def test_hooks_are_harmless_when_bd_is_not_on_path(repo: Path, tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    write_hook(repo / ".git" / "hooks" / "pre-commit.old", f'echo chained >> "{mark}"\n')
    create(repo, "A")
    bin_dir = os.path.dirname(sys.executable)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if os.path.abspath(p) != os.path.abspath(bin_dir))
    env = {"PATH": path}
    assert subprocess.run(["sh", "-c", "command -v bd"], env={**os.environ, **env},
                          capture_output=True).returncode != 0
    (repo / "f.txt").write_text("f\n")
    git("add", "f.txt", cwd=repo)
    proc = run_git("commit", "-qm", "no bd", cwd=repo, env=env)
    assert proc.returncode == 0 and proc.stderr == ""
    assert mark.read_text() == "chained\n"      # the user's hook still runs
    assert committed_files(repo) == {"f.txt"}    # bd's part is skipped
    proc = run_git("checkout", "-q", "-b", "b2", cwd=repo, env=env)
    assert proc.returncode == 0 and proc.stderr == ""


# ------------------------------------------------------------------------------ post-* hooks


def test_post_checkout_and_post_merge_refresh_the_cache(repo: Path) -> None:
    first_commit(repo)
    a = create(repo, "On main")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "a", cwd=repo)
    git("checkout", "-q", "-b", "feat", cwd=repo)
    b = create(repo, "On feat")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "b", cwd=repo)

    proc = run_git("checkout", "-q", "main", cwd=repo)
    assert proc.returncode == 0 and proc.stderr == ""  # silent
    ids, sig = cache_state(repo)
    assert ids == {a} and sig == stat_sig(jsonl_path(repo))  # fresh without running bd

    proc = run_git("merge", "-q", "--no-edit", "feat", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    ids, sig = cache_state(repo)
    assert ids == {a, b} and sig == stat_sig(jsonl_path(repo))


def test_post_rewrite_refreshes_after_amend(repo: Path) -> None:
    first_commit(repo)
    create(repo, "A")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "a", cwd=repo)
    # Change the file behind bd's back, then amend: post-rewrite refreshes.
    lines = jsonl_path(repo).read_text()
    jsonl_path(repo).write_text(lines.replace('"A"', '"A amended"'))
    git("commit", "-q", "--amend", "-a", "--no-edit", cwd=repo)
    conn = sqlite3.connect(repo / ".beads" / "beads.db")
    titles = [r[0] for r in conn.execute("SELECT title FROM issues")]
    conn.close()
    assert titles == ["A amended"]


def test_post_checkout_warns_about_a_broken_jsonl_but_never_fails(repo: Path) -> None:
    first_commit(repo)
    create(repo, "A")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "a", cwd=repo)
    git("checkout", "-q", "-b", "broken", cwd=repo)
    jsonl_path(repo).write_text("<<<<<<< HEAD\n")
    git("commit", "-q", "--no-verify", "-am", "markers", cwd=repo)
    git("checkout", "-q", "main", cwd=repo)
    proc = run_git("checkout", "-q", "broken", cwd=repo)
    assert proc.returncode == 0
    assert "bd: warning:" in proc.stderr and "conflict markers" in proc.stderr


def test_hook_run_is_silent_when_nothing_changed(repo: Path) -> None:
    create(repo, "A")
    bd("list", cwd=repo)
    proc = bd("hooks", "run", "post-checkout", "--", "a", "b", "1", cwd=repo)
    assert proc.stdout == "" and proc.stderr == ""


# ---------------------------------------------------------------------------------- pre-push


def test_pre_push_refuses_an_invalid_jsonl(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("remote", "add", "origin", str(remote), cwd=repo)
    first_commit(repo)
    create(repo, "A")
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "good", cwd=repo)
    proc = run_git("push", "-q", "origin", "main", cwd=repo)
    assert proc.returncode == 0, proc.stderr

    good = jsonl_path(repo).read_text()
    jsonl_path(repo).write_text(good + '{"id": "t-zz", "title": \n')
    git("commit", "-q", "--no-verify", "-am", "bad", cwd=repo)
    proc = run_git("push", "-q", "origin", "main", cwd=repo)
    assert proc.returncode != 0
    assert "refusing to push refs/heads/main" in proc.stderr
    assert ".beads/issues.jsonl (in refs/heads/main):2: malformed JSON" in proc.stderr
    assert git("rev-parse", "main", cwd=remote) != git("rev-parse", "main", cwd=repo)

    jsonl_path(repo).write_text(good)
    git("commit", "-qam", "fixed", cwd=repo)
    proc = run_git("push", "-q", "origin", "main", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    # Deleting a remote branch pushes no content and is never refused.
    git("push", "-q", "origin", "main:gone", cwd=repo)
    proc = run_git("push", "-q", "origin", ":gone", cwd=repo)
    assert proc.returncode == 0, proc.stderr


def test_pre_push_notes_uncommitted_issue_changes(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("remote", "add", "origin", str(remote), cwd=repo)
    first_commit(repo)
    create(repo, "Not committed")
    proc = run_git("push", "-q", "origin", "main", cwd=repo)
    assert proc.returncode == 0
    assert "not part of this push" in proc.stderr


def test_run_unknown_hook_name_is_a_no_op(repo: Path) -> None:
    proc = bd("hooks", "run", "prepare-commit-msg", "--", "msgfile", cwd=repo)
    assert proc.returncode == 0 and proc.stderr == ""


def test_hooks_commands_outside_git_fail_cleanly(tmp_path: Path) -> None:
    proc = bd("hooks", "install", cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "not inside a git work tree" in proc.stderr
    proc = bd("hooks", "list", "--json", cwd=tmp_path, check=False)
    assert proc.returncode == 1 and "error" in json.loads(proc.stdout)


@pytest.mark.parametrize("name", ["pre-commit", "post-checkout"])
def test_hook_run_imports_no_heavy_modules(repo: Path, name: str) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "bd", "hooks", "run", name],
                          cwd=repo, text=True, capture_output=True, stdin=subprocess.DEVNULL,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    heavy = ("git", "rich", "typer", "yaml", "orjson", "filelock")
    assert sorted(n for n in names if n.split(".")[0] in heavy) == []
