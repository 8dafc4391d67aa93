"""GitLab REST v4, the part bd uses: project issues (list/get/create/update), notes, users."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fakeserver import FakeServer, Reply, page_links


class FakeGitLab(FakeServer):
    def __init__(self, token: str, project: str = "acme/widgets") -> None:
        super().__init__(token)
        self.project = project
        self.project_id = 42
        self.issues: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.users = {"alice": 7, "bob": 8, "bd-bot": 9, "hubot": 10}
        self.next_iid = 1
        self.next_id = 5000

    def authorized(self, headers: Any) -> bool:
        return headers.get("PRIVATE-TOKEN") == self.token

    @property
    def web(self) -> str:
        return f"{self.base}/{self.project}"

    def _user(self, name: str) -> dict[str, Any]:
        uid = self.users.setdefault(name, 100 + len(self.users))
        return {"id": uid, "username": name, "name": name.title(), "state": "active",
                "web_url": f"{self.base}/{name}"}

    # -- helpers for tests --------------------------------------------------------------------
    def add_issue(self, title: str, *, description: str = "", labels: tuple[str, ...] = (),
                  state: str = "opened", assignee: str | None = None) -> dict[str, Any]:
        iid = self.next_iid
        self.next_iid += 1
        self.next_id += 1
        now = self.tick()
        issue = {
            "id": self.next_id, "iid": iid, "project_id": self.project_id, "title": title,
            "description": description or None, "state": state, "created_at": now,
            "updated_at": now, "closed_at": now if state == "closed" else None,
            "closed_by": None, "labels": list(labels), "milestone": None,
            "assignees": [self._user(assignee)] if assignee else [],
            "assignee": self._user(assignee) if assignee else None,
            "author": self._user("root"), "type": "ISSUE", "user_notes_count": 0,
            "upvotes": 0, "downvotes": 0, "confidential": False, "issue_type": "issue",
            "web_url": f"{self.web}/-/issues/{iid}",
            "references": {"short": f"#{iid}", "relative": f"#{iid}",
                           "full": f"{self.project}#{iid}"},
        }
        self.issues[iid] = issue
        self.notes[iid] = []
        return issue

    def edit(self, iid: int, **changes: Any) -> None:
        with self.lock:
            self.issues[iid].update(changes)
            self.issues[iid]["updated_at"] = self.tick()

    def note(self, iid: int, body: str, author: str = "hubot", system: bool = False
             ) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            now = self.tick()
            n = {"id": self.next_id, "type": None, "body": body, "author": self._user(author),
                 "created_at": now, "updated_at": now, "system": system, "noteable_id":
                 self.issues[iid]["id"], "noteable_type": "Issue", "noteable_iid": iid,
                 "resolvable": False, "confidential": False, "internal": False}
            self.notes[iid].append(n)
            self.issues[iid]["user_notes_count"] = len([x for x in self.notes[iid]
                                                        if not x["system"]])
            self.issues[iid]["updated_at"] = now
            return n

    # -- API ----------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if path == "/api/v4/users" and method == "GET":
            name = query.get("username", "")
            return Reply(200, [self._user(name)] if name in self.users else [])
        for pid in (quote(self.project, safe=""), str(self.project_id)):
            prefix = f"/api/v4/projects/{pid}/issues"
            if path.startswith(prefix):
                return self._issues(method, path, path[len(prefix):], query, body or {})
        # http.server leaves %2F encoded in the path, as GitLab requires
        return Reply(404, {"message": "404 Project Not Found"})

    def _issues(self, method: str, path: str, rest: str, query: dict[str, str],
                body: dict[str, Any]) -> Reply:
        if rest == "" and method == "GET":
            items = list(self.issues.values())
            if query.get("state") in ("opened", "closed"):
                items = [i for i in items if i["state"] == query["state"]]
            if query.get("updated_after"):
                items = [i for i in items if i["updated_at"] >= query["updated_after"]]
            items.sort(key=lambda i: (i["updated_at"], i["iid"]),
                       reverse=query.get("sort", "desc") == "desc")
            return self._page(items, path, query)
        if rest == "" and method == "POST":
            if not body.get("title"):
                return Reply(400, {"message": {"title": ["can't be blank"]}})
            issue = self.add_issue(body["title"], description=body.get("description") or "",
                                   labels=tuple(x for x in (body.get("labels") or "").split(",")
                                                if x))
            self._assign(issue, body)
            return Reply(201, issue)
        m = re.fullmatch(r"/(\d+)", rest)
        if m and int(m.group(1)) in self.issues:
            issue = self.issues[int(m.group(1))]
            if method == "GET":
                return Reply(200, issue)
            if method == "PUT":
                for k in ("title", "description"):
                    if k in body:
                        issue[k] = body[k]
                if "labels" in body:
                    issue["labels"] = [x for x in body["labels"].split(",") if x]
                self._assign(issue, body)
                event = body.get("state_event")
                if event == "close":
                    issue["state"], issue["closed_at"] = "closed", self.stamp(self.clock)
                elif event == "reopen":
                    issue["state"], issue["closed_at"] = "opened", None
                issue["updated_at"] = self.tick()
                return Reply(200, issue)
        m = re.fullmatch(r"/(\d+)/notes", rest)
        if m and int(m.group(1)) in self.issues:
            iid = int(m.group(1))
            if method == "GET":
                return self._page(self.notes[iid], path, query)
            if method == "POST":
                return Reply(201, self.note(iid, body.get("body", ""), author="bd-bot"))
        return Reply(404, {"message": "404 Not found"})

    def _assign(self, issue: dict[str, Any], body: dict[str, Any]) -> None:
        if "assignee_ids" in body:
            by_id = {v: k for k, v in self.users.items()}
            people = [self._user(by_id[i]) for i in body["assignee_ids"] if i in by_id]
            issue["assignees"] = people
            issue["assignee"] = people[0] if people else None

    def _page(self, items: list[Any], path: str, query: dict[str, str]) -> Reply:
        per = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        pages = max(1, (len(items) + per - 1) // per)
        headers = {"X-Total": str(len(items)), "X-Total-Pages": str(pages),
                   "X-Per-Page": str(per), "X-Page": str(page),
                   "X-Next-Page": str(page + 1) if page < pages else "",
                   "Link": page_links(self.base, path, query, page, pages)}
        return Reply(200, items[(page - 1) * per: page * per], headers)
