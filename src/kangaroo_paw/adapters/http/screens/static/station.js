// A station's ticket rail: /screens/station?counter=griller, or ?cook=<staff id> for a cook.
// Tickets come from /api/v1/screens/station in dispatch order; Start and Bump by touch or by
// the keyboard bump bar; R recalls the last bump.

import { ApiError, ageState, api, attempt, chrome, clock, h, secondsSince, syncClock, timeOfDay, toast } from "./kp.js";
import { run } from "./live.js";

const params = new URLSearchParams(location.search);
const counter = params.get("counter");
const cook = params.get("cook");
const LAST_BUMP = `kp.lastBump.${counter || cook || "all"}`;
const state = { cards: [], selectedId: null, config: null, seen: null, allDay: true };
const rail = document.getElementById("cards");

async function load() {
  const query = new URLSearchParams();
  if (counter) query.set("counter", counter);
  if (cook) query.set("staff_id", cook);
  const board = await api(`/api/v1/screens/station?${query}`);
  syncClock(board.now);
  announce(board.cards);
  state.cards = board.cards;
  draw();
  if (state.allDay && counter) await loadAllDay();
}

async function loadAllDay() {
  try {
    const body = await api(`/api/v1/all-day?counter=${encodeURIComponent(counter)}`);
    const mine = (body.counters || []).find((c) => c.counter === counter);
    const box = document.getElementById("allday");
    box.replaceChildren(
      ...(mine?.items || []).map((item) =>
        h("span.count", { title: `${item.waiting} waiting, ${item.in_progress} cooking` },
          h("b", {}, item.waiting + item.in_progress), " ", label(item.item_key))),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) state.allDay = false; // not on this server
    else throw err;
  }
}

function label(itemKey) {
  return itemKey.replaceAll("_", " ");
}

function draw() {
  const cards = state.cards.map(card);
  rail.replaceChildren(...(cards.length ? cards : [h("p.empty", {}, "No tickets. All clear.")]));
  if (!state.cards.some((c) => c.task.task_id === state.selectedId)) {
    state.selectedId = state.cards.find((c) => !c.queued)?.task.task_id ?? null;
  }
  tick();
}

function card(entry, index) {
  const { task, order } = entry;
  const status = entry.queued ? "QUEUED" : task.status;
  const flags = [
    order.priority === "rush" && h("span.flag.rush", {}, "RUSH"),
    task.attempt > 1 && h("span.flag.refire", {}, `REFIRE ${task.attempt}`),
    task.held && h("span.flag.held", {}, "HELD"),
    task.voided && h("span.flag.void", {}, "VOID"),
  ];
  const extras = order.extras || {};
  return h(
    `article.card.${status.toLowerCase()}`,
    {
      dataset: { taskId: task.task_id, status, created: order.created_at, promised: order.promised_ready_at || "" },
      onclick: () => select(task.task_id),
    },
    h("header.card-head", {},
      h("span.num", {}, index < 9 ? String(index + 1) : "·"),
      h("span.ref", {}, order.external_order_id.slice(0, 14)),
      extras.table && h("span.table", {}, `T${extras.table}`),
      h("span.age", {}, "")),
    h("div.card-body", {},
      h("div.flags", {}, flags),
      h("div.item", {}, label(task.item_key), h("span.unit", {}, ` #${task.unit}`)),
      h("div.step", {}, `${task.step_no}. ${task.description}`),
      list("mods", task.modifiers),
      list("allergens", task.allergens, "⚠ "),
      extras.note && h("div.note", {}, extras.note),
      h("div.meta", {},
        h("span", {}, task.assigned_machine || task.machine || task.counter),
        h("span", {}, task.assigned_staff || "waiting for a cook"),
        h("span.due", {}, order.promised_ready_at ? `due ${timeOfDay(order.promised_ready_at)}` : ""))),
    action(entry),
  );
}

function list(kind, values, prefix = "") {
  if (!values || !values.length) return null;
  return h(`ul.${kind}`, {}, values.map((v) => h("li", {}, prefix + v)));
}

function action(entry) {
  const status = entry.queued ? "QUEUED" : entry.task.status;
  const go = (event) => {
    event.stopPropagation();
    advance(entry);
  };
  if (status === "ASSIGNED") return h("button.act.start", { type: "button", onclick: go }, "Start");
  if (status === "STARTED") return h("button.act.bump", { type: "button", onclick: go }, "Bump");
  return h("div.act.waiting", {}, "In queue");
}

