"""Named hostile inputs, each through the real CLI: shell metacharacters, control and
bidirectional characters, NUL, huge text, malformed and wrongly typed JSONL, symbolic links,
paths that lead nowhere, and git hooks that must never hand issue text to a shell.

Every failing command must exit 1 or 2 with one line (no traceback, no "bd bug") and leave
``.beads/issues.jsonl`` byte for byte unchanged.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import bd, bdj, git, jsonl_path, make_repo

GOOD = (b'{"id":"t-0","title":"fine","created_at":"2025-01-01T00:00:00Z",'
        b'"updated_at":"2025-01-01T00:00:00Z"}\n')


def fails_cleanly(proc: subprocess.CompletedProcess[str], *codes: int) -> str:
    """The one-line error of a command that had to fail (exit 1 or 2, or ``codes``)."""
    allowed = codes or (1, 2)
    text = proc.stderr + proc.stdout
    assert proc.returncode in allowed, f"exit {proc.returncode}: {text}"
    assert "Traceback" not in text and "bd bug" not in text, text
    return text


def failing(root: Path, *args: str, codes: tuple[int, ...] = (), env: dict[str, str] | None
            = None) -> str:
    """Run a command that must fail cleanly without touching the JSONL; its message."""
    path = jsonl_path(root)
    before = path.read_bytes() if path.exists() else None
    text = fails_cleanly(bd(*args, cwd=root, check=False, env=env), *codes)
    assert (path.read_bytes() if path.exists() else None) == before, f"bd {args} changed it"
    return text


# -- text that a shell, a terminal or a parser would treat specially -------------------------

TITLES = [
    "$(touch {marker})", "`touch {marker}`", "a; touch {marker}", "a | touch {marker}",
    "a && touch {marker} || true", "${{IFS}}$(touch${{IFS}}{marker})", "line one\nline two",
    "tab\there\r\nand CRLF", "\u202eevil\u202c txt.exe", "rtl \u200f\u05e9\u05dc\u05d5\u05dd",
    "emoji 😀 👩\u200d👩\u200d👧 \U0010ffff", "<script>&amp;</script>", "\x1b[31mred\x1b[0m",
    "'single' \"double\" \\back\\slash", "-starts-with-dash", "--json", "%s %n {{0}}",
    "\u2028line\u2029para\x85nel", "\ufeffbom", "  padded  ",
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("hostile") / "repo")


@pytest.mark.parametrize("template", TITLES)
def test_titles_round_trip_exactly_and_never_reach_a_shell(ws: Path, template: str) -> None:
    marker = ws.parent / "pwned"
    title = template.format(marker=marker)
    notes = "notes " + title
    # --title=VALUE: global flags such as --json are taken wherever they stand (before --)
    rec = bdj("create", f"--title={title}", f"--notes={notes}", "--labels", "x", cwd=ws)
    line = next(json.loads(x) for x in jsonl_path(ws).read_bytes().split(b"\n")
                if x and json.loads(x)["id"] == rec["id"])
    assert line["title"] == title and line["notes"] == notes
    shown = bdj("show", rec["id"], cwd=ws)[0]
    assert shown["title"] == title and shown["notes"] == notes
    human = bd("show", rec["id"], cwd=ws)
    assert rec["id"] in human.stdout
    bd("list", cwd=ws)
    bd("search", "--", title[:5], cwd=ws)
    bd("update", rec["id"], f"--notes={title}", cwd=ws)
    assert bdj("show", rec["id"], cwd=ws)[0]["notes"] == title
    assert not marker.exists()


@pytest.mark.parametrize("rid", ["t-$(touch {marker})", "t-`touch {marker}`", "t-a;b", "t-a|b",
                                 "t-\u202eab", "t-😀", "t-a\nb", "t-a b", "t-\"q\"", "t-a\\b",
                                 "$(touch {marker})", "t-" + "x" * 300])
def test_ids_with_metacharacters_are_refused_or_round_trip(ws: Path, rid: str) -> None:
    marker = ws.parent / "pwned"
    rid = rid.format(marker=marker)
    proc = bd("create", "odd id", "--id", rid, "--json", cwd=ws, check=False)
    if proc.returncode == 0:
        assert json.loads(proc.stdout)["id"] == rid
        assert bdj("show", rid, cwd=ws)[0]["id"] == rid
        bd("close", rid, cwd=ws)
    else:
        fails_cleanly(proc)
    for args in (["show", rid], ["update", rid, "--notes", "x"], ["dep", "add", rid, rid],
                 ["close", rid], ["label", "add", rid, "x"], ["comments", "add", rid, "hi"]):
        proc = bd(*args, cwd=ws, check=False)
        if proc.returncode:
            fails_cleanly(proc)
    assert not marker.exists()


def test_show_of_junk_is_a_clean_not_found(ws: Path) -> None:
    for junk in ("", " ", "-", "t-", "..", "../../etc/passwd", "%", "_", "*", "t-%", "t-_",
                 "'; DROP TABLE issues; --", "\u202e", "x" * 10_000):
        text = failing(ws, "show", "--", junk)
        assert "\n" not in text.strip()


# -- NUL: through the library, a JSONL import and a file; argv cannot carry it --------------

def test_nul_round_trips_through_library_import_and_files(ws: Path, tmp_path: Path) -> None:
    import bd as bdlib
    from bd.ops import issues as ops

    with bdlib.open(str(ws)) as store:
        rec = ops.create(store, "nul\x00title", description="a\x00b", notes="\x00")
    assert b"nul\\u0000title" in jsonl_path(ws).read_bytes()
    shown = bdj("show", rec["id"], cwd=ws)[0]
    assert shown["title"] == "nul\x00title" and shown["description"] == "a\x00b"

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "t-nul1", "title": "imported\x00nul", "priority": 1,
                               "created_at": "2025-01-01T00:00:00Z",
                               "updated_at": "2025-01-01T00:00:00Z"}) + "\n")
    bd("import", "-i", str(src), cwd=ws)
    assert bdj("show", "t-nul1", cwd=ws)[0]["title"] == "imported\x00nul"

    body = tmp_path / "body.txt"
    body.write_bytes(b"before\x00after\xff\n")  # NUL and a byte that is not UTF-8
    rid = bd("create", "from file", "--body-file", str(body), "--silent", cwd=ws).stdout.strip()
    assert bdj("show", rid, cwd=ws)[0]["description"] == "before\x00after\ufffd\n"

    with pytest.raises(ValueError):  # the OS cannot pass NUL in argv: nothing to handle
        subprocess.run([sys.executable, "-m", "bd", "create", "a\x00b"], cwd=ws)


# -- huge text ---------------------------------------------------------------------------------

def test_ten_megabyte_descriptions_from_a_file_and_stdin(ws: Path, tmp_path: Path) -> None:
    big = "".join(f"{i:09d} ünïcode \u202e😀\n" for i in range(400_000))[:10_000_000]
    path = tmp_path / "big.txt"
    path.write_text(big)
    a = bd("create", "big from file", "--body-file", str(path), "--silent", cwd=ws).stdout.strip()
    b = bd("create", "big from stdin", "-d", "-", "--silent", cwd=ws, input=big).stdout.strip()
    for rid in (a, b):
        assert bdj("show", rid, cwd=ws)[0]["description"] == big
    assert {a, b} <= {r["id"] for r in bdj("list", "--limit", "0", cwd=ws)}
    bd("list", "--long", cwd=ws)
    bd("search", "ünïcode", cwd=ws)
    bd("update", a, "--notes", "still works", cwd=ws)


def test_hundred_thousand_character_lines(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    long = "y" * 100_000
    jsonl_path(root).write_bytes(GOOD + json.dumps(
        {"id": "t-long", "title": "long", "description": long, "x_unknown": long,
         "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}).encode()
        + b"\n")
    assert bdj("show", "t-long", cwd=root)[0]["description"] == long
    bd("list", "--long", cwd=root)
    bd("close", "t-long", cwd=root)
    assert json.loads(jsonl_path(root).read_bytes().splitlines()[1])["x_unknown"] == long
    failing(root, "create", "x" * 100_000)  # a title has at most 500 bytes


# -- malformed JSONL: a clean error naming file and line, nothing written -------------------

BAD_LINES = {
    "deeply nested": b"[" * 100_000,
    "nested record": b'{"id":"t-a","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "title a number": b'{"id":"t-a","title":5}',
    "priority a word": b'{"id":"t-a","title":"x","priority":"high"}',
    "labels a string": b'{"id":"t-a","title":"x","labels":"x"}',
    "dependency not an object": b'{"id":"t-a","title":"x","dependencies":["t-0"]}',
    "comment without text": b'{"id":"t-a","title":"x","comments":[{"text":7}]}',
    "huge priority": b'{"id":"t-a","title":"x","priority":123456789012345678901234567890}',
    "two ids": b'{"id":"t-a","title":"x","id":"t-b"}',
    "NaN": b'{"id":"t-a","title":"x","estimate":NaN}',
    "lone surrogate": b'{"id":"t-a","title":"\\udc00"}',
    "not UTF-8": b'{"id":"t-a","title":"\xc3\x28"}',
    "conflict markers": b"<<<<<<< HEAD",
    "no id": b'{"title":"x"}',
    "truncated": b'{"id":"t-a","title":"x',
    "an array": b"[1,2,3]",
}


def bare_workspace(root: Path, data: bytes = b"") -> Path:
    """A workspace without git (faster than make_repo): config and JSONL only."""
    (root / ".beads").mkdir(parents=True)
    (root / ".beads" / "config.yaml").write_text('issue-prefix: "t"\n')
    jsonl_path(root).write_bytes(data)
    return root


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_a_malformed_jsonl_line_is_a_clean_error_naming_file_and_line(tmp_path: Path,
                                                                      name: str) -> None:
    from fuzzkit import assert_clean, run_main

    root = bare_workspace(tmp_path / "r", GOOD + BAD_LINES[name] + b"\n")
    good = tmp_path / "good.jsonl"
    good.write_bytes(GOOD.replace(b"t-0", b"t-9"))
    assert "issues.jsonl:2" in failing(root, "list")  # one real process, the rest in this one
    for args in (["ready", "--json"], ["show", "t-0"], ["create", "new"],
                 ["update", "t-0", "--notes", "n"], ["export"], ["stats"],
                 ["import", "-i", str(good)]):
        res = run_main(args, root)
        assert_clean(res, args)
        assert res.returncode == 1 and "issues.jsonl:2" in res.stderr + res.stdout, (args, res)
    assert jsonl_path(root).read_bytes() == GOOD + BAD_LINES[name] + b"\n"
    src = tmp_path / "in.jsonl"
    src.write_bytes(GOOD + BAD_LINES[name] + b"\n")
    clean = bare_workspace(tmp_path / "clean")
    if name != "conflict markers":  # import rebuilds those with the merge engine
        res = run_main(["import", "-i", str(src)], clean)
        assert_clean(res, ["import"])
        assert res.returncode == 1 and "in.jsonl:2" in res.stderr, res
        assert jsonl_path(clean).read_bytes() == b""


def test_odd_but_valid_records_are_tolerated(tmp_path: Path) -> None:
    """Documented tolerance: a repeated key (the last wins, as in Go), null fields, unknown
    keys of any shape, a byte-order mark, CRLF line ends, blank lines."""
    root = make_repo(tmp_path / "r")
    jsonl_path(root).write_bytes(
        b'\xef\xbb\xbf' + GOOD.rstrip(b"\n") + b"\r\n\r\n"
        b'{"id":"t-dup","title":"first","title":"second","notes":null,"labels":null,'
        b'"x":{"deep":[[[{"a":null}]]]},"priority":1}\r\n')
    shown = bdj("show", "t-dup", cwd=root)[0]
    assert shown["title"] == "second" and shown["x"] == {"deep": [[[{"a": None}]]]}
    bd("update", "t-dup", "--notes", "written", cwd=root)
    line = jsonl_path(root).read_bytes().splitlines()[-1]
    assert line.count(b'"title"') == 1 and json.loads(line)["title"] == "second"


def test_the_merge_driver_refuses_hostile_inputs_and_leaves_the_output(tmp_path: Path) -> None:
    """Lines the merge must read are checked (a line only one side added, shaped like
    bd's own, passes through unread, as git would take it; bd's loader refuses it later)."""
    base = tmp_path / "base"
    base.write_bytes(GOOD)
    ours = tmp_path / "ours"
    for bad in (BAD_LINES["deeply nested"], b"\xff\xfe\x00", BAD_LINES["an array"],
                b'{"title":"no id first"}', b"<<<<<<< theirs"):
        ours.write_bytes(GOOD + b'{"id":"t-1","title":"ours"}\n')
        theirs = tmp_path / "theirs"
        theirs.write_bytes(GOOD + bad + b"\n")
        proc = bd("merge", str(ours), str(base), str(ours), str(theirs), cwd=tmp_path,
                  check=False)
        text = fails_cleanly(proc, 2)
        assert "theirs:2" in text and text.count("\n") <= 1
        assert ours.read_bytes() == GOOD + b'{"id":"t-1","title":"ours"}\n'
    fails_cleanly(bd("merge", str(ours), str(base), str(ours), str(tmp_path), cwd=tmp_path,
                     check=False), 2)
    fails_cleanly(bd("merge", str(ours), str(base), str(ours), str(tmp_path / "none"),
                     cwd=tmp_path, check=False), 2)


# -- symbolic links and directories -----------------------------------------------------------

def test_a_jsonl_symlink_inside_the_project_is_followed_and_kept(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    data = root / "data"
    data.mkdir()
    jsonl_path(root).rename(data / "issues.jsonl")
    jsonl_path(root).symlink_to(Path("..") / "data" / "issues.jsonl")
    rid = bd("create", "through the link", "--silent", cwd=root).stdout.strip()
    assert jsonl_path(root).is_symlink()
    assert rid.encode() in (data / "issues.jsonl").read_bytes()
    assert bdj("show", rid, cwd=root)[0]["title"] == "through the link"


@pytest.mark.parametrize("name", ["issues.jsonl", "events.jsonl", "config.yaml", "beads.db"])
def test_a_workspace_file_linking_outside_the_project_is_refused(tmp_path: Path,
                                                                 name: str) -> None:
    root = make_repo(tmp_path / "r")
    bd("create", "before", cwd=root)
    outside = tmp_path / "outside-target"
    outside.write_bytes(b"# a shell script someone would not want issue text in\n")
    link = root / ".beads" / name
    link.unlink()
    link.symlink_to(outside)
    for args in (["create", "x"], ["list"], ["config", "set", "actor", "me"]):
        text = fails_cleanly(bd(*args, cwd=root, check=False))
        assert "symbolic link" in text
    assert outside.read_bytes() == b"# a shell script someone would not want issue text in\n"


def test_a_jsonl_that_is_a_directory_is_a_clean_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    jsonl_path(root).unlink()
    jsonl_path(root).mkdir()
    for args in (["list"], ["create", "x"], ["import", "-i", str(jsonl_path(root))]):
        assert "directory" in fails_cleanly(bd(*args, cwd=root, check=False)).lower()
    (root / ".beads" / "config.yaml").unlink()
    (root / ".beads" / "config.yaml").mkdir()
    fails_cleanly(bd("config", "set", "actor", "me", cwd=root, check=False))


# -- paths that lead nowhere ------------------------------------------------------------------

def test_workspace_settings_pointing_nowhere_are_clean_errors(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases: list[tuple[list[str], dict[str, str]]] = [
        (["list"], {"BEADS_DIR": str(tmp_path / "missing")}),
        (["create", "x"], {"BEADS_DIR": str(a_file)}),
        (["list"], {"BEADS_DIR": str(jsonl_path(root))}),
        (["list"], {"BEADS_DB": str(tmp_path / "missing" / "beads.db")}),
        (["--db", str(tmp_path / "missing" / "beads.db"), "list"], {}),
        (["--db", str(a_file / "beads.db"), "create", "x"], {}),
        (["create", "x"], {"BEADS_JSONL": str(tmp_path / "missing" / "issues.jsonl")}),
        (["list"], {"BEADS_JSONL": str(tmp_path)}),
        (["create", "x", "--body-file", str(tmp_path / "missing.txt")], {}),
        (["create", "x", "--body-file", str(tmp_path)], {}),
        (["create", "--file", str(tmp_path / "missing.md")], {}),
        (["import", "-i", str(tmp_path / "missing.jsonl")], {}),
        (["delete", "--from-file", str(tmp_path / "missing")], {}),
        (["comments", "add", "t-0", "-f", str(tmp_path / "missing")], {}),
        (["export", "-o", str(tmp_path / "missing" / "out.jsonl")], {}),
    ]
    if os.geteuid() == 0:
        cases.append((["list"], {"BEADS_DIR": "/proc/1"}))  # not writable, even for root
    else:
        locked = tmp_path / "locked" / ".beads"
        locked.mkdir(parents=True)
        (locked / "config.yaml").write_text('issue-prefix: "t"\n')
        locked.chmod(0o555)
        cases.append((["create", "x"], {"BEADS_DIR": str(locked)}))
    for args, env in cases:
        failing(root, *args, env=env)
    (root / ".beads" / "redirect").write_text("../../nowhere\n")
    failing(root, "list")
    (root / ".beads" / "redirect").write_bytes(b"\xff\xfe")
    failing(root, "list")


def test_workspace_settings_may_point_outside_the_repository(tmp_path: Path) -> None:
    """BEADS_DIR and --db are the user's choice: a workspace elsewhere is used as it is."""
    root = make_repo(tmp_path / "r")
    elsewhere = make_repo(tmp_path / "elsewhere", prefix="e")
    rid = bd("create", "far away", "--silent", cwd=root,
             env={"BEADS_DIR": str(elsewhere / ".beads")}).stdout.strip()
    assert rid.startswith("e-") and rid.encode() in jsonl_path(elsewhere).read_bytes()
    shown = bdj("--db", str(elsewhere / ".beads" / "beads.db"), "show", rid, cwd=root)
    assert shown[0]["title"] == "far away"
    assert rid.encode() not in jsonl_path(root).read_bytes()


