"""Shared plumbing: settings, database, clock, errors, the outbox and the task runner."""
