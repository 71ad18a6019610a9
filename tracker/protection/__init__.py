"""Protection follow-up: the early-warning alerts over the register of persons at risk and the
requests for protection (`/protection/alerts`, `tracker alerts`). Staff only: alerts name
persons at risk."""
