-- Query-side read models for the list routes (GET /orders, GET /tasks), kept by the projector.
-- Rows and their tracking position are written in one transaction; both can be dropped and
-- rebuilt from the event store (`kangaroo-paw projections rebuild --only sql`).
CREATE TABLE IF NOT EXISTS projection_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS order_rows (
    order_id uuid PRIMARY KEY,
    external_order_id text NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL
);

-- Newest first, optionally by status, keyset-paginated on (created_at, order_id).
CREATE INDEX IF NOT EXISTS order_rows_created_idx
    ON order_rows (created_at DESC, order_id DESC);
CREATE INDEX IF NOT EXISTS order_rows_status_created_idx
    ON order_rows (status, created_at DESC, order_id DESC);

CREATE TABLE IF NOT EXISTS task_rows (
    task_id uuid PRIMARY KEY,
    order_id uuid NOT NULL,
    status text NOT NULL,  -- WAITING | READY | ASSIGNED | STARTED | COMPLETED | CANCELLED
    counter text NOT NULL,
    staff_id uuid,
    created_at timestamptz NOT NULL,
    step_no integer NOT NULL
);

-- Filters: status (+ counter), counter alone, the cook's tasks, an order's tasks.
CREATE INDEX IF NOT EXISTS task_rows_status_counter_idx
    ON task_rows (status, counter, created_at, order_id, step_no);
CREATE INDEX IF NOT EXISTS task_rows_counter_idx
    ON task_rows (counter, created_at);
CREATE INDEX IF NOT EXISTS task_rows_staff_idx
    ON task_rows (staff_id, status) WHERE staff_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS task_rows_order_idx
    ON task_rows (order_id);
