"""Kangaroo Paw: an event-sourced scheduling engine for restaurant kitchens."""

__version__ = "0.1.0"
