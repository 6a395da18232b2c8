"""Async use cases shared by resolvers and workers. Each owns its transaction."""
