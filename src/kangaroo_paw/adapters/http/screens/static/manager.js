// The manager's screen: cooks on shift and on break, machines up/down, counter capacities,
// 86 and back, rush an order, and the last hour as a small chart. Every button is one API
// call; the screen redraws from the API when the event stream says something changed.

import { api, attempt, chrome, clock, h, secondsSince, syncClock, timeOfDay } from "./kp.js";
import { run } from "./live.js";

const $ = (id) => document.getElementById(id);
const path = encodeURIComponent;

/** A button that runs one API write, then redraws. */
function act(label, what, call, kind = "") {
  return h(`button${kind ? "." + kind : ""}`, {
    type: "button",
    onclick: async (event) => {
      event.target.disabled = true;
      await attempt(what, call);
      await load();
    },
  }, label);
}

const post = (url, body) => () => api(url, { method: "POST", body });

function cooks(staff) {
  return staff.map((s) => h("div.row", { dataset: { staffId: s.staff_id } },
    h("span.name", {}, s.name),
    h(`span.pill.${s.on_shift ? "on" : "off"}`, {}, s.on_shift ? "on shift" : "off shift"),
    s.on_break && h("span.pill.break", {}, "on break"),
    h("span.grow", {}, `${s.active_tasks.length}/${s.max_parallel} tasks · ${s.skills.join(", ")}`),
    s.on_break
      ? act("End break", `End ${s.name}'s break`, post(`/api/v1/staff/${s.staff_id}/break/end`), "good")
      : act("Break", `Send ${s.name} on break`, post(`/api/v1/staff/${s.staff_id}/break/start`))));
}

function machines(list) {
  return list.map((m) => h("div.row", { dataset: { machine: m.name } },
    h("span.name", {}, m.name),
    h(`span.pill.${m.up ? "up" : "down"}`, {}, m.up ? "up" : "down"),
    h("span.kind", { title: "machine kind (its pool)" }, m.kind),
    h("span.grow", {}, `${m.counter} · ${m.in_use}/${m.capacity} in use`),
    m.up
      ? act("Take down", `Take ${m.name} down`, post(`/api/v1/machines/${path(m.name)}/down`), "danger")
      : act("Bring up", `Bring ${m.name} up`, post(`/api/v1/machines/${path(m.name)}/up`), "good")));
}

function counters(list) {
  const change = (c, delta) => () =>
    api(`/api/v1/counters/${path(c.name)}`, { method: "PATCH", body: { capacity: c.capacity + delta } });
  return list.map((c) => h("div.row", { dataset: { counter: c.name } },
    h("span.name", {}, c.name),
    h("span.grow", {}, `${c.in_use} in use of ${c.capacity}`),
    act("−", `Lower ${c.name}'s capacity`, change(c, -1)),
    h("b", {}, c.capacity),
    act("+", `Raise ${c.name}'s capacity`, change(c, 1))));
}

function menu(recipes) {
  return recipes.map((r) => {
    const off = r.available === false;
    return h("div.row", { dataset: { item: r.item_key } },
      h("span.name", {}, r.item_key.replaceAll("_", " ")),
      h(`span.pill.${off ? "off" : "on"}`, {}, off ? "86'd" : "available"),
      h("span.grow", {}, `${r.steps.length} steps`),
      off
        ? act("Back on", `Put ${r.item_key} back`, post(`/api/v1/recipes/${path(r.item_key)}/available`), "good")
        : act("86", `86 ${r.item_key}`, post(`/api/v1/recipes/${path(r.item_key)}/unavailable`), "danger"));
  });
}

function orders(board) {
  const open = board.orders.filter((t) => !t.ready);
  if (!open.length) return [h("p.muted", {}, "No open orders.")];
  return open.map(({ order, items }) => {
    const rushed = order.priority === "rush";
    const done = items.reduce((n, i) => n + i.steps_done, 0);
    const steps = items.reduce((n, i) => n + i.steps, 0);
    return h("div.row", { dataset: { orderId: order.order_id } },
      h("span.name", {}, order.external_order_id.slice(0, 14)),
      rushed && h("span.pill.off", {}, "RUSH"),
      order.late && h("span.pill.off", {}, "LATE"),
      h("span.grow", {},
        `${clock(secondsSince(order.created_at))} old · ${done}/${steps} steps` +
        (order.promised_ready_at ? ` · promised ${timeOfDay(order.promised_ready_at)}` : "")),
      act(rushed ? "Unrush" : "Rush", `Rush ${order.external_order_id}`,
        post(`/api/v1/orders/${order.order_id}/rush`, { rush: !rushed }), rushed ? "" : "danger"));
  });
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

/** Bars: average ticket time per bucket; line: tasks waiting at each bucket's end. */
function chart(history) {
  const W = 900, H = 200, left = 44, bottom = 22, top = 10;
  const n = history.buckets.length;
  const slot = (W - left) / n;
  const maxTicket = Math.max(60, ...history.buckets.map((b) => b.avg_ticket_secs || 0));
  const maxQueue = Math.max(4, ...history.buckets.map((b) => b.waiting_tasks));
  const y = (v, max) => top + (H - top - bottom) * (1 - v / max);
  const parts = [
    svg("line", { class: "axis", x1: left, y1: H - bottom, x2: W, y2: H - bottom }),
    svg("text", { x: 2, y: top + 10 }, `${clock(maxTicket)}`),
    svg("text", { x: 2, y: H - bottom }, "0"),
    svg("text", { x: W - 30, y: top + 10 }, `${maxQueue}`),
    svg("text", { x: left, y: H - 4 }, `-${history.minutes}m`),
    svg("text", { x: W - 30, y: H - 4 }, "now"),
  ];
  history.buckets.forEach((b, i) => {
    if (!b.avg_ticket_secs) return;
    const yy = y(b.avg_ticket_secs, maxTicket);
    const bar = svg("rect", { class: "ticket", x: left + i * slot + 4, y: yy, width: slot - 8, height: H - bottom - yy });
    bar.append(svg("title", {}, `${b.completed} done, avg ${clock(b.avg_ticket_secs)}, max ${clock(b.max_ticket_secs)}`));
    parts.push(bar);
  });
  const points = history.buckets.map((b, i) => `${left + (i + 1) * slot},${y(b.waiting_tasks, maxQueue)}`);
  parts.push(svg("polyline", { class: "queue", points: `${left},${y(history.buckets[0]?.waiting_tasks || 0, maxQueue)} ${points.join(" ")}` }));
  return svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "queue length and ticket times, last hour" }, ...parts);
}

async function load() {
  const [staff, machineList, counterList, recipes, board, history] = await Promise.all([
    api("/api/v1/staff"),
    api("/api/v1/machines"),
    api("/api/v1/counters"),
    api("/api/v1/recipes"),
    api("/api/v1/screens/expo"),
    api("/api/v1/screens/history"),
  ]);
  syncClock(board.now);
  $("cooks").replaceChildren(...cooks(staff.staff));
  $("machines").replaceChildren(...machines(machineList.machines));
  $("counters").replaceChildren(...counters(counterList.counters));
  $("menu").replaceChildren(...menu(recipes.recipes));
  $("orders").replaceChildren(...orders(board));
  $("chart").replaceChildren(chart(history));
  $("now").textContent = timeOfDay(new Date().toISOString());
}

async function main() {
  const setStatus = chrome($("status"));
  const config = await api("/api/v1/screens/config");
  await run(config, load, setStatus);
}

main();
