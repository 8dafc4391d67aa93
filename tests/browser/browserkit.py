"""Helpers of the browser tests: Debian's chromium, driven through chromium-driver by selenium.

``make test`` installs chromium, chromium-driver and graphviz with apt-get when they are
missing and it can (CI runs as root).  When they are still missing these tests fail under CI
(``CI`` set) and skip elsewhere, saying what to install.  No browser is ever downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, make_repo

GEN = Path(__file__).resolve().parents[3] / "shared" / "bench" / "gen_dataset.py"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# Read at import: the hermetic fixture removes BD_* variables before tests run.
UPDATE_SCREENSHOTS = os.environ.get("BD_UPDATE_SCREENSHOTS", "") not in ("", "0")
# Flags for a headless Chromium on a machine with a closed network, as root (no sandbox).
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--disable-extensions", "--mute-audio", "--window-size=1440,900")


def _missing(what: str) -> None:
    message = (f"{what} is missing: the browser tests need Debian's chromium and "
               "chromium-driver (make test installs them with apt-get as root) and selenium "
               "(make venv installs it)")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or ("/usr/bin/chromium"
                                            if os.path.exists("/usr/bin/chromium") else None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver"
                                              if os.path.exists("/usr/bin/chromedriver") else None)
    if chromium is None:
        _missing("chromium")
    if driver is None:
        _missing("chromedriver (package chromium-driver)")
    assert chromium is not None and driver is not None
    return chromium, driver


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium")
    chromium, chromedriver = browser_paths()
    opts = Options()
    opts.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver), options=opts)
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()


class Board:
    """A running ``bd ui`` process and what its ``--json`` start line said."""

    def __init__(self, root: Path, proc: subprocess.Popen[str], info: dict[str, Any]) -> None:
        self.root, self.proc, self.info = root, proc, info
        self.url: str = info["url"]
        self.base = self.url.split("/?", 1)[0]
        self.token: str = info["token"]

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def start_board(root: Path, args: list[str] | None = None,
                env: dict[str, str] | None = None) -> Board:
    """Start ``bd ARGS --json`` (ARGS: ``["ui", ...]``) in ``root``; wait for its start line."""
    argv = args or ["ui"]
    assert argv[0] == "ui"
    proc = subprocess.Popen([sys.executable, "-m", "bd", *argv, "--json"], cwd=root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    text = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(f"bd ui exited {proc.wait()}: {err}")
        text += line
        try:
            return Board(root, proc, json.loads(text))
        except ValueError:
            continue
    proc.kill()
    raise AssertionError(f"bd ui printed no start line: {text!r}")


def generated_repo(root: Path, issues: int = 60) -> Path:
    """A repository holding a generated dataset (the benchmarks' generator, seed 7)."""
    make_repo(root, prefix="bd")
    data = subprocess.run([sys.executable, str(GEN), "--issues", str(issues), "--seed", "7",
                           "--prefix", "bd", "--large-desc", "0"], capture_output=True,
                          check=True, timeout=60).stdout
    (root / "generated.jsonl").write_bytes(data)
    bd("import", "-i", "generated.jsonl", cwd=root)
    return root


def wait_for(what: str, check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # noqa: BLE001 - retried until the deadline
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def save_screenshot(drv: Any, tmp_path: Path, name: str) -> Path:
    """Save under the test's tmp dir; with BD_UPDATE_SCREENSHOTS=1 also as docs/images/NAME."""
    path = tmp_path / name
    assert drv.save_screenshot(str(path)), f"could not save {path}"
    assert path.stat().st_size > 10_000, "the screenshot is (nearly) empty"
    if UPDATE_SCREENSHOTS:
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMAGES / name)
    return path
