"""The JSON API (/api/v1): incidents, statistics and its OpenAPI document, with per-user tokens."""
