"""Entrypoints layer of Kangaroo Paw."""
