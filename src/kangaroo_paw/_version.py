"""The package version, in a module of its own so adapters can read it without the
front door's imports."""

__version__ = "0.1.0"