/** Start an ASSIGNED ticket, bump (complete) a STARTED one. */
async function advance(entry) {
  const { task } = entry;
  select(task.task_id);
  if (entry.queued) return toast("This ticket waits for a cook: it cannot be started yet.", "info");
  const verb = task.status === "ASSIGNED" ? "start" : "complete";
  const done = await attempt(verb === "start" ? "Start" : "Bump", () =>
    api(`/api/v1/tasks/${task.task_id}/${verb}`, { method: "POST" }));
  if (done && verb === "complete") sessionStorage.setItem(LAST_BUMP, task.task_id);
  if (done) await load();
}

async function recall() {
  const taskId = sessionStorage.getItem(LAST_BUMP);
  if (!taskId) return toast("Nothing bumped here yet.", "info");
  try {
    await api(`/api/v1/tasks/${taskId}/recall`, { method: "POST" });
    sessionStorage.removeItem(LAST_BUMP);
    toast("Recalled the last bump.", "info");
    await load();
  } catch (err) {
    const message = err.status === 404
      ? "Recall is not available on this server (or the ticket is gone)."
      : `Recall: ${err.message}`;
    toast(message);
  }
}

function select(taskId) {
  state.selectedId = taskId;
  for (const el of rail.querySelectorAll(".card")) {
    el.classList.toggle("selected", el.dataset.taskId === taskId);
  }
}

function tick() {
  for (const el of rail.querySelectorAll(".card")) {
    const age = el.querySelector(".age");
    age.textContent = clock(secondsSince(el.dataset.created));
    const colour = ageState(el.dataset.created, el.dataset.promised, state.config);
    el.classList.remove("ok", "warn", "late");
    el.classList.add(colour);
  }
  select(state.selectedId);
  document.getElementById("now").textContent = timeOfDay(new Date().toISOString());
}

function onKey(event) {
  if (event.target.closest("input, textarea, .overlay") || event.ctrlKey || event.metaKey || event.altKey) return;
  const index = state.cards.findIndex((c) => c.task.task_id === state.selectedId);
  if (/^[1-9]$/.test(event.key)) {
    const entry = state.cards[Number(event.key) - 1];
    if (entry) select(entry.task.task_id);
  } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
    const next = state.cards[index + (event.key === "ArrowRight" ? 1 : -1)];
    if (next) select(next.task.task_id);
  } else if (event.key === "Enter" || event.key === " ") {
    if (state.cards[index]) advance(state.cards[index]);
  } else if (event.key === "r" || event.key === "R") {
    recall();
  } else {
    return;
  }
  event.preventDefault();
}

// -- chime on a new ticket (WebAudio: no sound file, no network) -----------------------------

let audio = null;
const chimeButton = document.getElementById("chime");

function setChime(on) {
  localStorage.setItem("kp.chime", on ? "on" : "off");
  chimeButton.textContent = on ? "Chime on" : "Chime off";
  chimeButton.setAttribute("aria-pressed", String(on));
}

function announce(cards) {
  const ids = new Set(cards.map((c) => c.task.task_id));
  const fresh = state.seen !== null && [...ids].some((id) => !state.seen.has(id));
  state.seen = ids;
  if (!fresh || localStorage.getItem("kp.chime") !== "on") return;
  audio ??= new AudioContext();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.4);
}

async function title() {
  if (counter) return `${label(counter)} station`;
  if (!cook) return "All stations";
  const staff = await api(`/api/v1/staff/${encodeURIComponent(cook)}`).catch(() => null);
  return staff ? `${staff.name}'s tickets` : "Cook's tickets";
}

async function main() {
  const setStatus = chrome(document.getElementById("status"));
  setChime(localStorage.getItem("kp.chime") === "on");
  chimeButton.addEventListener("click", () => setChime(localStorage.getItem("kp.chime") !== "on"));
  document.getElementById("recall").addEventListener("click", recall);
  document.addEventListener("keydown", onKey);
  document.getElementById("title").textContent = await title();
  document.title = `${document.getElementById("title").textContent} · Kangaroo Paw`;
  state.config = await api("/api/v1/screens/config");
  setInterval(tick, 1000);
  await run(state.config, load, setStatus);
}

main();
