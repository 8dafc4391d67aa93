"""One test harness per tracker: the fake server plus the few verbs the acceptance tests need,
so tests/trackers/test_acceptance.py runs the same scenarios against all four trackers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import bd
from fake_github import FakeGitHub

TOKEN = "s3cr3t-TOKEN-value-0123456789"


class Harness:
    name = ""
    fake: Any
    read_method = "GET"  # how the API reads (Linear's GraphQL reads with POST)
    create_path = ""  # the create call: its path ('$': at the end) ...
    create_body: str | None = None  # ... and a piece of its body

    def configure(self, repo: Path) -> dict[str, str]:
        """Write the tracker's config into ``repo``; return the environment (the token)."""
        raise NotImplementedError

    def common(self, repo: Path) -> None:
        bd("config", "set", f"{self.name}.retry_backoff", "0.01", cwd=repo)

    def remote_newer(self) -> None:
        """Move the fake's clock ahead of the local clock: remote edits are the newest."""
        self.fake.set_clock(datetime.now(UTC).replace(microsecond=0) + timedelta(days=1))

    def remote_older(self) -> None:
        self.fake.set_clock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))

    def stop(self) -> None:
        self.fake.stop()

    # Per tracker: seed, keys, title, set_title, comment, comment_texts, status, rate_limit
    def seed(self, n: int, *, comments: bool = True) -> list[str]:
        raise NotImplementedError


class GitHubHarness(Harness):
    name = "github"
    create_path = "/widgets/issues$"

    def __init__(self) -> None:
        self.fake = FakeGitHub(token=TOKEN)

    def configure(self, repo: Path) -> dict[str, str]:
        bd("config", "set", "github.repo", "acme/widgets", cwd=repo)
        bd("config", "set", "github.api_url", self.fake.base, cwd=repo)
        self.common(repo)
        return {"GITHUB_TOKEN": TOKEN}

    def seed(self, n: int, *, comments: bool = True) -> list[str]:
        keys = []
        for i in range(n):
            labels = ("type::bug", "priority::high", "ui") if i % 3 == 0 else (
                ("enhancement",) if i % 3 == 1 else ())
            issue = self.fake.add_issue(f"Remote issue {i}", body=f"Body {i}\n\nmore",
                                        labels=labels, state="closed" if i % 4 == 3 else "open",
                                        assignee="alice" if i % 2 else None)
            if comments and i % 2 == 0:
                self.fake.comment(issue["number"], f"First comment on {i}")
            keys.append(str(issue["number"]))
        self.fake.add_issue("A pull request", pr=True)  # the issues API lists PRs too
        return keys

    def ref(self, key: str) -> str:
        return f"{self.fake.web}/issues/{key}"

    def keys(self) -> list[str]:
        return [str(n) for n, i in self.fake.issues.items() if "pull_request" not in i]

    def title(self, key: str) -> str:
        return str(self.fake.issues[int(key)]["title"])

    def state(self, key: str) -> str:
        return str(self.fake.issues[int(key)]["state"])

    def labels(self, key: str) -> list[str]:
        return [lb["name"] for lb in self.fake.issues[int(key)]["labels"]]

    def set_title(self, key: str, title: str) -> None:
        self.fake.edit(int(key), title=title)

    def comment(self, key: str, text: str) -> None:
        self.fake.comment(int(key), text)

    def comment_texts(self, key: str) -> list[str]:
        return [c["body"] for c in self.fake.comments[int(key)]]

    def rate_limit(self) -> None:
        # GitHub's secondary rate limit: 403 with Retry-After and a message saying so.
        self.fake.inject(403, headers={"Retry-After": "1"},
                         body={"message": "You have exceeded a secondary rate limit."},
                         method="GET")
        self.fake.inject(429, headers={"Retry-After": "0"}, method="POST")


HARNESSES = {"github": GitHubHarness}


class GitLabHarness(Harness):
    name = "gitlab"
    create_path = "widgets/issues$"

    def __init__(self) -> None:
        from fake_gitlab import FakeGitLab

        self.fake = FakeGitLab(token=TOKEN)

    def configure(self, repo: Path) -> dict[str, str]:
        bd("config", "set", "gitlab.url", self.fake.base, cwd=repo)
        bd("config", "set", "gitlab.project", "acme/widgets", cwd=repo)
        self.common(repo)
        return {"GITLAB_TOKEN": TOKEN}

    def seed(self, n: int, *, comments: bool = True) -> list[str]:
        keys = []
        for i in range(n):
            labels = ("type::bug", "priority::high", "ui") if i % 3 == 0 else (
                ("enhancement",) if i % 3 == 1 else ())
            issue = self.fake.add_issue(f"Remote issue {i}", description=f"Body {i}\n\nmore",
                                        labels=labels,
                                        state="closed" if i % 4 == 3 else "opened",
                                        assignee="alice" if i % 2 else None)
            if comments and i % 2 == 0:
                self.fake.note(issue["iid"], "changed the description", system=True)
                self.fake.note(issue["iid"], f"First comment on {i}")
            keys.append(str(issue["iid"]))
        return keys

    def ref(self, key: str) -> str:
        return f"{self.fake.web}/-/issues/{key}"

    def keys(self) -> list[str]:
        return [str(k) for k in self.fake.issues]

    def title(self, key: str) -> str:
        return str(self.fake.issues[int(key)]["title"])

    def state(self, key: str) -> str:
        return "open" if self.fake.issues[int(key)]["state"] == "opened" else "closed"

    def set_title(self, key: str, title: str) -> None:
        self.fake.edit(int(key), title=title)

    def comment(self, key: str, text: str) -> None:
        self.fake.note(int(key), text)

    def comment_texts(self, key: str) -> list[str]:
        return [n["body"] for n in self.fake.notes[int(key)] if not n["system"]]

    def rate_limit(self) -> None:
        self.fake.inject(429, headers={"Retry-After": "1", "RateLimit-Remaining": "0"},
                         method="GET")
        self.fake.inject(429, headers={"Retry-After": "0"}, method="POST")


