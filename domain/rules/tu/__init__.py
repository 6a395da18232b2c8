"""Top-up excess cover rules (TU-*, seed 004 Credendo general conditions): pure functions
over the policy's terms, a buyer's top-up limit above the first-layer insurer's limit,
its deliveries, losses, indemnities and recoveries."""
