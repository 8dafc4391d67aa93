"""The pieces under the engine: the HTTP client's waits and retries (against a real local
server), paging links, ADF text, the label scheme, the journal."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fake_github import FakeGitHub

from bd.errors import TrackerError
from bd.trackers.adf import from_adf, to_adf
from bd.trackers.http import Http, next_link
from bd.trackers.labels import LabelScheme
from bd.trackers.state import State


@pytest.fixture
def fake() -> FakeGitHub:
    f = FakeGitHub(token="tok")
    f.add_issue("one")
    yield f
    f.stop()


def client(fake: FakeGitHub, waits: list[float], **kw: object) -> Http:
    return Http(fake.base, {"Authorization": "Bearer tok"}, name="github",
                sleep=waits.append, **kw)  # type: ignore[arg-type]


def test_retry_after_is_honoured(fake: FakeGitHub) -> None:
    waits: list[float] = []
    fake.inject(429, headers={"Retry-After": "7"})
    fake.inject(403, headers={"x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": str(int(time.time()) + 30)},
                body={"message": "API rate limit exceeded"})
    fake.inject(403, body={"message": "You have exceeded a secondary rate limit"})
    resp = client(fake, waits).request("GET", "/repos/acme/widgets/issues/1")
    assert resp.status_code == 200
    assert waits[0] == 7.0
    assert 25 <= waits[1] <= 31  # until x-ratelimit-reset
    assert len(waits) == 3  # the secondary limit without a header: backoff


def test_too_long_a_wait_is_an_error(fake: FakeGitHub) -> None:
    fake.inject(429, headers={"Retry-After": "3600"})
    with pytest.raises(TrackerError, match="wait 3600 s"):
        client(fake, []).request("GET", "/repos/acme/widgets/issues/1")


def test_5xx_backoff_doubles_then_gives_up(fake: FakeGitHub) -> None:
    waits: list[float] = []
    fake.inject(500, count=10)
    with pytest.raises(TrackerError, match="gave up after 4 attempts"):
        client(fake, waits, max_attempts=4, backoff=0.5).request(
            "GET", "/repos/acme/widgets/issues/1")
    assert waits == [0.5, 1.0, 2.0]


def test_post_not_retried_after_an_ambiguous_failure(fake: FakeGitHub) -> None:
    waits: list[float] = []
    fake.inject(502)
    with pytest.raises(TrackerError, match="not retried"):
        client(fake, waits).request("POST", "/repos/acme/widgets/issues",
                                    json={"title": "x"})
    fake.inject(503)  # unavailable: surely not done, so retried
    resp = client(fake, waits).request("POST", "/repos/acme/widgets/issues",
                                       json={"title": "x"})
    assert resp.status_code == 201


def test_4xx_names_the_request_not_the_token(fake: FakeGitHub) -> None:
    http = Http(fake.base, {"Authorization": "Bearer secret-xyz"}, name="github")
    with pytest.raises(TrackerError) as err:
        http.request("GET", "/repos/acme/widgets/issues/1")
    assert "HTTP 401" in str(err.value) and "Bad credentials" in str(err.value)
    assert "secret-xyz" not in str(err.value)


def test_refused_connection_is_retried() -> None:
    waits: list[float] = []
    http = Http("http://127.0.0.1:9", {}, name="x", sleep=waits.append, max_attempts=2)
    with pytest.raises(TrackerError, match="connection failed"):
        http.request("GET", "/")  # nothing listens on port 9
    assert waits == [0.5]


def test_next_link() -> None:
    class R:
        headers = {"link": '<https://api/x?page=2>; rel="next", <https://api/x?page=9>; '
                           'rel="last"'}
    assert next_link(R()) == "https://api/x?page=2"
    R.headers = {"link": '<https://api/x?page=1>; rel="prev"'}
    assert next_link(R()) is None


@pytest.mark.parametrize("text", ["", "one line", "two\nlines", "para\n\nother para",
                                  "a\nb\n\nc\nd"])
def test_adf_round_trip(text: str) -> None:
    assert from_adf(to_adf(text)) == text


def test_adf_reads_lists_and_mentions() -> None:
    doc = {"type": "doc", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Hi "},
                                          {"type": "mention", "attrs": {"text": "@ann"}}]},
        {"type": "bulletList", "content": [
            {"type": "listItem", "content": [{"type": "paragraph", "content": [
                {"type": "text", "text": "x"}]}]}]}]}
    assert from_adf(doc) == "Hi @ann\n\n- x"


def test_label_scheme_round_trip_and_overrides() -> None:
    scheme = LabelScheme({"0": "P0"}, {"blocked": "stuck"}, {"bug": "kind/bug"})
    fields = {"status": "blocked", "priority": 0, "issue_type": "bug", "labels": ["ui"]}
    labels = scheme.to_remote(fields)
    assert labels == ["kind/bug", "P0", "stuck", "ui"]
    assert scheme.to_bd(labels, closed=False) == {"status": "blocked", "priority": 0,
                                                  "issue_type": "bug", "labels": ["ui"]}
    assert scheme.to_bd(labels, closed=True)["status"] == "closed"  # closed wins
    assert scheme.to_bd(["enhancement"], closed=False)["issue_type"] == "feature"


def test_journal_ignores_a_torn_last_line(tmp_path: Path) -> None:
    st = State(str(tmp_path), "github")
    st.append({"op": "intent", "id": "t-1", "title": "x"})
    with open(st.journal_path, "ab") as fh:
        fh.write(b'{"op": "create", "id": "t-1", "ke')  # the kill
    assert st.journal() == [{"op": "intent", "id": "t-1", "title": "x"}]
    assert (tmp_path / "trackers" / ".gitignore").read_text().strip().endswith("*")


def test_state_is_written_only_when_changed(tmp_path: Path) -> None:
    st = State(str(tmp_path), "github")
    st.target = "acme/widgets"
    assert st.save() is True
    again = State.load(str(tmp_path), "github")
    assert again.save() is False
    (tmp_path / "trackers" / "github.json").write_text(json.dumps({"version": 99}))
    from bd.errors import DataError

    with pytest.raises(DataError, match="unreadable tracker state"):
        State.load(str(tmp_path), "github")
