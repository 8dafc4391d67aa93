"""Issue IDs: hash generation, hierarchy helpers, explicit-ID checks, partial-ID resolution.

Pure functions only; the store supplies existence checks and candidate lists.
"""

from __future__ import annotations

import math

from bd.errors import AmbiguousIdError, NotFoundError, ValidationError

TYPE_CHECKING = False  # avoids importing typing (~8 ms) on the start-up path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

MAX_DEPTH = 3
MAX_ID_LENGTH = 200
HARD_MAX_HASH_LENGTH = 8
NONCES = 10

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# How many leading hash bytes feed each suffix length (matches the original tool).
_NUM_BYTES = {3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 5}


def _base36(n: int) -> str:
    if n == 0:
        return "0"
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(_B36[r])
    return "".join(reversed(out))


def hash_suffix(
    title: str, description: str, creator: str, created_ns: int, nonce: int, length: int
) -> str:
    """Base36 suffix of ``length`` chars derived from SHA-256 of the creation inputs."""
    import hashlib  # lazily: only `create` needs it, and it loads OpenSSL

    content = f"{title}|{description}|{creator}|{created_ns}|{nonce}"
    digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).digest()  # never fails
    num = int.from_bytes(digest[: _NUM_BYTES.get(length, 3)], "big")
    s = _base36(num).rjust(length, "0")
    # The byte count usually gives more digits than `length`; the original keeps the
    # low-order end (e.g. 2 bytes -> up to 4 digits for length 3).
    return s[-length:] if len(s) > length else s


def adaptive_length(
    n_existing: int, min_len: int = 3, max_len: int = 8, max_prob: float = 0.25
) -> int:
    """Smallest suffix length whose birthday-collision probability stays <= ``max_prob``."""
    n = float(n_existing)
    for length in range(min_len, max_len + 1):
        if 1.0 - math.exp(-(n * n) / (2.0 * 36.0**length)) <= max_prob:
            return length
    return max_len


def generate_id(
    prefix: str,
    title: str,
    description: str,
    creator: str,
    created_ns: int,
    *,
    n_existing: int,
    exists: Callable[[str], bool],
    min_len: int = 3,
    max_len: int = 8,
    max_prob: float = 0.25,
) -> str:
    """First ``prefix-suffix`` for which ``exists`` is False, trying lengths L..8 x nonces 0..9."""
    start = adaptive_length(n_existing, min_len, max_len, max_prob)
    for length in range(start, HARD_MAX_HASH_LENGTH + 1):
        for nonce in range(NONCES):
            suffix = hash_suffix(title, description, creator, created_ns, nonce, length)
            candidate = f"{prefix}-{suffix}"
            if not exists(candidate):
                return candidate
    raise ValidationError(
        f"failed to generate unique ID after trying lengths {start}-{HARD_MAX_HASH_LENGTH} "
        f"with {NONCES} nonces each"
    )


# --- hierarchy -------------------------------------------------------------------------


def _is_num(s: str) -> bool:
    # str.isdigit alone accepts non-ASCII digits such as "²".
    return bool(s) and s.isascii() and s.isdigit()


def is_hierarchical(issue_id: str) -> bool:
    """True when the id ends in ``.N`` (so prefixes may themselves contain dots)."""
    head, dot, tail = issue_id.rpartition(".")
    return bool(dot) and bool(head) and _is_num(tail)


def parent_of(issue_id: str) -> str | None:
    """The id with its last ``.N`` removed, or None for a top-level id."""
    if not is_hierarchical(issue_id):
        return None
    return issue_id.rpartition(".")[0]


def depth(issue_id: str) -> int:
    """Number of trailing ``.N`` segments (0 for a top-level id)."""
    d = 0
    while True:
        head, dot, tail = issue_id.rpartition(".")
        if not dot or not head or not _is_num(tail):
            return d
        d += 1
        issue_id = head


def child_id(parent: str, n: int) -> str:
    """The ``n``-th child id of ``parent``."""
    return f"{parent}.{n}"


def check_child_depth(parent: str) -> None:
    """Refuse to create a child below a parent that is already at the maximum depth."""
    if depth(parent) >= MAX_DEPTH:
        raise ValidationError(
            f"maximum hierarchy depth ({MAX_DEPTH}) exceeded for parent {parent}",
            issue_id=parent,
        )


# --- explicit ids ----------------------------------------------------------------------


def _shown(issue_id: str, limit: int = 60) -> str:
    """The id quoted for an error message, kept on one line and of bounded size."""
    s = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in issue_id
    )
    if len(s) > limit:
        s = s[:limit] + "..."
    return f"'{s}'"


def _bad_char(c: str) -> str | None:
    if c.isspace():
        return "whitespace"
    if not c.isprintable():
        return "a control or invisible character"
    if c in "\"\\":
        return "a quote or backslash"
    return None


MAX_PREFIX_LENGTH = 100


def check_prefix(prefix: str) -> None:
    """Refuse an issue prefix that would make ids :func:`validate_explicit_id` refuses."""
    if not prefix or prefix.startswith("-"):
        raise ValidationError(f"invalid prefix {_shown(prefix)}: it must not be empty or "
                              "start with '-'")
    if len(prefix) > MAX_PREFIX_LENGTH:
        raise ValidationError(f"invalid prefix {_shown(prefix)}: too long ({len(prefix)} "
                              f"characters, maximum {MAX_PREFIX_LENGTH})")
    for c in prefix:
        why = _bad_char(c)
        if why:
            raise ValidationError(f"invalid prefix {_shown(prefix)}: contains {why}")


