"""The embedded event store on SQLite: eventsourcing's SQLite persistence, with concurrent
saves combined into one transaction (``group_commit``)."""
