"""init, version, info, where and config."""

from __future__ import annotations

import json
import os
TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any

from bd.cli import VERSION, Context
from bd.cli.registry import Values, arg, command, opt
from bd.errors import BdError

GITIGNORE = """\
# bd: the SQLite cache and runtime files are local; issues.jsonl and config.yaml are shared.
*.db
*.db?*
*.db-journal
*.db-wal
*.db-shm
*.corrupt*
.bd.lock
.*.tmp
daemon.lock
daemon.log
daemon.pid
bd.sock
sync-state.json
last-touched
.local_version
db.sqlite
bd.db
redirect
beads.base.jsonl
beads.base.meta.json
beads.left.jsonl
beads.left.meta.json
beads.right.jsonl
beads.right.meta.json
"""

README = """\
# .beads

This folder holds the issues of this project, tracked by bd (beads).
`issues.jsonl` is the source of truth (one issue per line, committed with the code);
`beads.db` is a local cache rebuilt from it whenever needed. Start with `bd quickstart`
or `bd ready`.
"""


def _init(ctx: Context, o: Values) -> int:
    from bd import config as cfgmod
    from bd.jsonl import atomic_write
    from bd.store import Store

    cwd = os.getcwd()
    if os.path.basename(cwd) == ".beads":
        raise BdError("cannot initialize bd inside a .beads directory")
    beads = os.path.join(cwd, ".beads")
    cfg_path = os.path.join(beads, "config.yaml")
    if os.path.exists(cfg_path) and not o.force:
        raise BdError(f"this workspace is already initialized ({cfg_path}); "
                      "use --force to re-run init")
    os.makedirs(beads, exist_ok=True)
    jsonl_path = os.path.join(beads, "issues.jsonl")
    prefix = (o.prefix or os.environ.get("BD_ISSUE_PREFIX") or "").rstrip("-")
    if not prefix and os.path.exists(jsonl_path):
        store = Store(beads)
        prefix = store._detect_prefix() or ""
        store.close()
    prefix = prefix or os.path.basename(cwd).rstrip("-") or "bd"
    if not os.path.exists(jsonl_path):
        atomic_write(jsonl_path, b"")
    for name, text in ((".gitignore", GITIGNORE), ("README.md", README)):
        path = os.path.join(beads, name)
        if not os.path.exists(path):
            atomic_write(path, text.encode())
    meta = os.path.join(beads, "metadata.json")
    if not os.path.exists(meta):
        atomic_write(meta, json.dumps({"database": "beads.db", "jsonl_export": "issues.jsonl"},
                                      indent=2).encode())
    if not os.path.exists(cfg_path):
        body = f"issue-prefix: {json.dumps(prefix)}"
        atomic_write(cfg_path, cfgmod.TEMPLATE.format(body=body).encode())
    else:
        cfgmod.set_value(cfg_path, "issue-prefix", prefix)
    if o.branch:
        cfgmod.set_value(cfg_path, "sync.branch", o.branch)
    store = Store(beads, actor=ctx.flags.get("actor"))
    # Always builds .beads/beads.db: clients such as beads-mcp find a workspace by .beads/*.db.
    count = len(store.list_ids())
    store.close()
    if ctx.json:
        ctx.out.json({"initialized": True, "path": beads, "prefix": prefix,
                      "issue_count": count})
    elif not ctx.quiet and not o.quiet:
        ctx.out.line("✓ bd initialized successfully!")
        ctx.out.line(f"  Database: {os.path.join(beads, 'beads.db')} (cache of issues.jsonl)")
        ctx.out.line(f"  Issue prefix: {prefix}")
        ctx.out.line(f"  Issues will be named: {prefix}-<hash> (e.g., {prefix}-a3f2dd)")
        if count:
            ctx.out.line(f"  Loaded {count} existing issues from issues.jsonl")
        ctx.out.line("Run bd quickstart to get started.")
    return 0


command("init", "Initialize bd in the current directory", opts=[
    opt("prefix", "-p", "--prefix", help="Issue id prefix (default: directory name)"),
    opt("quiet", "--quiet-init", type=bool, hidden=True),
    opt("branch", "-b", "--branch", help="Sync branch for protected branches"),
    opt("force", "--force", type=bool, help="Re-run init in an initialized workspace"),
    opt("skip_hooks", "--skip-hooks", type=bool, help="Accepted for compatibility"),
    opt("skip_merge_driver", "--skip-merge-driver", type=bool,
        help="Accepted for compatibility"),
    opt("stealth", "--stealth", type=bool, hidden=True),
    opt("from_jsonl", "--from-jsonl", type=bool, help="Use the existing .beads/issues.jsonl"),
    opt("contributor", "--contributor", type=bool, hidden=True),
    opt("team", "--team", type=bool, hidden=True),
    opt("setup_exclude", "--setup-exclude", type=bool, hidden=True),
])(_init)


@command("version", "Print the version",
         opts=[opt("daemon", "--daemon", type=bool, hidden=True)])
def _version(ctx: Context, o: Values) -> int:
    if ctx.json:
        ctx.out.json({"version": VERSION, "build": "python"})
    else:
        ctx.out.line(f"bd version {VERSION} (python)")
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
    opt("whats_new", "--whats-new", type=bool, hidden=True),
    opt("thanks", "--thanks", type=bool, hidden=True),
])
def _info(ctx: Context, o: Values) -> int:
    store = ctx.store
    conn = store.cache().conn
    count = conn.execute("SELECT count(*) FROM issues WHERE status != 'tombstone'").fetchone()[0]
    info: dict[str, Any] = {
        "database_path": store.db_path, "jsonl_path": store.jsonl_path,
        "beads_dir": store.beads_dir, "mode": "direct", "daemon_connected": False,
        "issue_count": count, "config": dict(store.config), "version": VERSION,
    }
    if o.schema:
        from bd.cli.output import schema_json
        from bd.maintenance import schema_info

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
    from bd import config as cfgmod

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
    from bd import config as cfgmod

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
    from bd import config as cfgmod

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
