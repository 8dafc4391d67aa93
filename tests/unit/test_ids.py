from __future__ import annotations

import hashlib
import math

import pytest

from bd.core import ids
from bd.errors import AmbiguousIdError, BdError, NotFoundError, ValidationError

# --- hash_suffix ------------------------------------------------------------------------


def _expected_suffix(title, desc, creator, ns, nonce, length):
    """Independent re-derivation of the original algorithm (spec §5.2)."""
    content = f"{title}|{desc}|{creator}|{ns}|{nonce}".encode()
    h = hashlib.sha256(content).digest()
    nbytes = {3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 5}.get(length, 3)
    n = int.from_bytes(h[:nbytes], "big")
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    digits = digits.rjust(length, "0")
    return digits[-length:]


@pytest.mark.parametrize("length", range(3, 9))
def test_hash_suffix_known_answer(length):
    args = ("Fix login", "", "alice", 1700000000000000000, 0)
    got = ids.hash_suffix(*args, length)
    assert got == _expected_suffix(*args, length)
    assert len(got) == length
    assert set(got) <= set("0123456789abcdefghijklmnopqrstuvwxyz")


@pytest.mark.parametrize(
    "length,expected",
    [(3, "tsa"), (4, "vt9n"), (5, "u84jw"), (6, "5u84jw"), (7, "9ixsdjy"), (8, "89ixsdjy")],
)
def test_hash_suffix_literal_values(length, expected):
    # Pinned literals (base36 of the leading 2/3/4/4/5/5 bytes, last `length` chars), so a
    # change to the algorithm shows up even if the helper above drifted the same way.
    assert ids.hash_suffix("Fix login", "", "alice", 1700000000000000000, 0, length) == expected


def test_hash_suffix_depends_on_every_input():
    base = ids.hash_suffix("t", "d", "c", 1, 0, 8)
    assert ids.hash_suffix("t2", "d", "c", 1, 0, 8) != base
    assert ids.hash_suffix("t", "d2", "c", 1, 0, 8) != base
    assert ids.hash_suffix("t", "d", "c2", 1, 0, 8) != base
    assert ids.hash_suffix("t", "d", "c", 2, 0, 8) != base
    assert ids.hash_suffix("t", "d", "c", 1, 1, 8) != base


def test_hash_suffix_unicode_is_utf8():
    got = ids.hash_suffix("Ünïcødé ✓", "", "ß", 5, 0, 6)
    assert got == _expected_suffix("Ünïcødé ✓", "", "ß", 5, 0, 6)


def test_base36_padding_and_last_chars(monkeypatch):
    # Force tiny and huge leading bytes to exercise left-padding and the keep-last rule.
    class FakeHash:
        def __init__(self, data):
            self._d = data

        def digest(self):
            return self._d

    monkeypatch.setattr(hashlib, "sha256", lambda b: FakeHash(b"\x00\x01" + b"\x00" * 30))
    assert ids.hash_suffix("a", "", "", 0, 0, 3) == "001"  # 2 bytes -> 1 -> "001"
    monkeypatch.setattr(hashlib, "sha256", lambda b: FakeHash(b"\xff" * 32))
    # 5 bytes of 0xff = 2**40 - 1 = "e13wu1of" (8 digits) -> length 7 keeps the last 7.
    assert ids.hash_suffix("a", "", "", 0, 0, 7) == "13wu1of"
    assert ids.hash_suffix("a", "", "", 0, 0, 8) == "e13wu1of"
    # 4 bytes of 0xff = "1z141z3" (7 digits) -> length 5 keeps "141z3", length 6 "z141z3".
    assert ids.hash_suffix("a", "", "", 0, 0, 5) == "141z3"
    assert ids.hash_suffix("a", "", "", 0, 0, 6) == "z141z3"
    # Unknown length falls back to 3 bytes.
    assert ids.hash_suffix("a", "", "", 0, 0, 10) == ids._base36(2**24 - 1).rjust(10, "0")


def test_base36():
    assert ids._base36(0) == "0"
    assert ids._base36(35) == "z"
    assert ids._base36(36) == "10"
    for n in (1, 1295, 46655, 2**40 - 1):
        assert int(ids._base36(n), 36) == n


