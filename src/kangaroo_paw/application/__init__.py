"""Application layer of Kangaroo Paw."""
