"""Home, language switch and health check."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for

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


def safe_redirect_target(target: str) -> str:
    """Only follow relative paths, so the switch cannot be used as an open redirect."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return url_for("main.index")
