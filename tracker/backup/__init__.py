"""`tracker backup` and `tracker restore`: the whole database as one portable file, read back by
SQLite and PostgreSQL alike."""
