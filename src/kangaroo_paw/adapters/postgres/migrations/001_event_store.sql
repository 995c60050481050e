-- Event store of the Kitchen application: what eventsourcing.postgres 9.5 creates for an
-- application named "kitchen" (recorder tables kitchen_events / kitchen_snapshots), written out
-- so production runs with CREATE_TABLE=n and the library's table creation is not relied on.
-- `kangaroo-paw db migrate` applies this with search_path set to KP_POSTGRES_SCHEMA.
-- Every statement is idempotent.

-- Composite row type the recorder binds when it inserts a batch (unnest(%s::stored_event_uuid[])).
-- CREATE TYPE has no IF NOT EXISTS, hence the guard.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typname = 'stored_event_uuid' AND n.nspname = current_schema()
    ) THEN
        CREATE TYPE stored_event_uuid AS (
            originator_id uuid,
            originator_version bigint,
            topic text,
            state bytea
        );
    END IF;
END
$$;

-- The events: one row per aggregate version; notification_id orders the log (the outbox).
-- Writers take LOCK TABLE ... IN EXCLUSIVE MODE, so ids are issued in commit order and a
-- follower never passes over a gap that is filled later. Each insert transaction also runs
-- NOTIFY kitchen_events, which wakes the relay and the projector (LISTEN kitchen_events).
CREATE TABLE IF NOT EXISTS kitchen_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,  -- append-only: nothing to vacuum
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX IF NOT EXISTS kitchen_events_notification_id_idx
    ON kitchen_events (notification_id ASC);

-- Snapshots (KitchenCore.snapshotting_intervals): same shape, not part of the log.
CREATE TABLE IF NOT EXISTS kitchen_snapshots (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

-- The recorder's optional server-side insert (POSTGRES_ENABLE_DB_FUNCTIONS=y). Unlike the
-- library's version it also takes the table lock, so it keeps the commit-order guarantee.
CREATE OR REPLACE FUNCTION es_insert_events_uuid(events stored_event_uuid[])
RETURNS SETOF bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $BODY$
BEGIN
    SET LOCAL lock_timeout = '10s';
    LOCK TABLE kitchen_events IN EXCLUSIVE MODE;
    NOTIFY kitchen_events;
    RETURN QUERY
        INSERT INTO kitchen_events AS t (originator_id, originator_version, topic, state)
        SELECT e.originator_id, e.originator_version, e.topic, e.state
        FROM unnest(events) AS e
        RETURNING t.notification_id;
END;
$BODY$;
