"""Experiment tracking: entities, the store contract and its SQL and in-memory implementations."""
