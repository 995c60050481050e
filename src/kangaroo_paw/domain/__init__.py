"""Domain layer of Kangaroo Paw."""
