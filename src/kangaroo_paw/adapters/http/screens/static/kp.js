// Shared by every screen: the token, API calls, the sign-in form, toasts, the server's clock,
// and DOM building without innerHTML (order notes are user text).

const TOKEN_KEY = "kp.token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
}

/** h("div.card.late", {onclick}, child, "text") → an element; null children are skipped. */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A JSON call with the bearer token; a 401 asks for a token again and retries once. */
export async function api(path, { method = "GET", body } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${await ensureToken()}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (res.status === 401 && attempt === 0) {
      signOut();
      continue;
    }
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(res.status, err.code || "http_" + res.status, err.message || res.statusText);
    }
    return data;
  }
}

let asking = null;

/** The stored token, or the sign-in form's answer (one form however many callers wait). */
export function ensureToken(message) {
  const stored = token();
  if (stored) return Promise.resolve(stored);
  asking ??= askToken(message).finally(() => (asking = null));
  return asking;
}

function askToken(message) {
  return new Promise((resolve) => {
    const input = h("input", {
      type: "password", name: "token", autocomplete: "current-password",
      placeholder: "API token", required: true, minlength: 16, id: "kp-token",
    });
    const remember = h("input", { type: "checkbox", id: "kp-remember", checked: true });
    const form = h("form.signin",
      {},
      h("h2", {}, "Sign in to this screen"),
      h("p.muted", {}, message || "Paste a token (kangaroo-paw token create --role station …). " +
        "The first start wrote a manager token to var/manager.token."),
      input,
      h("label", { for: "kp-remember" }, remember, " remember on this device"),
      h("button.primary", { type: "submit" }, "Sign in"),
    );
    const overlay = h("div.overlay", {}, form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = input.value.trim();
      (remember.checked ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
      overlay.remove();
      resolve(value);
    });
    document.body.append(overlay);
    input.focus();
  });
}

export function toast(message, kind = "error") {
  const box = document.getElementById("toasts") || document.body.appendChild(h("div", { id: "toasts" }));
  const item = h(`div.toast.${kind}`, { role: "alert" }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

/** Runs ``action`` and shows its API error as a toast, ``what`` naming what failed. */
export async function attempt(what, action) {
  try {
    return await action();
  } catch (err) {
    toast(`${what}: ${err.message}`);
    return undefined;
  }
}

// The server's clock: every board carries ``now``; ages are measured against it.
let offsetMs = 0;
export function syncClock(serverNow) {
  offsetMs = Date.parse(serverNow) - Date.now();
}
export function serverNow() {
  return Date.now() + offsetMs;
}

export function secondsSince(iso) {
  return Math.max(0, (serverNow() - Date.parse(iso)) / 1000);
}

/** 75 → "1:15"; negative values (time left) → "-1:15". */
export function clock(secs) {
  const sign = secs < 0 ? "-" : "";
  const s = Math.floor(Math.abs(secs));
  const m = Math.floor(s / 60);
  return `${sign}${m}:${String(s % 60).padStart(2, "0")}`;
}

export function timeOfDay(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/**
 * "ok" | "warn" | "late" for a ticket: by its age against the thresholds, and by its order's
 * promised ready time (late once it has passed, warn in the last quarter of the promise).
 */
export function ageState(createdAt, promisedAt, config) {
  const age = secondsSince(createdAt);
  let state = age >= config.late_secs ? "late" : age >= config.warn_secs ? "warn" : "ok";
  if (promisedAt) {
    const left = (Date.parse(promisedAt) - serverNow()) / 1000;
    const promised = (Date.parse(promisedAt) - Date.parse(createdAt)) / 1000;
    if (left <= 0) state = "late";
    else if (left <= promised / 4 && state === "ok") state = "warn";
  }
  return state;
}

/** The header's sign-out link and connection light, shared by the pages. */
export function chrome(status) {
  const out = document.getElementById("signout");
  out?.addEventListener("click", () => {
    signOut();
    location.reload();
  });
  return (state) => {
    status.dataset.state = state;
    status.textContent = state === "live" ? "● live" : "● reconnecting…";
  };
}

/** Calls ``fn`` at most once per ``ms`` however often it is asked (trailing call kept). */
export function debounce(fn, ms) {
  let timer = null;
  return () => {
    if (timer === null) timer = setTimeout(() => ((timer = null), fn()), ms);
  };
}
