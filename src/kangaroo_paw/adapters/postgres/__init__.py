"""PostgreSQL adapters (psycopg 3, imported lazily): event store wiring, migrations, read
models, relay tracking, the advisory lock and the LISTEN wake-up."""
