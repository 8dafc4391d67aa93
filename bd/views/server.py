"""``bd ui``: the local web board, on the standard library's threading HTTP server.

Safety, because any web page the user opens can send requests to 127.0.0.1:
- it binds 127.0.0.1 by default and refuses any other address unless the caller passes
  ``allow_remote`` (the CLI does so only for an explicit ``--host``, and warns);
- every ``/api`` request needs the per-run token (header ``X-Bd-Token``; the event stream,
  which cannot set headers, takes ``?token=``), compared in constant time; writes also need
  ``Content-Type: application/json`` and, when the browser sends one, our own ``Origin``;
- the ``Host`` header must name this server (a DNS-rebinding page cannot pass it);
- responses carry a Content-Security-Policy that runs only our own script files, and the
  page builds every element with ``textContent``: issue text is never parsed as HTML.

Writes go through :mod:`bd.ops.issues`, the same calls the CLI makes, so each one is atomic,
locked and recorded as an event.  A fresh :class:`~bd.store.store.Store` serves each request
(SQLite connections stay in their thread); the board learns of changes made elsewhere (the
CLI, another agent, a ``git pull``) by watching the JSONL's stat signature and pushes a
server-sent event, on which the page fetches the board again.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bd.errors import BdError, ClaimError, NotFoundError, UsageError, ValidationError
from bd.store.store import Store
from bd.views import board
from bd.views.board import Refused
from bd.views.html import static_text

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

STATIC = {"app.js": "text/javascript", "app.css": "text/css", "graph.js": "text/javascript",
          "graph.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
MAX_BODY = 1 << 20
POLL_SECONDS = 0.25
PING_SECONDS = 10.0


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def signature(path: str) -> str:
    """The JSONL's stat signature (size, mtime, inode); ``-`` when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}"


class BoardServer(ThreadingHTTPServer):
    """The server; :meth:`serve_forever` runs it, :meth:`stop` ends it and its streams."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, beads_dir: str, *, host: str = "127.0.0.1", port: int = 0,
                 readonly: bool = False, allow_remote: bool = False, actor: str | None = None,
                 token: str | None = None, log: Callable[[str], None] | None = None) -> None:
        if not is_loopback(host) and not allow_remote:
            raise UsageError(f"refusing to serve on {host}, which is not a loopback address: "
                             "pass --host explicitly to expose the board beyond this machine")
        self.beads_dir = beads_dir
        self.readonly = readonly
        self.actor = actor
        self.token = token or secrets.token_urlsafe(24)
        self.log = log
        self.check_host = is_loopback(host)
        self.stopping = threading.Event()
        self.write_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
        self.address_family = family
        try:
            super().__init__((host.strip("[]"), port), Handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self.host = host
        self.port = int(self.server_address[1])
        probe = Store(beads_dir, actor=actor)
        try:
            self.jsonl_path = probe.jsonl_path
            self.actor_name = probe.actor
        finally:
            probe.close()
        self.assets = {name: static_text(name).encode("utf-8")
                       for name in ("index.html", *STATIC)}
        names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
        self.allowed_hosts = {f"{n}:{self.port}" for n in names}

    @property
    def url(self) -> str:
        shown = self.host if ":" not in self.host.strip("[]") else f"[{self.host.strip('[]')}]"
        if shown in ("0.0.0.0", "[::]"):
            shown = "127.0.0.1"
        return f"http://{shown}:{self.port}/?token={self.token}"

    def open_store(self) -> Store:
        return Store(self.beads_dir, actor=self.actor)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: BoardServer
    protocol_version = "HTTP/1.1"
    server_version = "bd-ui"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK hold every keep-alive response back ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    # -- plumbing ----------------------------------------------------------------------------

    def _headers(self, status: int, ctype: str, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self._headers(status, ctype, len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, ensure_ascii=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _host_ok(self) -> bool:
        if not self.server.check_host:
            return True
        return (self.headers.get("Host") or "").lower() in self.server.allowed_hosts

    def _token_ok(self, query: dict[str, list[str]], *, header_only: bool) -> bool:
        given = self.headers.get("X-Bd-Token") or ""
        if not given and not header_only:
            given = (query.get("token") or [""])[0]
        return bool(given) and hmac.compare_digest(given.encode(), self.server.token.encode())

    def _origin_ok(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True
        parts = urlsplit(origin)
        return f"{parts.hostname}:{parts.port}" in self.server.allowed_hosts or (
            not self.server.check_host and parts.port == self.server.port)

    def _body(self) -> dict[str, Any]:
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise Refused(415, "writes take Content-Type: application/json")
        try:
            length = int(self.headers.get("Content-Length") or "0")
        except ValueError:
            raise Refused(400, "bad Content-Length") from None
        if length > MAX_BODY:
            raise Refused(413, "request body too large")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, "request body is not JSON") from None
        if not isinstance(value, dict):
            raise Refused(400, "request body must be a JSON object")
        return value

    # -- routing -----------------------------------------------------------------------------

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        if not self._host_ok():
            self._error(403, "unexpected Host header")
            return
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path in ("/", "/index.html"):
            self._send(200, self.server.assets["index.html"], "text/html; charset=utf-8")
            return
        if path.startswith("/static/") and path[8:] in STATIC:
            name = path[8:]
            self._send(200, self.server.assets[name], f"{STATIC[name]}; charset=utf-8")
            return
        if path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
            return
        if not path.startswith("/api/"):
            self._error(404, "not found")
            return
        if not self._token_ok(query, header_only=path != "/api/events"):
            self._error(403, "missing or wrong token: open the URL bd ui printed")
            return
        if path == "/api/events":
            self._events()
            return
        self._api(lambda store: board.get(store, path[5:], query, self.server))

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            self._error(403, "unexpected Host header")
            return
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/"):
            self._error(404, "not found")
            return
        if not self._token_ok({}, header_only=True) or not self._origin_ok():
            self._error(403, "missing or wrong token: open the URL bd ui printed")
            return
        if self.server.readonly:
            self._error(403, "this board is read-only (bd ui --readonly)")
            return
        try:
            body = self._body()
        except Refused as exc:
            self._error(exc.status, exc.message)
            return
        with self.server.write_lock:
            self._api(lambda store: board.post(store, parts.path[5:], body))

    def _api(self, call: Callable[[Store], tuple[int, Any]]) -> None:
        store = self.server.open_store()
        try:
            status, value = call(store)
        except Refused as exc:
            self._error(exc.status, exc.message)
            return
        except NotFoundError as exc:
            self._error(404, str(exc))
            return
        except ClaimError as exc:
            self._error(409, str(exc))
            return
        except (ValidationError, UsageError, BdError) as exc:
            self._error(400, str(exc))
            return
        finally:
            store.close()
        self._json(status, value)

    def _events(self) -> None:
        """Server-sent events: ``change`` whenever the JSONL's signature moves."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        path = self.server.jsonl_path
        last = signature(path)
        quiet_since = time.monotonic()
        try:
            self.wfile.write(f"retry: 1000\nevent: hello\ndata: {json.dumps(last)}\n\n".encode())
            self.wfile.flush()
            while not self.server.stopping.wait(POLL_SECONDS):
                now = signature(path)
                if now != last:
                    last = now
                    self.wfile.write(f"event: change\ndata: {json.dumps(now)}\n\n".encode())
                    self.wfile.flush()
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since > PING_SECONDS:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    quiet_since = time.monotonic()
        except OSError:
            return  # the page went away
