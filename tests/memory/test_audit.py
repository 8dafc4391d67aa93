"""The audit log: entries in the original's format, concurrent appenders from 8 processes
lose nothing, and git merges two clones' logs (merge=union, set up by bd init) keeping every
entry exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import bd, bdj, git, make_repo

ID_RE = r"int-[0-9a-f]{32}"


def _log(root: Path) -> list[dict]:
    return [json.loads(x) for x in (root / ".beads" / "interactions.jsonl").read_text()
            .splitlines()]


def test_record_label_list_show(repo: Path) -> None:
    import re

    rec = bdj("audit", "record", "--kind", "llm_call", "--model", "m1", "--prompt", "<p>&",
              "--response", "r", "--issue-id", "t-1", "--actor", "agent-7", cwd=repo)
    assert re.fullmatch(ID_RE, rec["id"]) and rec["kind"] == "llm_call"
    tool = bd("audit", "record", "--kind", "tool_call", "--tool-name", "pytest",
              "--exit-code", "0", cwd=repo).stdout.strip()
    lab = bdj("audit", "label", rec["id"], "--label", "good", "--reason", "right", cwd=repo)
    assert lab["parent_id"] == rec["id"]
    raw = (repo / ".beads" / "interactions.jsonl").read_text().splitlines()
    first = json.loads(raw[0])
    # the original's field order and omitempty; no HTML escaping in this file
    assert list(first) == ["id", "kind", "created_at", "actor", "issue_id", "model", "prompt",
                           "response"]
    assert '"prompt":"<p>&"' in raw[0] and first["actor"] == "agent-7"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", first["created_at"])
    assert json.loads(raw[1]) == {**json.loads(raw[1]), "exit_code": 0, "tool_name": "pytest"}
    assert json.loads(raw[1])["id"] == tool
    shown = bdj("audit", "show", rec["id"], cwd=repo)
    assert shown["entry"] == first and [x["label"] for x in shown["labels"]] == ["good"]
    assert [e["kind"] for e in bdj("audit", "list", cwd=repo)] == ["llm_call", "tool_call",
                                                                    "label"]
    assert len(bdj("audit", "list", "--kind", "tool_call", cwd=repo)) == 1
    assert len(bdj("audit", "list", "--issue-id", "t-1", cwd=repo)) == 1
    piped = bd("audit", "record", input='{"kind":"llm_call","model":"m2","junk":1}', cwd=repo)
    assert json.loads((repo / ".beads" / "interactions.jsonl").read_text().splitlines()[-1]
                      )["id"] == piped.stdout.strip()
    bad = bd("audit", "label", "int-nope", "--label", "bad", cwd=repo, check=False)
    assert bad.returncode == 1 and "no audit entry" in bad.stderr
    assert bd("audit", "record", cwd=repo, check=False).returncode == 2  # --kind required
    assert len(_log(repo)) == 4  # the refusals appended nothing


def test_eight_concurrent_appenders_lose_nothing(repo: Path) -> None:
    n = 25
    script = (
        "import sys\nfrom bd.memory import audit\n"
        f"for i in range({n}):\n"
        "    audit.record(sys.argv[1], kind='tool_call', tool_name=f'w{sys.argv[2]}-{i}',"
        " prompt='x' * (1000 * (i % 7)), exit_code=i)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(repo / ".beads"), str(w)])
             for w in range(8)]
    cli = [subprocess.Popen([sys.executable, "-m", "bd", "audit", "record", "--kind",
                             "llm_call", "--model", f"cli-{k}"], cwd=repo,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
           for k in range(8)]
    assert all(p.wait(timeout=120) == 0 for p in procs + cli)
    log = _log(repo)  # every line parses: no interleaving
    names = sorted(e["tool_name"] for e in log if e["kind"] == "tool_call")
    assert names == sorted(f"w{w}-{i}" for w in range(8) for i in range(n))
    assert sorted(e["model"] for e in log if e["kind"] == "llm_call") == \
        sorted(f"cli-{k}" for k in range(8))
    assert len({e["id"] for e in log}) == len(log) == 8 * n + 8


def test_two_clones_merge_every_entry_once(tmp_path: Path) -> None:
    origin = tmp_path / "origin.git"
    git("init", "-q", "--bare", str(origin), cwd=tmp_path)
    a = make_repo(tmp_path / "a", "m")
    bd("audit", "record", "--kind", "llm_call", "--model", "base", cwd=a)
    assert (a / ".beads" / ".gitattributes").read_text() == "interactions.jsonl merge=union\n"
    assert git("check-attr", "merge", ".beads/interactions.jsonl", cwd=a).strip().endswith(
        "merge: union")
    git("add", "-A", cwd=a)
    git("commit", "-qm", "init", cwd=a)
    git("remote", "add", "origin", str(origin), cwd=a)
    git("push", "-q", "origin", "HEAD:main", cwd=a)
    b = tmp_path / "b"
    git("clone", "-q", str(origin), str(b), cwd=tmp_path)
    bd("init", "--prefix", "m", cwd=b)  # registers this clone's driver
    for k in range(3):
        bd("audit", "record", "--kind", "llm_call", "--model", f"a{k}", cwd=a)
        bd("audit", "record", "--kind", "tool_call", "--tool-name", f"b{k}", cwd=b)
    git("commit", "-qam", "a's entries", cwd=a)
    git("push", "-q", "origin", "HEAD:main", cwd=a)
    git("add", "-A", cwd=b)
    git("commit", "-qm", "b's entries", cwd=b)
    git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main", cwd=b)
    merged = _log(b)
    ids = [e["id"] for e in merged]
    assert len(ids) == len(set(ids)) == 7  # base + 3 + 3, each once
    assert {e.get("model") or e.get("tool_name") for e in merged} == \
        {"base", "a0", "a1", "a2", "b0", "b1", "b2"}
    # and back: a pulls b's merge; a's log ends up with the same entries
    git("push", "-q", "origin", "HEAD:main", cwd=b)
    git("pull", "-q", "--no-rebase", "--no-edit", "origin", "main", cwd=a)
    assert sorted(e["id"] for e in _log(a)) == sorted(ids)
    assert len(bdj("audit", "list", cwd=a)) == 7
