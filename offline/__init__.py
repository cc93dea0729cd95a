"""The counter's durable local store (TinyDB with atomic writes), the outbox and
the sync engine that delivers every record to the platform exactly once."""
