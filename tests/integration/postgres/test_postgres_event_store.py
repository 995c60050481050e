"""The PostgreSQL event store: `db migrate` is idempotent, creates what eventsourcing's own
table creation would, and the Kitchen runs on it with CREATE_TABLE off."""

from __future__ import annotations

import pytest

from kangaroo_paw.adapters.clock import SystemClock
from kangaroo_paw.adapters.memory.queue import InMemoryReadyQueue
from kangaroo_paw.adapters.memory.read_model import InMemoryReadModel
from kangaroo_paw.adapters.postgres.connection import connect, eventsourcing_env
from kangaroo_paw.adapters.postgres.migrate import (
    NotMigrated,
    drop_schema,
    load_migrations,
    migrate,
    missing_migrations,
)
from kangaroo_paw.application.demo_kitchen import seed_demo_kitchen
from kangaroo_paw.application.kitchen import Kitchen
from kangaroo_paw.composition import build_services
from kangaroo_paw.settings import Settings

pytestmark = pytest.mark.postgres


def describe_schema(settings: Settings, tables: tuple[str, ...]) -> dict[str, object]:
    """Columns, indexes, types and functions of the event store, schema name removed."""
    schema = settings.postgres_schema
    with connect(settings, "test") as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = %s AND table_name = ANY(%s)"
            " ORDER BY table_name, ordinal_position",
            (schema, list(tables)),
        ).fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexname, replace(indexdef, %s, 'S') FROM pg_indexes"
            " WHERE schemaname = %s AND tablename = ANY(%s) ORDER BY indexname",
            (schema, schema, list(tables)),
        ).fetchall()
        options = conn.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = ANY(%s)"
            " ORDER BY c.relname",
            (schema, list(tables)),
        ).fetchall()
        types = conn.execute(
            "SELECT t.typname, a.attname, format_type(a.atttypid, a.atttypmod)"
            " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " JOIN pg_attribute a ON a.attrelid = t.typrelid"
            " WHERE n.nspname = %s AND t.typtype = 'c' AND t.typname LIKE 'stored_event%%'"
            " ORDER BY t.typname, a.attnum",
            (schema,),
        ).fetchall()
        functions = conn.execute(
            "SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)"
            " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = %s ORDER BY p.proname",
            (schema,),
        ).fetchall()
    return {
        "columns": [tuple(str(v).replace(schema, "S") for v in c) for c in columns],
        "indexes": indexes,
        "options": options,
        "types": types,
        "functions": [tuple(str(v).replace(schema, "S") for v in f) for f in functions],
    }


def test_migrate_is_idempotent_and_records_every_file(empty_pg_settings: Settings) -> None:
    settings = empty_pg_settings
    versions = [m.version for m in load_migrations()]
    assert missing_migrations(settings) == versions
    first = migrate(settings)
    assert first.applied == versions
    second = migrate(settings)
    assert (second.applied, second.changed, second.unchanged) == ([], [], versions)
    assert missing_migrations(settings) == []


def test_migrated_schema_equals_what_the_library_would_create(
    pg_settings: Settings, empty_pg_settings: Settings
) -> None:
    """Guards an eventsourcing upgrade: if its tables change, the migrations must follow."""
    library = empty_pg_settings
    with connect(library, "test") as conn:
        conn.execute(f"CREATE SCHEMA {library.postgres_schema}")
    Kitchen(
        clock=SystemClock(),
        queue=InMemoryReadyQueue(),
        read_model=InMemoryReadModel(),
        env=eventsourcing_env(library, create_table=True),
    ).close()
    tables = ("kitchen_events", "kitchen_snapshots")
    ours, theirs = describe_schema(pg_settings, tables), describe_schema(library, tables)
    assert ours["columns"] == theirs["columns"]
    assert ours["indexes"] == theirs["indexes"]
    assert ours["options"] == theirs["options"]
    assert ours["types"] == theirs["types"]
    assert ours["functions"] == theirs["functions"]


