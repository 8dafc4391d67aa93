"""Renaming issue ids across records: the id itself, every dependency end, comment owners and
references in the text fields.  Pure: used by ``bd rename-prefix`` and
``bd import --rename-on-import``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bd.core import model

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def with_prefix(issue_id: str, prefix: str) -> str:
    """``issue_id`` with its prefix replaced by ``prefix`` (hash and child path kept; the
    hash part has no hyphen, so the prefix is everything before the last one)."""
    _, dash, rest = issue_id.rpartition("-")
    return f"{prefix}-{rest}" if dash else f"{prefix}-{issue_id}"


def prefix_of(issue_id: str) -> str:
    head, dash, _ = issue_id.rpartition("-")
    return head if dash else ""


def _text_pattern(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    if not mapping:
        return None
    alternatives = "|".join(re.escape(old) for old in sorted(mapping, key=len, reverse=True))
    # An id in text: not part of a longer id or word on either side (a child suffix ".N"
    # makes it a different id, which has its own entry when it is renamed).
    return re.compile(r"(?<![\w.-])(" + alternatives + r")(?![\w-]|\.\d)")


def rename_text(text: str, mapping: Mapping[str, str],
                pattern: re.Pattern[str] | None = None) -> str:
    pattern = pattern or _text_pattern(mapping)
    if pattern is None:
        return text
    return pattern.sub(lambda m: mapping[m.group(1)], text)


def rename_records(records: Iterable[dict[str, Any]], mapping: Mapping[str, str]
                   ) -> list[str]:
    """Apply ``mapping`` (old id -> new id) in place to every record; returns the ids (new
    ones) of the records that changed."""
    pattern = _text_pattern(mapping)
    changed = []
    for rec in records:
        touched = False
        if rec.get("id") in mapping:
            rec["id"] = mapping[rec["id"]]
            touched = True
        for dep in rec.get("dependencies") or []:
            if not isinstance(dep, dict):
                continue
            for key in ("issue_id", "depends_on_id"):
                if dep.get(key) in mapping:
                    dep[key] = mapping[dep[key]]
                    touched = True
        for comment in rec.get("comments") or []:
            if isinstance(comment, dict) and comment.get("issue_id") in mapping:
                comment["issue_id"] = mapping[comment["issue_id"]]
                touched = True
        for key in (*model.TEXT_FIELDS, "title"):
            text = rec.get(key)
            if isinstance(text, str) and pattern is not None:
                new = rename_text(text, mapping, pattern)
                if new != text:
                    rec[key] = new
                    touched = True
        if touched:
            changed.append(rec["id"])
    return changed
