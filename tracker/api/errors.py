"""JSON errors for the API: a caller gets the HTTP status, a short machine-readable `error`,
a `message` to show a person and, for refused parameters, one line per problem in `details`.
Never an HTML page: unknown /api/ addresses and unexpected failures included, answered after
the session is rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from ..extensions import db

API_PREFIX = "/api/"
# Seconds a client is asked to wait while the database cannot be reached (a restart takes a few).
DATABASE_RETRY_AFTER = 10


class ApiError(HTTPException):
    """A refusal with a message (and details) written for the caller."""

    def __init__(self, code: int, message: str, details: Iterable[str] = (), headers: dict[str, str] | None = None):
        super().__init__(description=message)
        self.code = code
        self.details = list(details)
        self.extra_headers = headers or {}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def _messages() -> dict[int, str]:
    return {
        404: _("Not found: there is nothing at this address, or you may not see it."),
        405: _("This address does not accept the %(method)s method.", method=request.method),
        500: _("Something went wrong on our side. The error has been logged; please try again later."),
    }


def database_unavailable() -> ApiError:
    return ApiError(
        503,
        _("The database cannot be reached just now, so nothing was stored. Please try again shortly."),
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )


def rolled_back() -> None:
    """A failed request may leave the session mid-transaction: whatever runs after the error
    (an answer that reads the signed-in user, hooks, the next use of the session) would fail on
    it too (PendingRollbackError), and nothing half-done may be committed later."""
    with suppress(SQLAlchemyError):
        db.session.rollback()


def log_failure(error: Exception) -> None:
    """Log where a request failed. A database error's text can repeat the values of its
    statement (victims' names among them): it is logged by its type and constraint only."""
    where = f"{request.method} {request.path}"
    if isinstance(error, OperationalError):
        current_app.logger.error("Database unreachable: %s", where)
        return
    failed = "API request failed" if is_api_request() else "Request failed"
    if isinstance(error, SQLAlchemyError):
        what = type(error).__name__
        constraint = getattr(getattr(getattr(error, "orig", None), "diag", None), "constraint_name", None)
        if constraint:  # PostgreSQL names it; the name is the schema's, not the data's
            what += f" on {constraint}"
        current_app.logger.error("%s: %s (%s)", failed, where, what)
    else:
        current_app.logger.exception("%s: %s", failed, where)


def error_response(error: Exception):
    """The JSON answer for any exception raised while serving an API request."""
    rolled_back()
    if not isinstance(error, HTTPException):
        log_failure(error)
        error = database_unavailable() if isinstance(error, OperationalError) else InternalServerError()
    code = error.code or 500
    message = error.description if isinstance(error, ApiError) else _messages().get(code, error.description)
    body = {
        "error": HTTP_STATUS_CODES.get(code, "error").lower().replace(" ", "_").replace("'", ""),
        "message": message,
        "details": getattr(error, "details", []),
    }
    response = jsonify(body)
    response.status_code = code
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    response.headers.update(getattr(error, "extra_headers", {}))
    return response


# Codes the app also handles (tracker/error_pages.py): a blueprint's handler for a code comes
# before the app's, which comes before any handler registered without a code.
HANDLED_CODES = (400, 403, 404, 405, 413, 500)  # others (401, 429…): the HTTPException handler


def register_api_errors(bp: Blueprint) -> None:
    """Errors raised in the API's views. Routing errors (an unknown /api/ address, a wrong
    method) happen before a blueprint is chosen: tracker/error_pages.py sends those here."""
    for code in HANDLED_CODES:
        bp.register_error_handler(code, error_response)
    bp.register_error_handler(HTTPException, error_response)
    bp.register_error_handler(Exception, error_response)
