"""The cache's fast timestamp conversion agrees with timeutil.ts_key on every input (held to
SQLite's 64-bit integers, as the cache stores it)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bd.core.timeutil import ts_key as _ts_key
from bd.store.cache.rows import _ts

_MAX = (1 << 63) - 1


def ts_key(text: str) -> int | None:
    ns = _ts_key(text)
    return ns if ns is None else max(-_MAX, min(_MAX, ns))

PARTS = st.sampled_from(["2025", "0000", "0001", "9999", "١٢٣٤", "+202", "-", "10", "13", "00",
                         "29", "30", "31", "02", "T", "t", " ", ":", "23", "24", "59", "60",
                         ".", "5", "123456789", "1234567890", "Z", "z", "+01:00", "W42", ""])


@settings(max_examples=2000, deadline=None)
@given(st.lists(PARTS, max_size=14))
def test_fast_path_equals_ts_key(parts: list[str]) -> None:
    text = "".join(parts)
    assert _ts(text) == ts_key(text)


@settings(max_examples=500, deadline=None)
@given(st.datetimes(), st.integers(0, 999_999_999), st.integers(0, 9))
def test_go_timestamps(dt, nanos, digits):  # type: ignore[no-untyped-def]
    frac = f".{nanos:09d}"[:digits + 1] if digits else ""
    text = dt.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"
    assert _ts(text) == ts_key(text)
    for bad in (text.replace("T", "t"), text[:-1], text[:19] + ".Z"):
        assert _ts(bad) == ts_key(bad)
