"""The canonical line codec: Go's byte format, key order, and what a rewrite keeps."""

from __future__ import annotations

import json

from bd.core import model


def test_go_escapes_and_key_order() -> None:
    rec = {"title": "a <b> & c\u2028", "id": "t-1", "priority": 0, "created_at": "x",
           "updated_at": "y", "description": ""}
    line = model.to_line(rec)
    assert line == (b'{"id":"t-1","title":"a \\u003cb\\u003e \\u0026 c\\u2028","priority":0,'
                    b'"created_at":"x","updated_at":"y"}\n')


def test_unknown_keys_stay_beside_their_neighbour_and_zeros_are_kept() -> None:
    rec = {"id": "t-1", "title": "T", "owner": "o", "priority": 2, "created_at": "x",
           "updated_at": "y", "compaction_level": 0}
    assert list(json.loads(model.to_line(rec))) == [
        "id", "title", "owner", "priority", "created_at", "updated_at", "compaction_level"]


def test_lone_surrogates_become_replacement_characters() -> None:
    rec = {"id": "t-1", "title": "bad \ud800 text", "priority": 2, "created_at": "x",
           "updated_at": "y"}
    line = model.to_line(rec)
    assert json.loads(line)["title"] == "bad \ufffd text"
    assert b"?" not in line
