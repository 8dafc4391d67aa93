"""init, version, info, where and config."""

from __future__ import annotations

import os

from bd.cli import VERSION, Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import UsageError

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


def _init(ctx: Context, o: Values) -> int:
    from bd.git.initmodes import InitOptions, init

    modes = [m for m in ("stealth", "contributor", "team") if o.get(m)]
    if len(modes) > 1:
        raise UsageError("--stealth, --contributor and --team exclude each other")
    if o.get("branch") and modes and modes[0] != "team":
        raise UsageError(f"--branch cannot be combined with --{modes[0]}")
    if o.planning_repo and modes != ["contributor"]:
        raise UsageError("--planning-repo needs --contributor")
    result = init(os.getcwd(), InitOptions(
        prefix=o.prefix, mode=modes[0] if modes else "team", force=o.force,
        skip_hooks=o.skip_hooks, skip_merge_driver=o.skip_merge_driver,
        planning_repo=o.planning_repo, branch=o.get("branch"), actor=ctx.flags.get("actor"),
        nested=o.nested))
    if o.setup_exclude:
        from bd.git import runner
        from bd.git.initmodes import add_exclude

        top = runner.try_toplevel(os.getcwd())
        if top is None:
            raise UsageError("--setup-exclude needs a git repository")
        rel = os.path.relpath(result["path"], top).replace(os.sep, "/")
        if add_exclude(top, f"/{rel}/"):
            result["actions"].append(f"excluded {rel}/ in .git/info/exclude")
    ctx.mark_setup_seen(result["path"])
    if ctx.json:
        ctx.out.json({k: v for k, v in result.items() if k != "hooks"})
        return 0
    for warning in result["warnings"]:
        ctx.out.warn(warning)
    if ctx.quiet or o.quiet:
        return 0
    prefix = result["prefix"]
    ctx.out.line("✓ bd initialized successfully!")
    ctx.out.line(f"  Database: {os.path.join(result['path'], 'beads.db')} (cache of issues.jsonl)")
    ctx.out.line(f"  Issue prefix: {prefix}")
    ctx.out.line(f"  Issues will be named: {prefix}-<hash> (e.g., {prefix}-a3f2dd)")
    if result["issue_count"]:
        ctx.out.line(f"  Loaded {result['issue_count']} existing issues from issues.jsonl")
    if result["mode"] != "team":
        ctx.out.line(f"  Mode: {result['mode']}")
    for action in result["actions"]:
        ctx.out.line(f"  • {action}")
    hooks = result.get("hooks")
    if hooks and hooks.get("snippet"):
        ctx.out.line(f"\nAdd bd's hooks to {os.path.basename(hooks['manager']['config'])}:\n")
        ctx.out.line(hooks["snippet"].rstrip("\n"))
    ctx.out.line("Run bd quickstart to get started.")
    return 0


command("init", "Initialize bd in the current directory", opts=[
    opt("prefix", "-p", "--prefix", help="Issue id prefix (default: directory name)"),
    opt("quiet", "--quiet-init", type=bool, help="Print nothing but warnings"),
    opt("branch", "-b", "--branch",
        help="Sync-branch mode: commit issues to this branch, not the current one"),
    opt("force", "--force", type=bool,
        help="Re-run init in an initialized workspace (existing issues are kept)"),
    opt("team", "--team", type=bool,
        help="Team mode (the default): the JSONL is committed with the code, merge driver "
             "and hooks set up"),
    opt("stealth", "--stealth", type=bool,
        help="Local only: nothing is committed, .beads/ is excluded in .git/info/exclude, "
             "no hooks"),
    opt("contributor", "--contributor", type=bool,
        help="Keep planning in a separate repository (~/.beads-planning/<project>); the "
             "project only gets an excluded .beads/redirect"),
    opt("planning_repo", "--planning-repo", metavar="PATH",
        help="With --contributor: where the planning repository lives"),
    opt("skip_hooks", "--skip-hooks", type=bool, help="Do not install the git hooks"),
    opt("skip_merge_driver", "--skip-merge-driver", type=bool,
        help="Do not register the merge driver or touch .gitattributes"),
    opt("from_jsonl", "--from-jsonl", type=bool,
        help="Accepted for compatibility: the existing .beads/issues.jsonl is always used"),
    opt("nested", "--nested", type=bool,
        help="Create a workspace inside another workspace's directory tree (bd commands "
             "there then use the inner one)"),
    opt("setup_exclude", "--setup-exclude", type=bool,
        help="Also list .beads/ in .git/info/exclude (a fork keeping its issues local)"),
])(_init)


@command("version", "Print the version",
         opts=[opt("daemon", "--daemon", type=bool,
                   help="The daemon's version: refused, bd has no daemon")])