def test_a_config_yaml_that_is_not_text_or_yaml_is_a_clean_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    config = root / ".beads" / "config.yaml"
    for data in (b"actor: \xff\n", b"a: [" * 10_000, b"a: b: c\n", b"\x00\x01\x02"):
        config.write_bytes(data)
        for args in (["create", "x"], ["config", "set", "actor", "me"], ["config", "list"]):
            failing(root, *args)
        proc = bd("list", cwd=root, check=False)  # needs no configuration
        if proc.returncode:
            fails_cleanly(proc)
        assert config.read_bytes() == data
    config.write_text('issue-prefix: "t"\n')
    for key in ("a\nissue-prefix", "x: y", "#k", "", " k", "k v", "-k", "\u2028"):
        failing(root, "config", "set", "--", key, "v")
    assert config.read_text() == 'issue-prefix: "t"\n'
    for value in ("a\nissue-prefix: evil", "x\u2028y", "x\x85y", '"', "#", "- a", "{}", ""):
        bd("config", "set", "--", "custom.key", value, cwd=root)
        assert bdj("config", "get", "custom.key", cwd=root)["value"] == value
        assert bdj("config", "get", "issue-prefix", cwd=root)["value"] == "t"


def test_hostile_issue_prefixes_are_refused_and_directory_names_made_safe(
        tmp_path: Path) -> None:
    for prefix in ("a b", "a\nb", 'a"b', "$(touch x)", "-x", "p" * 101, "\u202e"):
        root = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
        root.mkdir()
        git("init", "-q", cwd=root)
        text = fails_cleanly(bd("init", "--prefix", prefix, cwd=root, check=False))
        assert "invalid prefix" in text and not (root / ".beads" / "config.yaml").exists()
    spaced = tmp_path / "my odd\tproject"
    spaced.mkdir()
    git("init", "-q", cwd=spaced)
    bd("init", cwd=spaced)
    rid = bd("create", "x", "--silent", cwd=spaced).stdout.strip()
    assert rid.startswith("my-odd-project-")
    failing(spaced, "config", "set", "issue-prefix", "a b")


