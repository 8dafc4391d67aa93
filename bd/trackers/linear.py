"""Linear (GraphQL): issues of one team, their comments, workflow states, labels, teams.

Config: ``linear.team`` (team key such as ``ENG``, or its id; ``bd linear teams`` lists them),
``linear.api_url`` (default ``https://api.linear.app/graphql``); API key from
``LINEAR_API_KEY`` or ``linear.api_key`` in the user's config.  ``external_ref`` is the issue
URL without its title slug (``https://linear.app/<org>/issue/ENG-12``), as the original
writes it.  Maps (defaults from the original): ``linear.priority_map.<0-4 Linear>: <0-4 bd>``,
``linear.state_map.<state name or type>: <bd status>``, ``linear.label_type_map.<label>:
<bd type>``.  GraphQL errors coded ``RATELIMITED`` are waited out like HTTP 429.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from bd.errors import TrackerError
from bd.trackers.base import Adapter, RemoteComment, RemoteIssue, Tick, utc

PRIORITY_IN = {0: 4, 1: 0, 2: 1, 3: 2, 4: 3}  # Linear 0 = no priority
STATE_TYPE_IN = {"backlog": "open", "unstarted": "open", "triage": "open",
                 "started": "in_progress", "completed": "closed", "canceled": "closed"}
STATE_TYPE_OUT = {"open": ("unstarted", "backlog"), "in_progress": ("started",),
                  "blocked": ("started", "unstarted"), "deferred": ("backlog", "unstarted"),
                  "closed": ("completed",)}
LABEL_TYPES = {"bug": "bug", "defect": "bug", "feature": "feature", "enhancement": "feature",
               "epic": "epic", "chore": "chore", "maintenance": "chore", "task": "task"}
PAGE = 100
_ISSUE = """id identifier title description url priority createdAt updatedAt
state { id name type } labels { nodes { id name } } assignee { id name displayName }
comments(first: 50) { nodes { id body createdAt user { name displayName } }
pageInfo { hasNextPage } }"""
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


class Linear(Adapter):
    name = "linear"
    display = "Linear"

    def __init__(self, settings: Any, http_factory: Any) -> None:
        super().__init__(settings, http_factory)
        self.api_url = str(settings.get("api_url", "LINEAR_API_URL",
                                        "https://api.linear.app/graphql"))
        self.team = str(settings.get("team", "LINEAR_TEAM_ID") or
                        settings.get("team_id") or "")
        self.priority_in = dict(PRIORITY_IN)
        for k, v in settings.mapping("priority_map").items():
            if k.isdigit() and v.isdigit():
                self.priority_in[int(k)] = int(v)
        self.priority_out = {b: lin for lin, b in sorted(self.priority_in.items(),
                                                         reverse=True)}
        self.state_map = {k.lower(): v for k, v in settings.mapping("state_map").items()}
        self.label_types = {**LABEL_TYPES, **{k.lower(): v for k, v in
                                              settings.mapping("label_type_map").items()}}
        self.type_labels: dict[str, str] = {}
        for label, itype in self.label_types.items():
            self.type_labels.setdefault(itype, label)
        key = "" if _UUID.match(self.team) else re.escape(self.team)
        self._ref_re = re.compile(rf"^https?://[^/]+/[^/]+/issue/({key or '[A-Za-z0-9]+'}"
                                  r"-\d+)(?:/[^/]*)?$", re.IGNORECASE)
        self._http: Any = None
        self._team: dict[str, Any] | None = None
        self._states: list[dict[str, Any]] | None = None
        self._labels: dict[str, str] | None = None
        self._users: dict[str, str] | None = None

    def problems(self) -> list[str]:
        out = []
        if not self.team:
            out.append("linear.team is not set (a team key or id: see 'bd linear teams')")
        if not self.settings.secret("api_key", ("LINEAR_API_KEY",)):
            out.append("no API key: set LINEAR_API_KEY or linear.api_key in the user config")
        return out

    @property
    def http(self) -> Any:
        if self._http is None:
            key = self.settings.secret("api_key", ("LINEAR_API_KEY",))
            if not key:
                raise TrackerError("linear: no API key: set LINEAR_API_KEY or "
                                   "linear.api_key in the user config")
            self._http = self.http_factory(self.api_url, {"Authorization": str(key),
                                                          "User-Agent": "bd-trackers"},
                                           name="linear")
        return self._http

    def gql(self, query: str, variables: Mapping[str, Any] | None = None) -> Any:
        """One GraphQL call; RATELIMITED errors wait and retry, other errors raise."""
        http = self.http
        for attempt in range(1, http.max_attempts + 1):
            resp = http.request("POST", "", json={"query": query,
                                                  "variables": dict(variables or {})},
                                ok=(400,), idempotent=not query.startswith("mutation"))
            body = resp.json()
            errors = body.get("errors") or []
            if not errors:
                return body.get("data") or {}
            codes = {((e.get("extensions") or {}).get("code") or "") for e in errors}
            if "RATELIMITED" in codes and attempt < http.max_attempts:
                http.retries += 1
                reset = resp.headers.get("x-ratelimit-requests-reset")
                wait = http.backoff * 2 ** (attempt - 1)
                if reset and reset.isdigit():
                    wait = max(0.0, min(60.0, int(reset) / 1000 - time.time()))
                http.sleep(wait)
                continue
            message = "; ".join(str(e.get("message", "")) for e in errors[:3])
            raise TrackerError(f"linear: {message[:300]}")
        raise TrackerError("linear: rate limited (gave up)")

    def target(self) -> str:
        return self.team

    def parse_ref(self, ref: str) -> str | None:
        m = self._ref_re.match(ref)
        return m.group(1).upper() if m else None

    # -- team data (looked up once per run) ------------------------------------------------
    def teams(self) -> list[dict[str, Any]]:
        data = self.gql("query { teams(first: 250) { nodes { id key name } } }")
        return [{"id": t["id"], "key": t["key"], "name": t["name"]}
                for t in data["teams"]["nodes"]]

    def team_info(self) -> dict[str, Any]:
        if self._team is None:
            if self.problems():
                raise TrackerError(f"linear: {'; '.join(self.problems())}")
            match = [t for t in self.teams() if self.team in (t["id"], t["key"])]
            if not match:
                raise TrackerError(f"linear: no team {self.team!r} (see 'bd linear teams')")
            self._team = match[0]
            data = self.gql("query($id: String!) { team(id: $id) { states { nodes "
                            "{ id name type position } } labels(first: 250) { nodes "
                            "{ id name } } } }", {"id": self._team["id"]})
            self._states = sorted(data["team"]["states"]["nodes"],
                                  key=lambda s: s.get("position", 0))
            self._labels = {x["name"].lower(): x["id"] for x in data["team"]["labels"]["nodes"]}
        return self._team

    # -- mapping ---------------------------------------------------------------------------
    def _status_in(self, state: Mapping[str, Any]) -> str:
        name, kind = str(state.get("name", "")).lower(), str(state.get("type", ""))
        return self.state_map.get(name) or self.state_map.get(kind) or \
            STATE_TYPE_IN.get(kind, "open")

    def _issue(self, li: Mapping[str, Any]) -> RemoteIssue:
        names = [x["name"] for x in (li.get("labels") or {}).get("nodes") or []]
        itype, rest = None, []
        for n in names:
            if itype is None and n.lower() in self.label_types:
                itype = self.label_types[n.lower()]
            else:
                rest.append(n)
        assignee = li.get("assignee") or {}
        fields = {"title": li.get("title") or "", "description": li.get("description") or "",
                  "status": self._status_in(li.get("state") or {}),
                  "priority": self.priority_in.get(int(li.get("priority") or 0), 2),
                  "issue_type": itype or "task", "labels": sorted(set(rest)),
                  "assignee": assignee.get("name") or assignee.get("displayName") or ""}
        block = li.get("comments") or {}
        comments = None
        if not (block.get("pageInfo") or {}).get("hasNextPage"):
            comments = [self._comment(c) for c in block.get("nodes") or []]
        url = str(li.get("url") or "")
        m = re.match(r"^(.*/issue/[^/]+)", url)
        return RemoteIssue(str(li["identifier"]), m.group(1) if m else url, fields,
                           created_at=utc(li.get("createdAt")),
                           updated_at=utc(li.get("updatedAt")), comments=comments,
                           comment_count=None if comments is None else len(comments),
                           extra=li["id"])

    @staticmethod
    def _comment(c: Mapping[str, Any]) -> RemoteComment:
        user = c.get("user") or {}
        return RemoteComment(c["id"], user.get("displayName") or user.get("name") or "",
                             c.get("body") or "", utc(c.get("createdAt")))

    def _state_id(self, status: str) -> str | None:
        self.team_info()
        states = self._states or []
        named = [s for s in states if self.state_map.get(s["name"].lower()) == status]
        if named:
            return str(named[0]["id"])
        for kind in STATE_TYPE_OUT.get(status, ("unstarted",)):
            for s in states:
                if s["type"] == kind:
                    return str(s["id"])
        return None

    def _label_ids(self, fields: Mapping[str, Any]) -> list[str]:
        self.team_info()
        assert self._labels is not None and self._team is not None
        wanted = list(fields["labels"])
        tl = self.type_labels.get(fields["issue_type"])
        if tl and fields["issue_type"] != "task":
            wanted.insert(0, tl)
        out = []
        for name in wanted:
            lid = self._labels.get(name.lower())
            if lid is None:
                made = self.gql("mutation($input: IssueLabelCreateInput!) { issueLabelCreate("
                                "input: $input) { success issueLabel { id name } } }",
                                {"input": {"name": name, "teamId": self._team["id"]}})
                lid = made["issueLabelCreate"]["issueLabel"]["id"]
                self._labels[name.lower()] = lid
            out.append(lid)
        return out

    def _user_id(self, name: str) -> str | None:
        if self._users is None:
            data = self.gql("query { users(first: 250) { nodes { id name displayName } } }")
            self._users = {}
            for u in data["users"]["nodes"]:
                self._users[u["name"]] = u["id"]
                self._users[u["displayName"]] = u["id"]
        return self._users.get(name)

    def _input(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        inp: dict[str, Any] = {"title": fields["title"], "description": fields["description"],
                               "priority": self.priority_out.get(fields["priority"], 3),
                               "labelIds": self._label_ids(fields)}
        state = self._state_id(fields["status"])
        if state:
            inp["stateId"] = state
        inp["assigneeId"] = self._user_id(fields["assignee"]) if fields["assignee"] else None
        return inp

    # -- reading ---------------------------------------------------------------------------
    def fetch(self, *, since: str | None, state: str, progress: Tick) -> Iterator[RemoteIssue]:
        team = self.team_info()
        flt: dict[str, Any] = {"team": {"id": {"eq": team["id"]}}}
        if since:
            flt["updatedAt"] = {"gte": since}
        if state == "open":
            flt["state"] = {"type": {"nin": ["completed", "canceled"]}}
        elif state == "closed":
            flt["state"] = {"type": {"in": ["completed", "canceled"]}}
        query = ("query($filter: IssueFilter, $first: Int, $after: String) { issues(filter: "
                 "$filter, first: $first, after: $after, orderBy: updatedAt) { nodes { "
                 + _ISSUE + " } pageInfo { hasNextPage endCursor } } }")
        after = None
        done = 0
        while True:
            data = self.gql(query, {"filter": flt, "first": PAGE, "after": after})
            block = data["issues"]
            for li in block["nodes"]:
                done += 1
                yield self._issue(li)
            progress(done, None)
            info = block["pageInfo"]
            if not info.get("hasNextPage"):
                return
            after = info["endCursor"]

    def get(self, key: str) -> RemoteIssue | None:
        try:
            data = self.gql("query($id: String!) { issue(id: $id) { " + _ISSUE + " } }",
                            {"id": key})
        except TrackerError as exc:
            if "not found" in str(exc).lower() or "entity not found" in str(exc).lower():
                return None
            raise
        return self._issue(data["issue"]) if data.get("issue") else None

    def comments(self, issue: RemoteIssue) -> list[RemoteComment]:
        out: list[RemoteComment] = []
        after = None
        while True:
            data = self.gql("query($id: String!, $after: String) { issue(id: $id) { comments("
                            "first: 100, after: $after) { nodes { id body createdAt user { "
                            "name displayName } } pageInfo { hasNextPage endCursor } } } }",
                            {"id": issue.extra or issue.key, "after": after})
            block = data["issue"]["comments"]
            out.extend(self._comment(c) for c in block["nodes"])
            if not block["pageInfo"]["hasNextPage"]:
                return out
            after = block["pageInfo"]["endCursor"]

    # -- writing ---------------------------------------------------------------------------
    def create(self, fields: Mapping[str, Any]) -> RemoteIssue:
        team = self.team_info()
        inp = {"teamId": team["id"], **self._input(fields)}
        data = self.gql("mutation($input: IssueCreateInput!) { issueCreate(input: $input) { "
                        "success issue { " + _ISSUE + " } } }", {"input": inp})
        return self._issue(data["issueCreate"]["issue"])

    def update(self, issue: RemoteIssue, fields: Mapping[str, Any]) -> RemoteIssue:
        data = self.gql("mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate("
                        "id: $id, input: $input) { success issue { " + _ISSUE + " } } }",
                        {"id": issue.extra or issue.key, "input": self._input(fields)})
        return self._issue(data["issueUpdate"]["issue"])

    def add_comment(self, issue: RemoteIssue, text: str) -> RemoteComment:
        data = self.gql("mutation($input: CommentCreateInput!) { commentCreate(input: $input) "
                        "{ success comment { id body createdAt user { name displayName } } } }",
                        {"input": {"issueId": issue.extra or issue.key, "body": text}})
        return self._comment(data["commentCreate"]["comment"])

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def stats(self) -> dict[str, int]:
        h = self._http
        return {"requests": h.requests, "retries": h.retries} if h is not None else {}
