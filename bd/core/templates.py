"""Required description sections per issue type (``bd lint``, ``bd create --validate``), as
the original defines them: a section counts when its heading text appears in the
description (case-insensitive); a non-empty acceptance criteria field counts as the
"Acceptance Criteria" section."""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

REQUIRED: dict[str, list[tuple[str, str]]] = {
    "bug": [("## Steps to Reproduce", "Describe how to reproduce the bug"),
            ("## Acceptance Criteria", "Define criteria to verify the fix")],
    "task": [("## Acceptance Criteria", "Define criteria to verify completion")],
    "feature": [("## Acceptance Criteria", "Define criteria to verify completion")],
    "epic": [("## Success Criteria", "Define high-level success criteria")],
}


def missing_sections(rec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(heading, hint) of each required section the issue lacks."""
    itype = str(rec.get("issue_type") or "task")
    text = str(rec.get("description") or "").lower()
    out = []
    for heading, hint in REQUIRED.get(itype, []):
        name = heading.lstrip("#").strip()
        if name.lower() in text:
            continue
        if name == "Acceptance Criteria" and str(rec.get("acceptance_criteria") or "").strip():
            continue
        out.append((heading, hint))
    return out


def describe_missing(itype: str, missing: list[tuple[str, str]]) -> str:
    return (f"missing required sections for {itype}: "
            + "; ".join(f"{h} ({hint})" for h, hint in missing))
