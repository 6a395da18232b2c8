"""HTTP edge: the GraphQL endpoint (auth, idempotency) and health checks."""
