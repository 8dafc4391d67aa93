"""bd ui's server without a browser: the token, Host and Origin checks, read-only mode,
loopback-only binding, live events, its --json start line."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import Board, start_board
from conftest import bd, jsonl_path, make_repo

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "ui_start.json"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    root = make_repo(tmp_path_factory.mktemp("ui") / "repo", prefix="u")
    bd("create", "First", "--id", "u-one", cwd=root)
    bd("create", "Second", "--id", "u-two", cwd=root)
    board = start_board(root, ["ui"])
    yield board
    board.stop()


def request(board: Board, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", board.info["port"], timeout=10)
    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    conn.request(method, path, body=data, headers=headers or {})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def write_headers(board: Board, **extra: str) -> dict[str, str]:
    return {"X-Bd-Token": board.token, "Content-Type": "application/json", **extra}


def test_start_line_matches_its_golden(served: Board) -> None:
    info = dict(served.info)
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{32}", info["url"])
    assert info["url"].endswith(info["token"]) and info["port"] > 0
    normal = {**info, "url": "<url>", "port": "<port>", "token": "<token>",
              "workspace": "<workspace>"}
    expected = json.loads(GOLDEN.read_text())
    assert normal == expected, "the --json start line changed: update tests/golden/ui_start.json"


def test_writes_need_the_token(served: Board) -> None:
    before = jsonl_path(served.root).read_bytes()
    body = {"reason": "sneaky"}
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "X-Bd-Token": "wrong"},
                    {"Content-Type": "application/json", "X-Bd-Token": served.token[:-1]}):
        status, _, _ = request(served, "POST", "/api/issue/u-one/close", body, headers)
        assert status == 403
    # The token in the query string is for the event stream only, never for a write.
    status, _, _ = request(served, "POST", f"/api/issue/u-one/close?token={served.token}",
                           body, {"Content-Type": "application/json"})
    assert status == 403
    # A form post (what a foreign page can send without CORS) is refused even with a token.
    status, _, _ = request(served, "POST", "/api/issue/u-one/close", b"reason=x",
                           {"X-Bd-Token": served.token,
                            "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    assert jsonl_path(served.root).read_bytes() == before
    status, _, data = request(served, "POST", "/api/issue/u-one/close", body,
                              write_headers(served))
    assert status == 200 and json.loads(data)["issue"]["status"] == "closed"
    assert jsonl_path(served.root).read_bytes() != before


def test_reads_need_the_token_too(served: Board) -> None:
    assert request(served, "GET", "/api/board")[0] == 403
    assert request(served, "GET", "/api/events")[0] == 403
    status, _, data = request(served, "GET", "/api/board", headers={"X-Bd-Token": served.token})
    assert status == 200 and json.loads(data)["columns"][0]["count"] >= 1
    # The page itself carries no data and no token.
    status, headers, page = request(served, "GET", "/")
    assert status == 200 and served.token.encode() not in page
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_foreign_host_and_origin_are_refused(served: Board) -> None:
    # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
    headers = {"Host": f"evil.example:{served.info['port']}", "X-Bd-Token": served.token}
    assert request(served, "GET", "/api/board", headers=headers)[0] == 403
    assert request(served, "GET", "/", headers={"Host": "evil.example"})[0] == 403
    before = jsonl_path(served.root).read_bytes()
    status, _, _ = request(served, "POST", "/api/issue/u-two/close", {},
                           write_headers(served, Origin="http://evil.example"))
    assert status == 403
    assert jsonl_path(served.root).read_bytes() == before
    status, _, _ = request(served, "POST", "/api/issue/u-two/comment", {"text": "ok"},
                           write_headers(served, Origin=f"http://localhost:{served.info['port']}"))
    assert status == 200


def test_bad_requests_are_clear_errors(served: Board) -> None:
    h = write_headers(served)
    cases = [("/api/issue/u-nope/close", {}, 404), ("/api/issue/u-two/fly", {}, 404),
             ("/api/issues", {"title": ""}, 400), ("/api/issues", {"title": 5}, 400),
             ("/api/issue/u-two/update", {"priority": "9"}, 400),
             ("/api/issue/u-two/update", {}, 400), ("/api/issues", b"[1]", 400),
             ("/api/issues", b"{not json", 400)]
    before = jsonl_path(served.root).read_bytes()
    for path, body, expected in cases:
        status, _, data = request(served, "POST", path, body, h)
        assert status == expected, (path, body, data)
        assert "error" in json.loads(data)
    assert jsonl_path(served.root).read_bytes() == before


def test_writes_use_the_library_and_are_evented(served: Board) -> None:
    h = write_headers(served)
    status, _, data = request(served, "POST", "/api/issues",
                              {"title": "From the web", "priority": "1", "labels": ["web"],
                               "issue_type": "bug"}, h)
    assert status == 201
    rid = json.loads(data)["issue"]["id"]
    shown = json.loads(bd("show", rid, "--json", cwd=served.root).stdout)
    shown = shown[0] if isinstance(shown, list) else shown
    assert (shown["title"], shown["priority"], shown["issue_type"], shown["labels"]) == (
        "From the web", 1, "bug", ["web"])
    assert request(served, "POST", f"/api/issue/{rid}/claim", {}, h)[0] == 200
    assert request(served, "POST", f"/api/issue/{rid}/claim", {}, h)[0] == 409  # held
    assert request(served, "POST", f"/api/issue/{rid}/update", {"title": "Renamed"}, h)[0] == 200
    status, _, data = request(served, "GET", f"/api/issue/{rid}",
                              headers={"X-Bd-Token": served.token})
    detail = json.loads(data)
    assert detail["issue"]["title"] == "Renamed"
    assert [e["event_type"] for e in detail["events"]][:3] == ["created", "claimed", "updated"]


def test_live_events_follow_the_jsonl(served: Board) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", served.info["port"], timeout=10)
    conn.request("GET", f"/api/events?token={served.token}")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/event-stream")
    assert b"event: hello" in resp.fp.readline() + resp.fp.readline()
    bd("update", "u-two", "--notes", "changed by the CLI", cwd=served.root)
    deadline = time.monotonic() + 10
    seen = b""
    while time.monotonic() < deadline and b"event: change" not in seen:
        seen += resp.fp.readline()
    conn.close()
    assert b"event: change" in seen


def test_read_only_refuses_writes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "ro", prefix="r")
    bd("create", "Only to read", "--id", "r-one", cwd=root)
    board = start_board(root, ["ui", "--readonly"])
    try:
        status, _, data = request(board, "POST", "/api/issue/r-one/close", {},
                                  write_headers(board))
        assert status == 403 and b"read-only" in data
        status, _, data = request(board, "GET", "/api/board", headers={"X-Bd-Token": board.token})
        assert json.loads(data)["readonly"] is True
    finally:
        board.stop()


def test_non_loopback_needs_an_explicit_host(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "net", prefix="n")
    bd("config", "set", "ui.host", "0.0.0.0", cwd=root)
    proc = subprocess.run([sys.executable, "-m", "bd", "ui", "--port", "0"], cwd=root,
                          capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "refusing to serve on 0.0.0.0" in proc.stderr and "--host" in proc.stderr
    board = start_board(root, ["ui", "--host", "0.0.0.0"])
    try:
        assert board.info["host"] == "0.0.0.0"
        status, _, _ = request(board, "GET", "/api/board", headers={"X-Bd-Token": board.token})
        assert status == 200
    finally:
        err = board.stop()
    assert "Warning: serving on 0.0.0.0, which other machines can reach" in err


def test_library_refuses_non_loopback_without_consent(tmp_path: Path) -> None:
    from bd.errors import UsageError
    from bd.views.server import BoardServer, is_loopback

    root = make_repo(tmp_path / "lib", prefix="l")
    with pytest.raises(UsageError, match="not a loopback address"):
        BoardServer(str(root / ".beads"), host="0.0.0.0")
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.1")
    server = BoardServer(str(root / ".beads"), host="127.0.0.1", port=0)
    try:
        assert server.url.startswith(f"http://127.0.0.1:{server.port}/?token=")
    finally:
        server.server_close()


def test_board_columns_are_capped_and_say_so(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from bd.store.store import Store
    from bd.views import board

    root = make_repo(tmp_path / "cap", prefix="k")
    for n in range(4):
        bd("create", f"Issue {n}", "-p", str(n % 4), cwd=root)
    bd("create", "Bug to find", "-t", "bug", "--id", "k-bug", cwd=root)
    monkeypatch.setattr(board, "CARD_LIMIT", 3)
    store = Store(str(root / ".beads"))
    try:
        value = board.board(store, {"view": ["ready"]})
        opened = value["columns"][0]
        assert (opened["status"], opened["count"], opened["more"]) == ("open", 3, True)
        assert [c["priority"] for c in opened["cards"]] == [0, 1, 2]
        assert value["ready_count"] == 5 and len(value["ready"]) == 3
        assert "ready" not in board.board(store, {})  # only the ready view carries the queue
        found = board.board(store, {"q": ["find"], "type": ["bug"], "view": ["ready"]})
        assert [c["id"] for c in found["columns"][0]["cards"]] == ["k-bug"]
        assert [c["id"] for c in found["ready"]] == ["k-bug"]
    finally:
        store.close()


def test_port_log_and_open(tmp_path: Path) -> None:
    import socket

    root = make_repo(tmp_path / "flags", prefix="f")
    bd("create", "Flags", "--id", "f-one", cwd=root)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {opened}\n")
    browser.chmod(0o755)
    board = start_board(root, ["ui", "--port", str(port), "--log", "--open"],
                        env={"BROWSER": str(browser)})
    try:
        assert board.info["port"] == port
        url = board.info["url"]
        assert wait_opened(opened) == url          # --open handed the URL to the browser
        assert request(board, "GET", "/api/board",
                       headers={"X-Bd-Token": board.token})[0] == 200
        # The port is taken now: a second board on it is a clear error.
        proc = subprocess.run([sys.executable, "-m", "bd", "ui", "--port", str(port)], cwd=root,
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    finally:
        err = board.stop()
    assert '"GET /api/board HTTP/1.1" 200' in err     # --log: one line per request


def wait_opened(path: Path) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError("--open did not start the browser")
