"""Kafka adapters (kafka-python, imported lazily): the outbox publisher."""
