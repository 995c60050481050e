"""Apply the schema migrations to ``KP_POSTGRES_SCHEMA``: idempotent, serialized, recorded.

The ``NNN_name.sql`` files live in ``migrations/`` beside this module and ship inside the
wheel, so ``kangaroo-paw db migrate`` works the same from a source checkout, an installed
wheel and the container image."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from kangaroo_paw.adapters.postgres.connection import connect, schema_of
from kangaroo_paw.settings import Settings

log = logging.getLogger(__name__)

# Concurrent `db migrate` runs (several containers starting at once) take turns.
MIGRATE_LOCK_KEY = 0x4B50_6D69_6772  # "KPmigr"


class NotMigrated(RuntimeError):
    """The schema lacks tables the services mode needs; run ``kangaroo-paw db migrate``."""


def packaged_migrations() -> Traversable:
    """The migrations shipped with the package (``kangaroo_paw/adapters/postgres/migrations``)."""
    return files(__package__ or "kangaroo_paw.adapters.postgres") / "migrations"


@dataclass(frozen=True, slots=True)
class Migration:
    """One ``NNN_name.sql`` file: its version is the file name without ``.sql``."""

    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass
class MigrationReport:
    """What one ``migrate`` run did, file by file."""

    schema: str
    applied: list[str] = field(default_factory=list)  # first time in this schema
    changed: list[str] = field(default_factory=list)  # file edited since it was recorded
    unchanged: list[str] = field(default_factory=list)


def load_migrations(sql_dir: Path | None = None) -> list[Migration]:
    """The ``*.sql`` files of ``sql_dir`` (default: the packaged migrations), in name order."""
    folder: Traversable = packaged_migrations() if sql_dir is None else sql_dir
    found = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql") and entry.is_file()),
        key=lambda entry: entry.name,
    )
    if not found:
        raise FileNotFoundError(f"no *.sql files in {folder}")
    return [Migration(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in found]


def migrate(settings: Settings, sql_dir: Path | None = None) -> MigrationReport:
    """Create the schema if needed and apply every file in one transaction. Every file is
    written to be re-runnable, so all of them run each time (a later file may add what an
    earlier run lacked); ``schema_migrations`` records versions and checksums."""
    from psycopg import sql

    schema = schema_of(settings)
    migrations = load_migrations(sql_dir)
    report = MigrationReport(schema)
    with connect(settings, "migrate", autocommit=False) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK_KEY,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = conn.execute("SELECT version, checksum FROM schema_migrations").fetchall()
        recorded: dict[str, str] = {str(version): str(checksum) for version, checksum in rows}
        for migration in migrations:
            conn.execute(migration.sql.encode())
            previous = recorded.get(migration.version)
            if previous == migration.checksum:
                report.unchanged.append(migration.version)
                continue
            (report.applied if previous is None else report.changed).append(migration.version)
            conn.execute(
                "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)"
                " ON CONFLICT (version) DO UPDATE"
                " SET checksum = EXCLUDED.checksum, applied_at = now()",
                (migration.version, migration.checksum),
            )
    log.info(
        "schema %s migrated: %d new, %d changed, %d unchanged",
        schema,
        len(report.applied),
        len(report.changed),
        len(report.unchanged),
    )
    return report


def missing_migrations(settings: Settings, sql_dir: Path | None = None) -> list[str]:
    """Versions among the migrations not yet recorded in the schema (all of them if it is new)."""
    wanted = [m.version for m in load_migrations(sql_dir)]
    with connect(settings, "migrate-check") as conn:
        exists = conn.execute(
            "SELECT to_regclass(quote_ident(%s) || '.schema_migrations') IS NOT NULL",
            (schema_of(settings),),
        ).fetchone()
        if not exists or not exists[0]:
            return wanted
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    return [v for v in wanted if v not in done]


def require_migrated(settings: Settings) -> None:
    missing = missing_migrations(settings)
    if missing:
        raise NotMigrated(
            f"schema {settings.postgres_schema!r} lacks migrations {', '.join(missing)}; "
            "run `kangaroo-paw db migrate` first"
        )


def drop_schema(settings: Settings) -> None:
    """Drop the whole schema (tests and `db reset`); never the public schema."""
    from psycopg import sql

    schema = schema_of(settings)
    if schema == "public":
        raise ValueError("refusing to drop the public schema")
    with connect(settings, "migrate") as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
