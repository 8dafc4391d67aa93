"""The one HTTP client of the tracker adapters: httpx with timeouts, retries and paging.

* 429, and 403 carrying GitHub's rate-limit signals (``Retry-After``, or
  ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``), wait as told (capped) and retry.
* 5xx and connection errors/timeouts retry with exponential backoff (0.5 s, 1 s, 2 s, ...).
  A request that is not idempotent (a POST that creates an issue or a comment) is retried
  only when the server surely did not act on it: a rate limit, 503, or a connection that
  was never made.  After a 500/502/504 or a read timeout it may have been done, so the
  run stops; the engine's journal then settles it on the next run instead of a duplicate.
* Headers are never logged or put into error messages: they carry the token.

httpx is the optional ``[trackers]`` extra; only the tracker commands import this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from bd.errors import TrackerError

try:
    import httpx
except ImportError:  # pragma: no cover - exercised only without the extra
    httpx = None  # type: ignore[assignment]

DEFAULT_TIMEOUT = 30.0
MAX_ATTEMPTS = 6
BACKOFF_BASE = 0.5
MAX_WAIT = 120.0  # never sleep longer than this for one rate-limit response

Sleep = Callable[[float], None]


def _retry_after(resp: Any, now: float) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say."""
    value = resp.headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                return None
    reset = resp.headers.get("x-ratelimit-reset") or resp.headers.get("ratelimit-reset")
    remaining = resp.headers.get("x-ratelimit-remaining") or resp.headers.get(
        "ratelimit-remaining")
    if reset and remaining == "0":
        try:
            stamp = float(reset)
        except ValueError:
            return None
        # GitHub sends an epoch time; GitLab's RateLimit-Reset is also an epoch time.
        return max(0.0, stamp - now)
    return None


def _rate_limited(resp: Any) -> bool:
    if resp.status_code == 429:
        return True
    if resp.status_code == 403:  # GitHub's primary and secondary rate limits
        if resp.headers.get("retry-after") or resp.headers.get("x-ratelimit-remaining") == "0":
            return True
        text = resp.text[:500].lower()
        return "rate limit" in text
    return False


class Http:
    """A session against one API base URL with fixed auth headers."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, name: str,
                 timeout: float = DEFAULT_TIMEOUT, sleep: Sleep = time.sleep,
                 max_attempts: int = MAX_ATTEMPTS, backoff: float = BACKOFF_BASE) -> None:
        if httpx is None:
            raise TrackerError("the tracker commands need the 'httpx' package: "
                               "pip install 'beads-py[trackers]'")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(headers=dict(headers), timeout=timeout,
                                    follow_redirects=True)
        self._sleep = sleep
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.requests = 0  # requests sent, retries included (the report shows it)
        self.writes = 0  # POST/PUT/PATCH that succeeded
        self.retries = 0

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                json: Any = None, ok: tuple[int, ...] = (),
                idempotent: bool | None = None) -> Any:
        """Send, retrying rate limits and transient failures; return the httpx response.

        A status in ``ok`` is returned to the caller even when it is an error (404 on a
        lookup, say); other 4xx raise a :class:`TrackerError` naming the method and path.
        """
        url = self.url(path)
        shown = url.split("?", 1)[0]
        if idempotent is None:
            idempotent = method != "POST"
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            unsafe = False  # the server may have acted: retry only an idempotent request
            try:
                resp = self._client.request(method, url, params=params, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                problem = f"connection failed ({type(exc).__name__})"
            except httpx.TimeoutException:
                problem, unsafe = "timed out", True
            except httpx.TransportError as exc:
                problem, unsafe = f"connection failed ({type(exc).__name__})", True
            else:
                if resp.status_code in ok or resp.status_code < 300:
                    if method != "GET" and resp.status_code < 300:
                        self.writes += 1
                    return resp
                if _rate_limited(resp):
                    wait = _retry_after(resp, time.time())
                    if wait is None:
                        wait = self.backoff * 2 ** (attempt - 1) * 4
                    if wait > MAX_WAIT:
                        raise TrackerError(
                            f"{self.name}: rate limited; the server asks to wait {wait:.0f} s "
                            f"(more than {MAX_WAIT:.0f} s): try again later")
                    problem = f"rate limited (HTTP {resp.status_code})"
                    if attempt < self.max_attempts:
                        self.retries += 1
                        self._sleep(wait)
                        continue
                elif resp.status_code >= 500:
                    problem, unsafe = f"HTTP {resp.status_code}", resp.status_code != 503
                else:
                    raise TrackerError(f"{self.name}: {method} {shown}: HTTP {resp.status_code}"
                                       f"{_detail(resp)}")
            if unsafe and not idempotent:
                raise TrackerError(f"{self.name}: {method} {shown}: {problem}; not retried "
                                   "(the server may have done it): run the sync again")
            if attempt >= self.max_attempts:
                raise TrackerError(f"{self.name}: {method} {shown}: {problem} "
                                   f"(gave up after {attempt} attempts)")
            self.retries += 1
            self._sleep(self.backoff * 2 ** (attempt - 1))

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()


def _detail(resp: Any) -> str:
    """A short reason from an error body (the APIs put it under message/errorMessages)."""
    try:
        body = resp.json()
    except ValueError:
        return ""
    msg: Any = None
    if isinstance(body, dict):
        msg = body.get("message") or body.get("error") or body.get("errorMessages")
        if isinstance(msg, list):
            msg = "; ".join(str(m) for m in msg[:3])
    return f": {str(msg)[:200]}" if msg else ""


def next_link(resp: Any) -> str | None:
    """The rel="next" URL of an RFC 8288 ``Link`` header (GitHub, GitLab), or None."""
    link = resp.headers.get("link")
    if not link:
        return None
    for part in link.split(","):
        segs = part.split(";")
        if len(segs) < 2:
            continue
        target = segs[0].strip()
        if any(s.strip().replace(" ", "") in ('rel="next"', "rel=next") for s in segs[1:]):
            if target.startswith("<") and target.endswith(">"):
                return target[1:-1]
    return None
