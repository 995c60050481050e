"""The kitchen screens in headless Chromium against a real server: tickets arrive live, Start
and Bump by mouse and keyboard, colour thresholds, the manager's machine toggle, a server
restart, and screenshots of each screen."""

from __future__ import annotations

import base64
import re
import struct
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from browser.screens_support import ARTIFACTS, TOKEN, Server, open_screen


def _card(page: Any, task_id: str) -> Any:
    return page.locator(f'.card[data-task-id="{task_id}"]')


def _step(order: Any, step_no: int) -> str:
    return str(next(t["task_id"] for t in order["tasks"] if t["step_no"] == step_no))


def test_root_redirects_and_pages_hold_no_data(server: Server) -> None:
    response = server.http.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/screens/"
    bare = {"Authorization": ""}
    for path in ("/screens/", "/screens/station", "/screens/static/kp.js"):
        assert server.http.get(path, headers=bare).status_code == 200, path
    assert server.http.get("/api/v1/screens/station", headers=bare).status_code == 401
    page = server.http.get("/screens/station", headers=bare)
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_signed_in_station_shows_a_new_order_within_a_second(browser: Any, server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}/screens/station?counter=griller")
    page.fill("#kp-token", TOKEN)  # the sign-in form, once
    page.click(".signin button[type=submit]")
    expect(page.locator("#status")).to_have_attribute("data-state", "live", timeout=10_000)
    other = open_screen(browser, server, "/screens/station?counter=beverage")
    order = server.confirm("T-FIRST", {"burger_combo": 1})
    patty = _step(order, 1)
    expect(_card(page, patty)).to_be_visible(timeout=1000)
    expect(_card(page, patty)).to_contain_text("T-FIRST")
    expect(_card(page, patty)).to_contain_text("grill patty")
    assert other.locator(".card").count() == 0  # not the beverage station's ticket
    # The token was sent in a header only: it is in storage, never in a URL.
    assert TOKEN not in page.url
    assert page.evaluate("localStorage.getItem('kp.token')") == TOKEN
    context.close()
    other.context.close()


def test_start_and_bump_by_mouse_and_keyboard_then_expo_shows_ready(
    browser: Any, server: Server
) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    order = server.confirm("T-BUMP", {"burger_combo": 1})
    patty, bun = _step(order, 1), _step(order, 2)
    for task_id in (patty, bun):
        expect(_card(page, task_id).locator("button.act.start")).to_be_visible(timeout=5000)

    # Mouse: Start, then Bump.
    _card(page, patty).locator("button.act.start").click()
    expect(_card(page, patty)).to_have_attribute("data-status", "STARTED")
    assert server.task(patty)["status"] == "STARTED"
    _card(page, patty).locator("button.act.bump").click()
    expect(_card(page, patty)).to_have_count(0)
    assert server.task(patty)["status"] == "COMPLETED"

    # Keyboard: the card's number selects it, Enter starts it, Space bumps it.
    ids = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.taskId)")
    page.keyboard.press(str(ids.index(bun) + 1))
    expect(_card(page, bun)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Enter")
    expect(_card(page, bun)).to_have_attribute("data-status", "STARTED")
    assert server.task(bun)["status"] == "STARTED"
    page.keyboard.press(" ")
    expect(_card(page, bun)).to_have_count(0)
    assert server.task(bun)["status"] == "COMPLETED"

    # R recalls the last bump through POST /tasks/{id}/recall: STARTED again, on the
    # server and on the screen; then it is bumped again (Space on the selected card).
    page.keyboard.press("r")
    server.wait_status(bun, "STARTED", timeout=3)
    expect(_card(page, bun)).to_have_attribute("data-status", "STARTED")
    ids = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.taskId)")
    page.keyboard.press(str(ids.index(bun) + 1))
    page.keyboard.press(" ")
    expect(_card(page, bun)).to_have_count(0)
    server.wait_status(bun, "COMPLETED", timeout=3)

    # The other steps by the API, and the expo shows the order ready.
    expo = open_screen(browser, server, "/screens/expo")
    ticket = expo.locator(f'.card[data-order-id="{order["order_id"]}"]')
    expect(ticket).to_contain_text("2/4")
    fries = server.wait_status(_step(order, 3), "ASSIGNED")
    server.post(f"/api/v1/tasks/{fries['task_id']}/start")
    server.post(f"/api/v1/tasks/{fries['task_id']}/complete")
    assemble = server.wait_status(_step(order, 4), "ASSIGNED")
    server.post(f"/api/v1/tasks/{assemble['task_id']}/start")
    server.post(f"/api/v1/tasks/{assemble['task_id']}/complete")
    expect(ticket).to_have_class(re.compile(r"\bready\b"), timeout=3000)
    expect(ticket).to_contain_text("READY")
    # Bumped on the expo it is cleared (and stays cleared on reload); R brings it back.
    ticket.locator("button.act").click()
    expect(ticket).to_have_count(0)
    expo.reload()
    expect(expo.locator("#status")).to_have_attribute("data-state", "live")
    expect(ticket).to_have_count(0)
    expo.keyboard.press("r")
    expect(ticket).to_be_visible()


