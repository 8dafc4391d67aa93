"""Linear's GraphQL API, the operations bd sends: teams, team states and labels, issues
(filtered, cursor-paged), one issue, its comments, issueCreate/issueUpdate, commentCreate,
issueLabelCreate, users.  Operations are recognised by their root field; the answers carry
the fields bd selects, shaped as Linear returns them."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

from fakeserver import FakeServer, Reply

STATES = [("Backlog", "backlog", 0), ("Todo", "unstarted", 1), ("In Progress", "started", 2),
          ("In Review", "started", 3), ("Done", "completed", 4), ("Canceled", "canceled", 5)]


def _uid(n: int) -> str:
    return str(uuid.UUID(int=n))


def _cursor(n: int) -> str:
    return base64.b64encode(f"o:{n}".encode()).decode()


def _offset(cursor: str | None) -> int:
    return int(base64.b64decode(cursor).decode()[2:]) if cursor else 0


class FakeLinear(FakeServer):
    def __init__(self, token: str, org: str = "acme") -> None:
        super().__init__(token)
        self.org = org
        self.seq = 1
        self.teams = [{"id": _uid(901), "key": "ENG", "name": "Engineering"},
                      {"id": _uid(902), "key": "OPS", "name": "Operations"}]
        self.states = {t["id"]: [{"id": _uid(1000 + i + 10 * n), "name": name, "type": kind,
                                  "position": float(pos)}
                                 for i, (name, kind, pos) in enumerate(STATES)]
                       for n, t in enumerate(self.teams)}
        self.labels: dict[str, list[dict[str, Any]]] = {t["id"]: [] for t in self.teams}
        self.users = [{"id": _uid(700 + i), "name": n.lower(), "displayName": n}
                      for i, n in enumerate(("Alice", "Bob", "bd-bot"))]
        self.issues: dict[str, dict[str, Any]] = {}  # identifier -> issue
        self.numbers = {t["key"]: 0 for t in self.teams}

    def authorized(self, headers: Any) -> bool:
        return headers.get("Authorization") == self.token

    def is_write(self, method: str, body: Any) -> bool:
        return str((body or {}).get("query", "")).lstrip().startswith("mutation")

    def stamp(self, dt: Any) -> str:  # type: ignore[override]
        return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def _next(self) -> str:
        self.seq += 1
        return _uid(self.seq)

    def state(self, team_id: str, name: str) -> dict[str, Any]:
        s = next(x for x in self.states[team_id] if x["name"] == name)
        return {"id": s["id"], "name": s["name"], "type": s["type"]}

    def label(self, team_id: str, name: str) -> dict[str, Any]:
        for x in self.labels[team_id]:
            if x["name"] == name:
                return x
        made = {"id": self._next(), "name": name}
        self.labels[team_id].append(made)
        return made

    # -- helpers for tests --------------------------------------------------------------------
    def add_issue(self, title: str, *, description: str = "", state: str = "Todo",
                  priority: int = 0, labels: tuple[str, ...] = (), assignee: str | None = None,
                  team: str = "ENG") -> dict[str, Any]:
        t = next(x for x in self.teams if x["key"] == team)
        self.numbers[team] += 1
        ident = f"{team}-{self.numbers[team]}"
        now = self.tick()
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        issue = {"id": self._next(), "identifier": ident, "number": self.numbers[team],
                 "title": title, "description": description or None,
                 "url": f"{self.base}/{self.org}/issue/{ident}/{slug}",
                 "priority": priority, "createdAt": now, "updatedAt": now,
                 "state": self.state(t["id"], state), "team": t,
                 "labels": {"nodes": [self.label(t["id"], x) for x in labels]},
                 "assignee": self._user(assignee), "comments": []}
        self.issues[ident] = issue
        return issue

    def _user(self, name: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        return next((u for u in self.users if name in (u["name"], u["displayName"])), None)

    def edit(self, ident: str, **changes: Any) -> None:
        with self.lock:
            issue = self.issues[ident]
            for k, v in changes.items():
                issue[k] = self.state(issue["team"]["id"], v) if k == "state" else v
            issue["updatedAt"] = self.tick()

    def comment(self, ident: str, body: str, user: str = "Bob") -> dict[str, Any]:
        with self.lock:
            now = self.tick()
            c = {"id": self._next(), "body": body, "createdAt": now, "updatedAt": now,
                 "user": {"name": user.lower(), "displayName": user}}
            self.issues[ident]["comments"].append(c)
            self.issues[ident]["updatedAt"] = now
            return c

    def _view(self, issue: dict[str, Any], comments: int = 50) -> dict[str, Any]:
        out = {k: v for k, v in issue.items() if k not in ("comments", "team")}
        cs = issue["comments"]
        out["comments"] = {"nodes": cs[:comments],
                           "pageInfo": {"hasNextPage": len(cs) > comments}}
        return out

    def _find(self, key: str) -> dict[str, Any] | None:
        if key in self.issues:
            return self.issues[key]
        return next((i for i in self.issues.values() if i["id"] == key), None)

    # -- API ----------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if path != "/graphql" or method != "POST":
            return Reply(404, {"errors": [{"message": "Not found"}]})
        q = (body or {}).get("query", "")
        v = (body or {}).get("variables") or {}
        try:
            data = self._op(q, v)
        except LookupError as exc:
            return Reply(200, {"data": None, "errors": [
                {"message": f"Entity not found: {exc}",
                 "extensions": {"code": "INVALID_INPUT", "type": "invalid input"}}]})
        return Reply(200, {"data": data})

    def _op(self, q: str, v: dict[str, Any]) -> dict[str, Any]:
        if "issueCreate(" in q:
            return {"issueCreate": {"success": True, "issue": self._create(v["input"])}}
        if "issueUpdate(" in q:
            issue = self._find(v["id"])
            if issue is None:
                raise LookupError("Issue")
            self._apply(issue, v["input"])
            issue["updatedAt"] = self.tick()
            return {"issueUpdate": {"success": True, "issue": self._view(issue)}}
        if "commentCreate(" in q:
            issue = self._find(v["input"]["issueId"])
            if issue is None:
                raise LookupError("Issue")
            c = self.comment(issue["identifier"], v["input"]["body"], user="bd-bot")
            return {"commentCreate": {"success": True, "comment": c}}
        if "issueLabelCreate(" in q:
            made = self.label(v["input"]["teamId"], v["input"]["name"])
            return {"issueLabelCreate": {"success": True, "issueLabel": made}}
        if re.search(r"\{\s*teams\(", q):
            return {"teams": {"nodes": self.teams}}
        if "team(id:" in q:
            t = next((x for x in self.teams if v["id"] in (x["id"], x["key"])), None)
            if t is None:
                raise LookupError("Team")
            return {"team": {"states": {"nodes": self.states[t["id"]]},
                             "labels": {"nodes": self.labels[t["id"]]}}}
        if "users(" in q:
            return {"users": {"nodes": self.users}}
        if "issues(" in q:
            return {"issues": self._list(v)}
        if "issue(id:" in q:
            issue = self._find(v["id"])
            if issue is None:
                raise LookupError("Issue")
            if "comments(first: 100, after:" in q:
                start = _offset(v.get("after"))
                cs = issue["comments"][start:start + 100]
                more = start + 100 < len(issue["comments"])
                return {"issue": {"comments": {"nodes": cs, "pageInfo": {
                    "hasNextPage": more, "endCursor": _cursor(start + 100)}}}}
            return {"issue": self._view(issue)}
        raise LookupError("operation")

    def _list(self, v: dict[str, Any]) -> dict[str, Any]:
        flt = v.get("filter") or {}
        items = list(self.issues.values())
        team = (((flt.get("team") or {}).get("id") or {}).get("eq"))
        if team:
            items = [i for i in items if i["team"]["id"] == team]
        gte = ((flt.get("updatedAt") or {}).get("gte"))
        if gte:
            items = [i for i in items if i["updatedAt"][:19] >= gte[:19]]
        st = ((flt.get("state") or {}).get("type") or {})
        if "in" in st:
            items = [i for i in items if i["state"]["type"] in st["in"]]
        if "nin" in st:
            items = [i for i in items if i["state"]["type"] not in st["nin"]]
        items.sort(key=lambda i: (i["updatedAt"], i["id"]), reverse=True)
        start, first = _offset(v.get("after")), min(int(v.get("first") or 50), 250)
        chunk = items[start:start + first]
        return {"nodes": [self._view(i) for i in chunk],
                "pageInfo": {"hasNextPage": start + first < len(items),
                             "endCursor": _cursor(start + first)}}

    def _create(self, inp: dict[str, Any]) -> dict[str, Any]:
        team = next(t for t in self.teams if t["id"] == inp["teamId"])
        issue = self.add_issue(inp["title"], description=inp.get("description") or "",
                               team=team["key"])
        self._apply(issue, inp)
        return self._view(issue)

    def _apply(self, issue: dict[str, Any], inp: dict[str, Any]) -> None:
        tid = issue["team"]["id"]
        for k in ("title", "description", "priority"):
            if k in inp:
                issue[k] = inp[k]
        if "stateId" in inp:
            s = next(x for x in self.states[tid] if x["id"] == inp["stateId"])
            issue["state"] = {"id": s["id"], "name": s["name"], "type": s["type"]}
        if "labelIds" in inp:
            by_id = {x["id"]: x for x in self.labels[tid]}
            issue["labels"] = {"nodes": [by_id[x] for x in inp["labelIds"]]}
        if "assigneeId" in inp:
            issue["assignee"] = next((u for u in self.users if u["id"] == inp["assigneeId"]),
                                     None)
