"""The merge's check of issue lines, many lines in one regular-expression match.

The merge driver must not pass through a line bd could not load, so every line of its inputs
is checked: the line is JSON, an object, its id is the one its line starts with, and every
field bd knows has the JSON type bd reads (``model.type_problem``).  Parsing each line into a
dict to check it costs ~5 µs a line, half a second for a 100,000-issue file.  This module
states the same check as a grammar of the lines bd and the original write (compact JSON, the
id first) and matches a whole run of lines against it in one call, without building
anything: about half the time, and no orjson import.

The grammar accepts a subset of what the check accepts, never more
(``tests/property/test_merge_check.py`` holds it to that):

* a string is the JSON string syntax (lone surrogate escapes included: the check's decoder
  takes them too); the bytes of the run must also be UTF-8 (checked apart);
* each known field takes only values of its type, or null; labels are strings, links and
  comments objects whose known fields take strings (a comment's id: a string or an integer
  of at most 18 digits); integer fields take at most 18 digits, so they fit in 64 bits;
* any other field, and any other field of a link or a comment, takes a scalar (string,
  number, true, false, null): a nested value is left to the parsing check;
* no whitespace between tokens, no escape in a key, one "id", which comes first.

A line outside the grammar is not an error: the caller checks it the slow way.
"""

from __future__ import annotations

import re

from bd.core import model

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Iterable

_PATTERN: re.Pattern[bytes] | None = None


def _alt(names: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"


def _seq(item: str, close: str) -> str:
    """Items separated by commas, none after the last (one copy of ``item``: a smaller
    pattern compiles faster)."""
    return "(?:" + item + "(?:,(?!" + close + ")|(?=" + close + ")))*+"


def _compile() -> re.Pattern[bytes]:
    ch = r'[^"\\\x00-\x1f]'
    string = r'"' + ch + r'*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})' + ch + r'*+)*+"'
    number = r'-?+(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?+(?:[eE][+-]?+[0-9]++)?+'
    int64 = r'-?+(?:0|[1-9][0-9]{0,17}+)(?![0-9.eE])'
    scalar = "(?:" + string + "|" + number + "|true|false|null)"

    def obj(strings: Iterable[str], extra: str = "", known: Iterable[str] = ()) -> str:
        member = ('(?:"' + _alt(strings) + '":(?:' + string + "|null)" + extra
                  + '|"(?!' + _alt({*strings, *known}) + '")' + ch + '*+":' + scalar + ")")
        return r"\{" + _seq(member, r"\}") + r"\}"

    dep = obj(model._DEP_STR)
    comment = obj(model._COMMENT_STR, '|"id":(?:' + string + "|" + int64 + "|null)", ["id"])
    known = model._STR | model._INT | model._BOOL | model._LISTS | {"id"}
    member = ('"' + _alt(model._STR) + '":(?:' + string + "|null)"
              + '|"' + _alt(model._INT) + '":(?:' + int64 + "|null)"
              + '|"' + _alt(model._BOOL) + '":(?:true|false|null)'
              + r'|"labels":(?:\[' + _seq(string, r"\]") + r"\]|null)"
              + r'|"dependencies":(?:\[' + _seq(dep, r"\]") + r"\]|null)"
              + r'|"comments":(?:\[' + _seq(comment, r"\]") + r"\]|null)"
              + '|"(?!' + _alt(known) + '")' + ch + '*+":' + scalar)
    line = r'\{"id":"' + ch + r'++"(?:,(?:' + member + r"))*+\}\n"
    return re.compile(("(?:" + line + ")*+").encode())


def lines_ok(buf: bytes, pos: int, end: int, ascii: bool) -> bool:
    """Whether every line of ``buf[pos:end]`` (whole lines, each ending in a newline) is in
    the grammar, and so passes the merge's check.  ``ascii``: ``buf`` is known to be ASCII
    (else the run's bytes are decoded, to refuse what is not UTF-8)."""
    global _PATTERN
    if _PATTERN is None:
        _PATTERN = _compile()
    if not ascii:
        try:
            str(memoryview(buf)[pos:end], "utf-8")
        except UnicodeDecodeError:
            return False
    return _PATTERN.fullmatch(buf, pos, end) is not None
