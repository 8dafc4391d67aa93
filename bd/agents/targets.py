"""The files ``bd setup`` edits, one class per kind of target: a marked block in a text
file, an entry in a YAML list, hooks in a Claude Code ``settings.json``.  Each knows how to
find, install, replace and remove exactly its own part of the file (see
``bd.agents.setup_recipes`` for the rules every target follows).
"""

from __future__ import annotations

import json
import re

from bd.errors import BdError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

VERSION = 1  # bump when the managed text changes shape; older blocks are then "outdated"
PRIME_COMMAND = "bd prime"
HOOK_EVENTS = ("SessionStart", "PreCompact")

CURSOR_HEAD = """\
---
description: Issue tracking with bd (beads)
alwaysApply: true
---
"""


class Markers:
    """Begin/end comment lines of a managed block in one comment syntax."""

    def __init__(self, opener: str, closer: str = "") -> None:
        self.opener, self.closer = opener, closer
        tail = rf"(?:\s*{re.escape(closer)})?" if closer else ""
        self.begin_re = re.compile(rf"^([ \t]*){re.escape(opener)} bd:begin v(\d+){tail}\s*$")
        self.end_re = re.compile(rf"^([ \t]*){re.escape(opener)} bd:end{tail}\s*$")

    def begin(self, indent: str = "") -> str:
        return f"{indent}{self.opener} bd:begin v{VERSION}" + (f" {self.closer}" if self.closer
                                                                else "")

    def end(self, indent: str = "") -> str:
        return f"{indent}{self.opener} bd:end" + (f" {self.closer}" if self.closer else "")

    def find(self, lines: list[str], path: str) -> tuple[int, int, str, int] | None:
        """(begin index, end index, indent, version) of the block, or None; BdError when
        the markers are malformed (unclosed, unopened, or more than one block)."""
        found = None
        start = None
        for n, line in enumerate(lines):
            text = line.rstrip("\r\n")
            m = self.begin_re.match(text)
            if m:
                if start is not None or found is not None:
                    raise BdError("more than one bd block (or a nested 'bd:begin'); keep one",
                                  path=path, line=n + 1)
                start, indent, version = n, m.group(1), int(m.group(2))
                continue
            if self.end_re.match(text):
                if start is None:
                    raise BdError("'bd:end' without a 'bd:begin' before it", path=path,
                                  line=n + 1)
                found = (start, n, indent, version)
                start = None
        if start is not None:
            raise BdError("'bd:begin' without a matching 'bd:end'", path=path, line=start + 1)
        return found


HTML = Markers("<!--", "-->")
HASH = Markers("#")


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _append(text: str, block: list[str]) -> str:
    """``text`` with ``block`` appended after one blank line (none if ``text`` is blank)."""
    body = "".join(line + "\n" for line in block)
    if not text.strip():
        return body
    if not text.endswith("\n"):
        text += "\n"
    return text + "\n" + body


def _cut(lines: list[str], start: int, end: int) -> str:
    """The lines without ``start..end`` and the one blank line that separated the block
    (before it; or after it when the block opens the file)."""
    if start > 0 and not lines[start - 1].strip():
        start -= 1
    elif start == 0 and end + 1 < len(lines) and not lines[end + 1].strip():
        end += 1
    return "".join(lines[:start] + lines[end + 1:])


class Target:
    """One file a recipe manages."""

    path: str

    def render(self, text: str | None) -> str:
        """The file's text with bd's part installed and current."""
        raise NotImplementedError

    def strip(self, text: str) -> tuple[str, bool]:
        """(the text without bd's part, whether nothing of the user's remains)."""
        raise NotImplementedError

    def status(self, text: str | None) -> str:
        """``current``, ``outdated`` or ``absent``."""
        raise NotImplementedError


