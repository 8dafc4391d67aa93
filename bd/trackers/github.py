"""GitHub Issues (REST v3): ``/repos/{owner}/{repo}/issues`` and their comments.

Config: ``github.repo`` (``owner/repo``, or the name with ``github.owner``),
``github.api_url`` (GitHub Enterprise: ``https://host/api/v3``); token from ``GITHUB_TOKEN``
/ ``GH_TOKEN`` or ``github.token`` in the user's config.  Pull requests (which the issues API
also lists) are skipped.  ``external_ref`` is the issue's ``html_url``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlparse

from bd.trackers.base import Adapter, RemoteComment, RemoteIssue, Tick, utc
from bd.trackers.http import next_link
from bd.trackers.labels import LabelScheme

_SHORT = re.compile(r"^github:([1-9]\d*)$")
PER_PAGE = 100


class GitHub(Adapter):
    name = "github"
    display = "GitHub"

    def __init__(self, settings: Any, http_factory: Any) -> None:
        super().__init__(settings, http_factory)
        repo = str(settings.get("repo", "GITHUB_REPOSITORY") or "")
        owner = settings.get("owner")
        if "/" not in repo and owner and repo:
            repo = f"{owner}/{repo}"
        self.repo = repo
        self.api_url = str(settings.get("api_url", "GITHUB_API_URL",
                                        "https://api.github.com")).rstrip("/")
        self.labels = LabelScheme(settings.mapping("priority_map"),
                                  settings.mapping("status_map"), settings.mapping("type_map"))
        owner_s, _, name_s = repo.partition("/")
        self._ref_re = re.compile(rf"/{re.escape(owner_s)}/{re.escape(name_s)}/issues/"
                                  r"([1-9]\d*)/?(?:#.*)?$", re.IGNORECASE)
        self._http: Any = None

    def problems(self) -> list[str]:
        out = []
        if "/" not in self.repo or self.repo.startswith("/") or self.repo.endswith("/"):
            out.append("github.repo is not set (owner/repo)")
        if not self.settings.secret("token", ("GITHUB_TOKEN", "GH_TOKEN")):
            out.append("no token: set GITHUB_TOKEN or github.token in the user config")
        return out

    @property
    def http(self) -> Any:
        if self._http is None:
            from bd.errors import TrackerError

            problems = self.problems()
            if problems:
                raise TrackerError(f"github: {'; '.join(problems)}")
            token = self.settings.secret("token", ("GITHUB_TOKEN", "GH_TOKEN"))
            self._http = self.http_factory(
                self.api_url, {"Authorization": f"Bearer {token}",
                               "Accept": "application/vnd.github+json",
                               "X-GitHub-Api-Version": "2022-11-28",
                               "User-Agent": "bd-trackers"}, name="github")
        return self._http

    def target(self) -> str:
        return self.repo

    def parse_ref(self, ref: str) -> str | None:
        m = _SHORT.match(ref) or self._ref_re.search(ref)
        return m.group(1) if m else None

    # -- mapping ---------------------------------------------------------------------------
    def _issue(self, gh: Mapping[str, Any]) -> RemoteIssue:
        names = [lb["name"] if isinstance(lb, dict) else str(lb) for lb in gh.get("labels") or []]
        mapped = self.labels.to_bd(names, gh.get("state") == "closed")
        assignee = gh.get("assignee") or {}
        fields = {"title": gh.get("title") or "", "description": gh.get("body") or "",
                  "status": mapped["status"], "priority": mapped["priority"],
                  "issue_type": mapped["issue_type"], "labels": mapped["labels"],
                  "assignee": assignee.get("login") or ""}
        number = str(gh["number"])
        return RemoteIssue(number, gh.get("html_url") or f"github:{number}", fields,
                           created_at=utc(gh.get("created_at")),
                           updated_at=utc(gh.get("updated_at")),
                           comment_count=gh.get("comments"))

    def _body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {"title": fields["title"], "body": fields["description"],
                "labels": self.labels.to_remote(fields),
                "assignees": [fields["assignee"]] if fields["assignee"] else [],
                "state": "closed" if fields["status"] == "closed" else "open"}

    # -- reading ---------------------------------------------------------------------------
    def fetch(self, *, since: str | None, state: str,
              progress: Tick) -> Iterator[RemoteIssue]:
        params: dict[str, Any] | None = {"state": state, "per_page": PER_PAGE,
                                         "sort": "updated", "direction": "asc"}
        assert params is not None
        if since:
            params["since"] = since
        url: str | None = f"/repos/{self.repo}/issues"
        done, total = 0, None
        while url:
            resp = self.http.request("GET", url, params=params)
            params = None  # the next link carries them
            page = resp.json()
            if total is None:
                total = _estimate_total(resp, len(page))
            for gh in page:
                done += 1
                if gh.get("pull_request") is None:
                    yield self._issue(gh)
            progress(done, total)
            url = next_link(resp)

    def get(self, key: str) -> RemoteIssue | None:
        resp = self.http.request("GET", f"/repos/{self.repo}/issues/{key}", ok=(404, 410))
        if resp.status_code in (404, 410):
            return None
        return self._issue(resp.json())

    def comments(self, issue: RemoteIssue) -> list[RemoteComment]:
        out = []
        url: str | None = f"/repos/{self.repo}/issues/{issue.key}/comments"
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        while url:
            resp = self.http.request("GET", url, params=params)
            params = None
            for c in resp.json():
                out.append(RemoteComment(c["id"], (c.get("user") or {}).get("login", ""),
                                         c.get("body") or "", utc(c.get("created_at"))))
            url = next_link(resp)
        return out

    # -- writing ---------------------------------------------------------------------------
    def create(self, fields: Mapping[str, Any]) -> RemoteIssue:
        body = self._body(fields)
        state = body.pop("state")
        gh = self.http.request("POST", f"/repos/{self.repo}/issues", json=body).json()
        if state == "closed":  # the create call cannot set the state
            gh = self.http.request("PATCH", f"/repos/{self.repo}/issues/{gh['number']}",
                                   json={"state": "closed"}).json()
        return self._issue(gh)

    def update(self, issue: RemoteIssue, fields: Mapping[str, Any]) -> RemoteIssue:
        gh = self.http.request("PATCH", f"/repos/{self.repo}/issues/{issue.key}",
                               json=self._body(fields)).json()
        return self._issue(gh)

    def add_comment(self, issue: RemoteIssue, text: str) -> RemoteComment:
        c = self.http.request("POST", f"/repos/{self.repo}/issues/{issue.key}/comments",
                              json={"body": text}).json()
        return RemoteComment(c["id"], (c.get("user") or {}).get("login", ""),
                             c.get("body") or "", utc(c.get("created_at")))

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def stats(self) -> dict[str, int]:
        h = self._http
        return {"requests": h.requests, "retries": h.retries} if h is not None else {}


def _estimate_total(resp: Any, first_page: int) -> int | None:
    """Items in all pages, from the rel="last" link's page number (GitHub sends no count)."""
    link = resp.headers.get("link") or ""
    for part in link.split(","):
        if 'rel="last"' in part and "<" in part:
            url = part[part.index("<") + 1:part.index(">")]
            page = parse_qs(urlparse(url).query).get("page")
            if page and page[0].isdigit():
                return int(page[0]) * PER_PAGE
    return first_page if not link else None
