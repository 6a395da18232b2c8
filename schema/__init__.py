"""The public GraphQL schema: strawberry types, inputs, payloads, scalars; build_schema()."""