HARNESSES["gitlab"] = GitLabHarness


class JiraHarness(Harness):
    name = "jira"
    create_path = "/rest/api/3/issue$"

    def __init__(self) -> None:
        from fake_jira import FakeJira

        self.fake = FakeJira(token=TOKEN)

    def configure(self, repo: Path) -> dict[str, str]:
        bd("config", "set", "jira.url", self.fake.base, cwd=repo)
        bd("config", "set", "jira.project", "ACME", cwd=repo)
        self.common(repo)
        return {"JIRA_API_TOKEN": TOKEN, "JIRA_USERNAME": self.fake.user}

    def seed(self, n: int, *, comments: bool = True) -> list[str]:
        keys = []
        for i in range(n):
            kw: dict[str, Any] = ({"itype": "Bug", "priority": "High", "labels": ("ui",)}
                                  if i % 3 == 0 else {"itype": "Story"} if i % 3 == 1 else {})
            issue = self.fake.add_issue(f"Remote issue {i}", description=f"Body {i}\n\nmore",
                                        status="Done" if i % 4 == 3 else "To Do",
                                        assignee="alice" if i % 2 else None, **kw)
            if comments and i % 2 == 0:
                self.fake.comment(issue["key"], f"First comment on {i}")
            keys.append(issue["key"])
        return keys

    def ref(self, key: str) -> str:
        return f"{self.fake.base}/browse/{key}"

    def keys(self) -> list[str]:
        return list(self.fake.issues)

    def title(self, key: str) -> str:
        return str(self.fake.issues[key]["fields"]["summary"])

    def state(self, key: str) -> str:
        done = self.fake.issues[key]["fields"]["status"]["name"] == "Done"
        return "closed" if done else "open"

    def set_title(self, key: str, title: str) -> None:
        self.fake.edit(key, summary=title)

    def comment(self, key: str, text: str) -> None:
        self.fake.comment(key, text)

    def comment_texts(self, key: str) -> list[str]:
        from fake_jira import plain

        return [plain(c["body"]) for c in self.fake.comments[key]]

    def rate_limit(self) -> None:
        self.fake.inject(429, headers={"Retry-After": "1"}, method="GET")
        self.fake.inject(429, headers={"Retry-After": "0"}, method="POST")


HARNESSES["jira"] = JiraHarness


class LinearHarness(Harness):
    name = "linear"
    read_method = "POST"
    create_path = "/graphql"
    create_body = "issueCreate"

    def __init__(self) -> None:
        from fake_linear import FakeLinear

        self.fake = FakeLinear(token=TOKEN)

    def configure(self, repo: Path) -> dict[str, str]:
        bd("config", "set", "linear.api_url", f"{self.fake.base}/graphql", cwd=repo)
        bd("config", "set", "linear.team", "ENG", cwd=repo)
        self.common(repo)
        return {"LINEAR_API_KEY": TOKEN}

    def seed(self, n: int, *, comments: bool = True) -> list[str]:
        keys = []
        for i in range(n):
            kw: dict[str, Any] = ({"labels": ("Bug", "ui"), "priority": 2} if i % 3 == 0 else
                                  {"labels": ("Feature",)} if i % 3 == 1 else {})
            issue = self.fake.add_issue(f"Remote issue {i}", description=f"Body {i}\n\nmore",
                                        state="Done" if i % 4 == 3 else "Todo",
                                        assignee="Alice" if i % 2 else None, **kw)
            if comments and i % 2 == 0:
                self.fake.comment(issue["identifier"], f"First comment on {i}")
            keys.append(issue["identifier"])
        self.fake.add_issue("Another team's issue", team="OPS")
        return keys

    def ref(self, key: str) -> str:
        return f"{self.fake.base}/acme/issue/{key}"

    def keys(self) -> list[str]:
        return [k for k, i in self.fake.issues.items() if i["team"]["key"] == "ENG"]

    def title(self, key: str) -> str:
        return str(self.fake.issues[key]["title"])

    def state(self, key: str) -> str:
        kind = self.fake.issues[key]["state"]["type"]
        return "closed" if kind in ("completed", "canceled") else "open"

    def set_title(self, key: str, title: str) -> None:
        self.fake.edit(key, title=title)

    def comment(self, key: str, text: str) -> None:
        self.fake.comment(key, text)

    def comment_texts(self, key: str) -> list[str]:
        return [c["body"] for c in self.fake.issues[key]["comments"]]

    def rate_limit(self) -> None:
        # Linear answers a rate-limited request with HTTP 400 and a RATELIMITED error.
        self.fake.inject(400, body={"errors": [{"message": "Rate limit exceeded",
                                                "extensions": {"code": "RATELIMITED"}}]},
                         headers={"X-RateLimit-Requests-Remaining": "0"})
        self.fake.inject(429, headers={"Retry-After": "0"})


HARNESSES["linear"] = LinearHarness
