"""Civic-space incident tracker: the application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .config import PROJECT_ROOT, load_config


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = os.environ.get("TRACKER_INSTANCE_PATH", str(PROJECT_ROOT / "instance"))
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    instance = Path(app.instance_path)
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance.chmod(0o700)  # it holds the keys, the secret key and (SQLite) the database

    load_config(app, test_config)
    if app.config["PROXIES"]:  # docs/operations.md: behind a reverse proxy
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"])  # type: ignore[method-assign]

    from . import (
        models,  # noqa: F401  (registers the tables)
        sqlite_settings,  # noqa: F401  (tunes every SQLite connection)
    )
    from .crypto import has_encrypted_data, init_keyring
    from .extensions import babel, csrf, db, limiter, login_manager, migrate
    from .i18n import select_locale

    db.init_app(app)
    _create_database_file(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        init_keyring(app, lambda: has_encrypted_data(db.engine))
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(PROJECT_ROOT / "translations")
    )

    from .auth import init_login
    from .security import configure_password_hashing

    configure_password_hashing(app.config["PASSWORD_HASH_PROFILE"])
    init_login(app, login_manager)

    from .fetch_metadata import init_fetch_metadata

    init_fetch_metadata(app)

    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .auth.second_factor_views import bp as second_factor_bp
    from .auth.views import bp as auth_bp
    from .exchange.blueprint import bp as exchange_bp
    from .incidents.views import bp as incidents_bp
    from .main import bp as main_bp
    from .maps.views import bp as maps_bp
    from .offline.views import bp as offline_bp
    from .persons.views import bp as persons_bp
    from .protection.views import bp as protection_bp
    from .reports.views import bp as reports_bp

    for blueprint in (
        main_bp,
        auth_bp,
        second_factor_bp,
        incidents_bp,
        admin_bp,
        reports_bp,
        maps_bp,
        exchange_bp,
        offline_bp,
        persons_bp,
        protection_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)

    from .exchange.jobs import end_abandoned_at_start_up

    end_abandoned_at_start_up(app)  # checks and imports a crash or restart cut short

    from .error_pages import register_error_pages
    from .templating import register_template_helpers

    register_error_pages(app)
    register_template_helpers(app)

    from .cli import register_commands

    register_commands(app)
    return app


def _create_database_file(url: str) -> None:
    """An SQLite database file made readable by its owner alone (SQLite gives its journal and
    write-ahead log files the same mode)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
