"""did-you-mean and the enumerated values (bd.core.suggest, bd.core.choices)."""

from __future__ import annotations

import pytest

from bd.core import choices
from bd.core.suggest import did_you_mean, nearest
from bd.errors import UsageError


def test_nearest() -> None:
    assert nearest("in-progress", choices.FILTER_STATUSES) == ["in_progress"]
    assert nearest("shwo", ["show", "list", "sync", "stats"]) == ["show"]
    assert nearest("--stauts", ["--status", "--sort", "--assignee"]) == ["--status"]
    assert nearest("blokcs", choices.DEP_TYPES)[0] == "blocks"
    assert nearest("prio", choices.LIST_SORTS) == ["priority"]
    assert nearest("qqqq", ["show", "list"]) == []
    assert did_you_mean("qqqq", ["show"]) == ""
    assert did_you_mean("lsit", ["list", "last"]).startswith("; did you mean 'list'")


def test_choices() -> None:
    assert choices.status("open") == "open"
    assert choices.status("all", filter=True) == "all"
    with pytest.raises(UsageError, match="use 'bd delete'"):
        choices.status("tombstone")
    with pytest.raises(UsageError, match=r"valid values: .*, review\)"):
        choices.status("revew", ["review"])
    assert choices.issue_type("feat") == "feature"
    assert choices.issue_type("spike", ["spike"]) == "spike"
    assert choices.dep_type("mentions", force=True) == "mentions"
    assert choices.dep_type("mentions", ["mentions"]) == "mentions"
    with pytest.raises(UsageError) as err:
        choices.dep_type("mentions")
    assert err.value.exit_code == 2 and "types.custom_deps" in str(err.value)
