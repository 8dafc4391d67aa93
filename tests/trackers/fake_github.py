"""GitHub REST v3, the part bd uses: issues (list/get/create/update) and issue comments."""

from __future__ import annotations

import re
from typing import Any

from fakeserver import FakeServer, Reply, page_links

_LABEL_COLORS = ("d73a4a", "a2eeef", "7057ff", "0075ca", "e4e669")


class FakeGitHub(FakeServer):
    def __init__(self, token: str = "ghp-test-token", owner: str = "acme",
                 repo: str = "widgets") -> None:
        super().__init__(token)
        self.owner, self.repo = owner, repo
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.next_number = 1
        self.next_id = 1000

    @property
    def web(self) -> str:
        return f"{self.base}/{self.owner}/{self.repo}"

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": abs(hash(login)) % 100000, "type": "User",
                "html_url": f"{self.base}/{login}"}

    def _label(self, name: str) -> dict[str, Any]:
        return {"id": abs(hash(name)) % 100000, "name": name,
                "color": _LABEL_COLORS[len(name) % 5], "default": False, "description": None}

    # -- helpers for tests --------------------------------------------------------------------
    def add_issue(self, title: str, *, body: str = "", labels: tuple[str, ...] = (),
                  state: str = "open", assignee: str | None = None, pr: bool = False,
                  stamp: str | None = None) -> dict[str, Any]:
        n = self.next_number
        self.next_number += 1
        self.next_id += 1
        now = stamp or self.tick()
        issue: dict[str, Any] = {
            "id": self.next_id, "node_id": f"I_kw{self.next_id}", "number": n,
            "url": f"{self.base}/repos/{self.owner}/{self.repo}/issues/{n}",
            "html_url": f"{self.web}/{'pull' if pr else 'issues'}/{n}",
            "title": title, "body": body or None, "state": state,
            "state_reason": "completed" if state == "closed" else None,
            "labels": [self._label(x) for x in labels], "locked": False,
            "assignee": self._user(assignee) if assignee else None,
            "assignees": [self._user(assignee)] if assignee else [],
            "user": self._user("octocat"), "comments": 0, "milestone": None,
            "created_at": now, "updated_at": now,
            "closed_at": now if state == "closed" else None, "author_association": "OWNER",
        }
        if pr:
            issue["pull_request"] = {"url": issue["url"].replace("issues", "pulls"),
                                     "html_url": issue["html_url"]}
        self.issues[n] = issue
        self.comments[n] = []
        return issue

    def edit(self, n: int, **changes: Any) -> None:
        """A change made by someone on GitHub."""
        with self.lock:
            issue = self.issues[n]
            for k, v in changes.items():
                if k == "labels":
                    issue["labels"] = [self._label(x) for x in v]
                elif k == "assignee":
                    issue["assignee"] = self._user(v) if v else None
                    issue["assignees"] = [issue["assignee"]] if v else []
                else:
                    issue[k] = v
                if k == "state":
                    issue["closed_at"] = self.clock_str() if v == "closed" else None
            issue["updated_at"] = self.tick()

    def clock_str(self) -> str:
        return self.stamp(self.clock)

    def comment(self, n: int, body: str, login: str = "hubot") -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            now = self.tick()
            c = {"id": self.next_id, "node_id": f"IC_{self.next_id}", "body": body,
                 "user": self._user(login), "created_at": now, "updated_at": now,
                 "html_url": f"{self.web}/issues/{n}#issuecomment-{self.next_id}",
                 "issue_url": f"{self.base}/repos/{self.owner}/{self.repo}/issues/{n}",
                 "author_association": "MEMBER"}
            self.comments[n].append(c)
            self.issues[n]["comments"] = len(self.comments[n])
            self.issues[n]["updated_at"] = now
            return c

    # -- API ----------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        prefix = f"/repos/{self.owner}/{self.repo}/issues"
        if not path.startswith(prefix):
            return Reply(404, {"message": "Not Found"})
        rest = path[len(prefix):]
        if rest == "" and method == "GET":
            return self._list(path, query)
        if rest == "" and method == "POST":
            return self._create(body or {})
        m = re.fullmatch(r"/(\d+)", rest)
        if m:
            n = int(m.group(1))
            if n not in self.issues:
                return Reply(404, {"message": "Not Found"})
            if method == "GET":
                return Reply(200, self.issues[n])
            if method == "PATCH":
                return self._update(n, body or {})
        m = re.fullmatch(r"/(\d+)/comments", rest)
        if m:
            n = int(m.group(1))
            if n not in self.issues:
                return Reply(404, {"message": "Not Found"})
            if method == "GET":
                return self._page(self.comments[n], path, query)
            if method == "POST":
                if not (body or {}).get("body"):
                    return Reply(422, {"message": "Validation Failed"})
                return Reply(201, self.comment(n, body["body"], login="bd-bot"))
        return Reply(404, {"message": "Not Found"})

    def _page(self, items: list[Any], path: str, query: dict[str, str]) -> Reply:
        per = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        last = max(1, (len(items) + per - 1) // per)
        chunk = items[(page - 1) * per: page * per]
        return Reply(200, chunk, {"Link": page_links(self.base, path, query, page, last)})

    def _list(self, path: str, query: dict[str, str]) -> Reply:
        state = query.get("state", "open")
        items = [i for i in self.issues.values() if state == "all" or i["state"] == state]
        since = query.get("since")
        if since:
            items = [i for i in items if i["updated_at"] >= since]
        items.sort(key=lambda i: (i["updated_at"], i["number"]),
                   reverse=query.get("direction", "desc") == "desc")
        return self._page(items, path, query)

    def _create(self, body: dict[str, Any]) -> Reply:
        if not body.get("title"):
            return Reply(422, {"message": "Validation Failed"})
        issue = self.add_issue(body["title"], body=body.get("body") or "",
                               labels=tuple(body.get("labels") or ()),
                               assignee=(body.get("assignees") or [None])[0])
        issue["user"] = self._user("bd-bot")
        return Reply(201, issue)

    def _update(self, n: int, body: dict[str, Any]) -> Reply:
        issue = self.issues[n]
        for k in ("title", "body", "state"):
            if k in body:
                issue[k] = body[k]
        if "state" in body:
            issue["closed_at"] = self.clock_str() if body["state"] == "closed" else None
            issue["state_reason"] = "completed" if body["state"] == "closed" else None
        if "labels" in body:
            issue["labels"] = [self._label(x) for x in body["labels"]]
        if "assignees" in body:
            a = body["assignees"]
            issue["assignees"] = [self._user(x) for x in a]
            issue["assignee"] = issue["assignees"][0] if a else None
        issue["updated_at"] = self.tick()
        return Reply(200, issue)
