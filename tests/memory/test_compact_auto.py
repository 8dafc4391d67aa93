"""``compact --auto`` against a local HTTP server that speaks the Anthropic Messages API (the
official SDK is pointed at it with config ai.base_url): success, a rate limit that succeeds
on retry, a server error, a timeout.  A failed call changes nothing, and the API key never
appears in any output, log or file."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from compactgen import generate, write_repo
from conftest import bd, bdj

pytest.importorskip("anthropic")

KEY = "sk-ant-test-KEY-0123456789-must-never-leak"


class FakeAnthropic:
    """A scripted Messages API: each POST /v1/messages takes the next step of the script
    (the last step repeats)."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                fake.requests.append({"path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": json.loads(body or b"{}")})
                step = fake.script[min(len(fake.requests) - 1, len(fake.script) - 1)]
                if step.get("delay"):
                    time.sleep(step["delay"])
                status = step.get("status", 200)
                if status == 200:
                    payload = {"id": f"msg_{len(fake.requests)}", "type": "message",
                               "role": "assistant", "model": fake.requests[-1]["body"]["model"],
                               "content": [{"type": "text", "text": step["text"]}],
                               "stop_reason": "end_turn", "stop_sequence": None,
                               "usage": {"input_tokens": 10, "output_tokens": 5}}
                else:
                    kind = {429: "rate_limit_error", 500: "api_error"}.get(status, "error")
                    payload = {"type": "error", "error": {"type": kind,
                                                          "message": step.get("message", kind)}}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in step.get("headers", {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout case)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    yield server
    server.close()


@pytest.fixture
def ws(tmp_path: Path, fake: FakeAnthropic) -> tuple[Path, str]:
    recs, figures = generate(30)
    root = write_repo(tmp_path / "auto", recs)
    bd("config", "set", "ai.base_url", fake.url, cwd=root)
    bd("config", "set", "ai.max_retries", "2", cwd=root)
    bd("config", "set", "ai.timeout", "2", cwd=root)
    bd("config", "set", "ai.audit", "true", cwd=root)
    from subprocess import run
    run(["git", "commit", "-qam", "ai config"], cwd=root, check=True)
    return root, figures["tier1"]["ids"][0]


ENV = {"ANTHROPIC_API_KEY": KEY}


def _no_key_anywhere(root: Path, *outputs: str) -> None:
    for text in outputs:
        assert KEY not in text and KEY[-12:] not in text
    for path in (root / ".beads").rglob("*"):
        if path.is_file() and path.suffix in (".jsonl", ".yaml", ".json", ".log", ""):
            assert KEY.encode() not in path.read_bytes(), path


def test_success_applies_the_summary(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    root, rid = ws
    fake.script = [{"text": "**Summary:** Done.\n\n**Resolution:** Fixed."}]
    proc = bd("admin", "compact", "--auto", "--id", rid, "--json", cwd=root, env=ENV)
    res = json.loads(proc.stdout)
    assert res["succeeded"] == 1 and res["failed"] == 0
    req = fake.requests[0]
    assert req["path"] == "/v1/messages"
    sent = req["headers"].get("x-api-key") or req["headers"].get("authorization", "")
    assert sent in (KEY, f"Bearer {KEY}")  # the SDK sent the key to the provider, only there
    assert req["body"]["model"] == "claude-haiku-4-5-20251001"
    assert req["body"]["max_tokens"] == 1024
    prompt = req["body"]["messages"][0]["content"]
    rec = bdj("show", rid, cwd=root)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["description"] == "**Summary:** Done.\n\n**Resolution:** Fixed."
    assert rec["compaction_level"] == 1
    assert "**Key Decisions:**" in prompt and rec["title"] in prompt
    log = bdj("audit", "list", "--kind", "llm_call", cwd=root)
    assert log[-1]["issue_id"] == rid and log[-1]["response"].startswith("**Summary:**")
    _no_key_anywhere(root, proc.stdout, proc.stderr)


def test_rate_limit_is_retried(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    root, rid = ws
    fake.script = [{"status": 429, "headers": {"retry-after-ms": "20"}},
                   {"text": "Summary after a retry."}]
    proc = bd("admin", "compact", "--auto", "--id", rid, "--json", cwd=root, env=ENV)
    res = json.loads(proc.stdout)
    assert res["succeeded"] == 1 and len(fake.requests) == 2
    _no_key_anywhere(root, proc.stdout, proc.stderr)


@pytest.mark.parametrize("script,why", [
    ([{"status": 500, "message": "overloaded", "headers": {"retry-after-ms": "10"}}],
     "HTTP 500"),
    ([{"status": 429, "headers": {"retry-after-ms": "10"}}], "HTTP 429"),
    ([{"delay": 3.0, "text": "too late"}], "timed out"),
    ([{"text": "x" * 5000}], "not shorter"),
], ids=["server-error", "rate-limited-throughout", "timeout", "summary-too-long"])
def test_failures_change_nothing(ws: tuple[Path, str], fake: FakeAnthropic,
                                 script: list[dict[str, Any]], why: str) -> None:
    root, rid = ws
    if why == "timed out":
        bd("config", "set", "ai.timeout", "0.5", cwd=root)
        bd("config", "set", "ai.max_retries", "1", cwd=root)
    fake.script = script
    data = (root / ".beads" / "issues.jsonl").read_bytes()
    proc = bd("admin", "compact", "--auto", "--id", rid, "--json", cwd=root, env=ENV,
              check=False)
    res = json.loads(proc.stdout)
    assert proc.returncode == 1 and res["failed"] == 1 and res["succeeded"] == 0
    assert why in res["results"][0]["error"]
    assert (root / ".beads" / "issues.jsonl").read_bytes() == data
    if why in ("HTTP 500", "HTTP 429"):
        assert len(fake.requests) == 3  # the first try and two retries
    human = bd("admin", "compact", "--auto", "--id", rid, cwd=root, env=ENV, check=False)
    assert human.returncode == 1 and why in human.stderr
    _no_key_anywhere(root, proc.stdout, proc.stderr, human.stdout, human.stderr)


def test_all_and_dry_run(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    root, _ = ws
    n = bdj("admin", "compact", "--stats", cwd=root)["tier1"]["candidates"]
    dry = bdj("admin", "compact", "--auto", "--dry-run", cwd=root)  # no key needed
    assert dry["candidate_count"] == n and not fake.requests
    fake.script = [{"text": "Short."}]
    res = bdj("admin", "compact", "--auto", "--all", "--workers", "3", cwd=root, env=ENV)
    assert res["succeeded"] == n and len(fake.requests) == n
    assert bdj("admin", "compact", "--stats", cwd=root)["tier1"]["candidates"] == 0


def test_missing_key_is_a_clear_error(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    root, rid = ws
    proc = bd("admin", "compact", "--auto", "--id", rid, cwd=root, check=False)
    assert proc.returncode == 1 and "ANTHROPIC_API_KEY" in proc.stderr and not fake.requests


def test_batches_are_written_one_by_one(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    """--batch-size N: each batch is its own write (its own compacted_at); one big batch
    writes every summary at once."""
    root, _ = ws
    fake.script = [{"text": "Short."}]
    ids = [c["id"] for c in bdj("admin", "compact", "--analyze", cwd=root)]
    assert len(ids) >= 3
    bdj("admin", "compact", "--auto", "--all", "--batch-size", "1", "--workers", "1",
        cwd=root, env=ENV)
    stamps = []
    for rid in ids:
        rec = bdj("show", rid, cwd=root)
        stamps.append((rec[0] if isinstance(rec, list) else rec)["compacted_at"])
    assert len(set(stamps)) == len(ids)


def test_one_batch_is_one_write(ws: tuple[Path, str], fake: FakeAnthropic) -> None:
    root, _ = ws
    fake.script = [{"text": "Short."}]
    ids = [c["id"] for c in bdj("admin", "compact", "--analyze", cwd=root)]
    bdj("admin", "compact", "--auto", "--all", "--batch-size", "100", cwd=root, env=ENV)
    stamps = set()
    for rid in ids:
        rec = bdj("show", rid, cwd=root)
        stamps.add((rec[0] if isinstance(rec, list) else rec)["compacted_at"])
    assert len(stamps) == 1
    bad = bd("admin", "compact", "--auto", "--all", "--batch-size", "0", cwd=root, env=ENV,
             check=False)
    assert bad.returncode == 2 and "--batch-size" in bad.stderr
