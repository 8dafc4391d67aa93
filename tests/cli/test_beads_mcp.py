"""The official beads-mcp 0.46.0 client works unchanged against this bd.

beads-mcp pins fastmcp, pydantic and pydantic-settings versions that conflict with bd's own
environment, so it lives in a separate virtualenv, ``.venv-beads-mcp`` (``make test``
creates it, best effort).  This test runs ``beads_mcp_driver.py`` with that interpreter; the
driver calls beads-mcp's ``BdCliClient`` (init, create with deps and labels, list, ready,
show, update, close, reopen, dep add, blocked, stats and the admin calls) with
``BEADS_PATH`` pointing at this venv's ``bd``, and checks what beads-mcp's own pydantic
models parsed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MCP_VENV = ROOT / ".venv-beads-mcp"
MCP_PYTHON = MCP_VENV / "bin" / "python"
DRIVER = Path(__file__).with_name("beads_mcp_driver.py")
INSTALL_HINT = ("run 'make .venv-beads-mcp' (or: python3 -m venv .venv-beads-mcp && "
                ".venv-beads-mcp/bin/pip install beads-mcp==0.46.0 mcp==1.25.0)")
STEPS = ["version", "init", "discover", "create", "list", "ready", "show", "blocked",
         "dep_add", "update", "close_reopen", "stats", "schema", "admin", "tools"]


def _mcp_python() -> Path:
    if not MCP_PYTHON.exists():
        pytest.skip(f"beads-mcp 0.46.0 is not installed in {MCP_VENV.name}: {INSTALL_HINT}")
    proc = subprocess.run(
        [str(MCP_PYTHON), "-c", "import importlib.metadata as m, beads_mcp.bd_client; "
                                "print(m.version('beads-mcp'))"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if proc.returncode != 0:
        pytest.skip(f"beads-mcp cannot be imported from {MCP_VENV.name} "
                    f"({proc.stderr.strip().splitlines()[-1:]}): {INSTALL_HINT}")
    if proc.stdout.strip() != "0.46.0":
        pytest.skip(f"{MCP_VENV.name} has beads-mcp {proc.stdout.strip()}, not 0.46.0: "
                    f"{INSTALL_HINT}")
    return MCP_PYTHON


def _has_command(name: str) -> bool:
    from bd.cli import MODULES

    return name in MODULES


@pytest.mark.slow
def test_beads_mcp_client_against_bd(tmp_path: Path) -> None:
    python = _mcp_python()
    bd_exe = Path(sys.executable).parent / "bd"
    assert bd_exe.exists(), f"bd is not installed in this venv ({bd_exe})"
    workspace = tmp_path / "project"
    workspace.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=workspace, check=True)
    env = {**os.environ, "BEADS_PATH": str(bd_exe), "BEADS_USE_DAEMON": "0"}
    steps = list(STEPS)
    if _has_command("quickstart"):  # written by another part of the project
        env["BD_DRIVER_QUICKSTART"] = "1"
        steps.append("quickstart")
    proc = subprocess.run([str(python), str(DRIVER), str(workspace)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=600)
    try:
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pytest.fail(f"driver printed no summary (exit {proc.returncode})\n"
                    f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr[-4000:]}")
    assert summary["ok"], (f"beads-mcp failed after steps {summary['steps']}: "
                           f"{summary.get('error')}\n{summary.get('traceback', '')}\n"
                           f"--- bd calls (stderr) ---\n{proc.stderr[-4000:]}")
    assert summary["steps"] == steps
    assert proc.returncode == 0
