"""Checks of the git integration: merge driver, ``bd`` on PATH, ``.gitattributes``, hooks and
the sync branch.  They apply where the JSONL is committed (team mode); a stealth workspace
(git ignores ``.beads``) or one outside any repository skips them."""

from __future__ import annotations

import os

from bd.doctor.registry import Result, check, ok, skipped
from bd.errors import BdError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from bd.doctor.context import DoctorContext


def _not_team(ctx: DoctorContext, name: str) -> Result | None:
    mode = ctx.git_mode
    if mode == "team":
        return None
    why = {"none": "not in a git repository",
           "stealth": "git ignores the JSONL (stealth mode)",
           "outside": "the JSONL is outside the repository"}[mode]
    return skipped(name, why)


def _fix_driver(ctx: DoctorContext) -> None:
    from bd.git.initmodes import register_merge_driver

    register_merge_driver(ctx.repo_top or "", overwrite=True)


@check("merge-driver", "Merge driver configured", fix=_fix_driver)
def merge_driver(ctx: DoctorContext) -> Result:
    from bd.git import runner as git
    from bd.git.initmodes import DRIVER

    if (res := _not_team(ctx, "merge-driver")) is not None:
        return res
    value = git.config_get("merge.beads.driver", ctx.repo_top or "")
    if value == DRIVER:
        return ok("merge-driver", f"merge.beads.driver = {DRIVER}")
    if value is None:
        return Result("merge-driver", "error", "merge.beads.driver is not configured in this "
                      "clone: git merges issues.jsonl line by line (duplicates, conflicts)",
                      fixable=True)
    if "%L" in value or "%R" in value:
        return Result("merge-driver", "error", f"merge.beads.driver = {value!r} uses %L/%R, "
                      "which git does not substitute", fixable=True)
    return Result("merge-driver", "warn", f"merge.beads.driver = {value!r}, not bd's "
                  f"{DRIVER!r}", fixable=True)


@check("bd-on-path", "git can run bd")
def bd_on_path(ctx: DoctorContext) -> Result:
    import shutil
    import subprocess

    if (res := _not_team(ctx, "bd-on-path")) is not None:
        return res
    found = shutil.which("bd")
    if found is None:
        return Result("bd-on-path", "error", "bd is not on PATH, so git can run neither the "
                      "merge driver nor bd's hooks (the hooks skip quietly; merges fall back "
                      "to line-based)")
    try:
        proc = subprocess.run([found, "version"], capture_output=True, text=True, timeout=20,
                              stdin=subprocess.DEVNULL)
        version = proc.stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Result("bd-on-path", "warn", f"{found} did not answer 'bd version': {exc}")
    if "(python" not in version:
        return Result("bd-on-path", "warn", f"{found} is another bd ({version or 'no version'}"
                      "); git will run it as the merge driver and in the hooks")
    return ok("bd-on-path", found)


def _fix_attributes(ctx: DoctorContext) -> None:
    from bd.git.initmodes import ensure_gitattributes

    ensure_gitattributes(ctx.repo_top or "", ctx.main_jsonl)


@check("gitattributes", ".gitattributes routes the JSONL to the driver", fix=_fix_attributes)
def gitattributes(ctx: DoctorContext) -> Result:
    from bd.git import runner as git
    from bd.git.initmodes import attributes_line

    if (res := _not_team(ctx, "gitattributes")) is not None:
        return res
    top = ctx.repo_top or ""
    value = git.check_attr("merge", ctx.rel_jsonl, top)
    if value == "beads":
        return ok("gitattributes", f"{ctx.rel_jsonl} merge=beads")
    line = attributes_line(top, ctx.main_jsonl)
    return Result("gitattributes", "error",
                  f"git does not send {ctx.rel_jsonl} to the bd merge driver "
                  f"(merge={value or 'unspecified'}); the top-level .gitattributes needs "
                  f"'{line}'", fixable=True)


def _fix_hooks(ctx: DoctorContext) -> None:
    from bd.git import hooks

    hooks.install(ctx.repo_top or "")


@check("hooks", "Git hooks installed and current", fix=_fix_hooks)
def hooks_installed(ctx: DoctorContext) -> Result:
    from bd.git import hooks

    if (res := _not_team(ctx, "hooks")) is not None:
        return res
    report = hooks.status(ctx.repo_top or "")
    manager = report["manager"]
    if manager and manager["name"] in ("lefthook", "pre-commit"):
        cfg = os.path.basename(manager["config"])
        if manager["configured"]:
            return ok("hooks", f"{manager['name']} runs bd's hooks ({cfg})")
        return Result("hooks", "warn", f"hooks are managed by {manager['name']} and {cfg} "
                      "does not run 'bd hooks run' ('bd hooks install' prints the lines to "
                      "add)")
    states = {h["name"]: h["status"] for h in report["hooks"]}
    bad = {n: s for n, s in states.items() if s not in ("installed", "chained")}
    if not bad:
        chained = [n for n, s in states.items() if s == "chained"]
        return ok("hooks", "all installed" + (f" ({', '.join(chained)} chained)"
                                              if chained else ""))
    details = [f"{n}: {s}" for n, s in bad.items()]
    return Result("hooks", "warn", f"{'; '.join(details)} in {report['hooks_dir']} (--fix "
                  "installs them, keeping any existing hook as NAME.old)", fixable=True,
                  details=details)


@check("sync-branch", "Sync branch healthy")
def sync_branch(ctx: DoctorContext) -> Result:
    from bd.store import config as cfgmod

    assert ctx.main_beads is not None
    try:
        main_cfg = cfgmod.load(os.path.join(ctx.main_beads, "config.yaml"))
    except BdError:
        main_cfg = {}
    branch = os.environ.get("BEADS_SYNC_BRANCH") or main_cfg.get("sync.branch")
    if not branch:
        return skipped("sync-branch", "no sync.branch configured")
    from bd.git import syncbranch

    problems = syncbranch.check_health(ctx.main_beads)  # [(level, message)]; empty: healthy
    if ctx.setup_error:
        problems.insert(0, ("error", ctx.setup_error))
    if not problems:
        return ok("sync-branch", f"{branch}: worktree healthy")
    worst = "error" if any(level == "error" for level, _ in problems) else "warn"
    return Result("sync-branch", worst, "; ".join(message for _, message in problems),
                  details=[f"{level}: {message}" for level, message in problems])
