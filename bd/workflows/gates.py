"""Gates: issues of type ``gate`` that block a step until something outside says go.

``await_type`` decides what: ``timer`` (created_at + timeout has passed), ``human``
(``bd gate resolve``), ``gh:run`` / ``gh:pr`` (the ``gh`` CLI reports a successful run or a
merged pull request), ``bead`` (another issue closed).  ``check`` evaluates the open gates
and closes the resolved ones; the clock and the ``gh`` runner are injectable for tests.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable

from bd.core import ids, model, timeutil
from bd.errors import GateError, NotFoundError, ValidationError
from bd.store.store import Store
from bd.workflows import formula as fm

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

GATE_TYPES = ("human", "timer", "gh:run", "gh:pr", "bead")
CHECK_FILTERS = ("gh", "gh:run", "gh:pr", "timer", "bead", "all")
Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run an outside CLI (``gh``, ``gt``) with a timeout; a missing one is a GateError."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except FileNotFoundError:
        hint = " (install it from https://cli.github.com and run 'gh auth login')" \
            if args[0] == "gh" else ""
        raise GateError(f"{args[0]} CLI not installed{hint}") from None
    except subprocess.TimeoutExpired:
        raise GateError(f"{' '.join(args[:3])} timed out after 60 s") from None


def _gate(store: Store, rid: str) -> dict[str, Any]:
    rec = store.get(rid)
    if model.type_of(rec) != "gate":
        raise ValidationError(f"{rid} is not a gate (type {model.type_of(rec)})", issue_id=rid)
    return rec


def gate_row(rec: dict[str, Any], store: Store | None = None) -> dict[str, Any]:
    row = {"id": rec["id"], "title": rec.get("title", ""), "status": model.status_of(rec),
           "await_type": rec.get("await_type", ""), "await_id": rec.get("await_id", ""),
           "timeout": fm.format_duration(int(rec["timeout"])) if rec.get("timeout") else "",
           "waiters": list(rec.get("waiters") or []), "created_at": rec.get("created_at", "")}
    if rec.get("close_reason"):
        row["close_reason"] = rec["close_reason"]
    if store is not None:
        deps: Any = store.dependents(rec["id"])  # (Store.list shadows the builtin for mypy)
        row["blocks"] = [a for a, t in deps if t == "blocks"]
    return row


def list_gates(store: Store, *, all_: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    conn = store.cache().conn
    sql = ("SELECT id FROM issues WHERE issue_type = 'gate' AND status != 'tombstone'"
           + ("" if all_ else " AND status != 'closed'") + " ORDER BY created_at, id")
    if limit and limit > 0:
        sql += f" LIMIT {int(limit)}"
    rows = [r[0] for r in conn.execute(sql)]
    recs = store.get_many(rows)
    return [gate_row(recs[r], store) for r in rows if r in recs]


def show(store: Store, rid: str) -> dict[str, Any]:
    rec = _gate(store, rid)
    return {**gate_row(rec, store), "description": rec.get("description", "")}


def resolve(store: Store, rid: str, reason: str = "") -> dict[str, Any]:
    """Close a gate by hand (the way a ``human`` gate opens)."""
    from bd.ops import issues as ops

    _gate(store, rid)
    ops.close(store, [rid], reason or "Gate resolved")
    return gate_row(store.get(rid), store)


def add_waiter(store: Store, rid: str, waiter: str) -> dict[str, Any]:
    if not waiter.strip():
        raise ValidationError("waiter address required", field="waiter")
    added = False
    with store.transaction() as tx:
        rec = tx.require(rid)
        if model.type_of(rec) != "gate":
            raise ValidationError(f"{rid} is not a gate", issue_id=rid)
        waiters = list(rec.get("waiters") or [])
        if waiter not in waiters:
            waiters.append(waiter)
            rec["waiters"] = waiters
            rec["updated_at"] = tx.now
            tx.put(rec, affects_ready=False)
            tx.event(rid, "updated", new={"waiters": waiters})
            added = True
    return {"gate_id": rid, "waiter": waiter, "added": added}


def create(store: Store, blocks: str, *, await_type: str = "human", timeout: str = "",
           await_id: str = "", reason: str = "") -> dict[str, Any]:
    """An ad-hoc gate that ``blocks`` the given issue."""
    if await_type not in GATE_TYPES:
        raise ValidationError(f"invalid gate type {await_type!r} (one of "
                              f"{', '.join(GATE_TYPES)})", field="type")
    timeout_ns = fm.parse_duration(timeout, "--timeout") if timeout else 0
    if await_type == "timer" and not timeout_ns:
        raise ValidationError("a timer gate needs --timeout (e.g. 30m, 2h)", field="timeout")
    title = f"Gate: {await_type}" + (f" {await_id}" if await_id else "")
    with store.transaction() as tx:
        target = tx.live(blocks)
        gid = ids.generate_id(store.prefix, title, blocks, store.actor, time.time_ns(),
                              n_existing=store.count_top_level(), exists=tx.exists)
        rec: dict[str, Any] = {"id": gid, "title": title,
                               "description": reason or f"Gate for {blocks}",
                               "status": "open", "priority": model.priority_of(target),
                               "issue_type": "gate", "created_at": tx.now,
                               "created_by": store.actor, "updated_at": tx.now,
                               "await_type": await_type}
        if await_id:
            rec["await_id"] = await_id
        if timeout_ns:
            rec["timeout"] = timeout_ns
        if target.get("ephemeral") is True:
            rec["ephemeral"] = True
        tx.put(rec)
        tx.event(gid, "created", new=rec)
        target.setdefault("dependencies", []).append(
            {"issue_id": blocks, "depends_on_id": gid, "type": "blocks",
             "created_at": tx.now, "created_by": store.actor})
        target["updated_at"] = tx.now
        tx.put(target)
        tx.event(blocks, "dependency_added", new={"depends_on_id": gid, "type": "blocks"})
    return gate_row(rec) | {"blocks": [blocks]}


# -- evaluation ------------------------------------------------------------------------------

def _matches(rec: dict[str, Any], kind: str | None) -> bool:
    at = str(rec.get("await_type") or "")
    if not kind or kind == "all":
        return True
    if kind == "gh":
        return at.startswith("gh:")
    return at == kind


def evaluate(store: Store, rec: dict[str, Any], now_ns: int, run: Runner
             ) -> tuple[str, str]:
    """(outcome, reason); outcome is resolved, escalated, pending or skipped."""
    at = str(rec.get("await_type") or "")
    aid = str(rec.get("await_id") or "")
    if at == "timer":
        timeout = rec.get("timeout")
        created = timeutil.ts_key(str(rec.get("created_at") or ""))
        if not timeout or created is None:
            raise GateError("timer gate without a timeout")
        due = created + int(timeout)
        if now_ns >= due:
            return "resolved", f"timer expired {fm.format_duration(now_ns - due)} ago"
        return "pending", f"expires in {fm.format_duration(due - now_ns)}"
    if at.startswith("gh:run"):
        return _gh_run(aid, run)
    if at.startswith("gh:pr"):
        return _gh_pr(aid, run)
    if at == "bead":
        target = aid.split(":", 1)[1] if ":" in aid else aid
        if not target:
            return "pending", "bead gate without await_id"
        try:
            other = store.get(target)
        except NotFoundError:
            return "pending", f"bead {target} not found"
        status = model.status_of(other)
        if status == "closed":
            return "resolved", f"target bead {target} is closed"
        return "pending", f"target bead {target} status is {status!r} (waiting for closed)"
    return "skipped", f"{at or 'untyped'} gates are resolved by hand (bd gate resolve)"


def _gh_json(run: Runner, args: list[str], missing: str) -> tuple[dict[str, Any] | None, str]:
    proc = run(args)
    if proc.returncode != 0:
        err = (proc.stderr or "").strip()
        if "not found" in err or "Could not resolve" in err:
            return None, missing
        first = err.splitlines()[0] if err else f"exit status {proc.returncode}"
        raise GateError(f"{' '.join(args[:3])} failed: {first}")
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise GateError(f"cannot parse the output of {' '.join(args[:3])}") from None
    if not isinstance(data, dict):
        raise GateError(f"unexpected output of {' '.join(args[:3])}")
    return data, ""


def _gh_run(aid: str, run: Runner) -> tuple[str, str]:
    if not aid:
        return "pending", "no run ID specified - run 'bd gate discover' first"
    if not aid.isdigit():
        return "pending", f"awaiting discovery (workflow hint: {aid}) - run 'bd gate discover'"
    data, missing = _gh_json(run, ["gh", "run", "view", aid, "--json",
                                   "status,conclusion,name"], "workflow run not found")
    if data is None:
        return "escalated", missing
    name, status, concl = data.get("name", ""), data.get("status", ""), data.get("conclusion", "")
    if status == "completed":
        if concl == "success":
            return "resolved", f"workflow '{name}' succeeded"
        if concl == "skipped":
            return "resolved", f"workflow '{name}' was skipped"
        if concl in ("cancelled", "canceled"):
            return "escalated", f"workflow '{name}' was canceled"
        if concl == "failure":
            return "escalated", f"workflow '{name}' failed"
        return "escalated", f"workflow '{name}' concluded with {concl}"
    return "pending", f"workflow '{name}' is {status}"


def _gh_pr(aid: str, run: Runner) -> tuple[str, str]:
    if not aid:
        return "pending", "no PR number specified"
    data, missing = _gh_json(run, ["gh", "pr", "view", aid, "--json", "state,merged,title"],
                             "pull request not found")
    if data is None:
        return "escalated", missing
    title, state = data.get("title", ""), data.get("state", "")
    if state == "MERGED" or (state == "CLOSED" and data.get("merged")):
        return "resolved", f"PR '{title}' was merged"
    if state == "CLOSED":
        return "escalated", f"PR '{title}' was closed without merging"
    return "pending", f"PR '{title}' is still open" if state == "OPEN" else \
        f"PR '{title}' state: {state}"


def check(store: Store, *, kind: str | None = None, dry_run: bool = False,
          escalate: bool = False, limit: int = 100, now_ns: int | None = None,
          run: Runner = run_cli) -> dict[str, Any]:
    """Evaluate the open gates; close the resolved ones (unless ``dry_run``); with
    ``escalate``, tell ``gt escalate`` about failed or expired ones."""
    from bd.ops import issues as ops

    if kind and kind not in CHECK_FILTERS:
        raise ValidationError(f"invalid --type {kind!r} (one of {', '.join(CHECK_FILTERS)})",
                              field="type")
    now = now_ns if now_ns is not None else time.time_ns()
    gates = [g for g in list_gates(store, limit=limit) if _matches(store.get(g["id"]), kind)]
    results = []
    counts = {"resolved": 0, "escalated": 0, "errors": 0}
    for g in gates:
        rec = store.get(g["id"])
        try:
            outcome, reason = evaluate(store, rec, now, run)
        except GateError as exc:
            outcome, reason = "error", exc.message
        if outcome == "skipped":
            continue
        if outcome == "resolved" and not dry_run:
            ops.close(store, [rec["id"]], reason)
        if outcome == "escalated" and escalate and not dry_run:
            reason = _escalate(rec, reason, run)
        if outcome == "error":
            counts["errors"] += 1
        elif outcome in counts:
            counts[outcome] += 1
        results.append({"id": rec["id"], "await_type": rec.get("await_type", ""),
                        "outcome": outcome, "reason": reason})
    return {"checked": len(results), **counts, "dry_run": dry_run, "gates": results}


def _escalate(rec: dict[str, Any], reason: str, run: Runner) -> str:
    message = (f"Gate {rec['id']} needs attention.\nType: {rec.get('await_type', '')}\n"
               f"Reason: {reason}\nCreated: {rec.get('created_at', '')}")
    try:
        proc = run(["gt", "escalate", f"Gate escalation: {rec['id']}", "-s", "HIGH", "-m",
                    message])
    except GateError as exc:
        return f"{reason} (escalation failed: {exc.message})"
    if proc.returncode != 0:
        return f"{reason} (escalation failed: gt exited {proc.returncode})"
    return f"{reason} (escalated)"


def discover(store: Store, *, branch: str | None = None, commit: str | None = None,
             limit: int = 20, max_age: str = "30m", dry_run: bool = False,
             now_ns: int | None = None, run: Runner = run_cli) -> dict[str, Any]:
    """Fill in the run id of open ``gh:run`` gates that lack one: the first recent workflow
    run (created within ``max_age``) whose name matches the gate's hint, on ``branch`` /
    ``commit`` when given."""
    from bd.ops import issues as ops

    age_ns = fm.parse_duration(max_age, "--max-age")
    now = now_ns if now_ns is not None else time.time_ns()
    pending = [store.get(g["id"]) for g in list_gates(store, limit=0)]
    pending = [g for g in pending if str(g.get("await_type", "")).startswith("gh:run")
               and not str(g.get("await_id") or "").isdigit()]
    found: list[dict[str, Any]] = []
    if not pending:
        return {"checked": 0, "matched": 0, "gates": found}
    args = ["gh", "run", "list", "--limit", str(limit), "--json",
            "databaseId,name,headBranch,headSha,createdAt,status,conclusion"]
    if branch:
        args += ["--branch", branch]
    proc = run(args)
    if proc.returncode != 0:
        raise GateError(f"gh run list failed: {(proc.stderr or '').strip()[:200]}")
    try:
        runs = json.loads(proc.stdout)
    except ValueError:
        raise GateError("cannot parse the output of gh run list") from None
    if not isinstance(runs, list):
        raise GateError("unexpected output of gh run list")
    used: set[str] = set()
    for g in pending:
        hint = str(g.get("await_id") or "")
        for r in runs:
            if not isinstance(r, dict):
                continue
            rid = str(r.get("databaseId", ""))
            if not rid.isdigit() or rid in used:
                continue
            if hint and hint not in str(r.get("name", "")):
                continue
            if commit and not str(r.get("headSha", "")).startswith(commit):
                continue
            started = timeutil.ts_key(str(r.get("createdAt") or ""))
            if started is not None and age_ns and now - started > age_ns:
                continue  # too old to be this gate's run
            used.add(rid)
            found.append({"gate_id": g["id"], "run_id": rid, "name": r.get("name", ""),
                          "branch": r.get("headBranch", "")})
            if not dry_run:
                ops.update(store, g["id"], {"await_id": rid})
            break
    return {"checked": len(pending), "matched": len(found), "gates": found,
            "dry_run": dry_run}
