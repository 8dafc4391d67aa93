"""What every adapter shares: the remote issue as bd sees it, settings and tokens, the
adapter interface, and the synced-field projection of a local record."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bd.core import model
from bd.errors import ConfigError, TrackerError

# The fields a sync keeps equal on both sides (comments are handled apart).
SYNC_FIELDS = ("title", "description", "status", "priority", "issue_type", "labels",
               "assignee")
STATES = ("open", "closed", "all")


class RemoteComment:
    __slots__ = ("id", "author", "text", "created_at")

    def __init__(self, id: str, author: str, text: str, created_at: str) -> None:
        self.id, self.author, self.text, self.created_at = str(id), author, text, created_at


class RemoteIssue:
    """One remote issue already mapped to bd's vocabulary.

    ``key`` is what the adapter needs to address it again (GitHub number, GitLab iid, Jira
    key, Linear identifier); ``ref`` is the canonical ``external_ref``; ``fields`` hold the
    :data:`SYNC_FIELDS` values; ``comments`` is None when they were not fetched.
    """

    __slots__ = ("key", "ref", "fields", "created_at", "updated_at", "closed", "comments",
                 "comment_count", "extra")

    def __init__(self, key: str, ref: str, fields: dict[str, Any], *, created_at: str,
                 updated_at: str, comments: list[RemoteComment] | None = None,
                 comment_count: int | None = None, extra: Any = None) -> None:
        self.key, self.ref, self.fields = str(key), ref, fields
        self.created_at, self.updated_at = created_at, updated_at
        self.closed = fields.get("status") == "closed"
        self.comments = comments
        self.comment_count = comment_count  # None: unknown (fetch to find out)
        self.extra = extra


def project(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The synced fields of a local record, normalised like a mapped remote issue."""
    labels = rec.get("labels") or []
    return {
        "title": rec.get("title") or "",
        "description": rec.get("description") or "",
        "status": model.status_of(rec),
        "priority": model.priority_of(rec),
        "issue_type": model.type_of(rec),
        "labels": sorted({str(x) for x in labels}),
        "assignee": rec.get("assignee") or "",
    }


def field_hashes(fields: Mapping[str, Any]) -> dict[str, str]:
    """A short hash per synced field: what the state file remembers of each side."""
    out = {}
    for name in SYNC_FIELDS:
        text = json.dumps(fields.get(name), sort_keys=True, ensure_ascii=False)
        out[name] = hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:12]
    return out


class Settings:
    """Configuration of one tracker: ``<name>.*`` keys of .beads/config.yaml, the
    environment, and the user's own config file for secrets.

    Tokens are looked up in the environment, then in the user's config
    (``$XDG_CONFIG_HOME/bd/config.yaml``, default ``~/.config/bd/config.yaml``); a token in
    the project's config.yaml (a committed file) is refused.
    """

    def __init__(self, name: str, project_config: Mapping[str, Any],
                 env: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.project = project_config
        self.env = os.environ if env is None else env
        self._user: dict[str, Any] | None = None

    @staticmethod
    def user_config_path(env: Mapping[str, str] | None = None) -> str:
        env = os.environ if env is None else env
        base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        return os.path.join(base, "bd", "config.yaml")

    @property
    def user(self) -> dict[str, Any]:
        if self._user is None:
            from bd.store import config as cfgmod

            self._user = cfgmod.load(self.user_config_path(self.env))
        return self._user

    def get(self, key: str, env: str | None = None, default: Any = None) -> Any:
        """``<tracker>.<key>`` from the project config, else the environment, else the
        user's config, else ``default``."""
        full = f"{self.name}.{key}"
        value = self.project.get(full)
        if value is None and env:
            value = self.env.get(env) or None
        if value is None:
            value = self.user.get(full)
        return default if value is None or value == "" else value

    def require(self, key: str, env: str | None = None) -> str:
        value = self.get(key, env)
        if value is None:
            hint = f" or the {env} environment variable" if env else ""
            raise TrackerError(f"{self.name}.{key} is not configured: run "
                               f"'bd config set {self.name}.{key} VALUE'{hint}")
        return str(value)

    def secret(self, key: str, env: tuple[str, ...]) -> str | None:
        full = f"{self.name}.{key}"
        if self.project.get(full) not in (None, ""):
            raise ConfigError(f"{full} must not be in the project's config.yaml (it is "
                              f"committed): set {env[0]} or put it in "
                              f"{self.user_config_path(self.env)}", field=full)
        for name in env:
            if self.env.get(name):
                return self.env[name]
        value = self.user.get(full)
        return str(value) if value not in (None, "") else None

    def mapping(self, key: str) -> dict[str, str]:
        """``<tracker>.<key>.<k>: v`` entries (a YAML mapping is flattened to dotted keys)."""
        prefix = f"{self.name}.{key}."
        out: dict[str, str] = {}
        for source in (self.user, self.project):
            for full, value in source.items():
                if full.startswith(prefix) and value is not None:
                    out[full[len(prefix):]] = str(value)
        return out

    def number(self, key: str, default: float) -> float:
        value = self.get(key, default=default)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}.{key} must be a number (got {value!r})",
                              field=f"{self.name}.{key}") from None


