"""Small expression languages of formulas: range arithmetic (``1..{n}*2``) and durations
(gate timeouts, Go's ``time.ParseDuration`` forms).  Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bd.errors import FormulaError


def _err(msg: str, source: str | None, field: str | None = None) -> FormulaError:
    return FormulaError(msg, path=source, field=field)


# -- range arithmetic -----------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|(\*\*|[-+*/^()]))")


def eval_expr(expr: str, values: Mapping[str, str] | None = None) -> int:
    """Integer value of ``expr`` (+ - * / ^ and parentheses; ``{var}`` substituted)."""
    text = re.sub(r"\{(\w+)\}", lambda m: str((values or {}).get(m.group(1), m.group(0))),
                  expr)
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError(f"invalid expression {expr!r} (unresolved variable or "
                               "character)", field="range")
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> str:
        nonlocal i
        tok = peek()
        if tok is None:
            raise FormulaError(f"invalid expression {expr!r}: unexpected end", field="range")
        i += 1
        return tok

    def atom() -> float:
        tok = take()
        if tok == "(":
            value = add()
            if take() != ")":
                raise FormulaError(f"invalid expression {expr!r}: missing )", field="range")
            return value
        if tok == "-":
            return -atom()
        if tok == "+":
            return atom()
        try:
            return float(tok)
        except ValueError:
            raise FormulaError(f"invalid expression {expr!r}", field="range") from None

    def power() -> float:
        base = atom()
        if peek() in ("^", "**"):
            take()
            exp = power()
            if abs(exp) > 64 or abs(base) > 2 ** 32:
                raise FormulaError(f"expression {expr!r} is too large", field="range")
            return float(base ** exp)
        return base

    def mul() -> float:
        value = power()
        while peek() in ("*", "/"):
            if take() == "*":
                value *= power()
            else:
                d = power()
                if d == 0:
                    raise FormulaError(f"division by zero in {expr!r}", field="range")
                value /= d
        return value

    def add() -> float:
        value = mul()
        while peek() in ("+", "-"):
            value = value + mul() if take() == "+" else value - mul()
        return value

    result = add()
    if i != len(tokens):
        raise FormulaError(f"invalid expression {expr!r}", field="range")
    return int(result)


def parse_range(expr: str, values: Mapping[str, str] | None = None) -> tuple[int, int]:
    start, sep, end = expr.strip().partition("..")
    if not sep or not start.strip() or not end.strip():
        raise FormulaError(f"invalid range {expr!r}: expected start..end", field="range")
    return eval_expr(start, values), eval_expr(end, values)


# -- durations (Go's time.ParseDuration, as gate timeouts are written) -------------------------

_DUR = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
            "m": 60_000_000_000, "h": 3_600_000_000_000, "d": 86_400_000_000_000}


def parse_duration(text: str, where: str = "timeout", source: str | None = None) -> int:
    """Nanoseconds of a duration such as ``30m``, ``1h30m`` or ``2d``."""
    s = text.strip()
    if s in ("0", ""):
        return 0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DUR.match(s, pos)
        if not m:
            raise _err(f"{where}: invalid duration {text!r} (examples: 30m, 1h30m, 2d)",
                       source, where)
        total += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    return int(total)


def format_duration(ns: int) -> str:
    """Go's Duration.String for whole seconds and up (``1h30m0s``)."""
    if ns <= 0:
        return "0s"
    secs = ns // 1_000_000_000
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


