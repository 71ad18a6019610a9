"""Section counts for a period: what the country report's sections cite (docs/architecture.md,
"Counting rules"). Shared by the reports pages and exports and by the API's /api/v1/stats."""