@pytest.mark.parametrize("server_env", [{"KP_SCREEN_WARN_SECS": "1.5", "KP_SCREEN_LATE_SECS": "3"}])
def test_ticket_colour_turns_at_the_thresholds(browser: Any, server: Server) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    order = server.confirm("T-COLOUR", {"burger_combo": 1})
    card = _card(page, _step(order, 1))
    expect(card).to_have_class(re.compile(r"\bok\b"), timeout=1000)
    head = card.locator(".card-head")
    ok_colour = head.evaluate("el => getComputedStyle(el).backgroundColor")
    expect(card).to_have_class(re.compile(r"\bwarn\b"), timeout=3000)
    warn_colour = head.evaluate("el => getComputedStyle(el).backgroundColor")
    expect(card).to_have_class(re.compile(r"\blate\b"), timeout=3000)
    late_colour = head.evaluate("el => getComputedStyle(el).backgroundColor")
    assert len({ok_colour, warn_colour, late_colour}) == 3


def test_machine_taken_down_on_the_manager_screen_gets_no_assignments(
    browser: Any, server: Server
) -> None:
    page = open_screen(browser, server, "/screens/manager")
    row = page.locator('.row[data-machine="blender-1"]')
    row.get_by_role("button", name="Take down").click()
    expect(row.locator(".pill")).to_have_text("down")
    machines = server.http.get("/api/v1/machines").json()["machines"]
    assert next(m for m in machines if m["name"] == "blender-1")["up"] is False

    order = server.confirm("T-DOWN", {"cold_coffee": 1})
    blend = _step(order, 1)
    time.sleep(1.5)  # the in-process scheduler would have assigned it by now
    assert server.task(blend)["status"] == "UNASSIGNED"

    row.get_by_role("button", name="Bring up").click()
    expect(row.locator(".pill")).to_have_text("up")
    server.wait_status(blend, "ASSIGNED")


def test_a_server_restart_resumes_the_same_state_without_duplicates(
    browser: Any, server: Server
) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    first = server.confirm("T-BEFORE", {"burger_combo": 1, "wrap": 1})
    expect(_card(page, _step(first, 1))).to_be_visible(timeout=2000)
    server.kill()
    expect(page.locator("#status")).to_have_attribute("data-state", "down", timeout=5000)
    server.start()
    expect(page.locator("#status")).to_have_attribute("data-state", "live", timeout=10_000)
    # A change made after the restart arrives over the resumed stream.
    second = server.confirm("T-AFTER", {"burger_combo": 1})
    expect(_card(page, _step(second, 1))).to_be_visible(timeout=2000)
    page.wait_for_timeout(500)
    board = server.http.get("/api/v1/screens/station", params={"counter": "griller"}).json()
    shown = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.taskId)")
    assert len(shown) == len(set(shown))  # no ticket twice
    assert shown == [card["task"]["task_id"] for card in board["cards"]]
    live = page.evaluate("window.kpLive")
    assert live["connects"] >= 2
    assert live["duplicates"] == 0
    assert live["lastId"] == server.http.get("/api/v1/screens/config").json()["head"]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _colours(browser: Any, png: bytes) -> int:
    """Distinct colours in a sample of the image's pixels (decoded by Chromium itself)."""
    page = browser.new_page()
    try:
        return int(
            page.evaluate(
                """async (src) => {
                    const img = new Image(); img.src = src; await img.decode();
                    const canvas = document.createElement("canvas");
                    canvas.width = img.width; canvas.height = img.height;
                    const g = canvas.getContext("2d"); g.drawImage(img, 0, 0);
                    const d = g.getImageData(0, 0, img.width, img.height).data;
                    const seen = new Set();
                    for (let i = 0; i < d.length; i += 4 * 101) {
                        seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
                    }
                    return seen.size;
                }""",
                "data:image/png;base64," + base64.b64encode(png).decode(),
            )
        )
    finally:
        page.close()


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_screenshots_render(browser: Any, server: Server, size: tuple[int, int]) -> None:
    server.confirm("A-1001", {"burger_combo": 2, "wrap": 1})
    server.confirm("A-1002", {"wrap": 1, "cold_coffee": 1})
    server.confirm("A-1003", {"burger_combo": 1, "dip_cup": 2})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = size
    for name, path in [
        ("station", "/screens/station?counter=griller"),
        ("expo", "/screens/expo"),
        ("manager", "/screens/manager"),
    ]:
        page = open_screen(browser, server, path, width, height)
        page.locator(".card, .row").first.wait_for()
        page.wait_for_timeout(300)
        target = ARTIFACTS / f"screens-{name}-{width}x{height}.png"
        png = page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
        assert _png_size(png) == (width, height)
        assert _colours(browser, png) > 20, f"{target} looks blank"
        page.context.close()
