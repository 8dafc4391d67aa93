"""Fuzzing the command line with hostile arguments and hostile data.

Every command either succeeds or fails with a one-line error and exit 1 or 2 (never a
traceback, never exit 3, "this is a bd bug"), and a command that fails leaves
``.beads/issues.jsonl`` byte for byte as it was.  Most examples run ``bd.cli.main`` in
process (fuzzkit.run_main); a few go through a real ``python -m bd`` subprocess, which is
what carries arguments as bytes and prints through a real terminal encoding.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import bd, bdj, make_repo
from fuzzkit import IDS, argv_text, assert_clean, fuzz_settings, jsonl_files, run_main, valid_files
from hypothesis import event, given
from hypothesis import strategies as st

JSONL = Path(".beads") / "issues.jsonl"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace for a test's examples (they only add issues to it)."""
    root = make_repo(tmp_path_factory.mktemp("fuzzcli") / "repo")
    for title in ("alpha", "beta"):
        bd("create", title, "--silent", cwd=root)
    return root


def ids_of(root: Path) -> list[str]:
    data = (root / JSONL).read_bytes()
    return [json.loads(line)["id"] for line in data.splitlines() if line.strip()]


def run_checked(root: Path, args: list[str], stdin: bytes = b"") -> Any:
    """Run a command; assert it is clean, and that a failure changed nothing."""
    before = (root / JSONL).read_bytes()
    res = run_main(args, root, stdin)
    event(f"exit {res.returncode}")  # --hypothesis-show-statistics: how often commands fail
    assert_clean(res, args)
    if res.returncode != 0:
        assert (root / JSONL).read_bytes() == before, f"failing bd {args!r} changed the JSONL"
    flags = args[:args.index("--")] if "--" in args else args
    command = next((a for a in flags if not a.startswith("-")), None)
    if "--json" in flags and res.stdout.strip() and command != "export":
        json.loads(res.stdout)  # --json always prints one JSON document (export: JSONL)
    return res


# -- free text in every argument that takes it ------------------------------------------------

TEXT_OPTS = ["--description", "--design", "--acceptance", "--notes", "--assignee",
             "--external-ref", "--labels", "--title"]


@fuzz_settings(300)
@given(title=argv_text, opts=st.dictionaries(st.sampled_from(TEXT_OPTS), argv_text, max_size=3),
       json_out=st.booleans())
def test_create_with_any_text_round_trips_or_fails_cleanly(ws: Path, title: str,
                                                           opts: dict[str, str],
                                                           json_out: bool) -> None:
    if "--title" in opts:
        opts["--title"] = title  # the flag and the argument must agree
    args = ["create", "--", title] if title.startswith("-") else ["create", title]
    args = args[:1] + [x for k, v in opts.items() for x in (f"{k}={v}",)] + args[1:]
    res = run_checked(ws, [*args, "--json"] if json_out else [*args, "--silent"])
    if res.returncode != 0:
        return
    rid = json.loads(res.stdout)["id"] if json_out else res.stdout.strip()
    shown = json.loads(run_checked(ws, ["show", rid, "--json"]).stdout)[0]
    assert shown["title"] == title
    for flag, key in (("--description", "description"), ("--design", "design"),
                      ("--notes", "notes"), ("--acceptance", "acceptance_criteria"),
                      ("--assignee", "assignee"), ("--external-ref", "external_ref")):
        if opts.get(flag) and not (flag == "--description" and opts[flag] == "-"):  # stdin
            assert shown[key] == opts[flag], key


UPDATE_TEXT = ["--title", "--notes", "--append-notes", "--design", "--acceptance",
               "--assignee", "--external-ref", "--description", "--add-label", "--remove-label",
               "--set-labels", "--status", "--type", "--priority", "--parent", "--estimate",
               "--due", "--defer"]


@fuzz_settings(300)
@given(flag=st.sampled_from(UPDATE_TEXT), value=argv_text, json_out=st.booleans())
def test_update_with_any_value_is_clean(ws: Path, flag: str, value: str, json_out: bool) -> None:
    rid = ids_of(ws)[0]
    args = ["update", rid, f"{flag}={value}"] + (["--json"] if json_out else [])
    res = run_checked(ws, args)
    if res.returncode == 0 and flag in ("--title", "--notes", "--design", "--assignee"):
        shown = json.loads(run_checked(ws, ["show", rid, "--json"]).stdout)[0]
        key = {"--title": "title", "--notes": "notes", "--design": "design",
               "--assignee": "assignee"}[flag]
        assert shown.get(key, "") == value