class TextBlock(Target):
    """A marked block in a markdown (or .mdc) file; ``head`` starts a file bd creates."""

    def __init__(self, path: str, body: str, head: str = "") -> None:
        self.path, self.body, self.head = path, body, head

    def block(self) -> list[str]:
        return [HTML.begin(), *self.body.rstrip("\n").split("\n"), HTML.end()]

    def render(self, text: str | None) -> str:
        if text is None:
            return self.head + "".join(line + "\n" for line in self.block())
        lines = _lines(text)
        found = HTML.find(lines, self.path)
        if found is None:
            return _append(text, self.block())
        start, end, _, _ = found
        return "".join(lines[:start] + [line + "\n" for line in self.block()] + lines[end + 1:])

    def strip(self, text: str) -> tuple[str, bool]:
        lines = _lines(text)
        found = HTML.find(lines, self.path)
        if found is not None:
            text = _cut(lines, found[0], found[1])
        rest = text.strip()
        return text, rest == "" or (bool(self.head) and rest == self.head.strip())

    def status(self, text: str | None) -> str:
        if text is None:
            return "absent"
        lines = _lines(text)
        found = HTML.find(lines, self.path)
        if found is None:
            return "absent"
        start, end, _, _ = found
        current = [line.rstrip("\r\n") for line in lines[start:end + 1]] == self.block()
        return "current" if current else "outdated"


class YamlListItem(Target):
    """One item, ``- VALUE``, in a top-level YAML block list ``KEY:`` (Aider's ``read:``).

    When the user's file already has the key as a block list, the marked item goes inside
    it; when it has none, a marked ``KEY:`` with the item is appended.  A key given as a
    scalar or a ``[flow, list]`` cannot take an item without rewriting the user's line, so
    that is an error that says what to do.
    """

    def __init__(self, path: str, key: str, value: str) -> None:
        self.path, self.key, self.value = path, key, value
        self.key_re = re.compile(rf"^{re.escape(key)}\s*:(.*)$")

    def block(self, indent: str, item: bool) -> list[str]:
        if not item:
            return [HASH.begin(), f"{self.key}:", f"  - {self.value}", HASH.end()]
        return [HASH.begin(indent), f"{indent}- {self.value}", HASH.end(indent)]

    @staticmethod
    def _is_item(lines: list[str], start: int, indent: str) -> bool:
        """Is the found block an item inside the user's list (not a key of its own)?"""
        return bool(indent) or (start + 1 < len(lines)
                                and lines[start + 1].lstrip().startswith("- "))

    def render(self, text: str | None) -> str:
        if text is None:
            return "".join(line + "\n" for line in self.block("", False))
        lines = _lines(text)
        found = HASH.find(lines, self.path)
        if found is not None:
            start, end, indent, _ = found
            new = self.block(indent, self._is_item(lines, start, indent))
            return "".join(lines[:start] + [line + "\n" for line in new] + lines[end + 1:])
        for n, line in enumerate(lines):
            m = self.key_re.match(line.rstrip("\r\n"))
            if not m:
                continue
            if m.group(1).split("#", 1)[0].strip():
                raise BdError(f"'{self.key}:' is not a block list ('- item' lines); add "
                              f"'{self.value}' to it yourself, or make it a block list and "
                              "run this again", path=self.path, line=n + 1)
            indent = "  "  # an empty list: items go two spaces in
            for following in lines[n + 1:]:
                if not following.strip() or following.lstrip().startswith("#"):
                    continue
                item = re.match(r"^([ \t]*)- ", following)
                if item:
                    indent = item.group(1)
                break
            last = n  # the list's last line: our item goes after the user's
            for k in range(n + 1, len(lines)):
                stripped = lines[k].strip()
                if not stripped or stripped.startswith("#"):
                    continue
                lead = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
                if (lead == indent and stripped.startswith("- ")) or len(lead) > len(indent):
                    last = k
                    continue
                break
            if not lines[last].endswith("\n"):
                lines[last] += "\n"
            new = [x + "\n" for x in self.block(indent, True)]
            return "".join(lines[:last + 1] + new + lines[last + 1:])
        return _append(text, self.block("", False))

    def strip(self, text: str) -> tuple[str, bool]:
        lines = _lines(text)
        found = HASH.find(lines, self.path)
        if found is not None:
            start, end, indent, _ = found
            if self._is_item(lines, start, indent):
                text = "".join(lines[:start] + lines[end + 1:])
            else:
                text = _cut(lines, start, end)
        return text, text.strip() == ""

    def status(self, text: str | None) -> str:
        if text is None:
            return "absent"
        lines = _lines(text)
        found = HASH.find(lines, self.path)
        if found is None:
            return "absent"
        start, end, indent, _ = found
        have = [line.rstrip("\r\n") for line in lines[start:end + 1]]
        want = self.block(indent, self._is_item(lines, start, indent))
        return "current" if have == want else "outdated"


