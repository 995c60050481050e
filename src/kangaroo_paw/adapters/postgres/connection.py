"""Settings → PostgreSQL connections: the eventsourcing environment, plain psycopg
connections and pools, all pointed at ``KP_POSTGRES_SCHEMA``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from kangaroo_paw.settings import Settings, SettingsError

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow
    from psycopg_pool import ConnectionPool

APPLICATION_NAME = "kangaroo-paw"
CONNECT_TIMEOUT_SECS = 5
# Writers wait at most this long for the event table lock before the save fails (and is
# retried by the recorder); 0 would wait forever behind a stuck transaction.
LOCK_TIMEOUT_SECS = 10

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def schema_of(settings: Settings) -> str:
    """The validated schema name (a plain lower-case identifier, safe to splice)."""
    schema = settings.postgres_schema
    if not _SCHEMA.match(schema):
        raise SettingsError(
            f"KP_POSTGRES_SCHEMA must be a lower-case SQL identifier, not {schema!r}"
        )
    return schema


def connection_params(settings: Settings) -> dict[str, str]:
    """``dbname``, ``host``, ``port``, ``user``, ``password`` from ``KP_DATABASE_URL``."""
    url = urlparse(settings.database_url)
    if url.scheme not in {"postgresql", "postgres"}:
        raise SettingsError("KP_DATABASE_URL must be a postgresql:// URL")
    return {
        "dbname": unquote(url.path.lstrip("/")) or "kangaroo_paw",
        "host": url.hostname or "127.0.0.1",
        "port": str(url.port or 5432),
        "user": unquote(url.username or ""),
        "password": unquote(url.password or ""),
    }


def eventsourcing_env(settings: Settings, *, create_table: bool = False) -> dict[str, str]:
    """The environment of eventsourcing's postgres module. Tables come from the migrations
    (applied by ``kangaroo-paw db migrate``), so the library does not create them by default."""
    params = connection_params(settings)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_SCHEMA": schema_of(settings),
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.postgres_pool_size),
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECS),
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECS),
        # No ping per checkout (a round trip on every read and write): a pooled connection
        # the server killed fails its command with OperationalError, and the recorder
        # retries that on a fresh connection (tests/integration/postgres cover it).
        "POSTGRES_PRE_PING": "n",
        # Insert through es_insert_events_uuid (migration 001): one statement, one round trip,
        # about 1.5x the append rate of the recorder's pipelined transaction. Our version of the
        # function takes the table lock like the pipelined path; the library's own (what it
        # creates with CREATE_TABLE=y) does not, so the function is only used on migrated
        # schemas.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n" if create_table else "y",
        "CREATE_TABLE": "y" if create_table else "n",
    }


def connect_kwargs(settings: Settings, purpose: str) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect``: schema on the search path, UTC session."""
    return {
        **connection_params(settings),
        "connect_timeout": CONNECT_TIMEOUT_SECS,
        "options": f"-c search_path={schema_of(settings)} -c timezone=UTC",
        # PGAPPNAME, when set, wins: operators (and tests) can tag a whole process.
        "fallback_application_name": f"{APPLICATION_NAME} {purpose}",
    }


def connect(
    settings: Settings, purpose: str, *, autocommit: bool = True
) -> psycopg.Connection[TupleRow]:
    """A dedicated connection (locks, LISTEN, migrations)."""
    import psycopg

    return psycopg.connect(autocommit=autocommit, **connect_kwargs(settings, purpose))


def open_pool(settings: Settings, purpose: str, *, max_size: int | None = None) -> ConnectionPool:
    """A lazily opened pool whose connections are checked before use (a dropped connection
    is replaced rather than handed out)."""
    from psycopg_pool import ConnectionPool

    size = max_size or settings.postgres_pool_size
    return ConnectionPool(
        kwargs=connect_kwargs(settings, purpose),
        min_size=1,
        max_size=max(1, size),
        open=False,
        check=ConnectionPool.check_connection,
        name=f"kp-{purpose}",
        timeout=CONNECT_TIMEOUT_SECS * 2,
    )