@fuzz_settings(300)
@given(cmd=st.sampled_from([
    ["close", "{id}", "--reason", "{x}"], ["reopen", "{id}", "--reason", "{x}"],
    ["comments", "add", "{id}", "{x}"], ["comment", "{id}", "{x}"],
    ["comments", "add", "{id}", "{x}", "--author", "{x}"],
    ["label", "add", "{id}", "{x}"], ["label", "remove", "{id}", "{x}"],
    ["dep", "add", "{id}", "{x}"], ["dep", "add", "{id}", "{id2}", "--type", "{x}"],
    ["dep", "remove", "{id}", "{x}"], ["delete", "{id}", "--reason", "{x}"],
    ["defer", "{id}", "--until", "{x}"], ["create", "t", "--due", "{x}"],
    ["create", "t", "--defer", "{x}"], ["create", "t", "--id", "{x}"],
    ["create", "t", "--parent", "{x}"], ["create", "t", "--deps", "{x}"],
    ["create", "t", "--type", "{x}"], ["create", "t", "--priority", "{x}"],
    ["create", "t", "--waits-for", "{x}"], ["q", "{x}"], ["config", "set", "{x}", "{x}"],
    ["config", "set", "actor", "{x}"], ["config", "get", "{x}"], ["config", "unset", "{x}"],
    ["--actor", "{x}", "create", "by actor"], ["list", "--label", "{x}"],
    ["list", "--assignee", "{x}"], ["list", "--title-contains", "{x}"], ["search", "{x}"],
    ["ready", "--label-any", "{x}"], ["list", "--status", "{x}"], ["list", "--type", "{x}"],
    ["list", "--sort", "{x}"], ["ready", "--sort", "{x}"], ["list", "--id", "{x}"],
    ["count", "--desc-contains", "{x}"], ["export", "--status", "{x}"],
    ["dep", "relate", "{id}", "{x}"], ["stale", "--status", "{x}"],
    ["sync", "--dry-run", "--no-pull", "--no-push", "-m", "{x}"],
]), value=argv_text, json_out=st.booleans())
def test_every_free_text_argument_is_clean(ws: Path, cmd: list[str], value: str,
                                           json_out: bool) -> None:
    first, second = ids_of(ws)[:2]
    args = [a.replace("{id}", first).replace("{id2}", second).replace("{x}", value)
            for a in cmd]
    if value.startswith("-") and cmd[-1] == "{x}" and cmd[0] != "config":
        args.insert(len(args) - 1, "--")
    run_checked(ws, (["--json"] if json_out else []) + args)  # global flags: before --
    run_checked(ws, ["list", "--json"])
    run_checked(ws, ["config", "list"])


# -- ids and time expressions ---------------------------------------------------------------

id_args = st.one_of(argv_text, st.sampled_from(IDS), st.from_regex(r"t-[a-z0-9.]{0,6}",
                                                                     fullmatch=True))


@fuzz_settings(200)
@given(cmd=st.sampled_from([["show"], ["update", "--notes", "n"], ["close"], ["reopen"],
                            ["label", "add", "-", "x"], ["dep", "tree"], ["dep", "list"],
                            ["comments"], ["children"], ["delete", "--force"],
                            ["show", "--short"], ["dep", "add", "t-a"], ["defer"],
                            ["list", "--parent"], ["ready", "--parent"],
                            ["list", "--id"], ["blocked", "--parent"]]),
       rid=id_args, json_out=st.booleans())
def test_any_id_is_found_or_a_clean_not_found(ws: Path, cmd: list[str], rid: str,
                                              json_out: bool) -> None:
    if cmd[:2] == ["label", "add"]:
        args = ["label", "add", "--", rid, "x"]
    else:
        args = [*cmd, "--", rid] if not cmd[-1].startswith("--") else [
            *cmd[:-1], f"{cmd[-1]}={rid}"]
    run_checked(ws, (["--json"] if json_out else []) + args)


time_args = st.one_of(argv_text, st.sampled_from(
    ["+6h", "tomorrow", "next monday", "2025-01-15", "9999-12-31", "0001-01-01",
     "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "+99999999999999999999d",
     "in 999999999 years", "-5y", "2300-01-01", "1600-01-01", "now"]))


