"""The web board in a real browser (headless Chromium): it shows a generated repository,
writes through the page land in the JSONL, CLI edits appear live, hostile text stays text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import Board, driver, generated_repo, save_screenshot, start_board, wait_for
from conftest import bd, bdj, read_records, record

__all__ = ["driver"]  # the fixture, imported so that pytest finds it here

XSS_TITLE = '<img src=x onerror="window.__xss=1;alert(1)"> Hostile <b>title</b>'
XSS_DESC = ('<script>window.__xss=2</script><iframe src="javascript:window.__xss=3"></iframe>'
            '\n[click](javascript:window.__xss=4) </textarea><svg onload="window.__xss=5">')


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    root = generated_repo(tmp_path_factory.mktemp("board") / "repo")
    bd("create", XSS_TITLE, "-d", XSS_DESC, "--id", "bd-xss", "-p", "4", cwd=root)
    bd("create", "Claim me", "--id", "bd-claim", cwd=root)
    # A small layered project, the graph page's picture (docs/images/ui-graph.png).
    bd("create", "Ship v1", "-t", "epic", "-p", "1", "--id", "bd-ship", cwd=root)
    for title, prio in (("Design the API", "1"), ("Implement the API", "2"),
                        ("Write the docs", "3"), ("Release notes", "3")):
        bd("create", title, "--parent", "bd-ship", "-p", prio, cwd=root)
    for a, b in (("bd-ship.2", "bd-ship.1"), ("bd-ship.3", "bd-ship.2"),
                 ("bd-ship.4", "bd-ship.2")):
        bd("dep", "add", a, b, cwd=root)
    bd("update", "bd-ship.1", "--status", "in_progress", "--assignee", "alice", cwd=root)
    bd("comments", "add", "bd-xss", '<img src=x onerror="window.__xss=6">', cwd=root)
    b = start_board(root, ["ui"])
    yield b
    b.stop()


def by_css(drv: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(drv.find_elements(By.CSS_SELECTOR, css))


def open_page(drv: Any, board: Board, hash_: str = "") -> int:
    drv.get(board.url + hash_)
    return int(wait_for("the page to render", lambda: drv.find_element(
        "css selector", "body[data-version]").get_attribute("data-version")))


def click(drv: Any, css: str) -> None:
    """Click the first match, again if a live refresh replaced it under the pointer."""
    wait_for(f"a click on {css}", lambda: (by_css(drv, css)[0].click(), True)[1])


def version(drv: Any) -> int:
    return int(drv.find_element("css selector", "body").get_attribute("data-version") or 0)


def assert_inert(drv: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    assert drv.execute_script("return window.__xss === undefined"), "page script ran"
    with pytest.raises(NoAlertPresentException):
        drv.switch_to.alert.text  # noqa: B018 - raises when there is no alert


def test_board_shows_the_generated_issues(driver: Any, board: Board, tmp_path: Path) -> None:
    open_page(driver, board)
    listed = bdj("list", "--limit", "0", cwd=board.root)
    by_status: dict[str, set[str]] = {}
    for rec in listed:
        by_status.setdefault(rec["status"], set()).add(rec["id"])
    assert len(listed) > 20
    for status, ids in by_status.items():
        column = by_css(driver, f'section.column[data-status="{status}"]')
        assert column, f"no column for {status}"
        count = column[0].find_element("css selector", ".count").text
        assert count == str(len(ids)), (status, count, len(ids))
        shown = {c.get_attribute("data-id") for c in
                 column[0].find_elements("css selector", "article.card")}
        assert shown == ids, status
    closed = by_css(driver, 'section.column[data-status="closed"] article.card')
    assert closed, "the closed column shows the latest closed issues"
    ready = {r["id"] for r in bdj("ready", "--limit", "0", cwd=board.root)}
    marked = {c.get_attribute("data-id") for c in by_css(driver, "article.card")
              if c.find_elements("css selector", ".ready")}
    assert marked == ready
    save_screenshot(driver, tmp_path, "ui-board.png")
    assert_inert(driver)


def test_closing_a_card_updates_the_jsonl(driver: Any, board: Board) -> None:
    open_page(driver, board)
    target = sorted(r["id"] for r in bdj("ready", "--limit", "0", cwd=board.root)
                    if r["id"] not in ("bd-xss", "bd-claim")
                    and not r["id"].startswith("bd-ship"))[0]
    before = version(driver)
    click(driver, f'[data-testid="close-{target}"]')
    rec = wait_for("the JSONL to record the close",
                   lambda: (r := record(board.root, target))["status"] == "closed" and r)
    assert rec["close_reason"] == "Closed from the board"
    wait_for("the page to refresh", lambda: version(driver) > before)
    wait_for("the card to move", lambda: by_css(
        driver, f'section.column[data-status="closed"] article.card[data-id="{target}"]'))


def test_epics_tab_shows_progress(driver: Any, board: Board) -> None:
    open_page(driver, board, "#/epics")
    rows = wait_for("the epics", lambda: by_css(driver, ".epic"))
    expected = {e["epic"]["id"]: e for e in bdj("epic", "status", cwd=board.root)}
    assert {r.get_attribute("data-id") for r in rows} == set(expected)
    for row in rows:
        e = expected[row.get_attribute("data-id")]
        bar = row.find_element("css selector", "progress")
        assert int(bar.get_attribute("value")) == e["closed_children"]
        assert f"{e['closed_children']}/{e['total_children']} closed" in row.text


def test_a_cli_edit_appears_without_reload(driver: Any, board: Board) -> None:
    open_page(driver, board)
    driver.execute_script("window.__sameDocument = 42;")
    target = next(r["id"] for r in bdj("list", "--status", "open", cwd=board.root)
                  if r["id"] not in ("bd-xss", "bd-claim") and not r["id"].startswith("bd-ship"))
    bd("update", target, "--title", "Renamed by another agent", cwd=board.root)
    wait_for("the new title on the open page", lambda: any(
        c.text == "Renamed by another agent"
        for c in by_css(driver, f'article.card[data-id="{target}"] .card-title')))
    assert driver.execute_script("return window.__sameDocument") == 42  # no reload
    assert "live" in by_css(driver, "#live")[0].text


def test_issue_page_comment_claim_and_history(driver: Any, board: Board) -> None:
    target = "bd-claim"
    open_page(driver, board, f"#/issue/{target}")
    wait_for("the issue page", lambda: by_css(driver, f'.detail[data-id="{target}"]'))
    box = by_css(driver, '[data-testid="comment-text"]')[0]
    box.send_keys("Written in the browser")
    click(driver, ".comment-form button")
    wait_for("the comment in the JSONL", lambda: any(
        c["text"] == "Written in the browser" for c in record(board.root, target)
        .get("comments", [])))
    wait_for("the comment on the page", lambda: "Written in the browser" in
             by_css(driver, ".detail")[0].text)
    click(driver, '[data-testid="claim"]')
    rec = wait_for("the claim", lambda: (r := record(board.root, target)).get("assignee") and r)
    assert rec["status"] == "in_progress"
    wait_for("the history to show the claim", lambda: "claimed" in
             by_css(driver, ".history")[0].text)


def test_create_from_the_page(driver: Any, board: Board) -> None:
    open_page(driver, board)
    click(driver, "#new-issue")
    by_css(driver, "#c-title")[0].send_keys("Made in the browser")
    by_css(driver, "#c-description")[0].send_keys("with a description")
    by_css(driver, "#c-labels")[0].send_keys("ui, web")
    click(driver, "#c-submit")
    made = wait_for("the new issue in the JSONL", lambda: [
        r for r in read_records(board.root) if r.get("title") == "Made in the browser"])
    assert made[0]["labels"] == ["ui", "web"]
    wait_for("its page", lambda: by_css(driver, f'.detail[data-id="{made[0]["id"]}"]'))


def test_graph_page(driver: Any, board: Board, tmp_path: Path) -> None:
    epics = [r["id"] for r in bdj("list", "--type", "epic", "--limit", "0", cwd=board.root)]
    pictures = {e: bdj("graph", e, cwd=board.root) for e in epics}
    best = max(epics, key=lambda e: (len(pictures[e]["layout"]["Layers"]),
                                     len(pictures[e]["issues"]), e))
    open_page(driver, board, f"#/graph/{best}")
    nodes = wait_for("the graph's nodes", lambda: by_css(driver, "svg .bdg-node"))
    assert len(nodes) == len(bdj("graph", best, cwd=board.root)["issues"])
    assert by_css(driver, f'svg .bdg-node.bdg-root[data-id="{best}"]')
    assert by_css(driver, "svg path.bdg-edge")
    nodes[-1].click()
    wait_for("the side panel", lambda: by_css(driver, ".bdg-panel:not([hidden]) h2"))
    save_screenshot(driver, tmp_path, "ui-graph.png")


def test_hostile_text_is_rendered_inert(driver: Any, board: Board) -> None:
    open_page(driver, board)
    card = wait_for("the hostile card", lambda: by_css(
        driver, 'article.card[data-id="bd-xss"] .card-title'))[0]
    assert card.text == XSS_TITLE
    assert not by_css(driver, "article.card img, article.card b")
    open_page(driver, board, "#/issue/bd-xss")
    title = wait_for("the issue page", lambda: by_css(driver, '[data-testid="issue-title"]'))
    assert title[0].text == XSS_TITLE
    desc = by_css(driver, '[data-testid="issue-description"]')[0]
    assert "<script>window.__xss=2</script>" in desc.text
    assert not by_css(driver, ".detail script, .detail iframe, .detail img, .detail svg")
    open_page(driver, board, "#/graph/bd-xss")
    wait_for("the graph", lambda: by_css(driver, 'svg .bdg-node[data-id="bd-xss"]'))
    assert not by_css(driver, "svg foreignObject, svg image, svg script")
    assert_inert(driver)
    errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"
              and "Content Security Policy" in e.get("message", "")]
    assert errors == [], errors  # nothing even tried to run


def test_standalone_graph_file_is_inert(driver: Any, board: Board, tmp_path: Path) -> None:
    page = tmp_path / "graph.html"
    bd("graph", "bd-xss", "--format", "html", "-o", str(page), cwd=board.root)
    driver.get(page.as_uri())
    node = wait_for("the node", lambda: by_css(driver, 'svg .bdg-node[data-id="bd-xss"]'))
    assert "Hostile" in node[0].find_element("css selector", "title").get_attribute(
        "textContent")
    by_css(driver, ".bdg-search")[0].send_keys("hostile")
    assert by_css(driver, ".bdg-panel:not([hidden])")
    assert_inert(driver)


def test_read_only_board(driver: Any, tmp_path: Path) -> None:
    root = generated_repo(tmp_path / "ro", issues=12)
    ro = start_board(root, ["ui", "--readonly"])
    try:
        assert ro.info["readonly"] is True
        open_page(driver, ro)
        assert by_css(driver, "article.card")
        assert not by_css(driver, "article.card button")
        assert not by_css(driver, "#new-issue")[0].is_displayed()
        before = (root / ".beads" / "issues.jsonl").read_bytes()
        status = driver.execute_async_script(
            "const done = arguments[0];"
            "fetch('/api/issues', {method: 'POST', headers: {'X-Bd-Token':"
            " sessionStorage.getItem('bd-token'), 'Content-Type': 'application/json'},"
            " body: JSON.stringify({title: 'nope'})}).then(r => done(r.status));")
        assert status == 403
        assert (root / ".beads" / "issues.jsonl").read_bytes() == before
    finally:
        ro.stop()
    assert json.loads(json.dumps(ro.info))["url"].startswith("http://127.0.0.1:")


def test_a_live_update_keeps_the_draft_being_typed(driver: Any, board: Board) -> None:
    open_page(driver, board, "#/issue/bd-claim")
    wait_for("the issue page", lambda: by_css(driver, '.detail[data-id="bd-claim"]'))
    wait_for("typing", lambda: (by_css(driver, '[data-testid="comment-text"]')[0]
                                .send_keys("half a thought"), True)[1])
    before = version(driver)
    bd("update", "bd-claim", "--notes", "edited elsewhere", cwd=board.root)
    wait_for("the live refresh", lambda: version(driver) > before)
    wait_for("the new notes", lambda: "edited elsewhere" in by_css(driver, ".detail")[0].text)
    box = by_css(driver, '[data-testid="comment-text"]')[0]
    assert box.get_attribute("value") == "half a thought"
