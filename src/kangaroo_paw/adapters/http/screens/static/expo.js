// The expo (pass) screen: every open order with each line's progress, its promise, late in
// red, READY in green once COMPLETED. Bumping an order clears it from this screen (kept in
// localStorage, so a reload does not bring it back); R recalls the last cleared order.

import { ageState, api, chrome, clock, h, secondsSince, syncClock, timeOfDay, toast } from "./kp.js";
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
      h("ul.lines", {}, entry.items.map(line)),
      extras.note && h("div.note", {}, extras.note),
      h("div.meta", {},
        h("span", {}, order.status.replace("_", " ").toLowerCase()),
        h("span.due", {}, order.promised_ready_at ? `promised ${timeOfDay(order.promised_ready_at)}` : ""))),
    h(`button.act.${entry.ready ? "bump" : "start"}`, { type: "button", onclick: (e) => (e.stopPropagation(), clear(order.order_id)) },
      entry.ready ? "Bump" : "Clear"),
  );
}

function line(item) {
  const bar = h("span");
  bar.style.setProperty("--done", `${item.steps ? (100 * item.steps_done) / item.steps : 0}%`);
  return h("li.line", {},
    h("span", {}, `${item.quantity} × ${item.item_key.replaceAll("_", " ")}`),
    h("b", {}, `${item.steps_done}/${item.steps}`),
    h("div.progress", { title: `${item.steps_started} cooking` }, bar));
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
