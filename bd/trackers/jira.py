"""Jira Cloud / Data Center (REST v3): JQL search, issues, comments, workflow transitions.

Config: ``jira.url`` (``https://acme.atlassian.net``), ``jira.project`` (the project key);
credentials ``JIRA_USERNAME`` + ``JIRA_API_TOKEN`` (Basic auth, Jira Cloud) or just the token
(a Data Center personal access token, sent as Bearer), or ``jira.username`` / ``jira.api_token``
in the user's config.  ``external_ref`` is ``<jira.url>/browse/<KEY>``.  Maps (defaults from
the original, each entry overridable): ``jira.status_map.<bd status>``,
``jira.type_map.<bd type>``, ``jira.priority_map.<0-4>``.  Status changes go through the
issue's workflow transitions.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping
from typing import Any

from bd.trackers.adf import from_adf, to_adf
from bd.trackers.base import Adapter, RemoteComment, RemoteIssue, Tick, since_margin, utc

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
STATUS_IN = {"to do": "open", "open": "open", "backlog": "open", "new": "open",
             "in progress": "in_progress", "in review": "in_progress", "blocked": "blocked",
             "done": "closed", "closed": "closed", "resolved": "closed"}
STATUS_OUT = {"open": "To Do", "in_progress": "In Progress", "blocked": "Blocked",
              "closed": "Done"}
CATEGORY_IN = {"new": "open", "indeterminate": "in_progress", "done": "closed"}
CATEGORY_OUT = {"open": "new", "in_progress": "indeterminate", "blocked": "indeterminate",
                "closed": "done", "deferred": "new"}
TYPE_IN = {"bug": "bug", "story": "feature", "feature": "feature", "epic": "epic",
           "task": "task", "sub-task": "task", "subtask": "task"}
TYPE_OUT = {"bug": "Bug", "feature": "Story", "epic": "Epic"}
FIELDS = "summary,description,status,priority,issuetype,labels,assignee,created,updated,comment"
PAGE = 100
# JQL compares times to the minute in the user's time zone: re-read a day to be safe (the
# issues re-read are unchanged, so they cost a look and no write).
SINCE_MARGIN = 24 * 3600


class Jira(Adapter):
    name = "jira"
    display = "Jira"

    def __init__(self, settings: Any, http_factory: Any) -> None:
        super().__init__(settings, http_factory)
        self.url = str(settings.get("url", "JIRA_URL", "") or "").rstrip("/")
        self.project = str(settings.get("project", "JIRA_PROJECT", "") or "")
        self.status_out = {**STATUS_OUT, **settings.mapping("status_map")}
        self.status_in = {**STATUS_IN, **{v.lower(): k for k, v in
                                          settings.mapping("status_map").items()}}
        self.type_out = {**TYPE_OUT, **settings.mapping("type_map")}
        self.type_in = {**TYPE_IN, **{v.lower(): k for k, v in
                                      settings.mapping("type_map").items()}}
        self.priority_out = dict(enumerate(PRIORITIES))
        for k, v in settings.mapping("priority_map").items():
            if k.isdigit() and 0 <= int(k) <= 4:
                self.priority_out[int(k)] = v
        self.priority_in = {v.lower(): k for k, v in self.priority_out.items()}
        self._ref_re = re.compile(rf"^{re.escape(self.url)}/browse/"
                                  rf"({re.escape(self.project)}-\d+)/?$", re.IGNORECASE)
        self._http: Any = None
        self._accounts: dict[str, str | None] = {}

    def problems(self) -> list[str]:
        out = []
        if not self.url:
            out.append("jira.url is not set")
        if not self.project:
            out.append("jira.project is not set (the project key)")
        if not self.settings.secret("api_token", ("JIRA_API_TOKEN",)):
            out.append("no token: set JIRA_API_TOKEN (and JIRA_USERNAME for Jira Cloud) or "
                       "jira.api_token in the user config")
        return out

    @property
    def http(self) -> Any:
        if self._http is None:
            from bd.errors import TrackerError

            problems = self.problems()
            if problems:
                raise TrackerError(f"jira: {'; '.join(problems)}")
            token = str(self.settings.secret("api_token", ("JIRA_API_TOKEN",)))
            user = self.settings.get("username", "JIRA_USERNAME")
            if user:
                pair = base64.b64encode(f"{user}:{token}".encode()).decode()
                auth = f"Basic {pair}"
            else:
                auth = f"Bearer {token}"
            self._http = self.http_factory(f"{self.url}/rest/api/3",
                                           {"Authorization": auth, "Accept": "application/json",
                                            "User-Agent": "bd-trackers"}, name="jira")
        return self._http

    def target(self) -> str:
        return self.project

    def parse_ref(self, ref: str) -> str | None:
        m = self._ref_re.match(ref)
        return m.group(1).upper() if m else None

    # -- mapping ---------------------------------------------------------------------------
    def _status_in(self, status: Mapping[str, Any]) -> str:
        name = str(status.get("name", "")).lower()
        if name in self.status_in:
            return self.status_in[name]
        cat = (status.get("statusCategory") or {}).get("key", "new")
        return CATEGORY_IN.get(cat, "open")

    def _issue(self, ji: Mapping[str, Any]) -> RemoteIssue:
        f = ji.get("fields") or {}
        prio = str((f.get("priority") or {}).get("name", "")).lower()
        itype = str((f.get("issuetype") or {}).get("name", "")).lower()
        fields = {"title": f.get("summary") or "", "description": from_adf(f.get("description")),
                  "status": self._status_in(f.get("status") or {}),
                  "priority": self.priority_in.get(prio, 2),
                  "issue_type": self.type_in.get(itype, "task"),
                  "labels": sorted(set(f.get("labels") or [])),
                  "assignee": (f.get("assignee") or {}).get("displayName", "") or ""}
        comments = None
        count = None
        block = f.get("comment")
        if isinstance(block, dict):
            listed = block.get("comments") or []
            count = block.get("total", len(listed))
            if count <= len(listed):
                comments = [self._comment(c) for c in listed]
        key = str(ji["key"])
        return RemoteIssue(key, f"{self.url}/browse/{key}", fields,
                           created_at=utc(f.get("created")), updated_at=utc(f.get("updated")),
                           comments=comments, comment_count=count)

    @staticmethod
    def _comment(c: Mapping[str, Any]) -> RemoteComment:
        return RemoteComment(c["id"], (c.get("author") or {}).get("displayName", ""),
                             from_adf(c.get("body")), utc(c.get("created")))

    def _account(self, name: str) -> str | None:
        if name not in self._accounts:
            users = self.http.get_json("/user/search", {"query": name})
            match = [u for u in users if name in (u.get("displayName"), u.get("emailAddress"))]
            self._accounts[name] = match[0]["accountId"] if match else None
        return self._accounts[name]

    def _fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "summary": fields["title"], "description": to_adf(fields["description"]),
            "issuetype": {"name": self.type_out.get(fields["issue_type"], "Task")},
            "priority": {"name": self.priority_out.get(fields["priority"], "Medium")},
            "labels": [x.replace(" ", "_") for x in fields["labels"]],
        }
        if fields["assignee"]:
            account = self._account(fields["assignee"])
            if account is not None:
                out["assignee"] = {"accountId": account}
        else:
            out["assignee"] = None
        return out

    # -- reading ---------------------------------------------------------------------------
    def fetch(self, *, since: str | None, state: str, progress: Tick) -> Iterator[RemoteIssue]:
        jql = f'project = "{self.project}"'
        if since:
            stamp = since_margin(since, SINCE_MARGIN)
            jql += f' AND updated >= "{stamp[:10].replace("-", "/")} {stamp[11:16]}"'
        if state == "open":
            jql += " AND statusCategory != Done"
        elif state == "closed":
            jql += " AND statusCategory = Done"
        jql += " ORDER BY updated ASC"
        token = None
        done = 0
        while True:
            params = {"jql": jql, "maxResults": PAGE, "fields": FIELDS}
            if token:
                params["nextPageToken"] = token
            page = self.http.get_json("/search/jql", params)
            for ji in page.get("issues") or []:
                done += 1
                yield self._issue(ji)
            progress(done, page.get("total"))
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token:
                break

    def get(self, key: str) -> RemoteIssue | None:
        resp = self.http.request("GET", f"/issue/{key}", params={"fields": FIELDS}, ok=(404,))
        return None if resp.status_code == 404 else self._issue(resp.json())

    def comments(self, issue: RemoteIssue) -> list[RemoteComment]:
        out: list[RemoteComment] = []
        start = 0
        while True:
            page = self.http.get_json(f"/issue/{issue.key}/comment",
                                      {"startAt": start, "maxResults": PAGE})
            batch = page.get("comments") or []
            out.extend(self._comment(c) for c in batch)
            start += len(batch)
            if not batch or start >= page.get("total", 0):
                return out

    # -- writing ---------------------------------------------------------------------------
    def _transition(self, key: str, status: str) -> None:
        want = self.status_out.get(status, "To Do").lower()
        category = CATEGORY_OUT.get(status, "new")
        options = self.http.get_json(f"/issue/{key}/transitions").get("transitions") or []
        pick = next((t for t in options if str((t.get("to") or {}).get("name", "")).lower()
                     == want), None)
        if pick is None:
            pick = next((t for t in options if ((t.get("to") or {}).get("statusCategory") or {})
                         .get("key") == category), None)
        if pick is not None:
            self.http.request("POST", f"/issue/{key}/transitions",
                              json={"transition": {"id": pick["id"]}})

    def create(self, fields: Mapping[str, Any]) -> RemoteIssue:
        body = {"fields": {"project": {"key": self.project}, **self._fields(fields)}}
        if body["fields"].get("assignee") is None:
            body["fields"].pop("assignee", None)
        made = self.http.request("POST", "/issue", json=body).json()
        if fields["status"] != "open":
            self._transition(made["key"], fields["status"])
        got = self.get(made["key"])
        assert got is not None
        return got

    def update(self, issue: RemoteIssue, fields: Mapping[str, Any]) -> RemoteIssue:
        self.http.request("PUT", f"/issue/{issue.key}", json={"fields": self._fields(fields)})
        if self.status_out.get(fields["status"]) != self.status_out.get(
                issue.fields["status"]) or (fields["status"] == "closed") != issue.closed:
            self._transition(issue.key, fields["status"])
        got = self.get(issue.key)
        assert got is not None
        return got

    def add_comment(self, issue: RemoteIssue, text: str) -> RemoteComment:
        c = self.http.request("POST", f"/issue/{issue.key}/comment",
                              json={"body": to_adf(text)}).json()
        return self._comment(c)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def stats(self) -> dict[str, int]:
        h = self._http
        return {"requests": h.requests, "retries": h.retries} if h is not None else {}
