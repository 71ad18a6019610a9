"""Error pages in the user's language (JSON under /api/, tracker/api/errors.py). They cannot
fail themselves: the session is rolled back before one is drawn, and while the database cannot
be reached the page says so (503) without asking the database who is signed in."""

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import InternalServerError

from .api.errors import DATABASE_RETRY_AFTER, error_response, is_api_request, log_failure, rolled_back
from .extensions import login_manager


def register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 413, 500):
        app.register_error_handler(code, _render_error)
    app.register_error_handler(405, _method_not_allowed)
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(SQLAlchemyError, _database_failed)


def _database_unavailable(error):
    """The database cannot be reached (down, restarting, out of connections): nothing of this
    request was stored. Who is signed in may not be known either, so the page is drawn
    for no one."""
    rolled_back()
    login_manager._update_request_context_with_user()  # anonymous: base.html asks no database
    if is_api_request():
        return error_response(error)
    log_failure(error)
    return render_template("errors/error.html", code=503), 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}


def _database_failed(error):
    """Any other database error: the 500 page, logged without the error's text (Flask's own
    log of an unhandled error would repeat it, the statement's values included)."""
    if is_api_request():
        return error_response(error)
    log_failure(error)
    return _render_error(InternalServerError())


def _expired_form(error):
    """A form posted after the session ended: send the user to log in and back to the form,
    where the browser restores what they typed (static/js/form-keeper.js)."""
    if not current_user.is_authenticated:
        flash(_("Your session has ended. Log in again: what you typed is kept in this browser."), "error")
        return redirect(url_for("auth.login", next=request.path))
    return _render_error(error)


def _method_not_allowed(error):
    """Werkzeug's own answer on the web; JSON under /api/ (tracker/api/errors.py)."""
    return error_response(error) if is_api_request() else error


def _render_error(error):
    rolled_back()
    if is_api_request():  # an unknown /api/ address: no blueprint was chosen to answer in JSON
        return error_response(error)
    code = getattr(error, "code", 500) or 500
    return render_template("errors/error.html", code=code), code
