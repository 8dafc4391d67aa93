"""A threaded HTTP server on 127.0.0.1 that hosts one fake tracker API, with error injection.

Each fake (fake_github.py, ...) implements the subset of its API that bd uses, with payloads
shaped like the real ones, real paging, and a logical clock for ``updated_at`` so tests can
say which side changed last.  ``inject()`` queues failures (429 with Retry-After, GitHub's
secondary-limit 403, 5xx, a dropped connection) for the next matching requests.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class Reply:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                 raw: bytes | None = None) -> None:
        self.status, self.body, self.headers, self.raw = status, body, headers or {}, raw


class Failure:
    def __init__(self, status: int, count: int, headers: dict[str, str], body: Any,
                 method: str | None, path: str | None, contains: str | None,
                 after: bool = False) -> None:
        self.status, self.count, self.headers, self.body = status, count, headers, body
        self.after = after
        self.method, self.path, self.contains = method, path, contains


class FakeServer:
    """Subclasses implement ``route(method, path, query, body) -> Reply``."""

    token_header = "Authorization"

    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.RLock()
        self.requests: list[tuple[str, str]] = []
        self.writes: list[tuple[str, str]] = []  # successful non-GET requests
        self.failures: list[Failure] = []
        self.injected = 0
        # Kill tests: after this many successful writes the reply to the last one is held
        # (the change is made, the client never hears of it) until release().
        self.stall_after_writes: int | None = None
        self.stalled = threading.Event()
        self._release = threading.Event()
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _do(self) -> None:
                fake._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release(self) -> None:
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- time ---------------------------------------------------------------------------------
    def tick(self) -> str:
        """The next instant of the fake's clock (one second later), as an ISO string."""
        with self.lock:
            self.clock += timedelta(seconds=1)
            return self.stamp(self.clock)

    @staticmethod
    def stamp(dt: datetime) -> str:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")

    def set_clock(self, dt: datetime) -> None:
        with self.lock:
            self.clock = dt

    # -- failures -----------------------------------------------------------------------------
    def inject(self, status: int, *, count: int = 1, headers: dict[str, str] | None = None,
               body: Any = None, method: str | None = None, path: str | None = None,
               contains: str | None = None, after: bool = False) -> None:
        """The next ``count`` requests matching method, path (a substring, anchored at the
        end with a trailing '$') and request body (``contains``) fail with ``status``
        (status 0: the connection is closed without a reply).  ``after``: the request is
        carried out first, then answered with the failure (a gateway timing out on a create
        that happened)."""
        with self.lock:
            self.failures.append(Failure(status, count, headers or {}, body, method, path,
                                         contains, after))

    def _failure(self, method: str, path: str, raw: bytes) -> Failure | None:
        with self.lock:
            for f in self.failures:
                if f.path is not None:
                    hit = path.endswith(f.path[:-1]) if f.path.endswith("$") else \
                        f.path in path
                    if not hit:
                        continue
                if f.contains is not None and f.contains.encode() not in raw:
                    continue
                if f.method is None or f.method == method:
                    f.count -= 1
                    if f.count <= 0:
                        self.failures.remove(f)
                    self.injected += 1
                    return f
        return None

    # -- dispatch -----------------------------------------------------------------------------
    def authorized(self, headers: Any) -> bool:
        return headers.get(self.token_header) == f"Bearer {self.token}"

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        method = h.command
        with self.lock:
            self.requests.append((method, url.path))
        fail = self._failure(method, url.path, raw)
        if fail is not None and fail.status == 0:
            h.close_connection = True
            try:
                h.wfile.flush()
                h.connection.shutdown(2)
            except OSError:
                pass
            return
        if fail is not None and fail.after:
            with self.lock:
                self.route(method, url.path, {k: v[-1] for k, v in parse_qs(url.query).items()},
                           json.loads(raw) if raw else None)
        if fail is not None:
            reply = Reply(fail.status, fail.body if fail.body is not None else
                          {"message": f"injected {fail.status}"}, fail.headers)
        elif not self.authorized(h.headers):
            reply = Reply(401, {"message": "Bad credentials"})
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            stall = write = False
            with self.lock:
                reply = self.route(method, url.path, query, body)
                write = self.is_write(method, body)
                if write and reply.status < 300:
                    self.writes.append((method, url.path))
                    stall = (self.stall_after_writes is not None
                             and len(self.writes) >= self.stall_after_writes)
            if write and reply.status < 300 and stall:
                self.stall_after_writes = None
                self.stalled.set()
                self._release.wait(60)
                return
        data = reply.raw if reply.raw is not None else (
            b"" if reply.body is None else json.dumps(reply.body).encode())
        h.send_response(reply.status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in reply.headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def is_write(self, method: str, body: Any) -> bool:
        return method != "GET"

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        raise NotImplementedError


def page_links(base: str, path: str, query: dict[str, str], page: int, last: int) -> str:
    """An RFC 8288 Link header (next, last) as GitHub and GitLab send it."""
    def url(p: int) -> str:
        q = dict(query, page=str(p))
        return f"<{base}{path}?" + "&".join(f"{k}={v}" for k, v in q.items()) + ">"
    parts = []
    if page < last:
        parts.append(f'{url(page + 1)}; rel="next"')
    parts.append(f'{url(last)}; rel="last"')
    return ", ".join(parts)
