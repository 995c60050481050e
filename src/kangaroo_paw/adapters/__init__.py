"""Adapters layer of Kangaroo Paw."""
