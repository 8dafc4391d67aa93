"""bd prime, onboard, quickstart and the setup recipes, through the real CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from conftest import bd, bdj, create

from bd.agents.prime import ONBOARD, PRIME_BUDGET_TOKENS, QUICKSTART, estimate_tokens


@pytest.fixture(autouse=True)
def _state_in_home(monkeypatch: pytest.MonkeyPatch) -> None:
    # setup remembers the files it created under $XDG_STATE_HOME (default ~/.local/state);
    # HOME is already a fresh temp dir, so keep the state there too.
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("CODEX_HOME", raising=False)


# -- prime ------------------------------------------------------------------------------------

def test_prime_teaches_the_loop_and_shows_the_state(repo: Path) -> None:
    epic = create(repo, "Ship login", "-t", "epic", "-p", "1", "-d", "x")
    a = create(repo, "Design the form", "-p", "1", "-d", "x")
    b = create(repo, "Build the form", "--deps", a, "-d", "x")
    bd("update", a, "--claim", "--actor", "agent-7", cwd=repo)
    text = bd("prime", cwd=repo).stdout
    for must in ("bd ready", "--claim", "bd close", "discovered-from:ID", "bd create",
                 "bd dep add", "--json", "issues.jsonl", "## Sync", "## Now"):
        assert must in text, must
    assert f"- {a} [P1 task] @agent-7 Design the form" in text  # in progress, with holder
    now = text.split("## Now", 1)[1]
    assert "Open 2, in progress 1, ready 2, blocked 1, closed 0." in now
    assert epic in now and b not in now  # b is blocked, so not listed as ready
    tokens = estimate_tokens(text)
    print(f"\nbd prime on a small repo: {len(text)} characters, ~{tokens} tokens")
    assert tokens <= PRIME_BUDGET_TOKENS
    data = bdj("prime", cwd=repo)
    assert data["source"] == "builtin" and data["text"] == text
    assert data["tokens"] == tokens
    assert data["counts"]["in_progress_issues"] == 1
    assert [r["id"] for r in data["in_progress"]] == [a]
    assert {r["id"] for r in data["ready"]} == {epic, a}
    assert data["ready"][0].keys() == bdj("ready", cwd=repo)[0].keys()


def test_prime_stays_within_budget_however_big_the_project(repo: Path) -> None:
    long = "A very long title that goes on " * 12
    for n in range(8):
        rid = create(repo, f"{n} {long}", "-d", "x")
        if n < 7:
            bd("update", rid, "--claim", "--actor", f"agent-with-a-long-name-{n}", cwd=repo)
    for n in range(8):
        create(repo, f"ready {n} {long}", "-d", "x", "-l", "a,b,c")
    text = bd("prime", cwd=repo).stdout
    assert estimate_tokens(text) <= PRIME_BUDGET_TOKENS
    assert "… `bd ready` for more" in text and "`bd list -s in_progress` for all" in text
    assert max(len(line) for line in text.split("## Now")[1].splitlines()) < 140


def test_prime_md_overrides_and_export_shows_the_builtin(repo: Path) -> None:
    builtin = bd("prime", cwd=repo).stdout
    custom = "# Our workflow\n\nUse `bd ready`, then ask Dana before closing anything.\n"
    (repo / ".beads" / "PRIME.md").write_text(custom)
    assert bd("prime", cwd=repo).stdout == custom
    data = bdj("prime", cwd=repo)
    assert data["text"] == custom and data["source"].endswith(os.path.join(".beads",
                                                                            "PRIME.md"))
    assert bd("prime", "--export", cwd=repo).stdout == builtin


def test_prime_outside_a_workspace_is_silent(tmp_path: Path) -> None:
    proc = bd("prime", cwd=tmp_path)
    assert (proc.stdout, proc.stderr) == ("", "")
    assert bdj("prime", cwd=tmp_path) == {"source": None, "tokens": 0, "text": ""}


def test_onboard_and_quickstart(tmp_path: Path) -> None:
    proc = bd("onboard", cwd=tmp_path)
    assert proc.stdout == ONBOARD and "bd prime" in ONBOARD
    assert "AGENTS.md" in proc.stderr  # the hint goes to stderr, so `>> AGENTS.md` is clean
    assert bdj("onboard", cwd=tmp_path) == {"snippet": ONBOARD}
    text = bd("quickstart", cwd=tmp_path).stdout
    assert text == QUICKSTART
    # plain text (the official MCP client shows it verbatim): no markup, no colour
    assert "\x1b" not in text and "`" not in text and "**" not in text
    assert not any(line.startswith("#") for line in text.splitlines())
    for must in ("bd init", "bd create", "bd ready", "--claim", "bd close", "discovered-from"):
        assert must in text


# -- setup ------------------------------------------------------------------------------------

MARKDOWN = {"cursor": ".cursor/rules/bd.mdc", "copilot": ".github/copilot-instructions.md",
            "codex": "AGENTS.md", "gemini": "GEMINI.md"}


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file outside .git and .beads, with its bytes."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith((".git/", ".beads/")):
            out[rel] = path.read_bytes()
    return out


def dirs(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_dir()
            and not p.relative_to(root).as_posix().startswith((".git", ".beads"))}


@pytest.mark.parametrize("recipe", ["claude", "cursor", "aider", "copilot", "codex", "gemini"])
def test_setup_from_nothing_is_idempotent_checkable_and_removable(repo: Path,
                                                                  recipe: str) -> None:
    scope = ["--project"] if recipe == "claude" else []  # claude's default is the user's
    before, before_dirs = snapshot(repo), dirs(repo)
    assert bd("setup", recipe, *scope, "--check", cwd=repo, check=False).returncode == 1
    first = bdj("setup", recipe, *scope, cwd=repo)
    assert first["action"] == "installed"
    once = snapshot(repo)
    assert set(once) - set(before)
    assert bdj("setup", recipe, *scope, cwd=repo)["action"] == "unchanged"
    assert snapshot(repo) == once  # identical bytes
    check = bd("setup", recipe, *scope, "--check", cwd=repo, check=False)
    assert check.returncode == 0 and "current" in check.stdout
    assert bdj("setup", recipe, *scope, "--remove", cwd=repo)["action"] == "removed"
    assert snapshot(repo) == before and dirs(repo) == before_dirs  # created files/dirs gone
    assert bdj("setup", recipe, *scope, "--remove", cwd=repo)["action"] == "absent"
    proc = bd("setup", recipe, *scope, "--check", cwd=repo, check=False)
    assert proc.returncode == 1 and "not set up" in proc.stdout


def test_setup_claude_merges_into_the_users_settings(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = {"model": "opus", "permissions": {"allow": ["Bash(npm test)"]},
                "hooks": {"SessionStart": [{"matcher": "startup", "hooks": [
                    {"type": "command", "command": "echo hello"}]}],
                    "PostToolUse": [{"matcher": "Edit", "hooks": [
                        {"type": "command", "command": "ruff format"}]}]}}
    raw = json.dumps(original, indent=2) + "\n"
    settings.write_text(raw)
    bd("setup", "claude", "--project", cwd=repo)
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and data["permissions"] == original["permissions"]
    assert data["hooks"]["PostToolUse"] == original["hooks"]["PostToolUse"]
    start = data["hooks"]["SessionStart"]
    assert start[0] == original["hooks"]["SessionStart"][0]  # the user's hook, first
    assert start[1]["hooks"] == [{"type": "command", "command": "bd prime"}]
    assert data["hooks"]["PreCompact"][0]["hooks"][0]["command"] == "bd prime"
    installed = settings.read_bytes()
    bd("setup", "claude", "--project", cwd=repo)
    assert settings.read_bytes() == installed
    assert bd("setup", "claude", "--project", "--check", cwd=repo, check=False).returncode == 0
    bd("setup", "claude", "--project", "--remove", cwd=repo)
    assert settings.read_text() == raw  # the original bytes: not deleted, not reformatted


def test_setup_claude_updates_an_older_hook_in_place(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"hooks": {"SessionStart": [{"matcher": "", "hooks": [
        {"type": "command", "command": "bd prime --old-flag"}]}]}}, indent=4) + "\n")
    proc = bd("setup", "claude", "--project", "--check", cwd=repo, check=False)
    assert proc.returncode == 1 and "outdated" in proc.stdout
    assert bdj("setup", "claude", "--project", cwd=repo)["action"] == "updated"
    text = settings.read_text()
    assert "--old-flag" not in text and text.count('"bd prime"') == 2
    assert '\n    "hooks"' in text  # the file's own four-space indentation is kept
    assert bd("setup", "claude", "--project", "--check", cwd=repo, check=False).returncode == 0
    bd("setup", "claude", "--project", "--remove", cwd=repo)
    assert json.loads(settings.read_text()) == {}  # bd did not create the file: it stays


def test_setup_claude_global_uses_home(repo: Path) -> None:
    home = Path(os.environ["HOME"])
    out = bdj("setup", "claude", "--global", cwd=repo)
    assert out["files"] == [str(home / ".claude" / "settings.json")]
    assert "bd prime" in (home / ".claude" / "settings.json").read_text()
    assert not (repo / ".claude").exists()
    assert bd("setup", "claude", "--check", "--project", cwd=repo,
              check=False).returncode == 1
    assert bd("setup", "claude", "--check", "--global", cwd=repo).returncode == 0
    assert bd("setup", "claude", "--check", cwd=repo).returncode == 0  # the default scope
    bd("setup", "claude", "--remove", "--global", cwd=repo)
    assert not (home / ".claude").exists()
    default = bdj("setup", "claude", cwd=repo)  # as in the original: user level by default
    assert default["files"] == [str(home / ".claude" / "settings.json")]
    bd("setup", "claude", "--remove", cwd=repo)
    assert not (home / ".claude").exists()


def test_setup_claude_refuses_broken_json(repo: Path) -> None:
    settings = repo / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{ not json")
    proc = bd("setup", "claude", "--project", cwd=repo, check=False)
    assert proc.returncode == 1 and "settings.json" in proc.stderr
    assert "Traceback" not in proc.stderr and settings.read_text() == "{ not json"


@pytest.mark.parametrize("recipe", sorted(MARKDOWN))
def test_setup_markdown_keeps_the_users_text(repo: Path, recipe: str) -> None:
    target = repo / MARKDOWN[recipe]
    target.parent.mkdir(parents=True, exist_ok=True)
    original = "# Our agent rules\n\nRun `make test` before every commit.\n"
    target.write_text(original)
    bd("setup", recipe, cwd=repo)
    text = target.read_text()
    assert text.startswith(original) and "<!-- bd:begin v1 -->" in text
    assert text.rstrip().endswith("<!-- bd:end -->") and "bd prime" in text
    installed = target.read_bytes()
    bd("setup", recipe, cwd=repo)
    assert target.read_bytes() == installed
    # the user writes below our block; a later run updates the block in place
    target.write_text(text.replace("bd prime", "bd prime-old") + "\n## Mine\nKeep me.\n")
    proc = bd("setup", recipe, "--check", cwd=repo, check=False)
    assert proc.returncode == 1 and "outdated" in proc.stdout
    assert bdj("setup", recipe, cwd=repo)["action"] == "updated"
    assert target.read_text() == installed.decode() + "\n## Mine\nKeep me.\n"
    bd("setup", recipe, "--remove", cwd=repo)
    assert target.read_text() == original + "\n## Mine\nKeep me.\n"


def test_setup_keeps_a_created_file_the_user_has_written_in(repo: Path) -> None:
    bd("setup", "gemini", cwd=repo)
    with open(repo / "GEMINI.md", "a") as fh:
        fh.write("\nAlso: be brief.\n")
    bd("setup", "gemini", "--remove", cwd=repo)
    assert (repo / "GEMINI.md").read_text() == "Also: be brief.\n"


def test_setup_never_deletes_a_directory_it_did_not_create(repo: Path) -> None:
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\n")
    bd("setup", "copilot", cwd=repo)
    bd("setup", "copilot", "--remove", cwd=repo)
    assert not (repo / ".github" / "copilot-instructions.md").exists()
    assert (workflows / "ci.yml").read_text() == "on: push\n"
    empty = repo / ".cursor" / "rules"
    empty.mkdir(parents=True)
    bd("setup", "cursor", cwd=repo)
    bd("setup", "cursor", "--remove", cwd=repo)
    assert empty.is_dir() and not any(empty.iterdir())


def test_setup_aider_adds_to_the_users_read_list(repo: Path) -> None:
    conf = repo / ".aider.conf.yml"
    original = ("# my aider settings\nmodel: sonnet\nread:\n  - CONVENTIONS.md\n"
                "auto-commits: false\n")
    conf.write_text(original)
    bd("setup", "aider", cwd=repo)
    data = yaml.safe_load(conf.read_text())
    assert data == {"model": "sonnet", "read": ["CONVENTIONS.md", ".aider/bd.md"],
                    "auto-commits": False}
    assert "bd prime" in (repo / ".aider" / "bd.md").read_text()
    installed = conf.read_bytes()
    bd("setup", "aider", cwd=repo)
    assert conf.read_bytes() == installed
    assert bd("setup", "aider", "--check", cwd=repo, check=False).returncode == 0
    bd("setup", "aider", "--remove", cwd=repo)
    assert conf.read_text() == original and not (repo / ".aider").exists()


def test_setup_aider_appends_a_read_key_and_refuses_a_scalar_one(repo: Path) -> None:
    conf = repo / ".aider.conf.yml"
    conf.write_text("model: sonnet\n")
    bd("setup", "aider", cwd=repo)
    assert yaml.safe_load(conf.read_text()) == {"model": "sonnet", "read": [".aider/bd.md"]}
    bd("setup", "aider", "--remove", cwd=repo)
    assert conf.read_text() == "model: sonnet\n"
    conf.write_text("read: CONVENTIONS.md\n")
    proc = bd("setup", "aider", cwd=repo, check=False)
    assert proc.returncode == 1 and ".aider.conf.yml:1" in proc.stderr
    assert "read" in proc.stderr and conf.read_text() == "read: CONVENTIONS.md\n"
    assert not (repo / ".aider").exists()  # a refused recipe writes nothing at all


def test_setup_reports_malformed_markers_with_file_and_line(repo: Path) -> None:
    (repo / "AGENTS.md").write_text("# Rules\n<!-- bd:begin v1 -->\nhalf a block\n")
    for args in (["setup", "codex"], ["setup", "codex", "--check"],
                 ["setup", "codex", "--remove"]):
        proc = bd(*args, cwd=repo, check=False)
        assert proc.returncode == 1 and "AGENTS.md:2" in proc.stderr, args
    assert (repo / "AGENTS.md").read_text() == "# Rules\n<!-- bd:begin v1 -->\nhalf a block\n"


def test_setup_lists_recipes_and_rejects_unknown_ones(repo: Path) -> None:
    listing = bd("setup", cwd=repo).stdout
    for name in ("claude", "cursor", "aider", "copilot", "codex", "gemini"):
        assert name in listing
    assert [r["recipe"] for r in bdj("setup", "--list", cwd=repo)] == [
        "claude", "cursor", "aider", "copilot", "codex", "gemini", "factory", "windsurf",
        "cody", "kilocode", "junie", "opencode"]
    proc = bd("setup", "vscode", cwd=repo, check=False)
    assert proc.returncode == 2 and "claude" in proc.stderr
    assert bd("setup", "cursor", "--global", cwd=repo, check=False).returncode == 2


def test_setup_works_from_a_subdirectory(repo: Path) -> None:
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    bd("setup", "codex", cwd=sub)
    assert (repo / "AGENTS.md").exists() and not (sub / "AGENTS.md").exists()


# -- setup: more recipes, --print, -o, --add (i12) -------------------------------------------

@pytest.mark.parametrize("recipe,path", [
    ("factory", "AGENTS.md"), ("windsurf", ".windsurf/rules/beads.md"),
    ("cody", ".cody/rules/beads.md"), ("kilocode", ".kilocode/rules/beads.md"),
    ("junie", ".junie/guidelines.md"), ("opencode", "AGENTS.md")])
def test_setup_more_recipes(repo: Path, recipe: str, path: str) -> None:
    assert bdj("setup", recipe, cwd=repo)["action"] == "installed"
    assert "bd prime" in (repo / path).read_text()
    assert bd("setup", recipe, "--check", cwd=repo).returncode == 0
    bd("setup", recipe, "--remove", cwd=repo)
    assert not (repo / path).exists()


def test_setup_print_writes_nothing(repo: Path) -> None:
    before = snapshot(repo)
    out = bd("setup", "windsurf", "--print", cwd=repo).stdout
    assert ".windsurf/rules/beads.md" in out and "bd ready" in out
    files = bdj("setup", "claude", "--print", cwd=repo)["files"]
    assert files[0]["path"].endswith(".claude/settings.json") and "bd prime" in files[0]["text"]
    assert snapshot(repo) == before
    assert not (Path(os.environ["HOME"]) / ".claude").exists()


def test_setup_output_file(repo: Path) -> None:
    bd("setup", "cursor", "-o", "docs/agents.md", cwd=repo)
    assert "bd ready" in (repo / "docs" / "agents.md").read_text()
    assert not (repo / ".cursor").exists()
    assert bd("setup", "cursor", "--output", "docs/agents.md", "--check", cwd=repo).returncode == 0
    assert bd("setup", "aider", "-o", "x.md", cwd=repo, check=False).returncode == 2  # 2 files


def test_setup_add_custom_recipe(repo: Path) -> None:
    bd("setup", "--add", "myeditor", ".myeditor/rules.md", cwd=repo)
    assert "myeditor" in (repo / ".beads" / "recipes.toml").read_text()
    listed = {r["recipe"]: r for r in bdj("setup", "--list", cwd=repo)}
    assert listed["myeditor"]["custom"] is True
    bd("setup", "myeditor", cwd=repo)
    assert "bd ready" in (repo / ".myeditor" / "rules.md").read_text()
    assert bd("setup", "--add", "cursor", "x.md", cwd=repo, check=False).returncode == 2
    assert bd("setup", "--project", "cursor", cwd=repo, check=False).returncode == 2
