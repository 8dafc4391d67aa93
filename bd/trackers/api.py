"""The library calls behind ``bd <tracker> sync|status`` and ``bd linear teams``."""

from __future__ import annotations

import importlib
from typing import Any

from bd.trackers import TRACKERS
from bd.trackers.base import Adapter, Settings
from bd.trackers.engine import SyncOptions, SyncReport, run_sync
from bd.trackers.local import status as _status

_CLASSES = {"github": ("bd.trackers.github", "GitHub"),
            "gitlab": ("bd.trackers.gitlab", "GitLab"),
            "jira": ("bd.trackers.jira", "Jira"),
            "linear": ("bd.trackers.linear", "Linear")}


def adapter(store: Any, name: str, *, env: Any = None, http_factory: Any = None) -> Adapter:
    """The adapter for tracker ``name``, configured from the store's config.yaml."""
    if name not in TRACKERS:
        raise ValueError(name)
    settings = Settings(name, store.config, env)
    if http_factory is None:
        def http_factory(base_url: str, headers: dict[str, str], *, name: str) -> Any:
            from bd.trackers.http import Http

            return Http(base_url, headers, name=name,
                        timeout=settings.number("timeout", 30.0),
                        max_attempts=1 + int(settings.number("max_retries", 5)),
                        backoff=settings.number("retry_backoff", 0.5))
    module, cls = _CLASSES[name]
    return getattr(importlib.import_module(module), cls)(settings, http_factory)  # type: ignore[no-any-return]


def sync(store: Any, name: str, opts: SyncOptions, *, progress: Any = None,
         env: Any = None) -> SyncReport:
    return run_sync(store, adapter(store, name, env=env), opts, progress=progress)


def status(store: Any, name: str, *, env: Any = None) -> dict[str, Any]:
    ad = adapter(store, name, env=env)
    problems = ad.problems()  # type: ignore[attr-defined]
    return _status(store, name, ad.parse_ref, ad.target(), not problems, problems)


def linear_teams(store: Any, *, env: Any = None) -> list[dict[str, Any]]:
    ad = adapter(store, "linear", env=env)
    try:
        return ad.teams()  # type: ignore[attr-defined,no-any-return]
    finally:
        ad.close()
