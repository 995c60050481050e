// A station's ticket rail: /screens/station?counter=griller, or ?cook=<staff id> for a cook.
// Tickets come from /api/v1/screens/station in dispatch order; Start and Bump by touch or by
// the keyboard bump bar; R recalls the last bump, F re-fires the selected ticket. The header
// strip is the station's all-day counts from /api/v1/all-day.

import { ApiError, ageState, api, attempt, chrome, clock, h, secondsSince, syncClock, timeOfDay, toast } from "./kp.js";
import { run } from "./live.js";

const params = new URLSearchParams(location.search);
const counter = params.get("counter");
const cook = params.get("cook");
const LAST_BUMP = `kp.lastBump.${counter || cook || "all"}`;
// Recall errors after which the last bump can never come back (others may pass later).
const GONE = new Set(["recall_window_passed", "task_voided", "invalid_state", "not_found"]);
const state = { cards: [], selectedId: null, config: null, seen: null };
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
  await loadAllDay();
}

/** Units to make per item at this counter (every counter's, summed, on a cook's or the
 * all-stations screen): waiting + in progress, both in the tooltip. */
async function loadAllDay() {
  const body = await api(`/api/v1/all-day${counter ? `?counter=${encodeURIComponent(counter)}` : ""}`);
  const totals = new Map();
  for (const c of body.counters) {
    for (const item of c.items) {
      const t = totals.get(item.item_key) || { waiting: 0, in_progress: 0 };
      t.waiting += item.waiting;
      t.in_progress += item.in_progress;
      totals.set(item.item_key, t);
    }
  }
  document.getElementById("allday").replaceChildren(
    ...[...totals].map(([itemKey, t]) =>
      h("span.count", {
        title: `${t.waiting} waiting, ${t.in_progress} cooking`,
        dataset: { item: itemKey, waiting: t.waiting, inProgress: t.in_progress },
      }, h("b", {}, t.waiting + t.in_progress), " ", label(itemKey))),
  );
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
  const extras = order.extras || {};
  const flags = [
    order.priority === "rush" && h("span.flag.rush", {}, "RUSH"),
    task.attempt > 1 && h("span.flag.refire", { title: `attempt ${task.attempt}` }, `re-fire #${task.attempt - 1}`),
    task.held && h("span.flag.held", {}, "HELD"),
    task.voided && h("span.flag.void", {}, "VOID"),
    extras.channel && extras.channel !== "dine_in" && h("span.flag.channel", {}, extras.channel.replace("_", " ")),
  ];
  const classes = [status.toLowerCase(), task.voided && "voided", task.allergens?.length && "allergy"];
  return h(
    `article.card.${classes.filter(Boolean).join(".")}`,
    {
      dataset: {
        taskId: task.task_id, status, attempt: task.attempt,
        created: order.created_at, promised: order.promised_ready_at || "",
      },
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
      list("allergens", task.allergens, "⚠ "),
      list("mods", task.modifiers),
      extras.guest && h("div.guest", {}, extras.guest),
      extras.note && h("div.note", {}, extras.note),
      h("div.meta", {},
        h("span", {}, task.assigned_machine || task.machine || task.machine_kind || task.counter),
        h("span", {}, task.assigned_staff || "waiting for a cook"),
        h("span.due", {}, order.promised_ready_at ? `due ${timeOfDay(order.promised_ready_at)}` : ""))),
    h("div.acts", {}, action(entry), refireButton(entry)),
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

/** Re-fire is offered on a started ticket (a dropped plate); a voided one is never redone. */
function refireButton(entry) {
  if (entry.queued || entry.task.status !== "STARTED" || entry.task.voided) return null;
  return h("button.act.refire", {
    type: "button",
    onclick: (event) => (event.stopPropagation(), refire(entry)),
  }, "Re-fire");
}

/** Do a started step again as a new attempt, after the cook confirms (a reason is optional). */
async function refire(entry) {
  const { task } = entry;
  select(task.task_id);
  if (entry.queued || task.status !== "STARTED" || task.voided) {
    return toast("Only a started ticket can be re-fired here.", "info");
  }
  const reason = window.prompt(`Re-fire ${label(task.item_key)} #${task.unit}: ${task.description}? Reason (optional):`, "");
  if (reason === null) return;
  const body = reason.trim() ? { reason: reason.trim().slice(0, 280) } : {};
  const done = await attempt("Re-fire", () =>
    api(`/api/v1/tasks/${task.task_id}/refire`, { method: "POST", body }));
  if (done) {
    toast(`Re-fired: attempt ${done.attempt}.`, "info");
    await load();
  }
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
    // The server's words (recall_window_passed, capacity_exceeded…): a ticket that cannot
    // come back is not retried, it is re-fired.
    if (err instanceof ApiError && GONE.has(err.code)) sessionStorage.removeItem(LAST_BUMP);
    toast(`Recall (${err.code}): ${err.message}`);
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
  } else if (event.key === "f" || event.key === "F") {
    if (state.cards[index]) refire(state.cards[index]);
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
