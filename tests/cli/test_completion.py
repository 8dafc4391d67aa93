"""Shell completion: the generated bash script loaded into a real bash (complete -p, the
completion function on COMP_WORDS, compgen), and the zsh/fish scripts in those shells when
they are installed; the candidates themselves through ``bd __complete``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bd, create


def _env() -> dict[str, str]:
    # the scripts call `bd` by name: make it this interpreter's
    return {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep
            + os.environ["PATH"]}


def bash_complete(repo: Path, words: list[str]) -> list[str]:
    """Load the script in bash, then complete ``bd WORDS`` (last word = the one typed)."""
    script = bd("completion", "bash", cwd=repo).stdout
    line = " ".join(["bd", *words])
    prog = (script + "\ncomplete -p bd\n"
            + "COMP_WORDS=(bd " + " ".join(f"'{w}'" for w in words) + ")\n"
            + f"COMP_CWORD={len(words)}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n"
            + "_bd_complete\nprintf 'C:%s\\n' \"${COMPREPLY[@]}\"\n")
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], cwd=repo, text=True,
                          capture_output=True, env=_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "complete -o default -o nosort -F _bd_complete bd"
    return [line[2:] for line in lines[1:] if line.startswith("C:") and line[2:]]


def test_bash_completes_commands_flags_values_and_ids(repo: Path) -> None:
    rid = create(repo, "Completable")
    assert bash_complete(repo, ["sh"]) == ["show"]
    assert "ready" in bash_complete(repo, [""]) and "completion" in bash_complete(repo, [""])
    assert bash_complete(repo, ["dep", "tr"]) == ["tree"]
    assert bash_complete(repo, ["list", "--sta"]) == ["--status"]
    assert "--json" in bash_complete(repo, ["list", "--js"])
    assert bash_complete(repo, ["list", "--status", "in"]) == ["in_progress"]
    assert bash_complete(repo, ["update", rid, "--status", "t"]) == []  # tombstone not settable
    assert bash_complete(repo, ["ready", "--sort", ""]) == ["hybrid", "priority", "oldest"]
    assert bash_complete(repo, ["create", "x", "-t", "ep"]) == ["epic"]
    assert bash_complete(repo, ["dep", "add", rid, rid, "--type", "disc"]) == ["discovered-from"]
    assert bash_complete(repo, ["--color", ""]) == ["auto", "always", "never"]
    assert bash_complete(repo, ["show", "t-"]) == [rid]
    assert bash_complete(repo, ["show", rid[2:4]]) == [rid]  # the part after the prefix
    assert bash_complete(repo, ["close", "--json", "t-"]) == [rid]
    assert bash_complete(repo, ["completion", ""]) == ["bash", "zsh", "fish"]


def test_compgen_sees_the_completion(repo: Path) -> None:
    script = bd("completion", "bash", cwd=repo).stdout
    prog = script + "\ncompgen -F _bd_complete bd 2>/dev/null | head -1; complete -p bd\n"
    proc = subprocess.run(["bash", "--norc", "-c", prog], cwd=repo, text=True,
                          capture_output=True, env=_env(), timeout=60)
    assert "-F _bd_complete bd" in proc.stdout


def test_custom_values_and_ids_come_from_the_workspace(repo: Path) -> None:
    bd("config", "set", "status.custom", "review", cwd=repo)
    bd("config", "set", "types.custom", "spike", cwd=repo)
    assert bd("__complete", "list", "--status", "rev", cwd=repo).stdout == "review\n"
    assert bd("__complete", "create", "x", "--type", "sp", cwd=repo).stdout == "spike\n"
    rid = create(repo, "Gone")
    bd("delete", rid, "--force", cwd=repo)
    assert bd("__complete", "show", "", cwd=repo).stdout == ""  # tombstones are not offered


def test_completion_outside_a_workspace_still_completes_commands(tmp_path: Path) -> None:
    assert bd("__complete", "rea", cwd=tmp_path).stdout == "ready\n"
    assert bd("__complete", "show", "", cwd=tmp_path).stdout == ""
    bad = bd("completion", "tcsh", cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "valid values: bash, zsh, fish" in bad.stderr


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script_loads(repo: Path) -> None:
    script = bd("completion", "zsh", cwd=repo).stdout
    prog = "autoload -U compinit && compinit -u\n" + script + "\nprint -r -- $_comps[bd]\n"
    proc = subprocess.run(["zsh", "-f", "-c", prog], cwd=repo, text=True, capture_output=True,
                          env=_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "_bd"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script_completes(repo: Path) -> None:
    script = bd("completion", "fish", cwd=repo).stdout
    (repo / "bd.fish").write_text(script)
    proc = subprocess.run(["fish", "--no-config", "-c", "source bd.fish; complete -C 'bd sh'"],
                          cwd=repo, text=True, capture_output=True, env=_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\t")[0].strip() == "show"
