// The expo (pass) screen: every open order with each line's progress, its promise, late in
// red, READY in green once COMPLETED. Bumping an order clears it from this screen (kept in
// localStorage, so a reload does not bring it back); R recalls the last cleared order. A held
// course has a Fire button (POST /orders/{id}/fire); a line can be voided after a prompt.

import { ageState, api, attempt, chrome, clock, h, secondsSince, syncClock, timeOfDay, toast } from "./kp.js";
import { run } from "./live.js";

const CLEARED = "kp.expo.cleared";
const KEEP = 300; // cleared order ids remembered
const state = { orders: [], selectedId: null, config: null };
const rail = document.getElementById("cards");

function cleared() {
  try {
    return JSON.parse(localStorage.getItem(CLEARED) || "[]");
  } catch {
    return [];
  }
}

function saveCleared(ids) {
  localStorage.setItem(CLEARED, JSON.stringify(ids.slice(-KEEP)));
}

async function load() {
  const board = await api("/api/v1/screens/expo");
  syncClock(board.now);
  state.orders = board.orders;
  draw();
}

function draw() {
  const gone = new Set(cleared());
  const shown = state.orders.filter((t) => !gone.has(t.order.order_id));
  state.shown = shown;
  const ready = shown.filter((t) => t.ready).length;
  document.getElementById("summary").textContent = `${shown.length} orders · ${ready} ready`;
  rail.replaceChildren(...(shown.length ? shown.map(ticket) : [h("p.empty", {}, "No open orders.")]));
  if (!shown.some((t) => t.order.order_id === state.selectedId)) {
    state.selectedId = shown[0]?.order.order_id ?? null;
  }
  tick();
}

function ticket(entry, index) {
  const { order } = entry;
  const extras = order.extras || {};
  return h(
    `article.card.ticket${entry.ready ? ".ready" : ""}`,
    {
      dataset: { orderId: order.order_id, created: order.created_at, promised: order.promised_ready_at || "", ready: entry.ready ? "1" : "" },
      onclick: () => select(order.order_id),
    },
    h("header.card-head", {},
      h("span.num", {}, index < 9 ? String(index + 1) : "·"),
      h("span.ref", {}, order.external_order_id.slice(0, 14)),
      extras.table && h("span.table", {}, `T${extras.table}`),
      h("span.age", {}, "")),
    h("div.card-body", {},
      entry.ready ? h("div.ready-badge", {}, "READY") : null,
      order.priority === "rush" && h("div.flags", {}, h("span.flag.rush", {}, "RUSH")),
      h("ul.lines", {}, entry.items.map((item) => line(order, item))),
      entry.held_courses.length > 0 && h("div.holds", {}, entry.held_courses.map((course) =>
        h("button.fire", {
          type: "button",
          dataset: { course },
          onclick: (e) => (e.stopPropagation(), fire(order, course)),
        }, `Fire course ${course}`))),
      extras.note && h("div.note", {}, extras.note),
      h("div.meta", {},
        h("span", {}, order.status.replace("_", " ").toLowerCase()),
        h("span.due", {}, order.promised_ready_at ? `promised ${timeOfDay(order.promised_ready_at)}` : ""))),
    h(`button.act.${entry.ready ? "bump" : "start"}`, { type: "button", onclick: (e) => (e.stopPropagation(), clear(order.order_id)) },
      entry.ready ? "Bump" : "Clear"),
  );
}

function line(order, item) {
  const bar = h("span");
  bar.style.setProperty("--done", `${item.steps ? (100 * item.steps_done) / item.steps : 0}%`);
  const open = !item.voided && !["COMPLETED", "CANCELLED"].includes(order.status);
  return h(`li.line${item.voided ? ".voided" : ""}${item.held ? ".held" : ""}`, { dataset: { item: item.item_key } },
    h("span", {},
      `${item.quantity} × ${item.item_key.replaceAll("_", " ")}`,
      item.course > 1 && h("small.course", {}, ` c${item.course}`)),
    h("b", {}, item.voided ? "VOID" : item.held ? "HELD" : `${item.steps_done}/${item.steps}`),
    item.allergens.length > 0 && h("span.allergen-tags", {}, item.allergens.map((a) => h("i", {}, `⚠ ${a}`))),
    item.modifiers.length > 0 && h("span.mod-tags", {}, item.modifiers.join(", ")),
    item.voided && item.void_reason && h("span.void-reason", {}, item.void_reason),
    !item.voided && h("div.progress", { title: `${item.steps_started} cooking` }, bar),
    open && h("button.void", {
      type: "button",
      title: `Void ${item.item_key}`,
      onclick: (e) => (e.stopPropagation(), voidLine(order, item)),
    }, "Void"));
}

/** Fire a held course: its tasks leave the hold and reach the stations. */
async function fire(order, course) {
  const done = await attempt(`Fire course ${course}`, () =>
    api(`/api/v1/orders/${order.order_id}/fire`, { method: "POST", body: { course } }));
  if (done) await load();
}

/** Take a line off the order, after the expo confirms it and says why. */
async function voidLine(order, item) {
  const name = item.item_key.replaceAll("_", " ");
  const reason = window.prompt(`Void ${item.quantity} × ${name} from ${order.external_order_id}? Reason:`, "");
  if (reason === null) return;
  const body = { item_key: item.item_key, reason: reason.trim().slice(0, 280) || "voided at the pass" };
  const done = await attempt(`Void ${name}`, () =>
    api(`/api/v1/orders/${order.order_id}/void`, { method: "POST", body }));
  if (done) await load();
}

function clear(orderId) {
  saveCleared([...cleared().filter((id) => id !== orderId), orderId]);
  draw();
}

function recall() {
  const ids = cleared();
  const last = ids.pop();
  if (!last) return toast("Nothing cleared yet.", "info");
  saveCleared(ids);
  draw();
  select(last);
}

function select(orderId) {
  state.selectedId = orderId;
  for (const el of rail.querySelectorAll(".card")) el.classList.toggle("selected", el.dataset.orderId === orderId);
}

function tick() {
  for (const el of rail.querySelectorAll(".card")) {
    el.querySelector(".age").textContent = clock(secondsSince(el.dataset.created));
    el.classList.remove("ok", "warn", "late");
    if (!el.dataset.ready) el.classList.add(ageState(el.dataset.created, el.dataset.promised, state.config));
  }
  select(state.selectedId);
  document.getElementById("now").textContent = timeOfDay(new Date().toISOString());
}

function onKey(event) {
  if (event.target.closest("input, textarea, .overlay") || event.ctrlKey || event.metaKey || event.altKey) return;
  const shown = state.shown || [];
  if (/^[1-9]$/.test(event.key)) {
    const entry = shown[Number(event.key) - 1];
    if (entry) select(entry.order.order_id);
  } else if ((event.key === "Enter" || event.key === " ") && state.selectedId) {
    clear(state.selectedId);
  } else if (event.key === "r" || event.key === "R") {
    recall();
  } else {
    return;
  }
  event.preventDefault();
}

async function main() {
  const setStatus = chrome(document.getElementById("status"));
  document.getElementById("recall").addEventListener("click", recall);
  document.addEventListener("keydown", onKey);
  window.addEventListener("storage", (event) => event.key === CLEARED && draw());
  state.config = await api("/api/v1/screens/config");
  setInterval(tick, 1000);
  await run(state.config, load, setStatus);
}

main();
