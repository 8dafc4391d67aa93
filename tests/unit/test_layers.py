"""The package tree is the architecture: import-linter's contracts (pyproject.toml,
[tool.importlinter]) must hold, and the CLI never talks to SQLite itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports (import-linter) is not installed: make venv installs it")
    proc = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.lower().split("contracts:")[-1].split("kept")[0] or \
        ", 0 broken" in proc.stdout


def test_cli_runs_no_sql() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "bd" / "cli").rglob("*.py")
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if "execute(" in line or ".conn." in line]
    assert offenders == []


def test_core_imports_only_core_and_errors() -> None:
    bad = []
    for p in (ROOT / "bd" / "core").rglob("*.py"):
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            text = line.strip()
            if text.startswith(("from bd", "import bd")):
                module = text.split()[1]
                if not (module.startswith("bd.core") or module == "bd.errors"):
                    bad.append(f"{p.relative_to(ROOT)}:{n}: {text}")
    assert bad == []


def test_modules_stay_small() -> None:
    """No module over 500 lines unless its docstring says why it must be one piece."""
    big = []
    for p in (ROOT / "bd").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        if text.count("\n") > 500 and "One piece:" not in text[:3000]:
            big.append(f"{p.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    assert big == []


def test_no_query_forces_an_index_a_cold_build_leaves_out() -> None:
    """A cold build leaves schema.LAZY_INDEXES to the next command; SQLite refuses an
    INDEXED BY of a missing index, so no query may name one."""
    import re

    from bd.store.cache import schema

    named = set()
    for p in (ROOT / "bd").rglob("*.py"):
        named |= set(re.findall(r"INDEXED BY\s+\"?(\w+)", p.read_text(encoding="utf-8")))
    assert named and not named & set(schema.LAZY_INDEXES)