@fuzz_settings(200)
@given(flag=st.sampled_from(["--due", "--defer", "--created-after", "--created-before",
                             "--updated-after", "--due-before", "--defer-after",
                             "--closed-before", "stale-days", "defer-until"]),
       value=time_args)
def test_time_flags_take_any_expression(ws: Path, flag: str, value: str) -> None:
    rid = ids_of(ws)[0]
    if flag in ("--due", "--defer"):
        run_checked(ws, ["create", "timed", f"{flag}={value}", "--json"])
        run_checked(ws, ["update", rid, f"{flag}={value}"])
        run_checked(ws, ["ready", "--json"])
        run_checked(ws, ["list", "--overdue", "--json"])
    elif flag == "stale-days":
        run_checked(ws, ["stale", f"--days={value}", "--json"])
    elif flag == "defer-until":
        run_checked(ws, ["defer", rid, f"--until={value}"])
        run_checked(ws, ["undefer", rid])
    else:
        run_checked(ws, ["list", f"{flag}={value}", "--json"])
        run_checked(ws, ["count", f"{flag}={value}"])


@fuzz_settings(100)
@given(days=st.integers(-(2**70), 2**70), limit=st.integers(-(2**70), 2**70))
def test_numeric_flags_take_any_number(ws: Path, days: int, limit: int) -> None:
    run_checked(ws, ["stale", "--days", str(days), "--limit", str(limit), "--json"])
    run_checked(ws, ["ready", "--limit", str(limit), "--json"])
    run_checked(ws, ["list", "--limit", str(limit)])
    run_checked(ws, ["create", "est", "--estimate", str(days), "--json"])
    run_checked(ws, ["dep", "tree", ids_of(ws)[0], "--max-depth", str(limit)])


# -- hostile data: every reader over odd-but-valid records ----------------------------------

READERS = [["list"], ["list", "--all", "--long"], ["ready"], ["blocked"], ["stats"],
           ["count", "--by-status", "--by-label"], ["search", "a"], ["stale", "--days", "0"],
           ["label", "list-all"], ["dep", "cycles"], ["epic", "status"], ["export"],
           ["validate"], ["detect-pollution"], ["repair-deps"], ["prime"], ["info"],
           ["list", "--sort", "title"], ["list", "--sort", "assignee"]]
PER_ISSUE = [["show"], ["show", "--short"], ["show", "--refs"], ["dep", "tree"],
             ["dep", "tree", "--direction", "both"], ["dep", "list"], ["comments"],
             ["label", "list"], ["children"]]
WRITERS = [["update", "--notes", "n"], ["update", "--append-notes", "n"],
           ["update", "--add-label", "l"], ["update", "--claim"], ["close"], ["reopen"],
           ["label", "add", "{id}", "x"], ["comments", "add", "{id}", "hi"],
           ["dep", "add", "{id}", "t-a"], ["update", "--parent", "t-a"],
           ["delete", "--force"], ["defer"], ["update", "--status", "in_progress"]]


@fuzz_settings(60)
@given(data=valid_files(ids=IDS[:6]), json_out=st.booleans(), pick=st.randoms())
def test_every_command_reads_odd_but_valid_records(tmp_path_factory: Any, data: bytes,
                                                   json_out: bool, pick: Any) -> None:
    root = tmp_path_factory.mktemp("odd")
    beads = root / ".beads"
    beads.mkdir()
    (beads / "config.yaml").write_text('issue-prefix: "t"\n')
    (beads / "issues.jsonl").write_bytes(data)
    flag = ["--json"] if json_out else []
    for args in READERS:
        run_checked(root, args + flag)
    rids = ids_of(root)
    for rid in rids:
        for args in pick.sample(PER_ISSUE, 3):
            run_checked(root, [*args, rid, *flag])
    for rid in rids:
        args = pick.choice(WRITERS)
        if "{id}" in args:
            run_checked(root, [a.replace("{id}", rid) for a in args] + flag)
        else:
            run_checked(root, [*args, rid, *flag])
        run_checked(root, ["list", "--all", *flag])


# -- through a real process: argv bytes, terminal encodings ---------------------------------