def safe_prefix(name: str) -> str:
    """A prefix made from a directory name: characters ids cannot hold become '-'."""
    text = "".join("-" if _bad_char(c) else c for c in name)[:MAX_PREFIX_LENGTH]
    while "--" in text:
        text = text.replace("--", "-")
    return text.strip("-")


def split_id(issue_id: str) -> tuple[str, str]:
    """``(prefix, hash_part)`` split at the first hyphen; no hyphen -> ``("", id)``."""
    head, dash, tail = issue_id.partition("-")
    return (head, tail) if dash else ("", issue_id)


def validate_explicit_id(
    issue_id: str,
    prefix: str,
    allowed_prefixes: Iterable[str] = (),
    force: bool = False,
) -> None:
    """Check a user-supplied id (``--id``, ``--parent`` children); raise ValidationError."""
    if len(issue_id) > MAX_ID_LENGTH:
        raise ValidationError(
            f"invalid ID {_shown(issue_id)}: too long ({len(issue_id)} characters, "
            f"maximum {MAX_ID_LENGTH})"
        )
    for c in issue_id:
        why = _bad_char(c)
        if why:
            raise ValidationError(f"invalid ID {_shown(issue_id)}: contains {why}")
    given, rest = split_id(issue_id)
    if not given or not rest:
        raise ValidationError(_format_error(issue_id))
    if isinstance(allowed_prefixes, str):  # tolerate the raw comma list from config
        allowed_prefixes = allowed_prefixes.split(",")
    # Match whole known prefixes rather than the text before the first hyphen, so that
    # hyphenated prefixes such as "my-proj" are accepted (the original rejects them).
    for p in (prefix, *(a.strip() for a in allowed_prefixes)):
        if p and issue_id.startswith(p + "-"):
            if len(issue_id) == len(p) + 1:  # "my-proj-": nothing after the prefix
                raise ValidationError(_format_error(issue_id))
            return
    if not force:
        raise ValidationError(
            f"prefix mismatch: database uses '{prefix}' but you specified '{given}' "
            "(use --force to override)"
        )


def _format_error(issue_id: str) -> str:
    return (
        f"invalid ID format '{issue_id}' (expected format: prefix-hash or "
        "prefix-hash.number, e.g., 'bd-a3f8e9' or 'bd-a3f8e9.1')"
    )


# --- partial-id resolution --------------------------------------------------------------


def normalise(query: str, prefix: str) -> str:
    """``query`` with ``prefix-`` prepended unless it already starts with it."""
    query = query.strip()
    if not prefix or query.startswith(prefix + "-"):
        return query
    return f"{prefix}-{query}"


def _hash_of(issue_id: str, prefix: str) -> str:
    # Strip the configured prefix as a whole (hyphenated prefixes); other prefixes
    # (allowed_prefixes, imported ids) split at the first hyphen like the original.
    if prefix and issue_id.startswith(prefix + "-"):
        return issue_id[len(prefix) + 1 :]
    return split_id(issue_id)[1]


def hash_needle(query: str, prefix: str) -> str:
    """The hash part of ``query`` used for hash-equality and substring matching.

    Every id matched by the substring rule contains this string, so
    ``id LIKE '%needle%'`` is a safe SQL pre-filter.
    """
    return _hash_of(normalise(query, prefix), prefix)


def resolve_partial(query: str, prefix: str, candidates: Iterable[str]) -> str:
    """Resolve a full or partial id against ``candidates`` (non-tombstone ids)."""
    original = query
    query = query.strip()
    if not query:
        raise NotFoundError(f'no issue found matching "{original}"')
    ids = candidates if isinstance(candidates, (set, frozenset)) else set(candidates)
    if query in ids:
        return query
    norm = normalise(query, prefix)
    if norm in ids:
        return norm
    needle = _hash_of(norm, prefix)
    if not needle:  # "bd-" would otherwise match everything
        raise NotFoundError(f'no issue found matching "{query}"')
    exact: list[str] = []
    partial: list[str] = []
    for issue_id in ids:
        h = _hash_of(issue_id, prefix)
        if h == needle:
            exact.append(issue_id)
        elif needle in h:
            partial.append(issue_id)
    matches = exact or partial
    if not matches:
        raise NotFoundError(f'no issue found matching "{query}"')
    if len(matches) == 1:
        return matches[0]
    raise AmbiguousIdError(
        f'ambiguous ID "{query}" matches {len(matches)} issues: '
        f'[{", ".join(sorted(matches))}]; Use more characters to disambiguate'
    )


def child_number(issue_id: str) -> int:
    """The trailing child number of a hierarchical id (0 when it has none)."""
    tail = issue_id.rsplit(".", 1)[-1] if "." in issue_id else ""
    return int(tail) if _is_num(tail) else 0


def is_descendant_id(issue_id: str, ancestor: str) -> bool:
    """True when ``issue_id`` is a dotted descendant of ``ancestor`` (``P.1.2`` of ``P``)."""
    if not issue_id.startswith(ancestor + "."):
        return False
    return all(_is_num(part) for part in issue_id[len(ancestor) + 1:].split("."))
