"""The screens on the issue-13 routes, in headless Chromium against a real server: a recall the
server refuses says why, re-fire from a card, ticket content (modifiers, allergens, table…),
86 and back from the manager, hold and fire and void on the expo, and the all-day strip."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from browser.screens_support import Server, open_screen


def _card(page: Any, task_id: str) -> Any:
    return page.locator(f'.card[data-task-id="{task_id}"]')


def _step(order: Any, item_key: str, step_no: int) -> str:
    return str(
        next(
            t["task_id"]
            for t in order["tasks"]
            if t["item_key"] == item_key and t["step_no"] == step_no
        )
    )


def _answer_prompts(page: Any, text: str) -> None:
    """Accept every prompt and confirm the page opens, typing ``text`` into prompts."""
    page.on("dialog", lambda dialog: dialog.accept(text))


@pytest.mark.parametrize("server_env", [{"KP_RECALL_WINDOW_SECS": "0.5"}])
def test_a_refused_recall_shows_the_servers_reason(browser: Any, server: Server) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    order = server.confirm("T-LATE-RECALL", {"burger_combo": 1})
    patty = _step(order, "burger_combo", 1)
    _card(page, patty).locator("button.act.start").click(timeout=5000)
    _card(page, patty).locator("button.act.bump").click()
    server.wait_status(patty, "COMPLETED")
    time.sleep(0.8)  # past the recall window
    page.keyboard.press("r")
    toast = page.locator(".toast", has_text="recall_window_passed")
    expect(toast).to_be_visible()
    assert server.task(patty)["status"] == "COMPLETED"


def test_refire_from_a_card_by_touch_and_by_key_makes_new_attempts(
    browser: Any, server: Server
) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    _answer_prompts(page, "dropped it")
    order = server.confirm("T-REFIRE", {"burger_combo": 1})
    patty = _step(order, "burger_combo", 1)
    card = _card(page, patty)
    card.locator("button.act.start").click(timeout=5000)
    expect(card).to_have_attribute("data-status", "STARTED")
    card.locator("button.act.refire").click()
    task = server.wait_status(patty, "ASSIGNED")  # a new attempt, given to a cook again
    assert task["attempt"] == 2
    expect(card).to_have_attribute("data-attempt", "2")
    expect(card.locator(".flag.refire")).to_have_text("re-fire #1")
    # By the bump bar: select, Enter starts it, F re-fires it.
    card.locator("button.act.start").click()
    expect(card).to_have_attribute("data-status", "STARTED")
    ids = page.locator(".card").evaluate_all("cards => cards.map(c => c.dataset.taskId)")
    page.keyboard.press(str(ids.index(patty) + 1))
    page.keyboard.press("f")
    expect(card).to_have_attribute("data-attempt", "3")
    assert server.task(patty)["attempt"] == 3


def test_a_ticket_shows_its_orders_modifiers_allergens_and_table(
    browser: Any, server: Server
) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    order = server.confirm(
        "T-MODS",
        {"burger_combo": 1},
        table="12",
        guest="Ms Lee",
        channel="takeaway",
        note="birthday",
        modifiers={"burger_combo": ["no onion", "extra cheese"]},
        allergens={"burger_combo": ["sesame"]},
    )
    card = _card(page, _step(order, "burger_combo", 1))
    expect(card).to_be_visible(timeout=2000)
    expect(card.locator(".mods li")).to_have_text(["no onion", "extra cheese"])
    expect(card.locator(".allergens li")).to_have_text(["⚠ sesame"])
    expect(card.locator(".table")).to_have_text("T12")
    expect(card).to_contain_text("Ms Lee")
    expect(card).to_contain_text("birthday")
    expect(card.locator(".flag.channel")).to_have_text("takeaway")
    # Loud: the allergen is white on red and the card's border turns red.
    colour = card.locator(".allergens li").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(239, 68, 68)", colour
    expect(card).to_have_class(re.compile(r"\ballergy\b"))


def test_86_and_back_from_the_manager_screen(browser: Any, server: Server) -> None:
    page = open_screen(browser, server, "/screens/manager")
    row = page.locator('.row[data-item="wrap"]')
    row.get_by_role("button", name="86").click()
    expect(row.locator(".pill")).to_have_text("86'd")
    refused = server.http.post(
        "/api/v1/orders/confirm", json={"external_order_id": "T-86", "items": {"wrap": 1}}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "item_unavailable"
    row.get_by_role("button", name="Back on").click()
    expect(row.locator(".pill")).to_have_text("available")
    server.confirm("T-86", {"wrap": 1})  # 201 again
    # The machines panel shows each machine's kind (its pool).
    expect(page.locator('.row[data-machine="grill-1"] .kind')).to_have_text("grill-1")


def test_a_held_course_is_fired_from_the_expo_and_reaches_the_station(
    browser: Any, server: Server
) -> None:
    station = open_screen(browser, server, "/screens/station?counter=beverage")
    expo = open_screen(browser, server, "/screens/expo")
    order = server.confirm(
        "T-HOLD", {"dip_cup": 1, "cold_coffee": 1}, courses={"cold_coffee": 2}, hold=[2]
    )
    ticket = expo.locator(f'.card[data-order-id="{order["order_id"]}"]')
    expect(ticket.locator('.line[data-item="cold_coffee"]')).to_contain_text("HELD")
    blend = _step(order, "cold_coffee", 1)
    time.sleep(1)  # the scheduler had its chance: held work is not on the station
    expect(_card(station, blend)).to_have_count(0)
    assert server.task(blend)["held"] is True
    ticket.locator("button.fire", has_text="Fire course 2").click()
    expect(_card(station, blend)).to_be_visible(timeout=3000)
    expect(ticket.locator("button.fire")).to_have_count(0)
    assert server.http.get(f"/api/v1/orders/{order['order_id']}").json()["held_courses"] == []


def test_voiding_a_line_on_the_expo_asks_first(browser: Any, server: Server) -> None:
    expo = open_screen(browser, server, "/screens/expo")
    order = server.confirm("T-VOID", {"dip_cup": 1, "wrap": 1})
    line = expo.locator(f'.card[data-order-id="{order["order_id"]}"] .line[data-item="wrap"]')
    expo.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel": nothing happens
    line.locator("button.void").click()
    expo.wait_for_timeout(300)
    assert server.http.get(f"/api/v1/orders/{order['order_id']}").json()["voided_items"] == {}
    expo.once("dialog", lambda dialog: dialog.accept("guest left"))
    line.locator("button.void").click()
    expect(line).to_have_class(re.compile(r"\bvoided\b"))
    expect(line).to_contain_text("guest left")
    view = server.http.get(f"/api/v1/orders/{order['order_id']}").json()
    assert view["voided_items"] == {"wrap": "guest left"}


def test_all_day_strip_matches_the_all_day_route(browser: Any, server: Server) -> None:
    page = open_screen(browser, server, "/screens/station?counter=griller")
    server.confirm("T-AD1", {"burger_combo": 2})
    server.confirm("T-AD2", {"wrap": 1, "cold_coffee": 1})
    expect(page.locator('#allday .count[data-item="wrap"]')).to_be_visible(timeout=3000)
    page.wait_for_timeout(500)  # let the stream's redraws settle
    body = server.http.get("/api/v1/all-day", params={"counter": "griller"}).json()
    expected = {
        i["item_key"]: (str(i["waiting"]), str(i["in_progress"]))
        for i in body["counters"][0]["items"]
    }
    shown = page.locator("#allday .count").evaluate_all(
        "els => els.map(e => [e.dataset.item, e.dataset.waiting, e.dataset.inProgress])"
    )
    assert {item: (w, p) for item, w, p in shown} == expected
    assert set(expected) == {"burger_combo", "wrap"}  # cold coffee is not the grill's
    assert sum(int(w) + int(p) for w, p in expected.values()) == 3  # 2 burgers, 1 wrap
