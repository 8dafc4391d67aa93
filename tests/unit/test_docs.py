"""Docs that cannot drift: the CLI reference is generated, every command has help text, and
the README starts with the two commands a newcomer needs."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from bd.cli import MODULES
from bd.cli.registry import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs",
                                                  ROOT / "scripts" / "gen_cli_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date() -> None:
    expected = _generator().render()
    current = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert current == expected, ("docs/cli.md is out of date: run "
                                 "python scripts/gen_cli_docs.py")


def test_every_command_has_help_and_is_documented() -> None:
    _generator().render()  # imports every command module
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for name in MODULES:
        cmd = COMMANDS[name]
        assert cmd.help.strip(), f"command {name!r} has no help text"
        if not cmd.hidden:
            assert f"bd {cmd.name}" in text, f"command {cmd.name!r} missing from docs/cli.md"


def _first_section(readme: str) -> str:
    sections = re.split(r"^## ", readme, flags=re.M)
    assert len(sections) > 1, "README.md has no sections"
    return sections[1]


def test_readme_quick_start_is_make_demo_and_make_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = _first_section(readme)
    assert first.startswith("Quick start")
    assert "make demo" in first and "make test" in first
    commands = [line.split("#")[0].strip() for block in re.findall(r"```\w*\n(.*?)```", first,
                                                                   flags=re.S)
                for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "Python 3.11" in first and "git" in first


def test_doc_links_resolve() -> None:
    for doc in [ROOT / "README.md", *DOCS.glob("*.md")]:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://")):
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


def test_makefile_targets_used_by_readme_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, flags=re.M)
    assert re.search(r"^test:", makefile, flags=re.M)
    assert (ROOT / "scripts" / "demo.sh").exists()
