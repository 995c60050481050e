"""CLI subcommands: each module here defines ``register(subparsers)`` (found automatically)."""