# --- adaptive_length --------------------------------------------------------------------


@pytest.mark.parametrize(
    "last_n,length",
    [(163, 3), (983, 4), (5898, 5), (35389, 6), (212339, 7)],
)
def test_adaptive_length_boundaries(last_n, length):
    assert ids.adaptive_length(last_n) == length
    assert ids.adaptive_length(last_n + 1) == length + 1


def test_adaptive_length_edges():
    assert ids.adaptive_length(0) == 3
    assert ids.adaptive_length(10**9) == 8  # beyond every length -> max
    assert ids.adaptive_length(0, min_len=5) == 5
    assert ids.adaptive_length(10**6, max_len=6) == 6
    # Stricter probability pushes the length up.
    assert ids.adaptive_length(163, max_prob=0.01) > 3


def test_adaptive_length_matches_formula():
    for n in (0, 1, 50, 500, 5000, 50000, 500000):
        got = ids.adaptive_length(n)
        assert 1 - math.exp(-(n**2) / (2 * 36**got)) <= 0.25 or got == 8
        if got > 3:
            assert 1 - math.exp(-(n**2) / (2 * 36 ** (got - 1))) > 0.25


# --- generate_id ------------------------------------------------------------------------

ARGS = ("bd", "Fix login", "", "alice", 1700000000000000000)


def test_generate_id_first_candidate():
    got = ids.generate_id(*ARGS, n_existing=0, exists=lambda _: False)
    assert got == "bd-" + _expected_suffix("Fix login", "", "alice", 1700000000000000000, 0, 3)


def test_generate_id_uses_adaptive_length():
    got = ids.generate_id(*ARGS, n_existing=1000, exists=lambda _: False)
    assert got == "bd-" + _expected_suffix("Fix login", "", "alice", 1700000000000000000, 0, 5)


def test_generate_id_retries_nonces_then_lengths():
    tried = []

    def exists(candidate):
        tried.append(candidate)
        return len(tried) <= 12  # all 10 nonces at length 3, then 2 at length 4

    got = ids.generate_id(*ARGS, n_existing=0, exists=exists)
    expected = [
        "bd-" + _expected_suffix("Fix login", "", "alice", 1700000000000000000, nonce, length)
        for length in (3, 4)
        for nonce in range(10)
    ]
    assert tried == expected[:13]
    assert got == expected[12]
    assert len(got) == len("bd-") + 4


def test_generate_id_exhaustion():
    with pytest.raises(ValidationError) as ei:
        ids.generate_id(*ARGS, n_existing=1000, exists=lambda _: True)
    assert str(ei.value) == (
        "failed to generate unique ID after trying lengths 5-8 with 10 nonces each"
    )
    assert isinstance(ei.value, BdError)


def test_generate_id_hard_cap_8():
    calls = []
    with pytest.raises(ValidationError):
        ids.generate_id(*ARGS, n_existing=0, exists=lambda c: calls.append(c) or True, max_len=12)
    assert max(len(c) for c in calls) == len("bd-") + 8
    assert len(calls) == 6 * 10


# --- hierarchy --------------------------------------------------------------------------


def test_hierarchy_helpers():
    assert not ids.is_hierarchical("bd-a3f")
    assert ids.is_hierarchical("bd-a3f.1")
    assert ids.is_hierarchical("bd-a3f.1.22")
    assert not ids.is_hierarchical("my.proj-a3f")  # dotted prefix, no numeric tail
    assert ids.is_hierarchical("my.proj-a3f.2")
    assert not ids.is_hierarchical("bd-a3f.")
    assert not ids.is_hierarchical("bd-a3f.x1")
    assert not ids.is_hierarchical("bd-a3f.²")  # non-ASCII digit
    assert ids.parent_of("bd-a3f.1.2") == "bd-a3f.1"
    assert ids.parent_of("bd-a3f.1") == "bd-a3f"
    assert ids.parent_of("bd-a3f") is None
    assert ids.parent_of("my.proj-a3f") is None
    assert ids.depth("bd-a3f") == 0
    assert ids.depth("bd-a3f.1") == 1
    assert ids.depth("bd-a3f.1.2.3") == 3
    assert ids.depth("my.proj-a3f.4") == 1
    assert ids.child_id("bd-a3f", 1) == "bd-a3f.1"
    assert ids.child_id("bd-a3f.1", 12) == "bd-a3f.1.12"
    assert ids.MAX_DEPTH == 3