Tick = Callable[[int, int | None], None]  # (items fetched so far, total if known)


class Adapter:
    """One tracker's API in bd's vocabulary.  Subclasses implement the methods below."""

    name = ""
    display = ""

    def __init__(self, settings: Settings, http_factory: Callable[..., Any]) -> None:
        self.settings = settings
        self.http_factory = http_factory

    # -- identity --------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What is missing from the configuration (empty when a sync can start)."""
        raise NotImplementedError

    def target(self) -> str:
        """What this adapter syncs with, for reports ("owner/repo", a project key...)."""
        raise NotImplementedError

    def parse_ref(self, ref: str) -> str | None:
        """The remote key an ``external_ref`` points to, when it is this target's."""
        raise NotImplementedError

    # -- reading ---------------------------------------------------------------------------
    def fetch(self, *, since: str | None, state: str,
              progress: Tick) -> Iterator[RemoteIssue]:
        raise NotImplementedError

    def get(self, key: str) -> RemoteIssue | None:
        raise NotImplementedError

    def comments(self, issue: RemoteIssue) -> list[RemoteComment]:
        raise NotImplementedError

    # -- writing ---------------------------------------------------------------------------
    def create(self, fields: Mapping[str, Any]) -> RemoteIssue:
        raise NotImplementedError

    def update(self, issue: RemoteIssue, fields: Mapping[str, Any]) -> RemoteIssue:
        raise NotImplementedError

    def add_comment(self, issue: RemoteIssue, text: str) -> RemoteComment:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def stats(self) -> dict[str, int]:
        return {}


def since_margin(ts: str, seconds: int) -> str:
    """``ts`` moved back by ``seconds`` (APIs with coarse time filters re-read a little)."""
    from datetime import timedelta

    from bd.core.timeutil import UTC, format_ts, parse_ts

    dt = parse_ts(ts)
    if dt is None:
        return ts
    return format_ts((dt - timedelta(seconds=seconds)).astimezone(UTC))


def utc(ts: str | None) -> str:
    """A remote timestamp in bd's RFC 3339 form (UTC); '' when missing or unreadable."""
    if not ts:
        return ""
    from bd.core.timeutil import UTC, format_ts, parse_ts

    text = ts
    # Jira writes +0000 (no colon) and .000 fractions.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = text[:-2] + ":" + text[-2:]
    dt = parse_ts(text)
    if dt is None:
        return ""
    return format_ts(dt.astimezone(UTC))


def check_state(state: str) -> str:
    if state not in STATES:
        from bd.errors import UsageError

        raise UsageError(f"invalid --state {state!r} (expected open, closed or all)")
    return state


def later(a: str, b: str) -> bool:
    """a is strictly later than b (unparseable times count as oldest)."""
    from bd.core.timeutil import parse_ts

    da, db = parse_ts(a) if a else None, parse_ts(b) if b else None
    if da is None:
        return False
    if db is None:
        return True
    return da > db


def ts_key(ts: str) -> float:
    """A sortable number for a timestamp (unreadable ones sort first)."""
    from bd.core.timeutil import parse_ts

    dt = parse_ts(ts)
    return dt.timestamp() if dt is not None else 0.0
