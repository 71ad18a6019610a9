"""Shared fixtures. Every test that takes `app` runs twice: on SQLite and on PostgreSQL.

PostgreSQL comes from TRACKER_TEST_POSTGRES_URL; each test gets a schema of its own that is
dropped afterwards. When PostgreSQL (or Chromium, see browser tests) is missing the test is
skipped, unless TRACKER_REQUIRE_ALL=1 (CI), where it fails instead.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

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


@pytest.fixture(scope="session")
def pg_engine():
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not available"
        engine.dispose()
        missing(f"PostgreSQL at {PG_URL} ({exc.__class__.__name__})")
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, empty database of the requested backend; dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    engine = request.getfixturevalue("pg_engine")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


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


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """One account per role, all with the password PASSWORD."""
    from tracker.auth.service import create_user
    return {role: create_user(f"{role}@example.org", role, PASSWORD, name=role.title())
            for role in ROLES}


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, role_or_email: str, password: str = PASSWORD):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@example.org"
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client, users):
    return Auth(client)


@pytest.fixture
def shared_geo():
    if not SHARED_GEO.is_dir():
        pytest.fail(f"boundary test data not found at {SHARED_GEO}")
    return SHARED_GEO
