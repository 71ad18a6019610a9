"""Shared fixtures. Every test that takes `app` runs twice: on SQLite and on PostgreSQL.

PostgreSQL comes from TRACKER_TEST_POSTGRES_URL; each test gets a schema of its own that is
dropped afterwards. When PostgreSQL (or Chromium, see browser tests) is missing the test is
skipped, unless TRACKER_REQUIRE_ALL=1 (CI), where it fails instead.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from flask_babel import refresh as refresh_locale

from tests.support import PASSWORD, PG_URL, ROLES, SHARED_GEO, Auth, make_app, missing, postgres_schema, schema_created


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
    with postgres_schema(request.getfixturevalue("pg_engine")) as url:
        yield url


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        only = metafunc.definition.get_closest_marker("databases")
        metafunc.parametrize("database_url", only.args if only else ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def app(database_url, tmp_path):
    with schema_created(make_app(database_url, tmp_path / "instance")) as app:
        yield app


@pytest.fixture
def client(app):
    """A test client whose every request starts as a served one does. The `app` fixture keeps
    one app context open for the whole test, where Flask-Babel caches the locale, Flask-Login
    the user and Flask-WTF the CSRF token (in `g`): all are forgotten before anything else runs."""

    def as_a_new_request():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        refresh_locale()

    app.before_request_funcs.setdefault(None, []).insert(0, as_a_new_request)
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app):
    """One account per role, all with the password PASSWORD."""
    from tracker.auth.service import create_user

    return {role: create_user(f"{role}@example.org", role, PASSWORD, name=role.title()) for role in ROLES}


@pytest.fixture
def auth(client, users):
    return Auth(client)


@pytest.fixture
def shared_geo():
    if not SHARED_GEO.is_dir():
        pytest.fail(f"boundary test data not found at {SHARED_GEO}")
    return SHARED_GEO
