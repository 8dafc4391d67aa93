"""Shared pieces of the hostile-input tests: strategies for hostile text and JSONL, and an
in-process CLI runner (``bd.cli.main`` with captured stdio, so hundreds of command lines
cost what a few subprocesses would).

``BD_FUZZ_EXAMPLES=N`` raises every fuzz test's example count to N (``make test`` keeps the
defaults, which fit in about a minute on a loaded two-core machine).
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bd.core import model

_OVERRIDE = int(os.environ.get("BD_FUZZ_EXAMPLES") or 0)


def fuzz_settings(examples: int) -> Any:
    """Hypothesis settings for a fuzz test: ``examples`` by default, more on request."""
    return settings(max_examples=max(examples, _OVERRIDE), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.filter_too_much])


# -- hostile text ------------------------------------------------------------------------------

NASTY = [
    "$(touch /tmp/bd-fuzz-pwned)", "`touch /tmp/bd-fuzz-pwned`", "; rm -rf ~ ;", "a | cat",
    "&& echo hi", "'", '"', "\\", "\\u0000", "%s%n", "{{7*7}}", "<script>", "\x00", "\n", "\r\n",
    "\t", "\x1b[31m", "\u202e", "\u200f", "\u2028", "\u2029", "\x85", "\ufeff", "\ufffd",
    "😀", "👩‍👩‍👧", "é", "ﬁ", "İ", "ß", "\U0010ffff", "--json", "-", "--", "-h", "@file",
    "${HOME}", "*", "~", "..", "../../etc/passwd", "/", ".", " ", "  x  ", "#", "<<<<<<< HEAD",
    "=======", ">>>>>>> x", "null", "true", "0", "-1", "1e400", "NaN", "[]", "{}", "t-",
]

_chars = st.characters(codec="utf-8")  # every code point that can be written: no surrogates
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(_chars, max_size=40),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=4).map("".join),
    st.tuples(st.text(_chars, max_size=8), st.sampled_from(NASTY),
              st.text(_chars, max_size=8)).map("".join),
)
# What argv can carry: no NUL; anything else goes.
argv_text = hostile_text.map(lambda s: s.replace("\x00", ""))


# -- hostile JSON and JSONL --------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(),
                         st.integers(min_value=-(2**70), max_value=2**70),
                         st.floats(allow_nan=False, allow_infinity=False), hostile_text)
json_values = st.recursive(json_scalars,
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(hostile_text, inner,
                                                                   max_size=3)),
                           max_leaves=8)

IDS = ["t-a", "t-b", "t-c", "t-a.1", "t-a.1.2", "t-zz9", "other-x", "t-é", "t-\"q", "t-a b"]
TIMES = ["2025-01-02T03:04:05Z", "2025-06-01T00:00:00.123456+02:00", "2025-02-30T00:00:00Z",
         "garbage", "", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"]
STATUSES = ["open", "in_progress", "blocked", "closed", "deferred", "tombstone", "pinned",
            "hooked", "custom", ""]


def _field_value(key: str) -> Any:
    """A plausible value for a known field, or (sometimes) a hostile one of any type."""
    if key in ("created_at", "updated_at", "closed_at", "deleted_at", "due_at", "defer_until"):
        good = st.sampled_from(TIMES)
    elif key == "status":
        good = st.sampled_from(STATUSES)
    elif key == "issue_type":
        good = st.sampled_from(["task", "bug", "epic", "gate", "weird", ""])
    elif key in ("priority", "estimated_minutes"):
        good = st.integers(-3, 9)
    elif key in ("ephemeral", "pinned", "is_template"):
        good = st.booleans()
    elif key == "labels":
        good = st.lists(hostile_text, max_size=3)
    elif key == "dependencies":
        good = st.lists(st.fixed_dictionaries(
            {"issue_id": st.sampled_from(IDS), "depends_on_id": st.sampled_from(IDS + [
                "external:p:c"]),
             "type": st.sampled_from(["blocks", "parent-child", "related", "waits-for",
                                      "conditional-blocks", "x"])},
            optional={"created_at": st.sampled_from(TIMES), "metadata": hostile_text}),
            max_size=3)
    elif key == "comments":
        good = st.lists(st.fixed_dictionaries(
            {"id": st.integers(0, 5), "author": hostile_text, "text": hostile_text,
             "created_at": st.sampled_from(TIMES)}), max_size=2)
    else:
        good = hostile_text
    return st.one_of(good, good, good, json_values)


_KEYS = ["title", "description", "notes", "status", "priority", "issue_type", "assignee",
         "created_at", "updated_at", "closed_at", "close_reason", "deleted_at", "due_at",
         "defer_until", "labels", "dependencies", "comments", "ephemeral", "pinned",
         "estimated_minutes", "external_ref", "x_custom"]


@st.composite
def records(draw: Any, ids: list[str] | None = None) -> dict[str, Any]:
    """A record: an id from ``ids``, some known fields (usually well typed), unknown keys."""
    rec: dict[str, Any] = {"id": draw(st.sampled_from(ids or IDS))}
    for key in draw(st.lists(st.sampled_from(_KEYS), unique=True, max_size=8)):
        rec[key] = draw(_field_value(key))
    return rec


def _line_of(rec: dict[str, Any], how: str) -> bytes:
    if how == "canonical":
        try:
            return model.to_line(rec)[:-1]
        except (TypeError, ValueError, RecursionError):
            how = "plain"
    return json.dumps(rec, ensure_ascii=(how == "ascii")).encode("utf-8", "surrogatepass")


@st.composite
def mutated(draw: Any, line: bytes) -> bytes:
    """``line`` cut, with a byte inserted or flipped, or a key duplicated."""
    if not line:
        return line
    i = draw(st.integers(0, len(line) - 1))
    how = draw(st.sampled_from(["cut", "insert", "flip", "dupkey"]))
    if how == "cut":
        return line[:i]
    if how == "insert":
        return line[:i] + draw(st.binary(min_size=1, max_size=3)) + line[i:]
    if how == "flip":
        return line[:i] + bytes([line[i] ^ draw(st.integers(1, 255))]) + line[i + 1:]
    if line.endswith(b"}"):
        key = draw(st.sampled_from([b'"id":"t-b"', b'"title":7', b'"title":"dup"',
                                    b'"labels":"x"']))
        return line[:-1] + b"," + key + b"}"
    return line


@st.composite
def jsonl_lines(draw: Any, ids: list[str] | None = None) -> bytes:
    kind = draw(st.sampled_from(["rec", "rec", "rec", "rec", "mutated", "marker", "blank",
                                 "bytes", "value", "deep"]))
    if kind == "marker":
        return draw(st.sampled_from([b"<<<<<<< HEAD", b"=======", b">>>>>>> theirs",
                                     b"||||||| base"]))
    if kind == "blank":
        return draw(st.sampled_from([b"", b"   ", b"\r", b"\t"]))
    if kind == "bytes":
        return draw(st.binary(max_size=30)).replace(b"\n", b" ")
    if kind == "value":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        n = draw(st.sampled_from([50, 99, 101, 990, 5000]))
        return b'{"id":"t-deep","title":"d","x":' + b"[" * n + b"]" * n + b"}"
    line = _line_of(draw(records(ids)), draw(st.sampled_from(["canonical", "plain", "ascii"])))
    if kind == "mutated":
        line = draw(mutated(line))
    return line.replace(b"\n", b"\\n")


@st.composite
def jsonl_files(draw: Any, ids: list[str] | None = None, max_lines: int = 6) -> bytes:
    lines = draw(st.lists(jsonl_lines(ids), max_size=max_lines))
    end = draw(st.sampled_from([b"\n", b"\n", b"\r\n"]))
    tail = draw(st.sampled_from([end, b""]))
    return end.join(lines) + (tail if lines else b"")


@st.composite
def valid_files(draw: Any, ids: list[str] | None = None) -> bytes:
    """A JSONL bd accepts: records that pass the loader, one per id, canonical lines."""
    from bd.core import codec
    from bd.errors import DataError

    out: dict[str, bytes] = {}
    for rec in draw(st.lists(records(ids), min_size=1, max_size=7)):
        line = _line_of(rec, "canonical")
        try:
            codec.parse_line(line, "f", 1)
        except DataError:
            continue
        out[rec["id"]] = line
    return b"".join(out[rid] + b"\n" for rid in sorted(out))


# -- running the CLI in process ----------------------------------------------------------------

class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = code, stdout, stderr

    def __repr__(self) -> str:
        return f"Result({self.returncode}, stdout={self.stdout[:300]!r}, " \
               f"stderr={self.stderr[:300]!r})"


def run_main(args: list[str], cwd: Path, stdin: bytes = b"") -> Result:
    """``bd ARGS`` in this process (cwd, stdio and the environment's BD_ vars restored)."""
    from bd.cli import main

    saved = (sys.stdin, sys.stdout, sys.stderr, os.getcwd())
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace",
                           newline="")
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape")
    sys.stdout, sys.stderr = out, err
    try:
        os.chdir(cwd)
        code = main(list(args))
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.chdir(saved[3])
    text = out.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]
    etext = err.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]
    return Result(code, text, etext)


def assert_clean(res: Result, args: list[str]) -> None:
    """No traceback, no "bd bug": exit 0, 1 or 2 with a one-line error."""
    assert res.returncode in (0, 1, 2), f"bd {args!r} -> {res!r}"
    assert "Traceback" not in res.stderr + res.stdout, f"bd {args!r} -> {res!r}"
    assert "bd bug" not in res.stderr + res.stdout, f"bd {args!r} -> {res!r}"
