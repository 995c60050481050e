-- Outbox relay tracking: how far each relay (one per topic) has published, and how it fails.
-- The position advances only after the broker acknowledged a batch; the active relay holds a
-- session advisory lock and writes this row over the same connection.
CREATE TABLE IF NOT EXISTS relay_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