# -- git hooks never pass issue text to a shell ----------------------------------------------

def test_the_hook_templates_interpolate_no_issue_data() -> None:
    hooks = pytest.importorskip("bd.git.hooks")
    template_dir = Path(hooks.__file__).parent / "hooks_templates"
    for template in template_dir.iterdir():
        text = template.read_text()
        assert set(re.findall(r"\{(\w+)\}", text)) <= {"hook", "version"}, template
        for name in hooks.HOOKS:
            shim = hooks.render(name)
            expansions = set(re.findall(r"\$\{?[\w@#?*!-]+\}?|\$\(|`", shim))
            assert expansions <= {"$0", "$@", "$here", "$(", "$BD_HOOK_DIR"}, expansions
            assert "eval" not in shim.split() and "sh -c" not in shim
            assert '"$@"' in shim and "$(dirname -- \"$0\")" in shim
    source = Path(hooks.__file__).read_text()
    assert "shell=True" not in source and "os.system" not in source and "os.popen" not in source


def test_a_commit_with_hostile_issue_text_runs_no_shell_command(tmp_path: Path) -> None:
    pytest.importorskip("bd.git.hooks")
    root = make_repo(tmp_path / "r")
    marker = tmp_path / "marker"
    bd("hooks", "install", cwd=root)
    assert (root / ".git" / "hooks" / "pre-commit").exists()
    for text in (f"$(touch {marker})", f"`touch {marker}`", f"x; touch {marker}",
                 f"x | touch {marker}", f"\n touch {marker}\n"):
        rid = bd("create", text, "-d", text, "--notes", text, "--silent", cwd=root).stdout.strip()
        bd("comments", "add", rid, text, cwd=root)
        bd("label", "add", rid, text.strip().replace(",", "_") or "x", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", f"issues $(touch {marker})", cwd=root)
    git("checkout", "-qb", "other", cwd=root)
    bd("close", rid, "--reason", f"$(touch {marker})", cwd=root)
    git("commit", "-qam", "close", cwd=root)
    git("checkout", "-q", "main", cwd=root)
    git("merge", "-q", "other", cwd=root)
    assert not marker.exists()
