"""Colour for human output on a terminal, as the original styled it.

Imported only when colour is on (a terminal, or ``--color always`` / ``CLICOLOR_FORCE``), so
agents reading pipes never pay for it.  Only what needs attention gets colour, as in the
original's palette: P0 bold red and P1 orange; in_progress yellow, blocked red, closed dim,
pinned purple, hooked cyan; bug red and epic purple; ✓ green, ⚠ yellow, ✗ red; section
headers bold.  Ids, titles and P2-P4 stay in the terminal's own colour, and a title is
never coloured even when it contains a status word.
"""

from __future__ import annotations

import re

RESET = "\x1b[0m"
BOLD = "\x1b[1m"
RED = "\x1b[38;5;203m"
ORANGE = "\x1b[38;5;208m"
YELLOW = "\x1b[38;5;215m"
GREEN = "\x1b[38;5;149m"
DIM = "\x1b[38;5;245m"
PURPLE = "\x1b[38;5;183m"
CYAN = "\x1b[38;5;117m"

PRIORITY = {"0": BOLD + RED, "1": ORANGE}
STATUS = {"in_progress": YELLOW, "blocked": RED, "closed": DIM, "pinned": PURPLE,
          "hooked": CYAN}
TYPE = {"bug": RED, "epic": PURPLE}
MARK = {"✓": GREEN, "⚠": YELLOW, "✗": RED, "✖": RED}


def _c(code: str | None, text: str) -> str:
    return f"{code}{text}{RESET}" if code else text


def _prio(m: re.Match[str]) -> str:
    return _c(PRIORITY.get(m.group(2)), m.group(1) + m.group(2))


def _status(word: str) -> str:
    return _c(STATUS.get(word), word)


# Each pattern names where a priority, type or status sits in one of bd's layouts; the title
# (free text) is never matched.
_COMPACT = re.compile(r"^(\S+ )\[(P)(\d)\] \[([\w-]+)\] ([\w-]+)")          # list
_READY = re.compile(r"^(\s*\d+\. )\[(P)(\d)\] \[([\w-]+)\]")                 # ready
_BLOCKED = re.compile(r"^\[(P)(\d)\] ")                                       # blocked
_TAIL = re.compile(r"\[(P)(\d) - ([\w-]+)\]( \([\w-]+\))?$")                  # show deps
_TREE = re.compile(r"\[(P)(\d)\] \(([\w-]+)\)((?: \[READY\])?(?: …)?)$")      # dep tree
_FIELD = re.compile(r"^(Status|Priority|Type): (P?)([\w-]+)$")               # show fields
_MARK = re.compile(r"^(\s*)([✓⚠✗✖])")
_HEADER = re.compile(r"^(\s*)((?:📋|🚫|⏰|📊|🔍|✨) .*)$")                    # section titles


def paint(line: str) -> str:
    """``line`` with ANSI colour where bd's layouts put priorities, types and statuses."""
    m = _COMPACT.match(line)
    if m:
        return (m.group(1) + "[" + _c(PRIORITY.get(m.group(3)), "P" + m.group(3)) + "] ["
                + _c(TYPE.get(m.group(4)), m.group(4)) + "] " + _status(m.group(5))
                + line[m.end():])
    m = _READY.match(line)
    if m:
        return (m.group(1) + "[" + _c(PRIORITY.get(m.group(3)), "P" + m.group(3)) + "] ["
                + _c(TYPE.get(m.group(4)), m.group(4)) + "]" + line[m.end():])
    m = _BLOCKED.match(line)
    if m:
        return "[" + _c(PRIORITY.get(m.group(2)), "P" + m.group(2)) + "] " + line[m.end():]
    m = _FIELD.match(line)
    if m:
        name, p, value = m.groups()
        code = (PRIORITY.get(value) if p else STATUS.get(value) if name == "Status"
                else TYPE.get(value) if name == "Type" else None)
        return f"{name}: " + _c(code, p + value)
    m = _TAIL.search(line)
    if m:
        return (line[:m.start()] + "[" + _c(PRIORITY.get(m.group(2)), "P" + m.group(2))
                + " - " + _status(m.group(3)) + "]" + (m.group(4) or ""))
    m = _TREE.search(line)
    if m:
        ready = _c(GREEN, m.group(4)) if "READY" in m.group(4) else m.group(4)
        return (line[:m.start()] + "[" + _c(PRIORITY.get(m.group(2)), "P" + m.group(2))
                + "] (" + _status(m.group(3)) + ")" + ready)
    m = _MARK.match(line)
    if m:
        return m.group(1) + _c(MARK[m.group(2)], m.group(2)) + line[m.end():]
    m = _HEADER.match(line)
    if m and len(line) < 100:
        return m.group(1) + _c(BOLD, m.group(2))
    return line


def warning(text: str) -> str:
    return _c(YELLOW, "Warning:") + " " + text


def error(text: str) -> str:
    return _c(RED, "Error:") + " " + text
