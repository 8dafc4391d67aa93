"""github | gitlab | jira | linear: two-way sync with external trackers (bd/trackers/)."""

from __future__ import annotations

import json
from typing import Any

from bd.cli import Context
from bd.cli.registry import Values, command, opt

SYNC_OPTS = [
    opt("pull", "--pull", type=bool, help="Only pull remote changes into bd"),
    opt("push", "--push", type=bool, help="Only push bd changes to the tracker"),
    opt("dry_run", "--dry-run", type=bool, help="Say what would change; write nothing anywhere"),
    opt("prefer_local", "--prefer-local", type=bool,
        help="Conflicts (a field changed on both sides): keep bd's value"),
    opt("prefer_remote", "--prefer-remote", type=bool,
        help="Conflicts: keep the tracker's value"),
    opt("prefer_newer", "--prefer-newer", type=bool,
        help="Conflicts: keep the side updated last (the default)"),
    opt("create_only", "--create-only", type=bool,
        help="Push only new issues; never update issues already linked"),
    opt("update_refs", "--update-refs", type=bool, default=True,
        help="Write the tracker's URL into external_ref of created and linked issues "
             "(default on; --update-refs=false keeps external_ref as it is and the link "
             "lives only in the sync state)"),
    opt("state", "--state", default="all", metavar="STATE", choices=("open", "closed", "all"),
        help="Which issues to sync: open, closed or all"),
]
NAMES = {"github": "GitHub", "gitlab": "GitLab", "jira": "Jira", "linear": "Linear"}


def _sync(tracker: str) -> Any:
    def run(ctx: Context, o: Values) -> int:
        from bd.trackers import api
        from bd.trackers.base import check_state
        from bd.trackers.report import SyncOptions, check_policy

        policy = check_policy(o.prefer_local, o.prefer_remote, o.prefer_newer)
        both = o.pull == o.push  # neither or both: pull then push
        opts = SyncOptions(pull=both or o.pull, push=both or o.push, dry_run=o.dry_run,
                           policy=policy, create_only=o.create_only,
                           update_refs=o.update_refs, state=check_state(o.state))
        report = api.sync(ctx.store, tracker, opts, progress=ctx.progress())
        if ctx.json:
            ctx.out.json(report.to_dict())
            return 0
        for line in _report_lines(report.to_dict()):
            ctx.out.line(line)
        return 0
    return run


def _report_lines(r: dict[str, Any]) -> list[str]:
    pre = "(dry run) " if r["dry_run"] else ""
    name = NAMES[r["tracker"]]
    out = [f"{pre}{name} {r['target']}: fetched {plural(r['fetched'], 'issue')}"
           + (" changed since the last sync" if r["incremental"] else "")]
    for verb, key in (("Pulled", "pulled"), ("Pushed", "pushed")):
        made, updated = r[key]["created"], r[key]["updated"]
        if made or updated:
            out.append(f"{pre}{verb}: {len(made)} created, {len(updated)} updated"
                       + (f" ({', '.join((made + updated)[:10])}"
                          f"{', ...' if len(made) + len(updated) > 10 else ''})"))
    if r["comments"]["pulled"] or r["comments"]["pushed"]:
        out.append(f"{pre}Comments: {r['comments']['pulled']} pulled, "
                   f"{r['comments']['pushed']} pushed")
    if r["refs_updated"]:
        out.append(f"{pre}external_ref written: {', '.join(r['refs_updated'])}")
    if r["conflicts"]:
        n = len({c["issue"] for c in r["conflicts"]})
        out.append(f"{pre}{plural(n, 'issue')} changed on both sides, settled by "
                   f"--prefer-{r['policy']}:")
        for c in r["conflicts"]:
            out.append(f"  {c['issue']} {c['field']}: kept {_short(c['kept'])}, dropped the "
                       f"{c['dropped_from']} {_short(c['dropped'])} ({c['external_ref']})")
    if r["recovered_from_journal"]:
        out.append(f"Recovered {plural(r['recovered_from_journal'], 'write')} of an "
                   "interrupted sync")
    for s in r["skipped"]:
        out.append(f"Skipped {s}")
    for w in r["warnings"]:
        out.append(f"Warning: {w}")
    if not r["changed"]:
        out.append("Nothing to sync")
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _status(tracker: str) -> Any:
    def run(ctx: Context, o: Values) -> int:
        from bd.trackers import api

        st = api.status(ctx.store, tracker)
        if ctx.json:
            ctx.out.json(st)
            return 0
        ctx.out.line(f"{NAMES[tracker]}: {st['target'] or '(no target configured)'}")
        ctx.out.line(f"  configured:   {'yes' if st['configured'] else 'no'}")
        for p in st["problems"]:
            ctx.out.line(f"    - {p}")
        ctx.out.line(f"  last sync:    {st['last_sync'] or 'never'}")
        ctx.out.line(f"  linked:       {st['linked']}")
        ctx.out.line(f"  not pushed:   {st['not_pushed']}")
        if st["interrupted_run"]:
            ctx.out.line("  an interrupted sync left a journal; the next sync completes it")
        return 0
    return run


for _name, _display in NAMES.items():
    command(f"{_name} sync", f"Two-way sync with {_display} (pull, then push)",
            opts=SYNC_OPTS)(_sync(_name))
    command(f"{_name} status", f"Show the {_display} sync state (no network)")(_status(_name))


@command("linear teams", "List the Linear teams the API key can see (id, key, name)")
def _linear_teams(ctx: Context, o: Values) -> int:
    from bd.trackers import api

    teams = api.linear_teams(ctx.store)
    if ctx.json:
        ctx.out.json(teams)
        return 0
    if not teams:
        ctx.out.line("No teams")
    for t in teams:
        ctx.out.line(f"{t['key']:<8} {t['id']}  {t['name']}")
    return 0
