"""Jira REST v3, the part bd uses: JQL search (token paging), issues, comments, transitions,
user search.  Descriptions and comments are ADF documents, times like ``...000+0000``."""

from __future__ import annotations

import base64
import re
from typing import Any

from fakeserver import FakeServer, Reply

STATUSES = {"To Do": ("new", "1"), "In Progress": ("indeterminate", "3"),
            "Blocked": ("indeterminate", "10001"), "Done": ("done", "10002")}
TRANSITIONS = {"To Do": "11", "In Progress": "21", "Blocked": "31", "Done": "41"}
INLINE_COMMENTS = 5  # search results carry at most this many comments, like Jira's cap


def adf(text: str) -> dict[str, Any] | None:
    if not text:
        return None
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]}
        for p in text.split("\n\n")]}


def plain(doc: Any) -> str:
    if not doc:
        return ""
    out = []
    for block in doc.get("content", []):
        line = ""
        for node in block.get("content", []) or []:
            line += node.get("text", "") if node.get("type") == "text" else (
                "\n" if node.get("type") == "hardBreak" else "")
        out.append(line)
    return "\n\n".join(out)


class FakeJira(FakeServer):
    def __init__(self, token: str, project: str = "ACME", user: str = "bot@acme.test") -> None:
        super().__init__(token)
        self.project, self.user = project, user
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self.accounts = {"alice": "acc-alice", "Bob": "acc-bob", "bd bot": "acc-bot"}
        self.next_num = 1
        self.next_id = 10000

    def authorized(self, headers: Any) -> bool:
        pair = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return headers.get("Authorization") == f"Basic {pair}"

    def stamp(self, dt: Any) -> str:  # type: ignore[override]
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def _person(self, name: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        return {"accountId": self.accounts.get(name, f"acc-{name}"), "displayName": name,
                "active": True, "accountType": "atlassian"}

    def _status(self, name: str) -> dict[str, Any]:
        cat, sid = STATUSES[name]
        return {"self": f"{self.base}/rest/api/3/status/{sid}", "name": name, "id": sid,
                "statusCategory": {"key": cat, "name": cat.title()}}

    # -- helpers for tests --------------------------------------------------------------------
    def add_issue(self, summary: str, *, description: str = "", status: str = "To Do",
                  priority: str = "Medium", itype: str = "Task", labels: tuple[str, ...] = (),
                  assignee: str | None = None) -> dict[str, Any]:
        key = f"{self.project}-{self.next_num}"
        self.next_num += 1
        self.next_id += 1
        now = self.tick()
        issue = {"id": str(self.next_id), "key": key,
                 "self": f"{self.base}/rest/api/3/issue/{self.next_id}",
                 "fields": {"summary": summary, "description": adf(description),
                            "status": self._status(status),
                            "priority": {"name": priority, "id": "3"},
                            "issuetype": {"name": itype, "subtask": False},
                            "labels": list(labels), "assignee": self._person(assignee),
                            "reporter": self._person("Bob"), "created": now, "updated": now,
                            "project": {"key": self.project}}}
        self.issues[key] = issue
        self.comments[key] = []
        return issue

    def edit(self, key: str, **fields: Any) -> None:
        with self.lock:
            f = self.issues[key]["fields"]
            for k, v in fields.items():
                f[k] = self._status(v) if k == "status" else v
            f["updated"] = self.tick()

    def comment(self, key: str, text: str, author: str = "Bob") -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            now = self.tick()
            c = {"id": str(self.next_id), "author": self._person(author), "body": adf(text),
                 "created": now, "updated": now,
                 "self": f"{self.base}/rest/api/3/issue/{key}/comment/{self.next_id}"}
            self.comments[key].append(c)
            self.issues[key]["fields"]["updated"] = now
            return c

    def _view(self, issue: dict[str, Any]) -> dict[str, Any]:
        out = {**issue, "fields": dict(issue["fields"])}
        cs = self.comments[issue["key"]]
        out["fields"]["comment"] = {"comments": cs[:INLINE_COMMENTS], "total": len(cs),
                                    "maxResults": INLINE_COMMENTS, "startAt": 0}
        return out

    # -- API ----------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        api = "/rest/api/3"
        if not path.startswith(api):
            return Reply(404, {"errorMessages": ["not found"]})
        rest = path[len(api):]
        if rest == "/search/jql" and method == "GET":
            return self._search(query)
        if rest == "/user/search" and method == "GET":
            q = query.get("query", "")
            return Reply(200, [self._person(n) for n in self.accounts if n == q])
        if rest == "/issue" and method == "POST":
            return self._create(body or {})
        m = re.fullmatch(r"/issue/([A-Z]+-\d+)(/comment|/transitions)?", rest)
        if not m or m.group(1) not in self.issues:
            return Reply(404, {"errorMessages": ["Issue does not exist or you do not have "
                                                 "permission to see it."], "errors": {}})
        key, sub = m.group(1), m.group(2)
        issue = self.issues[key]
        if sub is None and method == "GET":
            return Reply(200, self._view(issue))
        if sub is None and method == "PUT":
            return self._update(issue, (body or {}).get("fields") or {})
        if sub == "/comment" and method == "GET":
            start, per = int(query.get("startAt", 0)), int(query.get("maxResults", 50))
            cs = self.comments[key]
            return Reply(200, {"comments": cs[start:start + per], "startAt": start,
                               "maxResults": per, "total": len(cs)})
        if sub == "/comment" and method == "POST":
            return Reply(201, self.comment(key, plain((body or {}).get("body")),
                                           author="bd bot"))
        if sub == "/transitions" and method == "GET":
            return Reply(200, {"transitions": [
                {"id": tid, "name": f"Move to {name}", "to": self._status(name)}
                for name, tid in TRANSITIONS.items()
                if name != issue["fields"]["status"]["name"]]})
        if sub == "/transitions" and method == "POST":
            tid = ((body or {}).get("transition") or {}).get("id")
            target = next((n for n, t in TRANSITIONS.items() if t == tid), None)
            if target is None:
                return Reply(400, {"errorMessages": ["Transition id is not valid"]})
            issue["fields"]["status"] = self._status(target)
            issue["fields"]["updated"] = self.tick()
            return Reply(204)
        return Reply(405, {"errorMessages": ["method not allowed"]})

    def _search(self, query: dict[str, str]) -> Reply:
        jql = query.get("jql", "")
        items = [i for i in self.issues.values()
                 if f'project = "{self.project}"' in jql]
        m = re.search(r'updated >= "(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d)"', jql)
        if m:
            floor = f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:00.000+0000"
            items = [i for i in items if i["fields"]["updated"] >= floor]
        if "statusCategory != Done" in jql:
            items = [i for i in items if i["fields"]["status"]["name"] != "Done"]
        elif "statusCategory = Done" in jql:
            items = [i for i in items if i["fields"]["status"]["name"] == "Done"]
        items.sort(key=lambda i: (i["fields"]["updated"], int(i["id"])))
        start = int(query.get("nextPageToken") or 0)
        per = min(int(query.get("maxResults", 50)), 100)
        chunk = items[start:start + per]
        last = start + per >= len(items)
        page: dict[str, Any] = {"issues": [self._view(i) for i in chunk], "isLast": last}
        if not last:
            page["nextPageToken"] = str(start + per)
        return Reply(200, page)

    def _create(self, body: dict[str, Any]) -> Reply:
        f = body.get("fields") or {}
        if not f.get("summary") or (f.get("project") or {}).get("key") != self.project:
            return Reply(400, {"errors": {"summary": "You must specify a summary."}})
        by_account = {v: k for k, v in self.accounts.items()}
        issue = self.add_issue(f["summary"], description=plain(f.get("description")),
                               priority=(f.get("priority") or {}).get("name", "Medium"),
                               itype=(f.get("issuetype") or {}).get("name", "Task"),
                               labels=tuple(f.get("labels") or ()),
                               assignee=by_account.get((f.get("assignee") or {})
                                                       .get("accountId")))
        return Reply(201, {"id": issue["id"], "key": issue["key"], "self": issue["self"]})

    def _update(self, issue: dict[str, Any], f: dict[str, Any]) -> Reply:
        tgt = issue["fields"]
        by_account = {v: k for k, v in self.accounts.items()}
        for k, v in f.items():
            if k == "assignee":
                tgt[k] = self._person(by_account.get((v or {}).get("accountId"))) if v else None
            elif k in ("summary", "description", "labels", "priority", "issuetype"):
                tgt[k] = v
        tgt["updated"] = self.tick()
        return Reply(204)