def test_check_child_depth():
    ids.check_child_depth("bd-a3f")
    ids.check_child_depth("bd-a3f.1.2")
    with pytest.raises(ValidationError) as ei:
        ids.check_child_depth("bd-a3f.1.2.3")
    assert str(ei.value) == "maximum hierarchy depth (3) exceeded for parent bd-a3f.1.2.3"


# --- explicit ids -----------------------------------------------------------------------


def test_validate_explicit_id_ok():
    ids.validate_explicit_id("bd-a3f8e9", "bd")
    ids.validate_explicit_id("bd-a3f8e9.1", "bd")
    ids.validate_explicit_id("bd-wisp-abc", "bd")
    ids.validate_explicit_id("other-abc", "bd", allowed_prefixes=["x", "other"])
    ids.validate_explicit_id("other-abc", "bd", allowed_prefixes="x, other")
    ids.validate_explicit_id("zzz-abc", "bd", force=True)


def test_validate_explicit_id_hyphenated_prefix():
    ids.validate_explicit_id("my-proj-a3f", "my-proj")
    ids.validate_explicit_id("my-proj-a3f.1", "my-proj")
    ids.validate_explicit_id("team-x-abc", "bd", allowed_prefixes=("team-x",))
    with pytest.raises(ValidationError) as ei:
        ids.validate_explicit_id("my-other-a3f", "my-proj")
    assert str(ei.value) == (
        "prefix mismatch: database uses 'my-proj' but you specified 'my' "
        "(use --force to override)"
    )


def test_validate_explicit_id_format():
    msg = (
        "invalid ID format 'abc' (expected format: prefix-hash or prefix-hash.number, "
        "e.g., 'bd-a3f8e9' or 'bd-a3f8e9.1')"
    )
    with pytest.raises(ValidationError) as ei:
        ids.validate_explicit_id("abc", "bd")
    assert str(ei.value) == msg
    with pytest.raises(ValidationError):
        ids.validate_explicit_id("abc", "bd", force=True)
    for bad in ("-abc", "bd-", "my-proj-", ""):
        with pytest.raises(ValidationError, match="invalid ID format"):
            ids.validate_explicit_id(bad, "my-proj" if bad == "my-proj-" else "bd")


def test_validate_explicit_id_prefix_mismatch():
    with pytest.raises(ValidationError) as ei:
        ids.validate_explicit_id("foo-abc", "bd")
    assert str(ei.value) == (
        "prefix mismatch: database uses 'bd' but you specified 'foo' (use --force to override)"
    )


@pytest.mark.parametrize(
    "bad,why",
    [
        ("bd-a b", "whitespace"),
        ("bd-a\tb", "whitespace"),
        ("bd-a\x07b", "control"),
        ('bd-a"b', "quote"),
        ("bd-a\\b", "backslash"),
        ("bd-" + "a" * 198, "too long"),
    ],
)
def test_validate_explicit_id_bad_chars(bad, why):
    with pytest.raises(ValidationError) as ei:
        ids.validate_explicit_id(bad, "bd", force=True)
    msg = str(ei.value)
    assert why in msg
    assert msg.startswith("invalid ID 'bd-a")
    assert "\n" not in msg and "\x07" not in msg
    assert len(msg) < 200


def test_validate_explicit_id_length_limit_is_inclusive():
    ids.validate_explicit_id("bd-" + "a" * 197, "bd")


def test_split_id():
    assert ids.split_id("bd-a3f.1") == ("bd", "a3f.1")
    assert ids.split_id("my-proj-a3f") == ("my", "proj-a3f")
    assert ids.split_id("abc") == ("", "abc")


# --- resolve_partial --------------------------------------------------------------------

CANDS = ["bd-a3f8e9", "bd-a3f8e9.1", "bd-b71", "bd-7b1x", "bd-c00"]


def test_resolve_exact():
    assert ids.resolve_partial("bd-b71", "bd", CANDS) == "bd-b71"
    assert ids.resolve_partial("bd-a3f8e9.1", "bd", CANDS) == "bd-a3f8e9.1"


