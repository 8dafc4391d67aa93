"""The report of a tracker sync run, its options and its conflicts (the --json shape)."""

from __future__ import annotations

from typing import Any

POLICIES = ("newer", "local", "remote")


class SyncOptions:
    __slots__ = ("pull", "push", "dry_run", "policy", "create_only", "update_refs", "state")

    def __init__(self, *, pull: bool = True, push: bool = True, dry_run: bool = False,
                 policy: str = "newer", create_only: bool = False, update_refs: bool = True,
                 state: str = "all") -> None:
        if policy not in POLICIES:
            raise ValueError(policy)
        self.pull, self.push, self.dry_run, self.policy = pull, push, dry_run, policy
        self.create_only, self.update_refs, self.state = create_only, update_refs, state


class Conflict:
    """One field both sides changed since the last sync, as the policy settled it.  The row
    has the shape of ``bd sync``'s conflict rows (issue, field, kept, dropped, dropped_from,
    rule), plus the tracker link and both update times."""

    __slots__ = ("id", "ref", "field", "local", "remote", "local_updated", "remote_updated",
                 "policy", "kept")

    def __init__(self, id: str, ref: str, field: str, local: Any, remote: Any,
                 local_updated: str, remote_updated: str, policy: str, kept: str) -> None:
        self.id, self.ref, self.field, self.local, self.remote = id, ref, field, local, remote
        self.local_updated, self.remote_updated = local_updated, remote_updated
        self.policy, self.kept = policy, kept

    def to_dict(self) -> dict[str, Any]:
        ours = self.kept == "local"
        return {"issue": self.id, "field": self.field,
                "kept": self.local if ours else self.remote,
                "dropped": self.remote if ours else self.local,
                "dropped_from": "remote" if ours else "local",
                "rule": f"prefer-{self.policy}", "external_ref": self.ref,
                "local_updated": self.local_updated, "remote_updated": self.remote_updated}


class SyncReport:
    def __init__(self, tracker: str, target: str, opts: SyncOptions) -> None:
        self.tracker, self.target, self.opts = tracker, target, opts
        self.fetched = 0
        self.incremental = False
        self.pulled_created: list[str] = []
        self.pulled_updated: list[str] = []
        self.pushed_created: list[str] = []
        self.pushed_updated: list[str] = []
        self.refs_updated: list[str] = []
        self.comments_pulled = 0
        self.comments_pushed = 0
        self.conflicts: list[Conflict] = []
        self.skipped: list[str] = []
        self.warnings: list[str] = []
        self.recovered = 0
        self.jsonl_written = False
        self.state_written = False
        self.http: dict[str, int] = {}

    @property
    def changed(self) -> bool:
        return bool(self.pulled_created or self.pulled_updated or self.pushed_created
                    or self.pushed_updated or self.refs_updated or self.comments_pulled
                    or self.comments_pushed)

    def to_dict(self) -> dict[str, Any]:
        o = self.opts
        return {
            "tracker": self.tracker, "target": self.target, "dry_run": o.dry_run,
            "direction": "both" if o.pull and o.push else ("pull" if o.pull else "push"),
            "policy": o.policy, "state": o.state, "incremental": self.incremental,
            "fetched": self.fetched,
            "pulled": {"created": self.pulled_created, "updated": self.pulled_updated},
            "pushed": {"created": self.pushed_created, "updated": self.pushed_updated},
            "refs_updated": self.refs_updated,
            "comments": {"pulled": self.comments_pulled, "pushed": self.comments_pushed},
            "conflicts": [c.to_dict() for c in self.conflicts],
            "skipped": self.skipped, "warnings": self.warnings,
            "recovered_from_journal": self.recovered,
            "changed": self.changed, "jsonl_written": self.jsonl_written,
            "requests": self.http.get("requests", 0), "retries": self.http.get("retries", 0),
        }


def check_policy(prefer_local: bool, prefer_remote: bool, prefer_newer: bool) -> str:
    chosen = [n for n, on in (("local", prefer_local), ("remote", prefer_remote),
                              ("newer", prefer_newer)) if on]
    if len(chosen) > 1:
        from bd.errors import UsageError

        raise UsageError("choose one of --prefer-local, --prefer-remote, --prefer-newer")
    return chosen[0] if chosen else "newer"


