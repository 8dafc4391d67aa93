"""Where output goes: stdout and stderr, -q, colour, emoji, the pager.

Kept apart from the renderers in ``bd.cli.output``.  Only ``os`` and ``sys`` are imported
here; colour (``bd.cli.style``) and the pager (``bd.cli.pager``) load only on a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable

from bd.core.jsonfmt import dumps_indented
from bd.core.model import encode_json, go_escape
from bd.core.words import plural  # noqa: F401 - re-exported for the renderers

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from typing import Any


# Emoji dropped by --plain (config ``plain``, BD_NO_EMOJI); arrows and tree lines stay.
EMOJI = ("✓", "✨", "📋", "🚫", "⚠", "✗", "✖", "📌", "📊", "❄", "⏰", "💡", "↻", "🏷", "⚪",
         "🟡", "🟠", "🔵", "🔴", "🔗", "🎉", "🔍", "📝", "🧹")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def want_color(mode: str | None, stream: Any) -> bool:
    """Colour on ``stream``? ``mode``: --color (or config ``color``): always, never, auto.
    In auto mode NO_COLOR turns it off, CLICOLOR_FORCE on, CLICOLOR=0 off, else a terminal."""
    mode = (mode or "auto").lower()
    if mode in ("never", "false", "no", "off"):
        return False
    if mode in ("always", "true", "yes", "on", "force"):
        return True
    env = os.environ
    if env.get("NO_COLOR"):
        return False
    if env.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    if env.get("CLICOLOR") == "0":
        return False
    return _isatty(stream)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower() or None


def strip_emoji(text: str) -> str:
    if text.isascii():
        return text
    for mark in EMOJI:
        if mark in text:
            text = text.replace(mark + "\ufe0f", mark).replace(mark + " ", "").replace(mark, "")
    return text


def _item_text(item: Any, pad: str) -> str:
    return go_escape(dumps_indented(item, pad))


class Output:
    """Where a command's output goes.  ``line`` is the command's output (with -q a
    command whose output only confirms a change, ``confirm``, prints nothing; ``result``
    prints even then); ``warn`` and ``note`` are chatter on stderr, silenced by -q.
    Human lines are coloured on a terminal, stripped of emoji with --plain and, for long
    output on a terminal, sent through a pager (``start_pager``/``finish``)."""

    def __init__(self, json_mode: bool = False, quiet: bool = False, *,
                 confirm: bool = False, color: str | None = None, plain: bool = False,
                 paged: bool = False, setting: Callable[[str], Any] | None = None) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.confirm = confirm
        self.color_mode = color
        self.plain = plain or bool(os.environ.get("BD_NO_EMOJI"))
        self.paged = paged  # long output may go through a pager (on a terminal)
        self.setting = setting or (lambda key: None)  # a config value (color, plain, pager)
        self._paint: Any = None
        self._styled = False
        self._buffer: list[str] | None = None
        self.pager: str | None = None

    def _style(self) -> None:
        """Decided at the first human line, when the workspace's config is at hand."""
        self._styled = True
        if self.color_mode is None:
            self.color_mode = _text(self.setting("color"))
        if not self.plain and _text(self.setting("plain")) in ("true", "yes", "on", "1"):
            self.plain = True
        tty = _isatty(sys.stdout)
        if want_color(self.color_mode, sys.stdout):
            from bd.cli import style

            self._paint = style.paint
        if self.paged and tty and not self.json_mode:
            no_pager = _text(self.setting("no-pager")) in ("true", "yes", "on", "1")
            from bd.cli import pager

            command = None if no_pager else pager.command(self.setting("pager"))
            if command:
                self.start_pager(command)

    def json(self, obj: Any) -> None:
        sys.stdout.write(encode_json(obj, indent=2) + "\n")

    def json_stream(self, items: Iterable[Any],
                    render: Callable[[Any, str], str] | None = None) -> None:
        """A JSON array written item by item, byte for byte what :meth:`json` prints for
        the list: output-bound commands (``ready --limit 0``, ``blocked``) never hold it.
        ``render(item, pad)`` is an item's indented, Go-escaped text, every line break
        followed by ``pad`` (by default that of :func:`bd.core.model.encode_json`)."""
        render = render or _item_text
        write, first, texts = sys.stdout.write, True, []
        for item in items:
            texts.append(render(item, "\n  "))
            if len(texts) == 256:  # a few writes, not one per item
                write(("[\n  " if first else ",\n  ") + ",\n  ".join(texts))
                first, texts = False, []
        if texts:
            write(("[\n  " if first else ",\n  ") + ",\n  ".join(texts))
            first = False
        write("[]\n" if first else "\n]\n")

    def line(self, text: str = "") -> None:
        if not (self.quiet and self.confirm):
            self.result(text)

    def result(self, text: str = "") -> None:
        """A line that is the command's answer: printed even with -q."""
        if not self._styled:
            self._style()
        if self.plain:
            text = strip_emoji(text)
        if self._paint is not None and not self.json_mode:
            text = "\n".join(map(self._paint, text.split("\n")))
        if self._buffer is not None:
            self._buffer.append(text)
        else:
            sys.stdout.write(text + "\n")

    def warn(self, text: str) -> None:
        if not self.quiet:
            self._stderr("Warning:", text)

    def note(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write((strip_emoji(text) if self.plain else text) + "\n")

    def error(self, text: str) -> None:
        self._stderr("Error:", text)

    def _stderr(self, label: str, text: str) -> None:
        if not self._styled:
            self._style()
        if self.plain:
            text = strip_emoji(text)
        if want_color(self.color_mode, sys.stderr):
            from bd.cli import style

            label = style.error("")[:-1] if label == "Error:" else style.warning("")[:-1]
        sys.stderr.write(f"{label} {text}\n")

    # -- the pager ------------------------------------------------------------------------

    def start_pager(self, command: str) -> None:
        """Hold human lines until ``finish``: long output then goes through ``command``."""
        if not self.json_mode:
            self.pager = command
            self._buffer = []

    def finish(self) -> None:
        buffered, self._buffer = self._buffer, None
        if not buffered:
            return
        text = "\n".join(buffered) + "\n"
        if self.pager:
            from bd.cli.pager import page

            if page(text, self.pager):
                return
        sys.stdout.write(text)
