"""The floor of ``bench http``: the least an HTTP confirm on PostgreSQL can cost here.

A bare ASGI handler under the same uvicorn as ``kangaroo-paw serve``: it reads the JSON
body, then in ONE transaction inserts the rows a real confirm stored (same topics, same state
bytes, fresh originator ids) into a copy of ``kitchen_events`` (same columns and indexes) and
NOTIFYs, then answers 201. No validation, no domain, no aggregates: our confirm rate divided
by this rate, in the same run, is the share of the cost the database sets.

    FLOOR_ROWS=rows.json KP_POSTGRES_SCHEMA=... python -m bench.floor_server PORT [WORKERS]

``rows.json``: ``[[aggregate_no, originator_version, topic, state_hex], ...]``, one confirm's
rows (``aggregate_no`` numbers the rows' originators; each request gives each a new id).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import psycopg_pool
import uvicorn

from kangaroo_paw.settings import Settings

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

TABLE = "floor_events"
INSERT = (
    f"INSERT INTO {TABLE} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
)
_settings = Settings.from_env()
_rows = [
    (int(aggregate), int(version), topic, bytes.fromhex(state))
    for aggregate, version, topic, state in json.loads(open(os.environ["FLOOR_ROWS"]).read())  # noqa: SIM115
]
_pools: list[psycopg_pool.AsyncConnectionPool[Any]] = []  # this worker's one pool, once open


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            size = _settings.postgres_pool_size
            pool = psycopg_pool.AsyncConnectionPool(
                _settings.database_url,
                min_size=size,
                max_size=size,
                kwargs={"options": f"-c search_path={_settings.postgres_schema}"},
                open=False,
            )
            await pool.open(wait=True)
            _pools.append(pool)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for pool in _pools:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["path"] == "/health/ready":
        await _respond(send, 200, b'{"status":"ok"}')
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    json.loads(body)
    ids: dict[int, uuid.UUID] = {}
    params = [
        (ids.setdefault(aggregate, uuid.uuid4()), version, topic, state)
        for aggregate, version, topic, state in _rows
    ]
    async with _pools[0].connection() as conn, conn.transaction(), conn.cursor() as cur:
        await cur.executemany(INSERT, params)
        await cur.execute(f"NOTIFY {TABLE}")
    await _respond(send, 201, b'{"status":"confirmed"}')


def main() -> None:
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    uvicorn.run(
        "bench.floor_server:app",
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