def _version(ctx: Context, o: Values) -> int:
    if o.daemon:
        raise UsageError("bd has no daemon (every command reads the JSONL directly), so "
                         "there is no daemon version")
    from bd.version import DISTRIBUTION, PACKAGE_VERSION, version_line

    if ctx.json:
        ctx.out.json({"version": VERSION, "build": "python", "package": DISTRIBUTION,
                      "package_version": PACKAGE_VERSION})
    else:
        ctx.out.line(version_line())
    return 0


@command("where", "Show the active .beads directory")
def _where(ctx: Context, o: Values) -> int:
    store = ctx.store
    if ctx.json:
        ctx.out.json({"path": store.beads_dir, "jsonl": store.jsonl_path,
                      "database": store.db_path})
    else:
        ctx.out.line(store.beads_dir)
    return 0


@command("info", "Show workspace information", opts=[
    opt("schema", "--schema", type=bool, help="Include the cache schema"),
    opt("whats_new", "--whats-new", type=bool,
        help="Agent-relevant changes of recent versions"),
    opt("thanks", "--thanks", type=bool, help="Who bd owes its design to"),
])
def _info(ctx: Context, o: Values) -> int:
    if o.whats_new or o.thanks:
        from bd.core import whatsnew

        if o.whats_new and o.thanks:
            raise UsageError("--whats-new and --thanks cannot be combined")
        if o.thanks:
            ctx.out.json({"thanks": whatsnew.THANKS}) if ctx.json else \
                ctx.out.line(f"\n{whatsnew.THANKS}\n")
            return 0
        if ctx.json:
            ctx.out.json({"current_version": VERSION, "recent_changes": whatsnew.CHANGES})
            return 0
        ctx.out.line(f"\n🆕 What's New in bd (Current: v{VERSION})")
        ctx.out.line("=" * 61 + "\n")
        for vc in whatsnew.CHANGES:
            mark = " ← current" if vc["version"] == VERSION else ""
            ctx.out.line(f"## v{vc['version']} ({vc['date']}){mark}\n")
            for change in vc["changes"]:  # type: ignore[attr-defined]
                ctx.out.line(f"  • {change}")
            ctx.out.line("")
        return 0
    store = ctx.store
    count = store.count_live()
    info: dict[str, Any] = {
        "database_path": store.db_path, "jsonl_path": store.jsonl_path,
        "beads_dir": store.beads_dir, "mode": "direct", "daemon_connected": False,
        "issue_count": count, "config": dict(store.config), "version": VERSION,
    }
    if o.schema:
        from bd.cli.output import schema_json
        from bd.ops.maintenance import schema_info

        info["schema"] = schema_json(schema_info(store, VERSION))
    if ctx.json:
        ctx.out.json(info)
    else:
        ctx.out.line(f"Beads directory: {store.beads_dir}")
        ctx.out.line(f"JSONL (truth):  {store.jsonl_path}")
        ctx.out.line(f"Cache:          {store.db_path}")
        ctx.out.line(f"Issues:         {count}")
        ctx.out.line(f"Prefix:         {store.prefix}")
        if o.schema:
            ctx.out.line("Tables:         " + ", ".join(info["schema"]["tables"]))
            ctx.out.line("Sample ids:     " + ", ".join(info["schema"]["sample_issue_ids"]))
    return 0


def _config_path(ctx: Context) -> str:
    return ctx.store.config_path


@command("config get", "Get a config value", args=[arg("key")])
def _config_get(ctx: Context, o: Values) -> int:
    from bd.store import config as cfgmod

    key = cfgmod.canonical_key(o.key)
    value = ctx.store.config.get(key)
    if ctx.json:
        ctx.out.json({"key": key, "value": value, "location": "config.yaml"})
    else:
        ctx.out.line(f"{key} (not set)" if value is None else str(value))
    return 0


@command("config set", "Set a config value (in .beads/config.yaml)",
         args=[arg("key"), arg("value")])
def _config_set(ctx: Context, o: Values) -> int:
    from bd.store import config as cfgmod

    key = cfgmod.canonical_key(o.key)
    with ctx.store.lock:
        cfgmod.set_value(_config_path(ctx), key, o.value)
    if ctx.json:
        ctx.out.json({"key": key, "value": o.value, "location": "config.yaml"})
    else:
        ctx.out.line(f"Set {key} = {o.value} (in config.yaml)")
    return 0


@command("config unset", "Remove a config value", args=[arg("key")])
def _config_unset(ctx: Context, o: Values) -> int:
    from bd.store import config as cfgmod

    key = cfgmod.canonical_key(o.key)
    with ctx.store.lock:
        cfgmod.set_value(_config_path(ctx), key, None)
    if ctx.json:
        ctx.out.json({"key": key, "unset": True})
    else:
        ctx.out.line(f"Unset {key}")
    return 0


@command("config list", "List config values")
def _config_list(ctx: Context, o: Values) -> int:
    cfg = dict(sorted(ctx.store.config.items()))
    if ctx.json:
        ctx.out.json(cfg)
    else:
        for key, value in cfg.items():
            ctx.out.line(f"{key} = {value}")
    return 0