@fuzz_settings(6)
@given(title=argv_text.filter(lambda s: s.strip() and not s.startswith("-")),
       notes=argv_text)
def test_any_text_round_trips_through_a_real_process(ws: Path, title: str, notes: str) -> None:
    # --notes=VALUE: a value that is itself a global flag (--json) or -h needs the = form
    got = bdj("create", title, f"--notes={notes}", cwd=ws)
    shown = bdj("show", got["id"], cwd=ws)[0]
    assert shown["title"] == title and shown.get("notes", "") == notes
    human = bd("show", got["id"], cwd=ws)
    assert human.returncode == 0 and got["id"] in human.stdout


def test_bytes_that_are_not_utf8_in_arguments_become_replacement_characters(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    root = make_repo(tmp_path / "r")
    before = (root / JSONL).read_bytes()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    proc = subprocess.run([sys.executable, "-m", "bd", "create", b"bad \xff title", "--notes",
                           b"\xc3", "--json"], cwd=root, capture_output=True, env=env,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["title"] == "bad \ufffd title" and rec["notes"] == "\ufffd"
    assert (root / JSONL).read_bytes() != before
    for args in ([b"show", b"\xff"], [b"list", b"--assignee", b"\xfe"],
                 [b"label", b"add", rec["id"].encode(), b"\xff"]):
        proc = subprocess.run([sys.executable, "-m", "bd", *args], cwd=root,
                              capture_output=True, env=env, timeout=60)
        assert proc.returncode in (0, 1) and b"bd bug" not in proc.stderr, proc.stderr
    env["BD_ACTOR"] = "actor-\udcff"  # an environment variable that is not UTF-8
    proc = subprocess.run([sys.executable, "-m", "bd", "create", "by env", "--json"],
                          cwd=root, capture_output=True, timeout=60,
                          env={k: v.encode("utf-8", "surrogateescape") for k, v in env.items()})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["created_by"] == "actor-\ufffd"


# -- files the CLI is handed: merge driver inputs, import files, markdown -------------------

@fuzz_settings(150)
@given(base=jsonl_files(ids=IDS[:4]), left=jsonl_files(ids=IDS[:4]),
       right=jsonl_files(ids=IDS[:4]), strict=st.booleans())
def test_the_merge_driver_cli_on_hostile_files(tmp_path_factory: Any, base: bytes, left: bytes,
                                               right: bytes, strict: bool) -> None:
    d = tmp_path_factory.mktemp("merge")
    for name, data in (("base", base), ("left", left), ("right", right)):
        (d / name).write_bytes(data)
    args = ["merge", str(d / "left"), str(d / "base"), str(d / "left"), str(d / "right")]
    res = run_main(args + (["--strict"] if strict else []), d)
    event(f"exit {res.returncode}")
    assert_clean(res, args)
    if res.returncode == 2:  # the driver's "could not merge": git keeps the conflict
        assert (d / "left").read_bytes() == left and res.stderr.count("\n") == 1, res
    res = run_main(["resolve-conflicts", "--file", str(d / "right"), "--json"], d)
    assert_clean(res, ["resolve-conflicts"])


@fuzz_settings(150)
@given(data=jsonl_files(ids=IDS[:5]), via_stdin=st.booleans(),
       flags=st.sampled_from([[], ["--force"], ["--dry-run"], ["--skip-existing"]]))
def test_import_of_hostile_files(ws: Path, data: bytes, via_stdin: bool,
                                 flags: list[str]) -> None:
    src = ws.parent / "import.jsonl"
    src.write_bytes(data)
    args = ["import", *flags, "--json"]
    if via_stdin:
        run_checked(ws, args, stdin=data)
    else:
        run_checked(ws, [*args, "-i", str(src)])
    run_checked(ws, ["list", "--all", "--json"])


markdown = st.lists(st.one_of(
    st.sampled_from(["## ", "### Priority", "### Type", "### Labels", "### Dependencies",
                     "### Description", "### Assignee", "### Acceptance Criteria", "## Title"]),
    argv_text, st.tuples(st.sampled_from(["## ", "### "]), argv_text).map("".join)),
    max_size=12).map("\n".join)


@fuzz_settings(100)
@given(text=markdown)
def test_create_from_a_hostile_markdown_file(ws: Path, text: str) -> None:
    path = ws.parent / "issues.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run_checked(ws, ["create", "--file", str(path), "--json"])