def test_kitchen_runs_with_create_table_off_and_survives_a_restart(pg_settings: Settings) -> None:
    assert eventsourcing_env(pg_settings)["CREATE_TABLE"] == "n"
    services = build_services(pg_settings, with_queue=False)
    try:
        assert seed_demo_kitchen(services.kitchen)
        view, created = services.kitchen.confirm_order({"burger_combo": 2}, "pg-restart-1")
        assert created
        head = services.kitchen.head_position()
        assert head > 0
    finally:
        services.close()
    again = build_services(pg_settings, with_queue=False)
    try:
        assert again.kitchen.head_position() == head
        replay, created = again.kitchen.confirm_order({"burger_combo": 2}, "pg-restart-1")
        assert not created
        assert replay.order_id == view.order_id
        assert len(replay.tasks) == len(view.tasks) == 8
        assert [e.notification_id for e in again.kitchen.event_log(0, 10_000)] == list(
            range(1, head + 1)
        )
    finally:
        again.close()


def test_services_refuse_to_start_on_an_unmigrated_schema(empty_pg_settings: Settings) -> None:
    with pytest.raises(NotMigrated, match="kangaroo-paw db migrate"):
        build_services(empty_pg_settings, with_queue=False)


def test_drop_schema_refuses_public() -> None:
    with pytest.raises(ValueError, match="public"):
        drop_schema(Settings.from_env(postgres_schema="public"))


def test_kitchen_recovers_when_the_server_drops_its_pooled_connections(
    pg_settings: Settings,
) -> None:
    services = build_services(pg_settings, with_queue=False)
    try:
        seed_demo_kitchen(services.kitchen)
        services.kitchen.confirm_order({"wrap": 1}, "drop-1")
        datastore = services.kitchen.recorder.datastore  # type: ignore[attr-defined]
        pids = []
        with datastore.get_connection() as a, datastore.get_connection() as b:
            pids = [a.info.backend_pid, b.info.backend_pid]
        with connect(pg_settings, "test") as conn:
            for pid in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        view, created = services.kitchen.confirm_order({"wrap": 1}, "drop-2")
        assert created
        assert services.kitchen.get_order(view.order_id).order_id == view.order_id
        assert [e.notification_id for e in services.kitchen.event_log(0, 10_000)] == list(
            range(1, services.kitchen.head_position() + 1)
        )
    finally:
        services.close()


def test_appends_are_serialised_so_ids_follow_commit_order(pg_settings: Settings) -> None:
    """The insert function takes the table lock: a writer waits for an open one, so a
    follower never passes an id that a slower transaction fills in later."""
    import threading

    services = build_services(pg_settings, with_queue=False)
    try:
        seed_demo_kitchen(services.kitchen)
        head = services.kitchen.head_position()
        with connect(pg_settings, "test") as conn:
            definition = conn.execute(
                "SELECT pg_get_functiondef('es_insert_events_uuid'::regproc)"
            ).fetchone()
            assert definition is not None
            assert "LOCK TABLE kitchen_events IN EXCLUSIVE MODE" in definition[0]
        with connect(pg_settings, "slow-writer", autocommit=False) as slow:
            slow.execute(
                "INSERT INTO kitchen_events (originator_id, originator_version, topic, state)"
                " VALUES (gen_random_uuid(), 1, 'slow', '\\x7b7d')"
            )  # holds ROW EXCLUSIVE, uncommitted
            done = threading.Event()

            def confirm() -> None:
                services.kitchen.confirm_order({"dip_cup": 1}, "after-slow")
                done.set()

            writer = threading.Thread(target=confirm, daemon=True)
            writer.start()
            assert not done.wait(1.0), "the second writer did not wait for the open one"
            slow.commit()
            assert done.wait(10)
            writer.join(10)
        with connect(pg_settings, "test") as conn:
            ids = conn.execute(
                "SELECT max(notification_id) FILTER (WHERE topic = 'slow'),"
                " min(notification_id) FILTER (WHERE notification_id > %s AND topic <> 'slow')"
                " FROM kitchen_events",
                (head,),
            ).fetchone()
        assert ids is not None
        assert ids[0] == head + 1  # the slow writer's id, committed first
        assert ids[1] == head + 2  # the waiting writer's ids follow it
    finally:
        services.close()
