"""The check registry, the result type and the runner."""

from __future__ import annotations

from collections.abc import Callable

from bd.errors import BdError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

    from bd.doctor.context import DoctorContext

STATUSES = ("ok", "warn", "error")
# The modules whose import registers the checks, in the order they run and print.
MODULES = ("bd.doctor.checks_data", "bd.doctor.checks_cache", "bd.doctor.checks_git",
           "bd.doctor.checks_wisps", "bd.doctor.checks_deep")


class Result:
    """One check's verdict."""

    __slots__ = ("name", "status", "message", "fixable", "fixed", "details")

    def __init__(self, name: str, status: str, message: str, *, fixable: bool = False,
                 details: list[str] | None = None) -> None:
        if status not in STATUSES:
            raise ValueError(f"bad status {status!r}")
        self.name, self.status, self.message = name, status, message
        self.fixable = fixable and status != "ok"
        self.fixed: bool | None = None
        self.details = details or []

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status,
                               "message": self.message, "fixable": self.fixable}
        if self.fixed is not None:
            out["fixed"] = self.fixed
        if self.details:
            out["details"] = self.details
        return out


class Check:
    __slots__ = ("name", "title", "run", "fix", "on_demand")

    def __init__(self, name: str, title: str, run: Callable[[DoctorContext], Result],
                 fix: Callable[[DoctorContext], None] | None, on_demand: bool = False) -> None:
        self.name, self.title, self.run, self.fix = name, title, run, fix
        self.on_demand = on_demand  # run only when named (--check) or with --deep


CHECKS: dict[str, Check] = {}


def check(name: str, title: str, *, fix: Callable[[DoctorContext], None] | None = None,
          on_demand: bool = False
          ) -> Callable[[Callable[[DoctorContext], Result]], Callable[[DoctorContext], Result]]:
    """Register ``run(ctx) -> Result`` as check ``name`` (``fix`` repairs it, if safe;
    an ``on_demand`` check runs only when named or with ``--deep``)."""
    def register(run: Callable[[DoctorContext], Result]) -> Callable[[DoctorContext], Result]:
        CHECKS[name] = Check(name, title, run, fix, on_demand)
        return run
    return register


def load() -> dict[str, Check]:
    import importlib

    for module in MODULES:
        importlib.import_module(module)
    return CHECKS


def ok(name: str, message: str) -> Result:
    return Result(name, "ok", message)


def skipped(name: str, why: str) -> Result:
    return Result(name, "ok", f"skipped: {why}")


def _run_one(c: Check, ctx: DoctorContext) -> Result:
    try:
        return c.run(ctx)
    except BdError as err:
        return Result(c.name, "error", f"check failed: {err}")


def run_checks(ctx: DoctorContext, *, fix: bool = False, only: list[str] | None = None,
               deep: bool = False, dry_run: bool = False) -> list[Result]:
    """Run the checks (all, or those named in ``only``); with ``fix``, repair what is
    fixable and report the state after the repair."""
    from bd.errors import UsageError

    checks = load()
    unknown = [n for n in only or [] if n not in checks]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r} (known: {', '.join(checks)})")
    if ctx.beads_dir is None:
        return [Result("workspace", "error", "no .beads workspace found here (run 'bd init')")]
    results = []
    for c in checks.values():
        if only and c.name not in only:
            continue
        if c.on_demand and not only and not deep:
            continue
        res = _run_one(c, ctx)
        if dry_run and res.fixable and c.fix is not None and res.status != "ok":
            res.message += " (--fix would repair this)"
        elif fix and res.fixable and c.fix is not None:
            try:
                c.fix(ctx)
            except BdError as err:
                res.message += f" (fix failed: {err})"
                res.fixed = False
            else:
                ctx.invalidate()
                after = _run_one(c, ctx)
                after.fixed = after.status == "ok"
                if not after.fixed and after.status == res.status:
                    after.message += " (fix did not help)"
                res = after
        results.append(res)
    return results
