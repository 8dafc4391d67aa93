"""Words for messages: ``plural(1, "issue")`` is "1 issue", ``plural(2, "issue")`` "2 issues"."""

from __future__ import annotations


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` and ``word``, plural when ``n`` != 1 (``words`` for irregular plurals such as
    dependency/dependencies)."""
    return f"{n} {word if n == 1 else words or word + 's'}"
