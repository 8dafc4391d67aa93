"""Indented JSON text, byte for byte what ``json.dumps(obj, ensure_ascii=False, indent=2)``
writes, without the standard library's pure-Python encoder.

``json.dumps`` falls back to pure Python as soon as ``indent`` is set (about 12 us for an
issue row); output-bound commands print tens of thousands of rows.  Here strings go through
the C ``encode_basestring`` and a dict of plain values (an issue row's own fields) is
written by the C encoder in one call, its item separator being the newline and indentation
of its level: the indented layout of a container differs from a compact one only in the
containers nested in it, which are written one level deeper the same way.  Anything
unusual (keys that are not strings, values that are not JSON types, subclasses) is left to
``json.dumps`` itself, so the result is always the standard library's.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _string  # the C function when available

try:
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]  # private, untyped
except ImportError:  # pragma: no cover - an interpreter without the _json accelerator
    _c_make_encoder = None

TYPE_CHECKING = False  # importing typing costs ~5 ms of start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_INF = float("inf")


def _float(value: float) -> str:  # json.encoder's floatstr (allow_nan=True)
    if value != value:
        return "NaN"
    if value == _INF:
        return "Infinity"
    if value == -_INF:
        return "-Infinity"
    return float.__repr__(value)


_SCALARS: dict[type, Callable[[Any], str]] = {
    str: _string, int: int.__repr__, float: _float,
    bool: lambda value: "true" if value else "false", type(None): lambda value: "null",
}
_scalar = _SCALARS.get


class _Unusual(Exception):
    """Something json.dumps handles its own way: let it write the whole text."""


def _value(value: Any, pad: str) -> str:
    kind = type(value)
    write = _scalar(kind)
    if write is not None:
        return write(value)
    if kind is dict:
        return _dict(value, pad)
    if kind is list or kind is tuple:
        return _list(value, pad)
    raise _Unusual


def _list(items: list[Any] | tuple[Any, ...], pad: str) -> str:
    if not items:
        return "[]"
    inner = pad + "  "
    try:  # the usual list, of strings (labels, ids): C all the way
        texts = list(map(_string, items))
    except TypeError:
        texts = [_value(v, inner) for v in items]
    return "[" + inner + ("," + inner).join(texts) + pad + "]"


_ENCODERS: dict[str, Any] = {}


def _flat_encoder(inner: str) -> Any:
    """The C encoder whose item separator is ``,`` + ``inner`` (the newline and indentation
    of the items of a container one level in): its text of a dict of plain values is the
    indented text but for the opening brace's line break."""
    enc = _ENCODERS.get(inner)
    if enc is None:
        enc = _ENCODERS[inner] = _c_make_encoder(None, None, _string, None, ": ", "," + inner,
                                                 False, False, True)
    return enc


def _dict(d: dict[Any, Any], pad: str) -> str:
    if not d:
        return "{}"
    flat = flat_dict_text(d, pad)
    if flat is not None:
        return flat + pad + "}"
    inner = pad + "  "
    parts = []
    for key, value in d.items():
        if type(key) is not str:
            raise _Unusual
        parts.append(_string(key) + ": " + _value(value, inner))
    return "{" + inner + ("," + inner).join(parts) + pad + "}"


def dumps_indented(obj: Any, pad: str = "\n") -> str:
    """``json.dumps(obj, ensure_ascii=False, indent=2)``, every line break followed by the
    indentation in ``pad`` (``"\\n"`` at the top level; ``"\\n  "`` for an item of an
    array printed one level in)."""
    try:
        return _value(obj, pad)
    except (_Unusual, RecursionError):
        text = json.dumps(obj, ensure_ascii=False, indent=2)
        return text if pad == "\n" else text.replace("\n", pad)


def list_text(items: list[Any], pad: str) -> str:
    """:func:`dumps_indented` of a list."""
    try:
        return _list(items, pad)
    except (_Unusual, RecursionError):
        return dumps_indented(items, pad)


def flat_dict_text(d: dict[Any, Any], pad: str) -> str | None:
    """The indented text of a non-empty dict of string keys and plain values (strings,
    numbers, booleans, null) in one call of the C encoder, without its closing line: the
    caller appends more members (``,`` + pad + ``"  "`` + member) and then ``pad + "}"``.
    None when the C encoder is missing or a value is a container (or not JSON)."""
    if _c_make_encoder is None or not d:
        return None
    inner = pad + "  "
    try:
        text = "".join(_flat_encoder(inner)(d, 0))
    except Exception:  # not JSON (json.dumps says how), or a key that is not a string
        return None
    # A nested container shows as a key separator and a bracket (so may a string, which
    # only costs the slower way): its items would be one level too shallow.
    if '": [' in text or '": {' in text:
        return None
    return "{" + inner + text[1:-1]
