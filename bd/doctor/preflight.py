"""``bd preflight``: is this branch ready for a pull request, as far as its issues go?  The
original's checklist is for the beads repository itself (go test, golangci-lint, nix); bd's
checks what a project using bd should not push: a broken or conflicted issues file, leaked
test issues, uncommitted issue changes, a clone without the merge driver."""

from __future__ import annotations

import os

from bd.doctor.context import DoctorContext
from bd.doctor.registry import run_checks
from bd.git import runner as git

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

# (name, doctor checks behind it, the command that fixes it)
CHECKLIST = (
    ("Issues file valid", ("jsonl", "conflict-markers", "duplicate-ids"),
     "bd doctor; bd resolve-conflicts"),
    ("No beads pollution", ("pollution",), "bd doctor --check pollution --clean"),
    ("Merge driver set up", ("merge-driver", "gitattributes"), "bd doctor --fix"),
    ("Issue changes committed", (), "git add .beads/issues.jsonl && git commit"),
)


def checklist() -> list[dict[str, str]]:
    return [{"name": name, "command": command} for name, _, command in CHECKLIST]


def run(cwd: str, *, db: str | None = None, fix: bool = False) -> dict[str, Any]:
    """Run every check (``fix`` repairs what ``bd doctor --fix`` can first); returns the
    original's shape: checks [{name, passed, skipped, warning, output, command}], passed,
    summary."""
    dctx = DoctorContext(cwd, db=db)
    names = [n for _, checks, _ in CHECKLIST for n in checks]
    results = {r.name: r for r in run_checks(dctx, fix=fix, only=names)}
    out = []
    for name, checks, command in CHECKLIST:
        row: dict[str, Any] = {"name": name, "passed": True, "skipped": False,
                               "warning": False, "output": "", "command": command}
        if checks:
            bad = [results[c] for c in checks if c in results and results[c].status != "ok"]
            if bad:
                row["passed"] = False
                row["warning"] = all(r.status == "warn" for r in bad)
                row["output"] = "; ".join(r.message for r in bad)
        else:
            row.update(_committed(dctx))
        out.append(row)
    failed = [r for r in out if not r["passed"] and not r["warning"]]
    warned = [r for r in out if r["warning"]]
    passed = sum(1 for r in out if r["passed"] and not r["skipped"])
    skipped = sum(1 for r in out if r["skipped"])
    return {"checks": out, "passed": not failed,
            "summary": f"{passed} passed, {len(failed)} failed, {len(warned)} warning(s), "
                       f"{skipped} skipped"}


def _committed(dctx: DoctorContext) -> dict[str, Any]:
    top = dctx.repo_top if dctx.main_beads else None
    if top is None or dctx.git_mode != "team":
        return {"skipped": True, "output": "the issues are not committed with this "
                                           "repository (stealth, contributor or no git)"}
    rel = os.path.relpath(dctx.main_jsonl, top)
    status = git.out(["status", "--porcelain", "--", rel], top)
    if status:
        return {"passed": False, "output": f"{rel} has uncommitted changes"}
    return {}
