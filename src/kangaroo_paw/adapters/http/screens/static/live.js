// Follows GET /api/v1/stream (Server-Sent Events) with fetch(), because EventSource cannot
// send the Authorization header and a token must never be put in a URL. Each event's id is
// its notification id in the log: the last one seen is sent back as Last-Event-ID on every
// reconnect (a dropped connection, a server restart), so the server replays what was
// missed; an id at or below the last one is a duplicate and is dropped.

import { api, ensureToken, signOut, toast } from "./kp.js";

const SILENCE_MS = 40000; // the server sends a keepalive every 15 s
const MAX_BACKOFF_MS = 5000;

/** What the page (and its tests) can see of the stream. */
export const stats = { lastId: null, received: 0, duplicates: 0, connects: 0 };
window.kpLive = stats;

/**
 * Follow the stream from ``after`` (the head a board was read at): ``onEvent(event)`` for each
 * new event, ``onConnect()`` after each (re)connect, ``onStatus("live"|"down")``.
 */
export async function follow(after, { onEvent, onConnect, onStatus }) {
  stats.lastId = after;
  let backoff = 500;
  for (;;) {
    const abort = new AbortController();
    try {
      const headers = {
        Accept: "text/event-stream",
        Authorization: `Bearer ${await ensureToken()}`,
      };
      if (stats.lastId !== null) headers["Last-Event-ID"] = String(stats.lastId);
      const res = await fetch("/api/v1/stream", { headers, signal: abort.signal, cache: "no-store" });
      if (res.status === 401) signOut();
      if (!res.ok) throw new Error(`stream: HTTP ${res.status}`);
      await rewindIfReset();
      stats.connects += 1;
      backoff = 500;
      onStatus("live");
      onConnect();
      await read(res.body, abort, (event) => {
        if (stats.lastId !== null && event.notification_id <= stats.lastId) {
          stats.duplicates += 1;
          return;
        }
        stats.lastId = event.notification_id;
        stats.received += 1;
        onEvent(event);
      });
    } catch (err) {
      // a drop, a restart or a timeout: wait and resume from the last id
    }
    abort.abort();
    onStatus("down");
    await new Promise((resolve) => setTimeout(resolve, backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** A store that was reset (a new data dir) restarts its ids: follow from its head then. */
async function rewindIfReset() {
  if (stats.lastId === null) return;
  const config = await api("/api/v1/screens/config");
  if (config.head < stats.lastId) stats.lastId = config.head;
}

/** Parse the SSE body (fields per the HTML spec: data, id; comments and retry ignored). */
async function read(body, abort, deliver) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let watchdog = setTimeout(() => abort.abort(), SILENCE_MS);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => abort.abort(), SILENCE_MS);
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length) deliver(JSON.parse(data.join("\n")));
      }
    }
  } finally {
    clearTimeout(watchdog);
    reader.cancel().catch(() => {});
  }
}

/**
 * The usual page loop: draw the board, then follow the stream from the head ``config`` (from
 * /api/v1/screens/config, read before the board) names, and redraw on every event and after
 * every reconnect; redraws asked for while one runs collapse into one more.
 */
export async function run(config, load, setStatus) {
  let pending = false;
  let busy = null;
  const refresh = async () => {
    if (busy) {
      pending = true;
      return;
    }
    // A network error shows as the connection light; anything else (a 403, a 5xx) is said.
    busy = load().catch((err) => err instanceof TypeError || toast(`Could not refresh: ${err.message}`));
    await busy;
    busy = null;
    if (pending) {
      pending = false;
      refresh();
    }
  };
  await refresh();
  follow(config.head, {
    onEvent: refresh,
    onConnect: refresh,
    onStatus: setStatus,
  });
}