def _is_ours(hook: Any) -> bool:
    return (isinstance(hook, dict) and isinstance(hook.get("command"), str)
            and re.match(r"^bd prime(\s|$)", hook["command"].strip()) is not None)


def _indent_of(text: str) -> str | int:
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else 2


class ClaudeHooks(Target):
    """SessionStart and PreCompact hooks running ``bd prime`` in a Claude Code settings file.

    The user's JSON is merged, never replaced: keys keep their order and the file keeps its
    indentation, so removing the hooks from a file bd did not create gives back its bytes.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def _load(self, text: str | None) -> dict[str, Any]:
        if text is None or not text.strip():
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BdError(f"not valid JSON ({exc}); fix it and run this again",
                          path=self.path) from None
        if not isinstance(data, dict):
            raise BdError("settings must be a JSON object", path=self.path)
        hooks = data.get("hooks", {})
        if not isinstance(hooks, dict) or any(not isinstance(hooks.get(e, []), list)
                                              for e in HOOK_EVENTS):
            raise BdError("'hooks' must be an object of event lists", path=self.path)
        return data

    def _dump(self, data: dict[str, Any], text: str | None) -> str:
        out = json.dumps(data, indent=_indent_of(text or ""), ensure_ascii=False)
        return out + ("\n" if text is None or text.endswith("\n") or not text.strip() else "")

    @staticmethod
    def _group() -> dict[str, Any]:
        return {"matcher": "", "hooks": [{"type": "command", "command": PRIME_COMMAND}]}

    def _drop_ours(self, data: dict[str, Any]) -> None:
        """Remove every bd prime hook; then groups, events and "hooks" left empty by it."""
        hooks = data.get("hooks")
        if not isinstance(hooks, dict):
            return
        for event in HOOK_EVENTS:
            groups = hooks.get(event)
            if not isinstance(groups, list):
                continue
            kept = []
            touched = False
            for group in groups:
                inner = group.get("hooks") if isinstance(group, dict) else None
                if isinstance(inner, list) and any(_is_ours(h) for h in inner):
                    touched = True
                    group["hooks"] = [h for h in inner if not _is_ours(h)]
                    if not group["hooks"]:
                        continue
                kept.append(group)
            if touched:
                if kept:
                    hooks[event] = kept
                else:
                    del hooks[event]
                if not hooks:
                    del data["hooks"]
                    return

    def render(self, text: str | None) -> str:
        if self.status(text) == "current":
            assert text is not None
            return text
        data = self._load(text)
        self._drop_ours(data)
        hooks = data.setdefault("hooks", {})
        for event in HOOK_EVENTS:
            hooks.setdefault(event, []).append(self._group())
        return self._dump(data, text)

    def strip(self, text: str) -> tuple[str, bool]:
        data = self._load(text)
        if self.status(text) == "absent":
            return text, not data
        self._drop_ours(data)
        return self._dump(data, text), not data

    def status(self, text: str | None) -> str:
        data = self._load(text)
        hooks = data.get("hooks") or {}
        ours = {event: [h for g in hooks.get(event, []) if isinstance(g, dict)
                        for h in (g.get("hooks") or []) if _is_ours(h)]
                for event in HOOK_EVENTS}
        if not any(ours.values()):
            return "absent"
        ok = all(len(found) == 1 and found[0] == {"type": "command", "command": PRIME_COMMAND}
                 for found in ours.values())
        return "current" if ok else "outdated"


