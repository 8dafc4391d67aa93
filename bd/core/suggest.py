"""'Did you mean ...?': the nearest candidates to a mistyped word (commands, flags, values, ids).

Only error paths call this, so difflib's import cost is paid only when something was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable


def _norm(word: str) -> str:
    return word.lower().replace("-", "_").lstrip("_")


def nearest(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6
            ) -> list[str]:
    """Up to ``n`` candidates close to ``word``, best first: the same word up to case and
    ``-``/``_`` alone if there is one, else those it starts (or that start it), then by
    similarity."""
    import difflib

    pool = list(dict.fromkeys(c for c in candidates if c))
    if not word or not pool:
        return []
    key = _norm(word)
    same = [c for c in pool if _norm(c) == key]
    if same:  # the word up to case and '-'/'_': nothing else is worth naming
        return same[:n]
    prefixed = [c for c in pool if len(key) >= 2
                and (_norm(c).startswith(key) or key.startswith(_norm(c)) and len(_norm(c)) >= 3)]
    prefixed.sort(key=lambda c: abs(len(c) - len(word)))
    by_norm: dict[str, list[str]] = {}
    for c in pool:
        by_norm.setdefault(_norm(c), []).append(c)
    close = [c for m in difflib.get_close_matches(key, list(by_norm), n=n, cutoff=cutoff)
             for c in by_norm[m]]
    return list(dict.fromkeys([*prefixed, *close]))[:n]


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``), or ``""`` when nothing is close."""
    found = nearest(word, candidates, n)
    if not found:
        return ""
    return "; did you mean " + " or ".join(repr(f) for f in found) + "?"
