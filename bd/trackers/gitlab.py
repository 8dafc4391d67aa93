"""GitLab issues (REST v4): ``/projects/:id/issues`` and their notes.

Config: ``gitlab.url`` (``https://gitlab.com`` or a self-hosted instance), ``gitlab.project``
(``group/project`` path or numeric id); token from ``GITLAB_TOKEN`` or ``gitlab.token`` in the
user's config (sent as ``PRIVATE-TOKEN``).  ``external_ref`` is the issue's ``web_url``
(``<url>/<group>/<project>/-/issues/<iid>``), which names both the project and the iid.
System notes (GitLab's own "changed the description" lines) are not comments and stay out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from bd.trackers.base import Adapter, RemoteComment, RemoteIssue, Tick, utc
from bd.trackers.http import next_link
from bd.trackers.labels import LabelScheme

_SHORT = re.compile(r"^gitlab:([1-9]\d*)$")
PER_PAGE = 100


class GitLab(Adapter):
    name = "gitlab"
    display = "GitLab"

    def __init__(self, settings: Any, http_factory: Any) -> None:
        super().__init__(settings, http_factory)
        self.url = str(settings.get("url", "GITLAB_URL", "https://gitlab.com")).rstrip("/")
        self.project = str(settings.get("project", "GITLAB_PROJECT") or
                           settings.get("project_id", "GITLAB_PROJECT_ID") or "")
        self.labels = LabelScheme(settings.mapping("priority_map"),
                                  settings.mapping("status_map"), settings.mapping("type_map"))
        path = self.project if not self.project.isdigit() else r"[^?#]+"
        self._ref_re = re.compile(rf"/{path if path.startswith('[') else re.escape(path)}"
                                  r"/-/(?:issues|work_items)/([1-9]\d*)/?(?:#.*)?$",
                                  re.IGNORECASE)
        self._pid = quote(self.project, safe="")
        self._http: Any = None
        self._user_ids: dict[str, int | None] = {}

    def problems(self) -> list[str]:
        out = []
        if not self.project:
            out.append("gitlab.project is not set (group/project or a project id)")
        if not self.settings.secret("token", ("GITLAB_TOKEN",)):
            out.append("no token: set GITLAB_TOKEN or gitlab.token in the user config")
        return out

    @property
    def http(self) -> Any:
        if self._http is None:
            from bd.errors import TrackerError

            problems = self.problems()
            if problems:
                raise TrackerError(f"gitlab: {'; '.join(problems)}")
            token = self.settings.secret("token", ("GITLAB_TOKEN",))
            self._http = self.http_factory(f"{self.url}/api/v4",
                                           {"PRIVATE-TOKEN": str(token),
                                            "User-Agent": "bd-trackers"}, name="gitlab")
        return self._http

    def target(self) -> str:
        return self.project

    def parse_ref(self, ref: str) -> str | None:
        m = _SHORT.match(ref) or self._ref_re.search(ref)
        return m.group(1) if m else None

    # -- mapping ---------------------------------------------------------------------------
    def _issue(self, gl: Mapping[str, Any]) -> RemoteIssue:
        mapped = self.labels.to_bd(gl.get("labels") or [], gl.get("state") == "closed")
        assignees = gl.get("assignees") or ([gl["assignee"]] if gl.get("assignee") else [])
        fields = {"title": gl.get("title") or "", "description": gl.get("description") or "",
                  "status": mapped["status"], "priority": mapped["priority"],
                  "issue_type": mapped["issue_type"], "labels": mapped["labels"],
                  "assignee": assignees[0].get("username", "") if assignees else ""}
        iid = str(gl["iid"])
        return RemoteIssue(iid, gl.get("web_url") or f"gitlab:{iid}", fields,
                           created_at=utc(gl.get("created_at")),
                           updated_at=utc(gl.get("updated_at")),
                           comment_count=gl.get("user_notes_count"))

    def _user_id(self, username: str) -> int | None:
        if username not in self._user_ids:
            users = self.http.get_json("/users", {"username": username})
            self._user_ids[username] = users[0]["id"] if users else None
        return self._user_ids[username]

    def _body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"title": fields["title"], "description": fields["description"],
                                "labels": ",".join(self.labels.to_remote(fields))}
        uid = self._user_id(fields["assignee"]) if fields["assignee"] else None
        body["assignee_ids"] = [uid] if uid is not None else []
        return body

    # -- reading ---------------------------------------------------------------------------
    def fetch(self, *, since: str | None, state: str, progress: Tick) -> Iterator[RemoteIssue]:
        params: dict[str, Any] | None = {"per_page": PER_PAGE, "order_by": "updated_at",
                                         "sort": "asc", "page": 1}
        assert params is not None
        if state != "all":
            params["state"] = "opened" if state == "open" else "closed"
        if since:
            params["updated_after"] = since
        url: str | None = f"/projects/{self._pid}/issues"
        done = 0
        while url:
            resp = self.http.request("GET", url, params=params)
            params = None
            total = resp.headers.get("x-total")
            for gl in resp.json():
                done += 1
                yield self._issue(gl)
            progress(done, int(total) if total and total.isdigit() else None)
            url = next_link(resp)

    def get(self, key: str) -> RemoteIssue | None:
        resp = self.http.request("GET", f"/projects/{self._pid}/issues/{key}", ok=(404,))
        return None if resp.status_code == 404 else self._issue(resp.json())

    def comments(self, issue: RemoteIssue) -> list[RemoteComment]:
        out = []
        url: str | None = f"/projects/{self._pid}/issues/{issue.key}/notes"
        params: dict[str, Any] | None = {"per_page": PER_PAGE, "sort": "asc",
                                         "order_by": "created_at"}
        while url:
            resp = self.http.request("GET", url, params=params)
            params = None
            for n in resp.json():
                if n.get("system"):
                    continue
                out.append(RemoteComment(n["id"], (n.get("author") or {}).get("username", ""),
                                         n.get("body") or "", utc(n.get("created_at"))))
            url = next_link(resp)
        return out

    # -- writing ---------------------------------------------------------------------------
    def create(self, fields: Mapping[str, Any]) -> RemoteIssue:
        gl = self.http.request("POST", f"/projects/{self._pid}/issues",
                               json=self._body(fields)).json()
        if fields["status"] == "closed":
            gl = self.http.request("PUT", f"/projects/{self._pid}/issues/{gl['iid']}",
                                   json={"state_event": "close"}).json()
        return self._issue(gl)

    def update(self, issue: RemoteIssue, fields: Mapping[str, Any]) -> RemoteIssue:
        body = self._body(fields)
        closed = fields["status"] == "closed"
        if closed != issue.closed:
            body["state_event"] = "close" if closed else "reopen"
        gl = self.http.request("PUT", f"/projects/{self._pid}/issues/{issue.key}",
                               json=body).json()
        return self._issue(gl)

    def add_comment(self, issue: RemoteIssue, text: str) -> RemoteComment:
        n = self.http.request("POST", f"/projects/{self._pid}/issues/{issue.key}/notes",
                              json={"body": text}).json()
        return RemoteComment(n["id"], (n.get("author") or {}).get("username", ""),
                             n.get("body") or "", utc(n.get("created_at")))

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def stats(self) -> dict[str, int]:
        h = self._http
        return {"requests": h.requests, "retries": h.retries} if h is not None else {}
