"""Dramatiq actors ("noun.verb"), the broker setup and the scheduler. Thin like resolvers."""
