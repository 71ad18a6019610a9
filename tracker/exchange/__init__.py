"""Exchanging incidents with files: the canonical CSV (import, export) and demo data."""
