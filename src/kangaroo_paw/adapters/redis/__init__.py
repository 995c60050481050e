"""Redis adapters: the ready-queue projection (DESIGN.md §4.3)."""
