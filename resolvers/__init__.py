"""Thin resolvers: read input -> call one domain service -> map to a payload."""