def test_resolve_exact_without_prefix():
    assert ids.resolve_partial("b71", "bd", CANDS) == "bd-b71"
    assert ids.resolve_partial("a3f8e9", "bd", CANDS) == "bd-a3f8e9"
    assert ids.resolve_partial("  c00 ", "bd", CANDS) == "bd-c00"


def test_resolve_substring():
    assert ids.resolve_partial("c0", "bd", CANDS) == "bd-c00"
    assert ids.resolve_partial("bd-7b1", "bd", CANDS) == "bd-7b1x"
    assert ids.resolve_partial("e9.1", "bd", CANDS) == "bd-a3f8e9.1"


def test_resolve_hash_exact_beats_substring():
    # Exact-id steps skip "bd-xyz" because the query carries another prefix; the hash
    # comparison still finds it, and prefers it over ids that merely contain it.
    cands = ["other-xyz", "bd-xyz1", "bd-0xyz"]
    assert ids.resolve_partial("xyz", "bd", cands) == "other-xyz"


def test_resolve_ambiguous_message():
    with pytest.raises(AmbiguousIdError) as ei:
        ids.resolve_partial("a3f", "bd", CANDS)
    assert str(ei.value) == (
        'ambiguous ID "a3f" matches 2 issues: [bd-a3f8e9, bd-a3f8e9.1]; '
        "Use more characters to disambiguate"
    )
    with pytest.raises(AmbiguousIdError, match=r"matches 2 issues: \[bd-7b1x, bd-b71\]"):
        ids.resolve_partial("b", "bd", reversed(CANDS))


def test_resolve_not_found():
    with pytest.raises(NotFoundError) as ei:
        ids.resolve_partial("zzz", "bd", CANDS)
    assert str(ei.value) == 'no issue found matching "zzz"'
    with pytest.raises(NotFoundError):
        ids.resolve_partial("", "bd", CANDS)
    with pytest.raises(NotFoundError):
        ids.resolve_partial("bd-", "bd", CANDS)  # empty needle must not match everything
    with pytest.raises(NotFoundError):
        ids.resolve_partial("b71", "bd", [])


def test_resolve_underscore_prefix():
    cands = ["beads_rust-07b", "beads_rust-07c2", "beads_rust-a1"]
    assert ids.resolve_partial("beads_rust-07b", "beads_rust", cands) == "beads_rust-07b"
    assert ids.resolve_partial("07b", "beads_rust", cands) == "beads_rust-07b"
    assert ids.resolve_partial("7c", "beads_rust", cands) == "beads_rust-07c2"
    with pytest.raises(AmbiguousIdError):
        ids.resolve_partial("07", "beads_rust", cands)


def test_resolve_hyphenated_prefix():
    cands = ["my-proj-abc1", "my-proj-xab9", "my-proj-q77"]
    assert ids.resolve_partial("q7", "my-proj", cands) == "my-proj-q77"
    assert ids.resolve_partial("my-proj-q77", "my-proj", cands) == "my-proj-q77"
    with pytest.raises(AmbiguousIdError, match="matches 2 issues"):
        ids.resolve_partial("ab", "my-proj", cands)


def test_resolve_accepts_generators_and_sets():
    assert ids.resolve_partial("b71", "bd", iter(CANDS)) == "bd-b71"
    assert ids.resolve_partial("b71", "bd", frozenset(CANDS)) == "bd-b71"


def test_normalise_and_needle():
    assert ids.normalise("abc", "bd") == "bd-abc"
    assert ids.normalise("bd-abc", "bd") == "bd-abc"
    assert ids.normalise("bdabc", "bd") == "bd-bdabc"
    assert ids.hash_needle("abc", "bd") == "abc"
    assert ids.hash_needle("bd-abc.1", "bd") == "abc.1"
    assert ids.hash_needle("ab", "my-proj") == "ab"
    # Every substring match contains the needle, so SQL LIKE '%needle%' is a safe filter.
    for q in ("a3f", "e9.1", "b", "c0", "7b1"):
        needle = ids.hash_needle(q, "bd")
        try:
            hit = ids.resolve_partial(q, "bd", CANDS)
        except AmbiguousIdError:
            continue
        assert needle in hit
