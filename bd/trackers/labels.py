"""GitHub's and GitLab's mapping: bd's priority, status and type travel as scoped labels.

Defaults follow the original: ``priority::critical|high|medium|low|none`` (0..4),
``status::in_progress|blocked|deferred``, ``type::<type>``; bare type labels (``bug``,
``enhancement``) are recognised on pull.  The remote's open/closed state gives the base status
and ``closed`` always wins.  ``<tracker>.priority_map.<0-4>``, ``<tracker>.status_map.<status>``
and ``<tracker>.type_map.<type>`` replace a default label name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PRIORITY_WORDS = ("critical", "high", "medium", "low", "none")
LABEL_STATUSES = ("in_progress", "blocked", "deferred")
BARE_TYPES = {"bug": "bug", "feature": "feature", "task": "task", "epic": "epic",
              "chore": "chore", "enhancement": "feature"}


class LabelScheme:
    def __init__(self, priority_map: Mapping[str, str], status_map: Mapping[str, str],
                 type_map: Mapping[str, str]) -> None:
        self.priority = {p: f"priority::{w}" for p, w in enumerate(PRIORITY_WORDS)}
        for key, label in priority_map.items():
            if key.isdigit() and 0 <= int(key) <= 4:
                self.priority[int(key)] = label
        self.status = {s: f"status::{s}" for s in LABEL_STATUSES}
        self.status.update(status_map)
        self.type_map = dict(type_map)
        self._priority_of = {v.lower(): k for k, v in self.priority.items()}
        self._status_of = {v.lower(): k for k, v in self.status.items()}
        self._type_of = {v.lower(): k for k, v in self.type_map.items()}

    def type_label(self, issue_type: str) -> str:
        return self.type_map.get(issue_type, f"type::{issue_type}")

    def is_scheme_label(self, label: str) -> bool:
        low = label.lower()
        return (low in self._priority_of or low in self._status_of or low in self._type_of
                or low.startswith(("priority::", "status::", "type::")))

    def to_bd(self, labels: Iterable[str], closed: bool) -> dict[str, Any]:
        """(status, priority, issue_type, other labels) from a remote label list."""
        priority, status, itype = 2, "closed" if closed else "open", None
        bare_type = None
        rest = []
        for label in labels:
            low = label.lower()
            if low in self._priority_of:
                priority = self._priority_of[low]
            elif low in self._status_of:
                if not closed:
                    status = self._status_of[low]
            elif low in self._type_of:
                itype = self._type_of[low]
            elif low.startswith("type::"):
                itype = low[len("type::"):]
            elif low.startswith(("priority::", "status::")):
                continue  # an unknown scoped value: not a plain label either
            else:
                if low in BARE_TYPES and bare_type is None:
                    bare_type = BARE_TYPES[low]
                rest.append(label)
        return {"status": status, "priority": priority,
                "issue_type": itype or bare_type or "task", "labels": sorted(set(rest))}

    def to_remote(self, fields: Mapping[str, Any]) -> list[str]:
        """The remote label list of a bd issue (scheme labels first, then its own)."""
        labels = [self.type_label(fields["issue_type"]), self.priority.get(
            fields["priority"], self.priority[2])]
        status = fields["status"]
        if status in self.status:
            labels.append(self.status[status])
        for label in fields["labels"]:
            if label not in labels:
                labels.append(label)
        return labels
