"""Packaging: a distribution name that is not someone else's PyPI project, an SPDX license,
one version story (the package's own version and the original's format version), and every
install hint naming the right distribution."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from bd import version

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_name_license_and_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    meta = project["project"]
    assert meta["name"] == version.DISTRIBUTION == "beads-py"
    assert meta["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert meta["dynamic"] == ["version"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "bd.version.PACKAGE_VERSION"
    assert meta["scripts"]["bd"] == "bd.cli:run"


def test_installed_metadata_matches_bd_version() -> None:
    assert importlib.metadata.version("beads-py") == version.PACKAGE_VERSION
    out = subprocess.run([sys.executable, "-m", "bd", "version"], capture_output=True,
                         text=True, timeout=60).stdout
    assert out == f"bd version {version.VERSION} (python, beads-py {version.PACKAGE_VERSION})\n"
    # tools that check the version (beads-mcp) read the first number: the format version
    first = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    assert first is not None and first.group(0) == version.VERSION == "0.46.0"


def test_install_hints_name_the_distribution() -> None:
    texts = [p for p in [*ROOT.joinpath("bd").rglob("*.py"), *ROOT.joinpath("docs").rglob(
        "*.md"), ROOT / "README.md"]]
    wrong = [str(p.relative_to(ROOT)) for p in texts
             if re.search(r"install\s+['\"]?bd\[", p.read_text(encoding="utf-8"))
             or "'bd[" in p.read_text(encoding="utf-8")]
    assert wrong == []
