"""Redis adapters: the ready-queue projection (docs/scheduling.md, "In Redis")."""
