"""Error pages in the user's language (JSON under /api/, tracker/api/errors.py)."""

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from .api.errors import error_response, is_api_request


def register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 413, 500):
        app.register_error_handler(code, _render_error)
    app.register_error_handler(405, _method_not_allowed)
    app.register_error_handler(CSRFError, _expired_form)


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
    if is_api_request():  # an unknown /api/ address: no blueprint was chosen to answer in JSON
        return error_response(error)
    code = getattr(error, "code", 500) or 500
    return render_template("errors/error.html", code=code), code
