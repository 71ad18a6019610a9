"""Helpers shared by the test modules and their conftest files (importable, unlike conftest)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tracker import create_app
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_ALL = os.environ.get("TRACKER_REQUIRE_ALL") == "1"
SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo" / "peru"
PASSWORD = "correct-horse-42"
ROLES = ("admin", "reviewer", "monitor", "author", "viewer")


def missing(what: str):
    """Skip, or fail under TRACKER_REQUIRE_ALL=1, when a service a test needs is absent."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required (TRACKER_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} not available")


def make_app(database_url: str, instance_path: Path, **overrides):
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance_path)
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "TILE_URL": "",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        # Assertions read English; tests of the Spanish UI ask for it explicitly.
        "BABEL_DEFAULT_LOCALE": "en",
    }
    config.update(overrides)
    return create_app(config)


def import_departments() -> int:
    """The department layer alone: enough for a choropleth, and quick to import."""
    from tracker.exchange.demo import BOUNDARY_LAYERS
    from tracker.regions.service import import_boundaries

    name, level, name_field, code_field = BOUNDARY_LAYERS[0]
    return import_boundaries(SHARED_GEO / name, level, name_field, code_field)


@contextmanager
def schema_created(app):
    """The app's context with its tables created from the models, dropped afterwards."""
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, role_or_email: str, password: str = PASSWORD):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@example.org"
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")
