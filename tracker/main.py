"""Home, language switch and health check."""

from flask import Blueprint, current_app, redirect, request, session, url_for

from .security import safe_redirect_target

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return redirect(url_for("incidents.list_incidents"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_redirect_target(request.form.get("next", "")))


@bp.get("/health")
def health():
    return {"status": "ok"}
