#!/usr/bin/env python3
"""Replay the real merges of ``.beads/issues.jsonl`` from the original tracker's history
through ``bd merge`` (opt-in; not part of ``make test``: it needs the repository).

    git clone https://github.com/steveyegge/beads /tmp/beads
    .venv/bin/python scripts/replay_beads_merges.py /tmp/beads [--path .beads/beads.jsonl]
                                                               [--subprocess] [--limit N]

For every two-parent merge commit whose parents hold different versions of the file, the
merge base's version, the first parent's and the second parent's are handed to ``bd merge``
(in process by default, or as a real ``bd`` process with ``--subprocess``), and the script
checks what issue 10 asks:

* the driver refuses no parseable input (an input with conflict markers or a line that is not
  a JSON object is unparseable; such merges are counted, not judged);
* no record is lost that either side kept or added: every issue id present on both sides, or
  added on one side since the base, is in the output;
* each id is written once.

Exit status 0 when every judged merge passes, 1 otherwise; a summary is printed either way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def git(repo: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True).stdout


def blob(repo: str, commit: str, path: str) -> bytes | None:
    proc = subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def merges(repo: str, path: str) -> list[tuple[str, str, str]]:
    out = []
    for line in git(repo, "log", "--all", "--merges", "--format=%H %P").decode().splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        merge, p1, p2 = parts
        ids = git(repo, "rev-parse", f"{p1}:{path}", f"{p2}:{path}") if all(
            subprocess.run(["git", "-C", repo, "cat-file", "-e", f"{p}:{path}"],
                           capture_output=True).returncode == 0 for p in (p1, p2)) else b""
        if ids and len(set(ids.split())) == 2:
            out.append((merge, p1, p2))
    return out


def parseable(data: bytes) -> bool:
    for line in data.splitlines():
        if not line.strip():
            continue
        if line.startswith((b"<<<<<<<", b"=======", b">>>>>>>", b"|||||||")):
            return False
        try:
            if not isinstance(json.loads(line), dict):
                return False
        except ValueError:
            return False
    return True


def issue_ids(data: bytes) -> list[str]:
    out = []
    for line in data.splitlines():
        if line.strip():
            rec = json.loads(line)
            kind = rec.get("_type")
            if (not isinstance(kind, str) or kind in ("", "issue")) and \
                    isinstance(rec.get("id"), str):
                out.append(rec["id"])
    return out


def run_driver(base: bytes, left: bytes, right: bytes, use_process: bool
               ) -> tuple[int, bytes, str]:
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, data in (("base", base), ("ours", left), ("theirs", right)):
            p = os.path.join(tmp, name)
            with open(p, "wb") as fh:
                fh.write(data)
            paths.append(p)
        args = ["merge", paths[1], paths[0], paths[1], paths[2]]
        if use_process:
            proc = subprocess.run([sys.executable, "-m", "bd", *args], cwd=tmp,
                                  capture_output=True, text=True)
            code, err = proc.returncode, proc.stderr
        else:
            from contextlib import redirect_stderr
            from io import StringIO

            from bd.cli import main

            buf = StringIO()
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                with redirect_stderr(buf):
                    code = main(args)
            finally:
                os.chdir(cwd)
            err = buf.getvalue()
        with open(paths[1], "rb") as fh:
            return code, fh.read(), err


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", help="a clone of github.com/steveyegge/beads")
    ap.add_argument("--path", default=".beads/issues.jsonl", help="the JSONL path to replay")
    ap.add_argument("--subprocess", action="store_true", help="run bd as a real process")
    ap.add_argument("--limit", type=int, default=0, help="replay at most N merges")
    ap.add_argument("-v", "--verbose", action="store_true")
    opts = ap.parse_args()
    found = merges(opts.repo, opts.path)
    if opts.limit:
        found = found[:opts.limit]
    judged = unparseable = 0
    failures: list[str] = []
    start = time.time()
    for merge, p1, p2 in found:
        base_commit = subprocess.run(["git", "-C", opts.repo, "merge-base", p1, p2],
                                     capture_output=True, text=True).stdout.strip()
        base = (blob(opts.repo, base_commit, opts.path) or b"") if base_commit else b""
        left = blob(opts.repo, p1, opts.path) or b""
        right = blob(opts.repo, p2, opts.path) or b""
        if not all(parseable(x) for x in (base, left, right)):
            unparseable += 1
            continue
        judged += 1
        code, out, err = run_driver(base, left, right, opts.subprocess)
        short = merge[:9]
        if code != 0:
            failures.append(f"{short}: bd merge exited {code}: {err.strip()[:300]}")
            continue
        ids = issue_ids(out)
        if len(ids) != len(set(ids)):
            failures.append(f"{short}: an id written twice")
        ib, il, ir = set(issue_ids(base)), set(issue_ids(left)), set(issue_ids(right))
        lost = ((il & ir) | (il - ib) | (ir - ib)) - set(ids)
        if lost:
            failures.append(f"{short}: lost {len(lost)} record(s): {sorted(lost)[:5]}")
        if opts.verbose:
            print(f"{short}: ok ({len(ids)} issues)")
    took = time.time() - start
    print(f"{len(found)} merges of {opts.path} with differing parents; {judged} replayed, "
          f"{unparseable} skipped (an input with conflict markers or a non-JSON line); "
          f"{len(failures)} failed; {took:.1f} s")
    for failure in failures:
        print("  FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
