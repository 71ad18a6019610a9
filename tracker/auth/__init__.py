"""Login, logout and the deny-by-default gate in front of every route."""

from __future__ import annotations

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import LoginManager, current_user

from ..security import (
    ENROLMENT_ENDPOINTS,
    HSTS,
    PUBLIC_ENDPOINTS,
    SECURITY_HEADERS,
    SELF_AUTHENTICATING_BLUEPRINTS,
    content_security_policy,
    csp_nonce,
)


def init_login(app: Flask, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str):
        """The user of a live server-side session (the cookie's user id is its token)."""
        from .sessions import load

        return load(session_token)

    app.before_request(_require_login)
    app.before_request(_require_second_factor)
    app.after_request(_set_security_headers)


def _require_login():
    """Every endpoint needs a signed-in user unless it is on the public allowlist."""
    if (
        request.endpoint in PUBLIC_ENDPOINTS
        or request.blueprint in SELF_AUTHENTICATING_BLUEPRINTS
        or current_user.is_authenticated
    ):
        return None
    if request.endpoint is None:  # unknown URL: let it 404 without revealing anything
        return None
    # After a timed-out session a POST is sent back to its form: the browser restores the
    # typed input there (static/js/form-keeper.js), so nothing is lost by logging in again.
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target))


def _require_second_factor():
    """An account whose role must have a second factor, and has none yet, is sent to enrolment
    from every page but the public ones and logout (the API refuses its tokens: api/views.py)."""
    from .second_factor import must_enrol

    if (
        request.blueprint not in SELF_AUTHENTICATING_BLUEPRINTS
        and request.endpoint not in PUBLIC_ENDPOINTS | ENROLMENT_ENDPOINTS
        and request.endpoint is not None
        and current_user.is_authenticated  # last: a public request does not load the user (below)
        and must_enrol(current_user)
    ):
        return redirect(url_for("second_factor.setup"))
    return None


def _set_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(current_app.config["TILE_URL"], csp_nonce())
    )
    if current_app.config["SESSION_COOKIE_SECURE"]:  # TRACKER_SECURE_COOKIES=1: served over HTTPS
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # A signed-in user's pages are not stored. Only a request that loaded the user asks: loading
    # it rewrites an anonymous session's cookie (Flask-Login's strong protection), and a static
    # file answered after a login, with the cookie of before, would log the user out again.
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
