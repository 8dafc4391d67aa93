"""Honest help: every visible option and argument has help, no Python types leak into
--help, summaries are whole, commands sit in the original's sections, help topics exist."""

from __future__ import annotations

import re
import subprocess
import sys

from bd.cli import GROUPS, typer_app
from bd.cli.help_topics import TOPICS


def test_every_visible_option_and_argument_has_help() -> None:
    missing = [f"{c.name} {o.flags[0]}" for c in typer_app.load_commands() if not c.hidden
               for o in c.opts if not o.hidden and not o.help]
    missing += [f"{c.name} {a.dest.upper()}" for c in typer_app.load_commands()
                if not c.hidden for a in c.args if not a.help]
    assert missing == []


def _bd(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "bd", *args], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_help_shows_no_python_types_and_whole_summaries() -> None:
    for name in ("", "create", "close", "update", "dep add", "label add", "config set"):
        text = _bd(*name.split(), "--help")
        assert not re.search(r"<(str|int|float|list\[str\]|bool)>|\{[A-Z_]+\}", text), name
    top = _bd("--help")
    listing = " ".join(top.split("Working With Issues:")[1].split("Help topics")[0].split())
    for cmd in typer_app.load_commands():  # every summary whole, not cut mid-sentence
        first = " ".join(cmd.help.split("\n\n")[0].split())
        if " " not in cmd.name and cmd.name not in GROUPS and not cmd.hidden \
                and len(first) < 190:
            assert first in listing, cmd.name
    assert "Search titles, descriptions and ids (closed issues included)" in top


def test_commands_are_grouped_as_the_original() -> None:
    top = _bd("--help")
    titles = [line[:-1] for line in top.splitlines() if line.endswith(":") and
              not line.startswith(" ")]
    assert titles[:2] == ["Options", "Working With Issues"]
    order = [t for t in titles if t in dict(typer_app.CATEGORIES)]
    assert order == [t for t, _ in typer_app.CATEGORIES if t in order]
    assert order[:4] == ["Working With Issues", "Views & Reports", "Dependencies & Structure",
                         "Sync & Data"]
    section = top.split("Sync & Data:")[1].split("\n\n")[0]
    assert "  sync " in section and "  export " in section


def test_help_topics() -> None:
    for topic in TOPICS:
        assert _bd("help", topic) == TOPICS[topic]
    assert "Help topics: ids, dates, config-keys" in _bd("--help").replace("\n  ", " ")
    proc = subprocess.run([sys.executable, "-m", "bd", "help", "nosuch"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "unknown command 'nosuch'" in proc.stderr
